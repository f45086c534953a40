"""The drill session: steady state, injection, expectations awaited on the timeline, guaranteed revert.

Both front ends (`pytest drills/` and `alertdrill run`) drive a `DrillSession` one step at a time
through `perform`, then `close` it; `close` reverts the fault on every path and scores the drill.
The session orchestrates collaborators it is given (`SessionParts`) and owns no I/O of its own.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import requests

from alertdrill.drill.environment import Environment
from alertdrill.drill.parts import Acknowledging, Observing, SessionParts
from alertdrill.drill.safety import Stop
from alertdrill.errors import AlertdrillError, DrillError, DrillFailed, InjectorError, TemporaryError
from alertdrill.faults.base import Injector
from alertdrill.polling import poll_until
from alertdrill.score.events import Event, EventName
from alertdrill.score.proof import proof
from alertdrill.score.scorecard import Check, DrillResult
from alertdrill.score.scoring import (
    acknowledgement,
    check_acknowledged,
    check_fires,
    check_reaches,
    check_runbook,
    delivered,
    fired_at,
    resolved_delivered,
    score,
    secs,
    wrong_route,
)
from alertdrill.spec.model import (
    AlertFires,
    DrillSpec,
    InjectFault,
    LinksRunbook,
    LocatesFault,
    ReachesContactGroup,
    Recovers,
    SteadyState,
    Step,
)

# Errors of an outside system that may answer on the next try: polls retry them until their deadline.
RETRIED = (TemporaryError, requests.RequestException)


@contextmanager
def deferred_signals() -> Iterator[list[int]]:
    """Hold SIGINT/SIGTERM while a revert runs; the caller re-raises once the fault is gone."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = {
        sig: signal.signal(sig, lambda signum, _frame: caught.append(signum)) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield caught
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class DrillSession:
    def __init__(
        self,
        spec: DrillSpec,
        env: Environment | None = None,
        progress: Callable[[str], None] | None = None,
        preflight: list[str] | None = None,
        *,
        parts: SessionParts | None = None,
    ) -> None:
        """Give either `env` (the real collaborators are built from it) or `parts`.

        `preflight`: lint findings that stop this drill before any step (nothing is injected).
        """
        if parts is None:
            assert env is not None, "a DrillSession needs an Environment or its SessionParts"
            parts = SessionParts.from_environment(spec, env, progress)
        elif progress is not None:
            parts.progress = progress
        self.spec, self.env, self.parts = spec, env, parts
        self.preflight = preflight or []
        self.progress = parts.progress
        self.timeline = parts.timeline
        self.safety = parts.safety
        self.checks: list[Check] = []
        self.failure: BaseException | None = None
        self.result: DrillResult | None = None
        self._watch: Observing | None = None
        self._ack: Acknowledging | None = parts.acknowledger
        self._started = parts.monotonic()
        self._shown = 0
        self._performed = 0
        self._heartbeat = parts.monotonic()
        self._notes: list[str] = []

    @classmethod
    def with_parts(cls, spec: DrillSpec, parts: SessionParts, preflight: list[str] | None = None) -> DrillSession:
        return cls(spec, preflight=preflight, parts=parts)

    # -- steps -------------------------------------------------------------------------------
    def perform(self, step: Step) -> None:
        handlers: dict[type, Callable[[Any], None]] = {  # each handler takes its own step type
            SteadyState: self._steady,
            InjectFault: self._inject,
            AlertFires: self._fires,
            ReachesContactGroup: self._reaches,
            LinksRunbook: self._runbook,
            LocatesFault: self._locate,
            Recovers: self._recover,
        }
        try:
            if self.preflight:
                count = len(self.preflight)
                raise DrillError(
                    f"preflight found {count} problem{'s' if count > 1 else ''}, nothing was "
                    f"injected: {'; '.join(self.preflight)}"
                )
            handlers[type(step)](step)
        except BaseException as exc:
            self.failure = self.failure or exc
            raise
        finally:
            self._drain()
        self._performed += 1

    def _drain(self) -> None:
        """Show what the safety's threads said; only this thread prints."""
        for message in self.safety.drain():
            self.progress(message)

    def _steady(self, step: SteadyState) -> None:
        settings = self.parts.settings
        service = settings.services[step.service]
        prometheus = self.parts.prometheus
        self.progress(f"steady state: waiting for {step.service} to be healthy")
        if not poll_until(lambda: bool(prometheus.query(service.healthy)), settings.steady_timeout_s, on_error=RETRIED):
            raise DrillError(
                f"steady state not met: {step.service}'s healthy expression returned nothing "
                f"for {secs(settings.steady_timeout_s)}; nothing was injected",
                fix=f"check `{service.healthy}` in Prometheus ({service.source})",
            )
        self.timeline.record(EventName.STEADY_STATE_OK, service=step.service)

    def _alert_quiet(self) -> None:
        """An alert still firing from an earlier drill would hide this one: wait until it is gone."""
        alert = self.spec.alert
        if not alert:
            return
        prometheus = self.parts.prometheus
        if not poll_until(
            lambda: not prometheus.alert_active(alert), self.parts.settings.steady_timeout_s, on_error=RETRIED
        ):
            raise DrillError(
                f"{alert} is already pending or firing before the fault; nothing was injected",
                fix="find out why it fires, or wait until it resolves",
            )

    def _inject(self, step: InjectFault) -> None:
        settings = self.parts.settings
        fault = settings.faults[step.fault]
        injector = self.parts.injector(fault)
        self._alert_quiet()
        holding = self.safety.guard_holding()
        if holding:
            raise DrillError(
                f"{holding} before the fault; nothing was injected",
                fix="wait until the guard's condition clears, or fix the guard",
            )
        labels: dict[str, str] = {}
        if self.spec.alert:
            labels = self.parts.fresh_group(self.spec.alert)
            self._watch = self.parts.watch(self.spec.alert, self.parts.clock(), labels)
        if hasattr(injector, "with_labels"):
            injector.with_labels(labels)  # e.g. a synthetic alert carries the drill's fresh-group label
        note = getattr(injector, "note", "")
        self._notes += [str(note)] if note else []
        self.safety.hold(injector, self.spec.name, fault, settings.config_path)  # the ledger entry comes first
        self.progress(f"injecting {step.fault}: {injector.describe()}")
        injector.inject()
        self.timeline.record(EventName.FAULT_INJECTED, fault=step.fault, type=fault.type)
        self.safety.arm(fault.max_duration_s or settings.max_fault_duration_s)
        self.progress(f"  kill switch: {self.parts.kill_switch_hint}")
        self._verify(injector)

    def _verify(self, injector: Injector) -> None:
        """The injector's own check that the fault holds (when it has one), awaited briefly."""
        verify = getattr(injector, "verify", None)
        if verify is None:
            return
        problem: list[str] = []

        def holds() -> bool:
            try:
                problem[:] = [p] if (p := verify()) else []
            except (requests.RequestException, OSError, InjectorError, TemporaryError) as exc:
                problem[:] = [f"{type(exc).__name__}: {exc}"]
            return not problem

        timings = self.parts.timings
        if not poll_until(holds, timings.verify_s, timings.verify_interval_s):
            raise DrillError(
                f"the fault did not take effect: {problem[0] if problem else 'unknown'}",
                fix="check the fault's target and options",
            )
        self.timeline.record(EventName.FAULT_VERIFIED)

    def _stop(self) -> Stop | None:
        return self.safety.stop_reason()

    def _deadline(self, budget_s: float) -> float:
        t0 = self.timeline.injected_at
        assert t0 is not None, "expectations run after the injection (the compiler enforces it)"
        return t0 + budget_s

    def _show_progress(self, what: str, left: float) -> None:
        """New events as they arrive, what the safety said, and a heartbeat while nothing happens."""
        self._drain()
        t0 = self.timeline.injected_at or self.parts.clock()
        new = self.timeline.arrived_since(self._shown)
        self._shown += len(new)
        for event in new:
            if event.name not in (EventName.FAULT_INJECTED, EventName.STEADY_STATE_OK):
                extra = event.detail("receiver") or event.detail("receivers")
                self.progress(f"  +{event.at - t0:6.2f}s {event.name}" + (f" ({extra})" if extra else ""))
        now = self.parts.monotonic()
        if new:
            self._heartbeat = now
        elif now - self._heartbeat >= self.parts.timings.heartbeat_s:
            self._heartbeat = now
            self.progress(f"  waiting for {what}: {secs(left)} left")

    def _outage(self) -> str | None:
        return self._watch.outage(self.parts.timings.outage_s) if self._watch is not None else None

    def _wait(self, what: str, done: Callable[[list[Event]], bool], deadline: float) -> bool:
        return self.timeline.wait_for(
            lambda evs: done(list(evs)) or self._outage() is not None or self._stop() is not None,
            deadline - self.parts.clock(),
            on_tick=lambda left: self._show_progress(what, left),
            tick_s=self.parts.timings.tick_s,
        )

    def _verdict(self, check: Check) -> None:
        self._show_progress(check.name, 0.0)
        stop = self._stop()
        if stop is not None:
            raise stop.error()
        self.checks.append(check)
        if not check.passed:
            trouble = self._outage()
            if trouble:
                raise DrillError(
                    f"observers could not watch the drill ({trouble}) for {self.parts.timings.outage_s:g} s",
                    fix="check that Prometheus, Alertmanager and the sink stay reachable",
                )
            self.timeline.record(EventName.DEADLINE_MISSED, check=check.name)
            raise DrillFailed(check.message or f"{check.name}: expected {check.expected}, got {check.actual}")

    def _fires(self, step: AlertFires) -> None:
        self._wait(
            f"{step.alert} to fire", lambda evs: fired_at(evs, step.alert) is not None, self._deadline(step.budget_s)
        )
        self._verdict(check_fires(step, self.timeline.events()))

    def _reaches(self, step: ReachesContactGroup) -> None:
        alert = self.spec.alert or ""
        receiver = self.parts.receiver_of(step.group)
        self._wait(
            f"{alert} to reach {step.group}",
            lambda evs: proof(evs, alert, step.group, step.channel) is not None or wrong_route(evs, alert, receiver),
            self._deadline(step.budget_s),
        )
        self._verdict(check_reaches(step, receiver, alert, self.timeline.events()))

    def _runbook(self, step: LinksRunbook) -> None:
        alert = self.spec.alert or ""
        self._wait(
            f"a notification of {alert}",
            lambda evs: delivered(evs, alert) is not None,
            self._deadline(self.spec.longest_budget()),
        )
        self.parts.runbooks.linked = step.runbook
        self._verdict(
            check_runbook(step, alert, self.spec.contact_group, self.timeline.events(), self.parts.runbook_problem)
        )

    def _locate(self, step: LocatesFault) -> None:
        if self._ack is None:
            self._verdict(self.parts.runbooks.locate(step, self._deadline(step.budget_s), self.progress))
            return
        self._ack.request(self.progress)
        self._wait("an acknowledgement", lambda evs: acknowledgement(evs) is not None, self._deadline(step.budget_s))
        ack = acknowledgement(self.timeline.events())
        if ack is not None:
            self.timeline.record(EventName.LOCATED, ack.at, via=ack.detail("via"), by=ack.detail("by"))
            if self.spec.surprise:
                self._ack.announce(self.progress)
        self._verdict(check_acknowledged(step, self.spec.alert or "", self._ack.link, self.timeline.events()))

    def _recover(self, step: Recovers) -> None:
        deadline = self._deadline(step.budget_s)
        check = self.parts.runbooks.recover(step, deadline, self.progress, by_people=self.spec.manual)
        alert = self.spec.alert or ""
        silenced = any(
            e.name == EventName.ACKNOWLEDGED and e.detail("via") == "silence" for e in self.timeline.events()
        )  # a silenced alert's resolution is not sent
        if check.passed and not silenced and delivered(self.timeline.events(), alert) is not None:
            # Receivers that send resolved notifications do so one group_interval later: record its arrival.
            self._wait(
                "the resolved notification",
                lambda evs: resolved_delivered(evs, alert) is not None,
                min(deadline, self.parts.clock() + self.parts.timings.resolved_grace_s),
            )
            note = resolved_delivered(self.timeline.events(), alert)
            t0 = self.timeline.injected_at or 0.0
            check = replace(
                check,
                actual=check.actual
                + (f"; resolved notification after {secs(note.at - t0)}" if note else "; no resolved notification"),
            )
        self._verdict(check)

    # -- the end: always revert --------------------------------------------------------------
    def close(self) -> DrillResult:
        if self.result is not None:
            return self.result
        error = self._describe(self.failure)
        if self.failure is None and self._performed < len(self.spec.steps):
            # Stopped between steps (a signal outside `perform`): there is no verdict to give.
            error = f"interrupted after {self._performed} of {len(self.spec.steps)} steps, before the verdict" + (
                "; the fault was reverted" if self.safety.injected else ""
            )
        with deferred_signals() as caught:
            self.safety.disarm()
            revert_error = self.safety.revert()
            if self._watch is not None:
                self._watch.stop()
            if self._ack is not None:
                self._ack.expire_silences()
        self._drain()
        if revert_error:
            error = f"{error}; {revert_error}" if error else revert_error
        self.result = score(
            self.spec,
            self.timeline.events(),
            self.checks,
            error=error,
            duration_s=self.parts.monotonic() - self._started,
            runbook_steps=self.parts.runbooks.results,
            notes=self._notes,
        )
        if caught:
            raise KeyboardInterrupt(f"signal {caught[0]} during revert; fault reverted")
        return self.result

    @staticmethod
    def _describe(failure: BaseException | None) -> str | None:
        if failure is None or isinstance(failure, DrillFailed):
            return None
        if isinstance(failure, KeyboardInterrupt):
            return "interrupted (Ctrl-C or SIGTERM) before the verdict; the fault was reverted"
        if isinstance(failure, AlertdrillError):
            return str(failure)
        return f"{type(failure).__name__}: {failure}"
