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
from alertdrill.drill.window import WindowStep, recheck, reverted_at, wait_quiet, window_check, window_ready
from alertdrill.errors import AlertdrillError, DrillError, DrillFailed, InjectorError, TemporaryError
from alertdrill.faults.base import Injector
from alertdrill.polling import poll_until
from alertdrill.publish.console import event_line
from alertdrill.score.events import Event, EventName
from alertdrill.score.noise import check_resolves, noise_picture
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
    PHASE_OF,
    WINDOW_STEPS,
    AlertFires,
    AlertsFire,
    DrillSpec,
    InjectFault,
    LinksRunbook,
    LocatesFault,
    Phase,
    QuietStart,
    ReachesContactGroup,
    Recovers,
    ResolvesAfterRevert,
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
        self._noise: Observing | None = None
        self._windowed: list[WindowStep] = []
        self._ack: Acknowledging | None = parts.acknowledger
        self._started = parts.monotonic()
        self._shown = 0
        self._performed = 0
        self._heartbeat = parts.monotonic()
        self._notes: list[str] = []
        self._judged: list[Phase] = []
        self._unshown: list[Event] = []  # arrived, not printed yet (see `_show_events`)
        self._last_shown_at = float("-inf")

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
            QuietStart: self._quiet,
            AlertsFire: self._fires_all,
            ResolvesAfterRevert: self._resolves,
            **dict.fromkeys(WINDOW_STEPS, self._window),
        }
        try:
            if self.preflight:
                count = len(self.preflight)
                raise DrillError(
                    f"preflight found {count} problem{'s' if count > 1 else ''}, nothing was "
                    f"injected: {'; '.join(self.preflight)}"
                )
            handlers[type(step)](step)
        except DrillFailed as exc:
            self._judge(step)
            self.failure = self.failure or exc
            raise
        except BaseException as exc:
            self.failure = self.failure or exc
            raise
        else:
            self._judge(step)
        finally:
            self._drain()
        self._performed += 1

    def _judge(self, step: Step) -> None:
        """The step reached its verdict: its phase ran (reports draw the others as "not run")."""
        if type(step) in PHASE_OF:
            self._judged.append(PHASE_OF[type(step)])

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

    def _quiet(self, _step: QuietStart) -> None:
        """No alert pending or firing in Prometheus (waited for, as a steady state); else none is injected."""
        self.progress("steady state: waiting for no alert to be pending or firing")
        wait_quiet(self.parts.prometheus, self.parts.settings.steady_timeout_s, RETRIED)
        self.timeline.record(EventName.STEADY_STATE_OK, check="no alert is firing")

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
            since = self.parts.clock()
            self._watch = self.parts.watch(self.spec.alert, since, labels)
            if self.parts.noise is not None:
                self._noise = self.parts.noise(self.spec.alert, since, labels)
        if hasattr(injector, "with_labels"):
            injector.with_labels(labels)  # e.g. a synthetic alert carries the drill's fresh-group label
        note = getattr(injector, "note", "")
        self._notes += [str(note)] if note else []
        self.safety.hold(injector, self.spec.name, fault, settings.config_path)  # the ledger entry comes first
        self.progress(f"injecting {step.fault}: {injector.describe()}")
        # Stamped as the call starts: the fault takes effect during it, and a thread that waits for the
        # interpreter after the call (many drills at once) must not make the alert path look shorter.
        started = self.parts.clock()
        injector.inject()
        took_ms = round((self.parts.clock() - started) * 1000, 1)
        self.timeline.record(EventName.FAULT_INJECTED, started, fault=step.fault, type=fault.type, call_ms=took_ms)
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

    def _show_progress(self, what: str, left: float, flush: bool = False) -> None:
        """New events in time order, what the safety said, and a progress line while nothing happens:
        rewritten every tick on a terminal (the output's `status`), a plain line now and then otherwise."""
        self._drain()
        shown = self._show_events(flush)
        status: Callable[[str], None] | None = getattr(self.progress, "status", None)
        now = self.parts.monotonic()
        if shown:
            self._heartbeat = now
        if status is not None:
            if left > 0 and not flush:
                status(f"  waiting for {what}: {secs(left)} left")
        elif not shown and now - self._heartbeat >= self.parts.timings.heartbeat_s:
            self._heartbeat = now
            self.progress(f"  waiting for {what}: {secs(left)} left")

    def _say(self, message: str) -> None:
        """A line of the runbook or the acknowledgement, after the events that came before it."""
        self._show_events(flush=True)
        self.progress(message)

    def _show_events(self, flush: bool) -> bool:
        """Print the events that arrived, each once, oldest first; an event younger than `print_lag_s`
        waits (a slower observer's older event may still come) unless `flush`. True when one was printed."""
        new = self.timeline.arrived_since(self._shown)
        self._shown += len(new)
        self._unshown += [e for e in new if e.name not in (EventName.FAULT_INJECTED, EventName.STEADY_STATE_OK)]
        horizon = self.parts.clock() - self.parts.timings.print_lag_s
        ready = sorted((e for e in self._unshown if flush or e.at <= horizon), key=lambda e: e.at)
        self._unshown = [e for e in self._unshown if not (flush or e.at <= horizon)]
        t0 = self.timeline.injected_at or self.parts.clock()
        for event in ready:
            late = event.at < self._last_shown_at
            self.progress(event_line(event, t0, late))
            self._last_shown_at = max(self._last_shown_at, event.at)
        return bool(ready)

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

    def _fires_all(self, step: AlertsFire) -> None:
        for alert in step.alerts:
            self._fires(AlertFires(alert, step.budget_s, step.line))

    def _window(self, step: WindowStep) -> None:
        """A verdict on the whole drill: judged once the drill's alerts were notified or suppressed, and
        judged again when the drill ends."""
        self._wait(
            "the drill's alerts to be notified or suppressed",
            lambda evs: window_ready(self.spec, step, evs),
            self._deadline(self.spec.longest_budget()),
        )
        self._windowed.append(step)
        self._verdict(window_check(self.spec, step, self.parts.receiver_of, self.timeline.events()))

    def _resolves(self, step: ResolvesAfterRevert) -> None:
        """Revert now, then wait for the drill's alerts to resolve (and resolved notifications to arrive)."""
        self.safety.disarm()
        error = self.safety.revert()
        self._drain()
        if error:
            raise DrillError(error)
        reverted = reverted_at(self.timeline.events())
        alerts, senders = self.spec.named_alerts, self.parts.resolved_senders

        def judged(evs: list[Event]) -> bool:
            return check_resolves(step.budget_s, alerts, reverted, senders, evs).passed

        self._wait("the alerts to resolve", judged, (reverted or self.parts.clock()) + step.budget_s)
        self._verdict(check_resolves(step.budget_s, alerts, reverted, senders, self.timeline.events()))

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
            self._verdict(self.parts.runbooks.locate(step, self._deadline(step.budget_s), self._say))
            return
        self._ack.request(self._say)
        self._wait("an acknowledgement", lambda evs: acknowledgement(evs) is not None, self._deadline(step.budget_s))
        ack = acknowledgement(self.timeline.events())
        if ack is not None:
            self.timeline.record(EventName.LOCATED, ack.at, via=ack.detail("via"), by=ack.detail("by"))
            if self.spec.surprise:
                self._ack.announce(self._say)
        self._verdict(check_acknowledged(step, self.spec.alert or "", self._ack.link, self.timeline.events()))

    def _recover(self, step: Recovers) -> None:
        deadline = self._deadline(step.budget_s)
        check = self.parts.runbooks.recover(step, deadline, self._say, by_people=self.spec.manual)
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
        self._show_events(flush=True)
        with deferred_signals() as caught:
            self.safety.disarm()
            revert_error = self.safety.revert()
            watchers = [w for w in (self._watch, self._noise) if w is not None]
            for watcher in watchers:  # all told first: they stop together
                watcher.stop_soon()
            for watcher in watchers:
                watcher.stop()
            if self._ack is not None:
                self._ack.expire_silences()
        self._drain()
        if revert_error:
            error = f"{error}; {revert_error}" if error else revert_error
        events = self.timeline.events()
        self.checks = recheck(self.spec, self._windowed, self.checks, self.parts.receiver_of, events)
        self.result = score(
            self.spec,
            events,
            self.checks,
            error=error,
            duration_s=self.parts.monotonic() - self._started,
            runbook_steps=self.parts.runbooks.results,
            notes=self._notes,
            judged=self._judged,
        )
        if self.spec.alert:
            self.result = replace(self.result, noise=noise_picture(self.spec.named_alerts, events))
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
