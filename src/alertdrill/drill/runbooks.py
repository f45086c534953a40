"""Runbooks run during a drill: Diagnose steps retried until they locate the fault, Remediate steps
run once, then the service must be healthy again and the alert resolved. In a drill for people the
harness runs no steps: their action must bring the service back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from alertdrill.catalog.paths import display_path
from alertdrill.catalog.runbooks import Runbook, RunbookStep, parse_runbook
from alertdrill.drill.environment import Environment
from alertdrill.errors import PromQLError, TemporaryError
from alertdrill.polling import Backoff, poll_until
from alertdrill.score.events import EventName, Timeline
from alertdrill.score.scorecard import Check, RunbookStepResult
from alertdrill.score.scoring import secs
from alertdrill.shell import command_env, run_shell
from alertdrill.spec.model import DrillSpec, LocatesFault, Recovers

RETRY_S = 0.5
# Diagnose steps are questions asked again: 0.5 s, then 1.5 times longer each time up to 5 s, at most
# 120 times (a shell step is not hammered every half second for five minutes).
DIAGNOSE_BACKOFF = Backoff(factor=1.5, max_s=5.0, attempts=120)
RETRIED = (TemporaryError, requests.RequestException)  # an outside system that may answer next time


@dataclass(frozen=True)
class StepOutcome:
    step: RunbookStep
    ok: bool
    summary: str


class RunbookRunner:
    def __init__(
        self, spec: DrillSpec, env: Environment, timeline: Timeline, stopped: Callable[[], str | None] = lambda: None
    ) -> None:
        """`stopped()` says why the drill must end now (a guard, the fault's maximum duration), or None."""
        self.spec, self.env, self.timeline, self.stopped = spec, env, timeline, stopped
        self.linked: str | None = None
        self.results: list[RunbookStepResult] = []  # every step's last outcome, for the scorecard

    def _runbook(self) -> Runbook | None:
        folder = self.env.settings.runbooks
        assert folder is not None
        candidates: list[Path] = []
        if self.linked:
            candidates += [self.env.settings.root / self.linked, folder / self.linked]
        url = next(
            (
                e.detail("runbook_url")
                for e in self.timeline.events()
                if e.name == EventName.DELIVERED and e.detail("runbook_url")
            ),
            "",
        )
        candidates += [p for p in sorted(folder.rglob("*.md")) if url and url.endswith(p.name)]
        for path in candidates:
            if path.is_file():
                return parse_runbook(path)
        for path in sorted(folder.rglob("*.md")):
            book = parse_runbook(path)
            if self.spec.alert in book.alerts:
                return book
        return None

    def _keep(self, phase: str, book: Runbook, outcomes: list[StepOutcome], attempts: int = 1) -> None:
        where = display_path(book.path, self.env.settings.root)
        self.results += [
            RunbookStepResult(
                phase, where, o.step.line, o.step.language, o.step.code[:500], o.ok, o.summary[:500], attempts
            )
            for o in outcomes
        ]

    def _where(self, step: RunbookStep, book: Runbook) -> str:
        return f"{display_path(book.path, self.env.settings.root)}:{step.line}"

    def _run(self, step: RunbookStep) -> StepOutcome:
        if step.language == "promql":
            try:
                found = self.env.prometheus().query(step.code)
            except PromQLError as exc:
                return StepOutcome(step, False, f"query rejected: {str(exc)[:200]}")
            except RETRIED as exc:  # asked again on the next attempt, until the step's deadline
                return StepOutcome(step, False, f"Prometheus did not answer: {str(exc)[:200]}")
            return StepOutcome(step, bool(found), f"{len(found)} series")
        result = run_shell(
            step.code,
            cwd=self.env.settings.root,
            timeout_s=self.env.settings.command_timeout_s,
            env=command_env(self.env.settings.config_path),
            groups=self.env.ledger.groups,
        )
        return StepOutcome(step, result.ok, result.summary())

    def locate(self, step: LocatesFault, deadline: float, progress: Callable[[str], None]) -> Check:
        name, expected = "runbook locates the fault", f"Diagnose steps succeed within {secs(step.budget_s)}"
        book = self._runbook()
        if book is None or not book.steps_in("diagnose"):
            which = display_path(book.path, self.env.settings.root) if book else f"no runbook for {self.spec.alert}"
            return Check(
                name,
                False,
                expected,
                which,
                f"{which} has no executable Diagnose steps: add ```promql or ```sh blocks under `## Diagnose`",
            )
        progress(f"locating with {display_path(book.path, self.env.settings.root)}")
        outcomes: list[StepOutcome] = []
        attempts = [0]

        def all_succeed() -> bool:  # a Diagnose step is a question asked again, not an event
            if self.stopped():
                return True
            attempts[0] += 1
            outcomes[:] = [self._run(s) for s in book.steps_in("diagnose")]
            return all(o.ok for o in outcomes)

        found = poll_until(all_succeed, deadline - time.time(), RETRY_S, backoff=DIAGNOSE_BACKOFF)
        self._keep("locate", book, outcomes, attempts[0])
        if self.stopped():
            return Check(name, False, expected, "stopped", str(self.stopped()))
        if found:
            self.timeline.record(
                EventName.LOCATED,
                runbook=display_path(book.path, self.env.settings.root),
                steps="; ".join(o.summary for o in outcomes),
            )
            return Check(name, True, expected, "; ".join(o.summary for o in outcomes))
        bad = next(o for o in outcomes if not o.ok)
        return Check(
            name,
            False,
            expected,
            "; ".join(o.summary for o in outcomes),
            f"Diagnose step at {self._where(bad.step, book)} (`{bad.step.code[:80]}`) never succeeded "
            f"within {secs(step.budget_s)}: {bad.summary}",
        )

    def recover(
        self, step: Recovers, deadline: float, progress: Callable[[str], None], *, by_people: bool = False
    ) -> Check:
        """Remediate once (unless people recover), then wait for health and the alert to resolve."""
        name, expected = "service recovers", f"healthy and alert resolved within {secs(step.budget_s)}"
        book = None if by_people else self._runbook()
        outcomes = [self._run(s) for s in (book.steps_in("remediate") if book else [])]
        if book is not None:
            self._keep("recover", book, outcomes)
        for outcome in outcomes:
            progress(f"remediate: {outcome.summary}")
        if by_people:
            progress(f"waiting for people to recover the service: {secs(max(deadline - time.time(), 0))} left")
        prometheus = self.env.prometheus()
        services = [self.env.settings.services[s] for s in self.spec.services]
        alert = self.spec.alert
        seen = {"healthy": False, "resolved": False}

        def recovered() -> bool:  # health is a query result; Prometheus pushes nothing
            if self.stopped():
                return True
            seen["healthy"] = all(prometheus.query(s.healthy) for s in services)
            seen["resolved"] = not alert or not prometheus.alert_active(alert)
            return seen["healthy"] and seen["resolved"]

        done = poll_until(recovered, deadline - time.time(), RETRY_S, on_error=RETRIED)
        if self.stopped():
            return Check(name, False, expected, "stopped", str(self.stopped()))
        if done:
            self.timeline.record(EventName.RECOVERED, steps="; ".join(o.summary for o in outcomes))
            return Check(name, True, expected, "healthy, alert resolved")
        state = ", ".join(
            text for key, text in (("healthy", "not healthy"), ("resolved", "alert still firing")) if not seen[key]
        )
        failed = [o for o in outcomes if not o.ok]
        cause = (
            "nobody recovered the service; the harness reverts the fault now, at the deadline"
            if by_people
            else f"Remediate step at {self._where(failed[0].step, book)} failed: {failed[0].summary}"
            if failed and book
            else "the Remediate steps ran but did not fix the service"
            if outcomes
            else "the runbook has no Remediate steps, so nothing fixed the service"
        )
        return Check(name, False, expected, state, f"{cause} ({state} after {secs(step.budget_s)})")
