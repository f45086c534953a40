"""The scorecard: what passed, what missed its budget and why. Every report renders from this object;
its JSON (`to_dict`) is the saved artifact, and `Scorecard.from_json` rebuilds the object from it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from alertdrill.spec.model import Phase

__all__ = [
    "Aborted",
    "Check",
    "DrillResult",
    "EventRecord",
    "Evidence",
    "NoiseEntry",
    "Phase",
    "PhaseResult",
    "RunbookStepResult",
    "Scorecard",
    "Status",
    "StopReason",
    "iso",
    "parse_iso",
]


class Status(StrEnum):
    """A drill's verdict: `failed` missed a budget or a check, `error` could not run."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"


class Evidence(StrEnum):
    """How a delivery was proven: at alertdrill's sink (or read back from a mailbox), by Alertmanager's own
    send counters, by a person's
    acknowledgement, or only by routing (delivery not observable)."""

    SINK = "sink"
    MAILBOX = "mailbox"  # read back from the contact group's IMAP mailbox
    ALERTMANAGER = "alertmanager"
    HUMAN = "human"
    ROUTED = "routed"


class StopReason(StrEnum):
    """What ended a drill before its verdict."""

    KILL_SWITCH = "kill switch"
    GUARD = "guard"
    MAX_DURATION = "max duration"


def iso(ts: float) -> str:
    """Epoch seconds -> `2026-11-23T10:00:01.000Z` (to the millisecond, truncated)."""
    at = datetime.fromtimestamp(ts, UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """`2026-11-23T10:00:01.000Z` -> epoch seconds; `iso(parse_iso(text)) == text`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def as_written(ts: float) -> float:
    """`ts` as the scorecard JSON keeps it (to the millisecond): what reports computed from the JSON saw."""
    return parse_iso(iso(ts))


_T = TypeVar("_T")


def _known(cls: type[_T], data: Mapping[str, Any], **typed: Any) -> _T:
    """`cls` from the keys of `data` it knows (a newer scorecard may carry more), `typed` overriding."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{**{k: v for k, v in data.items() if k in names}, **typed})


@dataclass(frozen=True)
class PhaseResult:
    budget_s: float
    elapsed_s: float | None
    passed: bool
    ran: bool = True  # False: the drill ended before this phase's step was judged (reports: "not run")


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    expected: str = ""
    actual: str = ""
    message: str = ""
    evidence: Evidence | None = None  # a delivery check: how the delivery was proven


@dataclass(frozen=True)
class EventRecord:
    """An event as the scorecard keeps it: its time as ISO text and seconds from injection, its
    details as printable strings (the typed payload lives on `score.events.Event`)."""

    name: str
    at: str
    t_s: float | None
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunbookStepResult:
    """One runbook step as it last ran: where it is, what it said, how many times it was tried."""

    phase: str  # Phase.LOCATE or Phase.RECOVER
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

    reason: StopReason
    by: str
    at: str
    via: str = ""
    detail: str = ""


@dataclass(frozen=True)
class NoiseEntry:
    """One alert (one label set) that went pending or firing during the drill, and what became of it."""

    alert: str
    labels: dict[str, str] = field(default_factory=dict)  # without alertname and the drill's own labels
    states: list[str] = field(default_factory=list)  # pending, firing, resolved (Prometheus), in order
    receivers: list[str] = field(default_factory=list)  # receivers its firing notifications reached
    notifications: int = 0  # firing notifications that reached anyone (each arrival once)
    routed_to: list[str] = field(default_factory=list)  # receivers Alertmanager routed it to
    suppressed_by: list[str] = field(default_factory=list)  # "inhibited by NodeDown", "silenced by <id>"
    named: bool = False  # the drill names this alert (it is expected, not noise)

    def shown(self) -> str:
        """`Alert{job="x"}` (what the drill names, or what is noise)."""
        labels = ", ".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()))
        return f"{self.alert}{{{labels}}}" if labels else self.alert

    def in_words(self) -> str:
        """One line: the alert, whether the drill named it, its states, whom it reached."""
        kind = "named by the drill" if self.named else "noise"
        return f"{self.shown()} ({kind}): {', '.join(self.states) or 'seen in Alertmanager'}; {self.reached()}"

    def reached(self) -> str:
        """Whom it reached, or what kept it quiet, in words."""
        if self.receivers:
            return f"reached {', '.join(self.receivers)} ({self.notifications} notification(s))"
        if self.suppressed_by:
            return "; ".join(self.suppressed_by)
        if self.routed_to:
            return f"routed to {', '.join(self.routed_to)}, no notification seen"
        return "reached nobody"


@dataclass(frozen=True)
class DrillResult:
    name: str
    feature: str
    status: Status
    alert: str | None
    contact_group: str | None
    phases: dict[Phase, PhaseResult]
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
    noise: list[NoiseEntry] = field(default_factory=list)  # every alert that went pending or firing

    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def verdict(self) -> str:
        """One line a person can act on."""
        if self.status == Status.ERROR:
            return f"could not run: {self.error}"
        failed = self.failed_checks()
        if failed:
            return "; ".join(c.message or f"{c.name}: expected {c.expected}, got {c.actual}" for c in failed)
        return "all checks passed"

    def ordered_phases(self) -> list[tuple[Phase, PhaseResult]]:
        """The drill's timed phases in the order a drill lives through them."""
        return [(phase, self.phases[phase]) for phase in Phase if phase in self.phases]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DrillResult:
        """A drill as `Scorecard.to_dict` wrote it."""
        aborted = data.get("aborted")
        return _known(
            cls,
            data,
            status=Status(data["status"]),
            phases={Phase(name): _known(PhaseResult, p) for name, p in (data.get("phases") or {}).items()},
            checks=[
                _known(Check, c, evidence=Evidence(c["evidence"]) if c.get("evidence") else None)
                for c in data.get("checks") or []
            ],
            events=[_known(EventRecord, e, details=dict(e.get("details") or {})) for e in data.get("events") or []],
            notes=list(data.get("notes") or []),
            runbook_steps=[_known(RunbookStepResult, s) for s in data.get("runbook_steps") or []],
            aborted=_known(Aborted, aborted, reason=StopReason(aborted["reason"])) if aborted else None,
            noise=[_known(NoiseEntry, n) for n in data.get("noise") or []],
        )


@dataclass(frozen=True)
class Scorecard:
    run_id: str
    started_at: float
    finished_at: float
    drills: list[DrillResult]

    def summary(self) -> dict[str, int]:
        statuses = [d.status for d in self.drills]
        return {
            "drills": len(statuses),
            "passed": statuses.count(Status.PASSED),
            "failed": statuses.count(Status.FAILED),
            "errored": statuses.count(Status.ERROR),
        }

    @property
    def passed(self) -> bool:
        return all(d.status == Status.PASSED for d in self.drills)

    @property
    def started(self) -> str:
        """`started_at` as the JSON writes it."""
        return iso(self.started_at)

    @property
    def finished(self) -> str:
        """`finished_at` as the JSON writes it."""
        return iso(self.finished_at)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of CONTRACT.md (enums are strings, so `json.dumps` writes it as it is)."""
        return {
            "run_id": self.run_id,
            "started_at": self.started,
            "finished_at": self.finished,
            "summary": self.summary(),
            "drills": [asdict(d) for d in self.drills],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, source: str | bytes | Mapping[str, Any]) -> Scorecard:
        """The scorecard from a saved scorecard.json (its text, or the parsed dict)."""
        data = json.loads(source) if isinstance(source, str | bytes) else source
        return cls(
            str(data["run_id"]),
            parse_iso(str(data["started_at"])),
            parse_iso(str(data["finished_at"])),
            [DrillResult.from_dict(d) for d in data.get("drills") or []],
        )
