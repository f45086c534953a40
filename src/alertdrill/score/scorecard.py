"""The scorecard: what passed, what missed its budget and why. JSON is the source of every report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime


def iso(ts: float) -> str:
    """Epoch seconds -> `2026-11-23T10:00:01.000Z`."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


@dataclass(frozen=True)
class PhaseResult:
    budget_s: float
    elapsed_s: float | None
    passed: bool


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    expected: str = ""
    actual: str = ""
    message: str = ""


@dataclass(frozen=True)
class EventRecord:
    name: str
    at: str
    t_s: float | None
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunbookStepResult:
    """One runbook step as it last ran: where it is, what it said, how many times it was tried."""

    phase: str  # "locate" or "recover"
    runbook: str
    line: int
    language: str
    code: str
    ok: bool
    result: str  # "3 series", "exit 0: ok", trimmed
    attempts: int = 1


@dataclass(frozen=True)
class Aborted:
    """Why a drill was ended before its verdict, by whom and when."""

    reason: str  # "kill switch", "guard", "max duration"
    by: str
    at: str
    via: str = ""
    detail: str = ""


@dataclass(frozen=True)
class DrillResult:
    name: str
    feature: str
    status: str
    alert: str | None
    contact_group: str | None
    phases: dict[str, PhaseResult]
    checks: list[Check]
    events: list[EventRecord]
    fault: str | None = None
    error: str | None = None
    duration_s: float = 0.0
    manual: bool = False
    notes: list[str] = field(default_factory=list)  # what a reader must know (e.g. a synthetic alert)
    runbook_steps: list[RunbookStepResult] = field(default_factory=list)
    surprise: bool = False
    aborted: Aborted | None = None

    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def verdict(self) -> str:
        """One line a person can act on."""
        if self.status == "error":
            return f"could not run: {self.error}"
        failed = self.failed_checks()
        if failed:
            return "; ".join(c.message or f"{c.name}: expected {c.expected}, got {c.actual}" for c in failed)
        return "all checks passed"


@dataclass(frozen=True)
class Scorecard:
    run_id: str
    started_at: float
    finished_at: float
    drills: list[DrillResult]

    def summary(self) -> dict[str, int]:
        statuses = [d.status for d in self.drills]
        return {"drills": len(statuses), "passed": statuses.count("passed"),
                "failed": statuses.count("failed"), "errored": statuses.count("error")}

    @property
    def passed(self) -> bool:
        return all(d.status == "passed" for d in self.drills)

    def to_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "summary": self.summary(),
            "drills": [asdict(d) for d in self.drills],
        }
