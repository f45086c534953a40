"""The drill session: steady state, injection, expectations awaited on the timeline, guaranteed revert.

Both front ends (`pytest drills/` and `alertdrill run`) drive a `DrillSession` one step at a time
through `perform`, then `close` it; `close` reverts the fault on every path and scores the drill.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import requests

from alertdrill.drill.acknowledgement import Acknowledgement
from alertdrill.drill.environment import Environment, needs_sink
from alertdrill.drill.killswitch import KillSwitch
from alertdrill.drill.runbooks import RunbookRunner
from alertdrill.errors import AlertdrillError, DrillError, DrillFailed, InjectorError
from alertdrill.faults.base import Injector
from alertdrill.faults.ledger import LedgerEntry
from alertdrill.observe import Watch, WatchTarget
from alertdrill.observe.guards import Guards
from alertdrill.observe.watch import hot_groups
from alertdrill.polling import poll_until
from alertdrill.score.events import Event, EventName, Timeline
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

HEARTBEAT_S = 5.0
RESOLVED_GRACE_S = 5.0  # how long a recovered drill waits for the resolved notification
VERIFY_S = 10.0  # how long an injector's own check may take to see its fault hold
OUTAGE_S = 5.0  # an observer failing this long ends the wait: the drill cannot be judged


@contextmanager
def deferred_signals() -> Iterator[list[int]]:
    """Hold SIGINT/SIGTERM while a revert runs; the caller re-raises once the fault is gone."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = {sig: signal.signal(sig, lambda signum, _frame: caught.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class DrillSession:
    def __init__(self, spec: DrillSpec, env: Environment,
                 progress: Callable[[str], None] | None = None, preflight: list[str] | None = None) -> None:
        """`preflight`: lint findings that stop this drill before any step (nothing is injected)."""
        self.spec, self.env = spec, env
        self.preflight = preflight or []
        self.progress = progress or env.progress
        self.timeline = Timeline()
        self.checks: list[Check] = []
        self.failure: BaseException | None = None
        self.result: DrillResult | None = None
        self._injector: Injector | None = None
        self._entry: LedgerEntry | None = None
        self._watch: Watch | None = None
        self._started = time.monotonic()
        self._shown = 0
        self._performed = 0
        self._heartbeat = time.monotonic()
        self._runbooks = RunbookRunner(spec, env, self.timeline, stopped=self._stopped)
        self._guards: Guards | None = None
        self._expiry: threading.Timer | None = None
        self._revert_lock = threading.Lock()
        self._notes: list[str] = []
        self.aborted: str | None = None
        self._kill = KillSwitch(env.settings.sink_public_url, env.ledger, self.timeline, self._pull)
        self._ack = Acknowledgement(spec, env, self.timeline, self._kill.link) if spec.manual else None

    # -- steps -------------------------------------------------------------------------------
    def perform(self, step: Step) -> None:
        handlers: dict[type, Callable[[Step], None]] = {
            SteadyState: self._steady, InjectFault: self._inject, AlertFires: self._fires,  # type: ignore[dict-item]
            ReachesContactGroup: self._reaches, LinksRunbook: self._runbook,  # type: ignore[dict-item]
            LocatesFault: self._locate, Recovers: self._recover,  # type: ignore[dict-item]
        }
        try:
            if self.preflight:
                count = len(self.preflight)
                raise DrillError(f"preflight found {count} problem{'s' if count > 1 else ''}, nothing was "
                                 f"injected: {'; '.join(self.preflight)}")
            handlers[type(step)](step)
        except BaseException as exc:
            self.failure = self.failure or exc
            raise
        self._performed += 1

    def _steady(self, step: SteadyState) -> None:
        service = self.env.settings.services[step.service]
        prometheus = self.env.prometheus()
        self.progress(f"steady state: waiting for {step.service} to be healthy")
        if not poll_until(lambda: bool(prometheus.query(service.healthy)), self.env.settings.steady_timeout_s):
            raise DrillError(f"steady state not met: {step.service}'s healthy expression returned nothing "
                             f"for {secs(self.env.settings.steady_timeout_s)}; nothing was injected",
                             fix=f"check `{service.healthy}` in Prometheus ({service.source})")
        self.timeline.record(EventName.STEADY_STATE_OK, service=step.service)

    def _alert_quiet(self) -> None:
        """An alert still firing from an earlier drill would hide this one: wait until it is gone."""
        alert = self.spec.alert
        if not alert:
            return
        prometheus = self.env.prometheus()
        if not poll_until(lambda: not prometheus.alert_active(alert), self.env.settings.steady_timeout_s):
            raise DrillError(f"{alert} is already pending or firing before the fault; nothing was injected",
                             fix="find out why it fires, or wait until it resolves")

    def _inject(self, step: InjectFault) -> None:
        fault = self.env.settings.faults[step.fault]
        injector = self.env.injector(fault)
        self._alert_quiet()
        self._guards = Guards(self.env.settings.guards, self.env.prometheus(), self.timeline)
        holding = self._guards.holding()
        if holding:
            raise DrillError(f"{holding} before the fault; nothing was injected",
                             fix="wait until the guard's condition clears, or fix the guard")
        labels: dict[str, str] = {}
        if self.spec.alert:
            labels = self._fresh_group(self.spec.alert)
            target = WatchTarget(self.spec.alert, time.time(), self.env.group_of, labels,
                                 ack_token=self._ack.token if self._ack else "", abort_token=self._kill.token,
                                 email_receivers=self.env.email_receivers())
            self._watch = Watch(target, self.timeline, self.env.prometheus(), self.env.alertmanager(),
                                self.env.sink() if needs_sink(self.spec) else None,
                                self.env.settings.poll_interval_s).start()
        if hasattr(injector, "with_labels"):
            injector.with_labels(labels)  # e.g. a synthetic alert carries the drill's fresh-group label
        note = getattr(injector, "note", "")
        self._notes += [str(note)] if note else []
        self._entry = self.env.ledger.record(self.spec.name, fault, self.env.settings.config_path)
        self._injector = injector
        self.progress(f"injecting {step.fault}: {injector.describe()}")
        injector.inject()
        self.timeline.record(EventName.FAULT_INJECTED, fault=step.fault, type=fault.type)
        limit = fault.max_duration_s or self.env.settings.max_fault_duration_s
        self._expiry = threading.Timer(limit, self._expire, args=(limit,))
        self._expiry.daemon = True
        self._expiry.start()
        self._guards.start()
        self._kill.arm(self._entry.id)
        self.progress(f"  kill switch: {self._kill.link if needs_sink(self.spec) else ''}"
                      f"{' or ' if needs_sink(self.spec) else ''}`alertdrill abort --by NAME`")
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
            except (requests.RequestException, OSError, InjectorError) as exc:
                problem[:] = [f"{type(exc).__name__}: {exc}"]
            return not problem

        if not poll_until(holds, VERIFY_S, 0.1):
            raise DrillError(f"the fault did not take effect: {problem[0] if problem else 'unknown'}",
                             fix="check the fault's target and options")
        self.timeline.record(EventName.FAULT_VERIFIED)

    def _expire(self, limit: float) -> None:
        """The fault's maximum duration passed: revert it now, whatever the drill is doing."""
        if self._injector is None:
            return
        self.aborted = f"the fault reached its maximum duration ({secs(limit)}) and was reverted"
        self.timeline.record(EventName.FAULT_EXPIRED, limit_s=f"{limit:g}")
        self._revert()

    def _pull(self) -> None:
        """A person pulled the kill switch: revert now (the waiting step then ends with `_stopped`)."""
        self.progress(f"{self._kill_reason()}: reverting now")
        self._revert()

    def _kill_reason(self) -> str | None:
        pulled = next((e for e in self.timeline.events() if e.name == EventName.KILL_SWITCH), None)
        if pulled is None:
            return None
        when = time.strftime("%H:%M:%S", time.gmtime(pulled.at))
        return (f"aborted by the kill switch, pulled by {pulled.detail('by') or 'someone'} at {when} UTC "
                f"({pulled.detail('via')})")

    def _stopped(self) -> str | None:
        """Why the drill must stop now: a person pulled the kill switch, a guard tripped, the fault expired."""
        return (self._kill_reason() or self.aborted
                or (f"aborted by {self._guards.tripped}" if self._guards and self._guards.tripped else None))

    def _fresh_group(self, alert: str) -> dict[str, str]:
        """Make this drill's Alertmanager group new, or say when it cannot be (DESIGN.md: hot groups)."""
        labels = self.env.fresh_group(alert)
        if labels is not None:
            self.timeline.record(EventName.GROUP_FRESH, alert=alert, **labels)
            return labels
        hot = hot_groups(self.env.alertmanager(), alert)
        if hot:
            self.timeline.record(EventName.GROUP_HOT, alert=alert, groups="; ".join(hot),
                                 note="an Alertmanager group already holds this alert: delivery waits "
                                      "group_interval instead of group_wait")
        return {}

    def _deadline(self, budget_s: float) -> float:
        t0 = self.timeline.injected_at
        assert t0 is not None, "expectations run after the injection (the compiler enforces it)"
        return t0 + budget_s

    def _show_progress(self, what: str, left: float) -> None:
        """New events as they arrive, and a heartbeat while nothing happens."""
        t0 = self.timeline.injected_at or time.time()
        new = self.timeline.arrived_since(self._shown)
        self._shown += len(new)
        for event in new:
            if event.name not in (EventName.FAULT_INJECTED, EventName.STEADY_STATE_OK):
                extra = event.detail("receiver") or event.detail("receivers")
                self.progress(f"  +{event.at - t0:6.2f}s {event.name}" + (f" ({extra})" if extra else ""))
        if new:
            self._heartbeat = time.monotonic()
        elif time.monotonic() - self._heartbeat >= HEARTBEAT_S:
            self._heartbeat = time.monotonic()
            self.progress(f"  waiting for {what}: {secs(left)} left")

    def _wait(self, what: str, done: Callable[[list[Event]], bool], deadline: float) -> bool:
        watch = self._watch
        return self.timeline.wait_for(
            lambda evs: (done(list(evs)) or (watch is not None and watch.outage(OUTAGE_S) is not None)
                         or self._stopped() is not None),
            deadline - time.time(), on_tick=lambda left: self._show_progress(what, left))

    def _verdict(self, check: Check) -> None:
        self._show_progress(check.name, 0.0)
        stopped = self._stopped()
        if stopped:
            raise DrillError(f"{stopped}; the fault was reverted" if "reverted" not in stopped else stopped,
                             fix="find out why the guard's condition held" if "guard" in stopped else
                             "nothing to fix in alertdrill: a person ended the drill" if "kill switch" in stopped
                             else "raise the fault's max_duration (or max_fault_duration) if the drill needs longer")
        self.checks.append(check)
        if not check.passed:
            trouble = self._watch.outage(OUTAGE_S) if self._watch else None
            if trouble:
                raise DrillError(f"observers could not watch the drill ({trouble}) for {OUTAGE_S:g} s",
                                 fix="check that Prometheus, Alertmanager and the sink stay reachable")
            self.timeline.record(EventName.DEADLINE_MISSED, check=check.name)
            raise DrillFailed(check.message or f"{check.name}: expected {check.expected}, got {check.actual}")

    def _fires(self, step: AlertFires) -> None:
        self._wait(f"{step.alert} to fire", lambda evs: fired_at(evs, step.alert) is not None,
                   self._deadline(step.budget_s))
        self._verdict(check_fires(step, self.timeline.events()))

    def _reaches(self, step: ReachesContactGroup) -> None:
        alert = self.spec.alert or ""
        receiver = self.env.contact_groups.receiver(step.group)
        self._wait(f"{alert} to reach {step.group}",
                   lambda evs: (delivered(evs, alert, step.group, channel=step.channel) is not None
                                or wrong_route(evs, alert, receiver)),
                   self._deadline(step.budget_s))
        self._verdict(check_reaches(step, receiver, alert, self.timeline.events()))

    def _runbook(self, step: LinksRunbook) -> None:
        alert = self.spec.alert or ""
        self._wait(f"a notification of {alert}", lambda evs: delivered(evs, alert) is not None,
                   self._deadline(self.spec.longest_budget()))
        self._runbooks.linked = step.runbook
        self._verdict(check_runbook(step, alert, self.spec.contact_group, self.timeline.events(),
                                    self.env.runbook_problem))

    def _locate(self, step: LocatesFault) -> None:
        if self._ack is None:
            self._verdict(self._runbooks.locate(step, self._deadline(step.budget_s), self.progress))
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
        check = self._runbooks.recover(step, deadline, self.progress, by_people=self.spec.manual)
        alert = self.spec.alert or ""
        silenced = any(e.name == EventName.ACKNOWLEDGED and e.detail("via") == "silence"
                       for e in self.timeline.events())  # a silenced alert's resolution is not sent
        if check.passed and not silenced and delivered(self.timeline.events(), alert) is not None:
            # Receivers that send resolved notifications do so one group_interval later: record its arrival.
            self._wait("the resolved notification", lambda evs: resolved_delivered(evs, alert) is not None,
                       min(deadline, time.time() + RESOLVED_GRACE_S))
            note = resolved_delivered(self.timeline.events(), alert)
            t0 = self.timeline.injected_at or 0.0
            check = replace(check, actual=check.actual + (f"; resolved notification after {secs(note.at - t0)}"
                                                          if note else "; no resolved notification"))
        self._verdict(check)

    # -- the end: always revert --------------------------------------------------------------
    def close(self) -> DrillResult:
        if self.result is not None:
            return self.result
        error = self._describe(self.failure)
        if self.failure is None and self._performed < len(self.spec.steps):
            # Stopped between steps (a signal outside `perform`): there is no verdict to give.
            error = (f"interrupted after {self._performed} of {len(self.spec.steps)} steps, before the verdict"
                     + ("; the fault was reverted" if self._injector is not None else ""))
        with deferred_signals() as caught:
            if self._expiry is not None:
                self._expiry.cancel()
            revert_error = self._revert()
            if self._guards is not None:
                self._guards.stop()
            self._kill.disarm()
            if self._watch is not None:
                self._watch.stop()
            if self._ack is not None:
                self._ack.expire_silences()
        if revert_error:
            error = f"{error}; {revert_error}" if error else revert_error
        self.result = score(self.spec, self.timeline.events(), self.checks, error=error,
                            duration_s=time.monotonic() - self._started, runbook_steps=self._runbooks.results,
                            notes=self._notes)
        if caught:
            raise KeyboardInterrupt(f"signal {caught[0]} during revert; fault reverted")
        return self.result

    def _revert(self) -> str | None:
        """Revert once, from whichever thread gets here first (the drill, or the max-duration timer)."""
        with self._revert_lock:
            if self._injector is None:
                return None
            try:
                self._injector.revert()
            except (InjectorError, OSError, requests.RequestException) as exc:
                self.timeline.record(EventName.DRILL_ERROR, error=str(exc))
                return (f"revert failed: {exc}; the fault may still be in place; its ledger entry is kept "
                        "for `alertdrill cleanup`")
            finally:
                self._injector = None
            self.timeline.record(EventName.FAULT_REVERTED)
            if self._entry is not None:
                self.env.ledger.clear(self._entry)
            self.progress("fault reverted")
            return None

    @staticmethod
    def _describe(failure: BaseException | None) -> str | None:
        if failure is None or isinstance(failure, DrillFailed):
            return None
        if isinstance(failure, KeyboardInterrupt):
            return "interrupted (Ctrl-C or SIGTERM) before the verdict; the fault was reverted"
        if isinstance(failure, AlertdrillError):
            return str(failure)
        return f"{type(failure).__name__}: {failure}"
