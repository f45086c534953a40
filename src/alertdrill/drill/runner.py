"""The runner: executes a `DrillPlan`, one `DrillSession` per drill, performing the compiled steps.

`alertdrill run` calls it directly; the pytest plugin's items call `run_drill` for their drill. So
both give the same scorecard, and the steps that run are the compiled ones, with their file:line.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from enum import IntEnum

from alertdrill.drill.deployed import check_deployed
from alertdrill.drill.environment import Environment
from alertdrill.drill.parts import SessionParts
from alertdrill.drill.plan import DrillPlan, PlannedDrill
from alertdrill.drill.session import DrillSession
from alertdrill.errors import AlertdrillError, DrillFailed
from alertdrill.lab.configs import lab_secret_file
from alertdrill.lab.fresh_groups import lab_owns_prometheus
from alertdrill.lab.reload import files_changed, reload_lab
from alertdrill.score.scorecard import DrillResult, Scorecard
from alertdrill.sink.embedded import sink_for_run

Progress = Callable[[str], None]


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


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM takes Ctrl-C's path, so the session's `close` reverts the fault."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals (the console runs drills in workers)
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Runner:
    def __init__(self, plan: DrillPlan, env: Environment, progress: Progress) -> None:
        self.plan, self.env, self.progress = plan, env, progress
        self.prepared = False
        self.results: list[DrillResult] = []
        self.blocked = 0
        self._stack = ExitStack()

    def close(self) -> None:
        """Stop what `prepare` started (the run's own sink)."""
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
        if settings.lab is not None and lab_owns_prometheus(settings) and files_changed(settings):
            alerts = reload_lab(settings)
            self.progress(f"lab: rule or route files changed; reloaded ({len(alerts)} alerting rules loaded)")
        self.plan = check_deployed(self.plan, self.progress)
        self.prepared = True

    def run_drill(self, planned: PlannedDrill) -> DrillResult:
        """One drill: its compiled steps in order until one fails; `close` always reverts and scores.
        The result is kept in `results` even when an interrupt (re-raised afterwards) ended the drill."""
        spec = planned.spec
        self.progress(f"drill: {spec.name}  ({spec.feature}:{spec.line})")
        parts = SessionParts.from_environment(spec, self.env, self.progress)
        parts.injector = lambda _fault: planned.injector  # the one built (and validated) with the plan
        session = DrillSession.with_parts(spec, parts, preflight=list(planned.blocked))
        interrupted = False
        try:
            for step in spec.steps:
                session.perform(step)
        except (DrillFailed, AlertdrillError):
            pass  # the verdict or the error is in the session; `close` scores it
        except KeyboardInterrupt:
            interrupted = True
        except Exception:
            pass
        try:
            result = session.close()
        except KeyboardInterrupt:  # a signal during the revert: the fault is reverted, then we stop
            interrupted, result = True, session.result  # type: ignore[assignment]
        if planned.notes:
            result = replace(result, notes=[*result.notes, *planned.notes])
        self.results.append(result)
        self.blocked += bool(planned.blocked)
        self.progress(
            f"{spec.feature}:{spec.line}: drill {spec.name!r} {VERDICT_WORDS[result.status]}: "
            f"{result.verdict().removeprefix('could not run: ')}"
        )
        if interrupted:
            raise KeyboardInterrupt
        return result

    def run(self) -> RunOutcome:
        """Every drill of the plan in order. An interrupt ends the run after the current drill's revert."""
        outcome = RunOutcome(time.time())
        try:
            if not self.prepared:
                self.prepare()
            with sigterm_as_interrupt():
                for planned in self.plan.drills:
                    self.run_drill(planned)
        except KeyboardInterrupt:
            outcome.interrupted = True
        finally:
            self.close()
        outcome.results, outcome.blocked = list(self.results), self.blocked
        return outcome
