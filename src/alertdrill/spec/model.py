"""What a drill asks for, compiled from a feature file. Every step keeps its feature-file line."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Phase(StrEnum):
    """A timed phase of a drill, in the order a drill lives through them (and reports show them)."""

    ALERT = "alert"
    NOTIFY = "notify"
    LOCATE = "locate"
    RECOVER = "recover"


@dataclass(frozen=True)
class SteadyState:
    service: str
    line: int = 0


@dataclass(frozen=True)
class InjectFault:
    fault: str
    line: int = 0


@dataclass(frozen=True)
class AlertFires:
    alert: str
    budget_s: float
    line: int = 0


@dataclass(frozen=True)
class ReachesContactGroup:
    group: str
    budget_s: float
    line: int = 0
    channel: str = ""  # "" any notification; "email" or "webhook" only that kind


@dataclass(frozen=True)
class LinksRunbook:
    runbook: str
    line: int = 0


@dataclass(frozen=True)
class LocatesFault:
    budget_s: float
    line: int = 0


@dataclass(frozen=True)
class Recovers:
    budget_s: float
    line: int = 0


Step = SteadyState | InjectFault | AlertFires | ReachesContactGroup | LinksRunbook | LocatesFault | Recovers

# Scorecard phase name for each timed step, in the order a drill lives through them.
PHASE_OF: dict[type, Phase] = {
    AlertFires: Phase.ALERT,
    ReachesContactGroup: Phase.NOTIFY,
    LocatesFault: Phase.LOCATE,
    Recovers: Phase.RECOVER,
}


@dataclass(frozen=True)
class DrillSpec:
    """One scenario of a feature file, as alertdrill will run it."""

    name: str
    feature: str
    line: int
    steps: tuple[Step, ...]
    tags: frozenset[str] = field(default_factory=frozenset)
    manual: bool = False  # a drill for people: locate is their acknowledgement, recovery their action
    surprise: bool = False  # people are not told it is a drill until they acknowledge (implies manual)

    def first(self, kind: type) -> Step | None:
        return next((s for s in self.steps if isinstance(s, kind)), None)

    @property
    def fault(self) -> str | None:
        step = self.first(InjectFault)
        return step.fault if isinstance(step, InjectFault) else None

    @property
    def alert(self) -> str | None:
        step = self.first(AlertFires)
        return step.alert if isinstance(step, AlertFires) else None

    @property
    def contact_group(self) -> str | None:
        step = self.first(ReachesContactGroup)
        return step.group if isinstance(step, ReachesContactGroup) else None

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(s.service for s in self.steps if isinstance(s, SteadyState))

    def budgets(self) -> dict[Phase, float]:
        """Phase name -> budget in seconds, for the timed steps present in this drill."""
        return {
            PHASE_OF[type(s)]: s.budget_s
            for s in self.steps
            if isinstance(s, AlertFires | ReachesContactGroup | LocatesFault | Recovers)
        }

    def longest_budget(self) -> float:
        return max(self.budgets().values(), default=0.0)
