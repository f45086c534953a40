"""The runner: executes a `DrillPlan`, one `DrillSession` per drill, performing the compiled steps.

`alertdrill run` calls it directly; the pytest plugin's items call `run_drill` for their drill. So
both give the same scorecard, and the steps that run are the compiled ones, with their file:line.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from enum import IntEnum

from alertdrill.drill.deployed import check_deployed
from alertdrill.drill.environment import Environment
from alertdrill.drill.parallel import ParallelRun
from alertdrill.drill.parts import SessionParts
from alertdrill.drill.plan import DrillPlan, PlannedDrill
from alertdrill.drill.session import DrillSession
from alertdrill.drill.signals import signals_end_the_run
from alertdrill.errors import AlertdrillError, DrillFailed
from alertdrill.lab.configs import lab_secret_file
from alertdrill.score.events import EventName, Timeline
from alertdrill.score.scorecard import DrillResult, Scorecard
from alertdrill.sink.embedded import sink_for_run

Progress = Callable[[str], None]
# Called with each drill's timeline as its session starts (the console streams it, and pulls the kill
# switch on it); the drill itself does not depend on it.
TimelineHook = Callable[[PlannedDrill, Timeline], None]


class ExitStatus(IntEnum):
    """`alertdrill run`'s exit status (CONTRACT.md), decided from the outcome in one place."""

    PASSED = 0  # every drill passed
    FAILED = 1  # a drill failed or errored after injecting (a failed revert included)
    USAGE = 2  # bad input, preflight stopped every drill, a dependency unreachable (nothing injected)
    INTERRUPTED = 130  # Ctrl-C or SIGTERM; the current drill's fault was reverted


@dataclass
class RunOutcome:
    started_at: float
    results: list[DrillResult] = field(default_factory=list)
    interrupted: bool = False
    blocked: int = 0  # drills preflight stopped before injection

    def scorecard(self, run_id: str) -> Scorecard:
        return Scorecard(run_id, self.started_at, time.time(), list(self.results))

    def exit_status(self) -> ExitStatus:
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        if self.results and self.blocked == len(self.results):
            return ExitStatus.USAGE
        return ExitStatus.PASSED if all(r.status == "passed" for r in self.results) else ExitStatus.FAILED


VERDICT_WORDS = {"passed": "passed", "failed": "failed", "error": "could not run"}


def beside_note(beside: frozenset[str]) -> str:
    named = ", ".join(sorted(beside)[:3]) + (f" and {len(beside) - 3} more" if len(beside) > 3 else "")
    return (
        f"the noise picture leaves out {named}: alerts that drills running beside this one in the parallel "
        "run drill (run it alone to see every alert)"
    )


class Runner:
    def __init__(
        self, plan: DrillPlan, env: Environment, progress: Progress, on_timeline: TimelineHook | None = None
    ) -> None:
        self.plan, self.env, self.progress = plan, env, progress
        self.on_timeline = on_timeline
        self.prepared = False
        self.results: list[DrillResult] = []
        self.blocked = 0
        self._stack = ExitStack()
        self._lock = threading.Lock()  # drills of a parallel run finish from worker threads
        self._stopping = threading.Event()  # the run is interrupted: no step starts any more
        self._live: dict[int, Timeline] = {}  # the timelines of drills in flight (by thread)
        self._done: dict[int, DrillResult] = {}  # by id() of the planned drill
        self._kept: dict[int, list[str]] = {}  # a parallel drill's lines, by its place in the plan

    def close(self) -> None:
        """Stop what `prepare` and the drills started (the run's own sink, the sink feed)."""
        self.env.close()
        self._stack.close()

    def prepare(self) -> None:
        """Before the first drill: the sink (started here when nothing answers), Prometheus and
        Alertmanager answer; faults of killed runs go. `close` ends what this started."""
        settings = self.plan.settings
        if self.plan.needs_sink:
            self._stack.enter_context(
                sink_for_run(
                    settings.sink_listen, settings.sink_smtp, self.progress, secret_file=lab_secret_file(settings)
                )
            )
        self.env.require_reachable(sink=self.plan.needs_sink)
        for entry, outcome in self.env.revert_orphans():
            self.progress(f"left by a killed run: {entry.fault} ({entry.drill}): {outcome}")
        reloaded = self.env.reload_changed()
        if reloaded is not None:
            self.progress(f"lab: rule or route files changed; reloaded ({reloaded} alerting rules loaded)")
        self.plan = check_deployed(self.plan, self.progress)
        alerts = [a for p in self.plan.drills if not p.blocked for a in p.spec.named_alerts]
        if alerts and self.env.fresh_run(alerts):
            self.progress("lab: a new run label for this run (its alerts land in fresh Alertmanager groups)")
        self.prepared = True

    @property
    def stopping(self) -> bool:
        """True once the run is interrupted: no drill or step starts any more."""
        return self._stopping.is_set()

    def interrupt(self, by: str) -> None:
        """End every drill in flight (from another thread: their faults are reverted by their own
        `close`) and start no further step. Only the first call acts."""
        with self._lock:
            if self._stopping.is_set():
                return
            self._stopping.set()
            live = list(self._live.values())
        for timeline in live:
            timeline.record(EventName.KILL_SWITCH, via="signal", by=by)

    def run_drill(
        self,
        planned: PlannedDrill,
        progress: Progress | None = None,
        headline: Progress | None = None,
        beside: frozenset[str] = frozenset(),
    ) -> DrillResult:
        """One drill: its compiled steps in order until one fails; `close` always reverts and scores.
        The result is kept in `results` even when an interrupt (re-raised afterwards) ended the drill.
        `headline` gets the drill's first and last line, `progress` the rest (both default to the run's);
        `beside`: the alerts of the drills that may run beside it, left out of its noise picture."""
        spec, say = planned.spec, progress or self.progress
        head = headline or say
        head(f"drill: {spec.name}  ({spec.feature}:{spec.line})")
        parts = SessionParts.from_environment(spec, self.env, say, beside)
        parts.injector = lambda _fault: planned.injector  # the one built (and validated) with the plan
        session = DrillSession.with_parts(spec, parts, preflight=list(planned.blocked))
        if self.on_timeline is not None:
            self.on_timeline(planned, parts.timeline)
        interrupted = self._perform(session, parts.timeline)
        try:
            result = session.close()
        except KeyboardInterrupt:  # a signal during the revert: the fault is reverted, then we stop
            interrupted, result = True, session.result  # type: ignore[assignment]
        notes = [*planned.notes, *([beside_note(beside)] if beside else [])]
        if notes:
            result = replace(result, notes=[*result.notes, *notes])
        with self._lock:
            self.results.append(result)
            self._done[id(planned)] = result
            self.blocked += bool(planned.blocked)
        head(
            f"{spec.feature}:{spec.line}: drill {spec.name!r} {VERDICT_WORDS[result.status]}: "
            f"{result.verdict().removeprefix('could not run: ')}"
        )
        if interrupted:
            raise KeyboardInterrupt
        return result

    def _perform(self, session: DrillSession, timeline: Timeline) -> bool:
        """The drill's steps until one fails; True when an interrupt ended them."""
        me = threading.get_ident()
        with self._lock:
            self._live[me] = timeline
        try:
            for step in session.spec.steps:
                if self._stopping.is_set():
                    return True
                session.perform(step)
        except (DrillFailed, AlertdrillError):
            pass  # the verdict or the error is in the session; `close` scores it
        except KeyboardInterrupt:
            return True
        except Exception:
            pass
        finally:
            with self._lock:
                self._live.pop(me, None)
        return self._stopping.is_set()

    def tagged(self, index: int) -> Progress:
        """The headlines of one drill of a parallel run, tagged with its place in the plan."""
        tag = f"[{index + 1}/{len(self.plan.drills)}]"
        return lambda message: self.progress(f"{tag} {message}")

    def kept(self, index: int) -> Progress:
        """The rest of a parallel drill's lines: kept, shown as one block per drill when the run ends."""
        return self._kept.setdefault(index, []).append

    def show_kept(self) -> None:
        for index in sorted(self._kept):
            self.progress(f"-- [{index + 1}/{len(self.plan.drills)}] {self.plan.drills[index].spec.name}")
            for line in self._kept[index]:
                self.progress(f"   {line}")

    def run(self) -> RunOutcome:
        """Every drill of the plan: in order, or `--parallel` at once where their targets are disjoint.
        An interrupt ends the run after the reverts of the drills in flight."""
        outcome = RunOutcome(time.time())
        width = self.plan.settings.parallel
        try:
            if not self.prepared:
                self.prepare()
            with signals_end_the_run(self.interrupt):
                if width == 1 or len(self.plan.drills) < 2:
                    for planned in self.plan.drills:
                        self.run_drill(planned)
                else:
                    try:
                        outcome.interrupted = ParallelRun(self, width).run()
                    finally:
                        self.show_kept()
        except KeyboardInterrupt:
            outcome.interrupted = True
        finally:
            self.close()
        order = [self._done[id(p)] for p in self.plan.drills if id(p) in self._done]  # the plan's order
        outcome.results, outcome.blocked = order, self.blocked
        return outcome
