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


@dataclass(frozen=True)
class QuietStart:
    """`Given no alert is firing`: nothing may be pending or firing before the fault."""

    line: int = 0


@dataclass(frozen=True)
class AlertsFire:
    """Several alerts from one fault, each within the budget."""

    alerts: tuple[str, ...]
    budget_s: float
    line: int = 0


@dataclass(frozen=True)
class OnlyContactGroup:
    """Every notification of the drill went to this contact group's receiver."""

    group: str
    line: int = 0


@dataclass(frozen=True)
class NoOtherAlert:
    """No alert but the ones the drill names goes pending or firing during the drill."""

    line: int = 0


@dataclass(frozen=True)
class AlertInhibited:
    """The alert fires in Prometheus, Alertmanager inhibits it, and it reaches nobody."""

    alert: str
    line: int = 0


@dataclass(frozen=True)
class AtMostNotifications:
    """At most `count` notifications of the drill's alerts reach the contact group's receiver."""

    count: int
    group: str
    line: int = 0


@dataclass(frozen=True)
class ResolvesAfterRevert:
    """The drill's alerts resolve (and resolved notifications arrive) within the budget after the revert."""

    budget_s: float
    line: int = 0


Step = (
    SteadyState
    | InjectFault
    | AlertFires
    | ReachesContactGroup
    | LinksRunbook
    | LocatesFault
    | Recovers
    | QuietStart
    | AlertsFire
    | OnlyContactGroup
    | NoOtherAlert
    | AlertInhibited
    | AtMostNotifications
    | ResolvesAfterRevert
)
# Steps whose verdict holds for the whole drill: checked when performed and again after the revert.
WINDOW_STEPS = (OnlyContactGroup, NoOtherAlert, AlertInhibited, AtMostNotifications)

# Scorecard phase name for each timed step, in the order a drill lives through them.
PHASE_OF: dict[type, Phase] = {
    AlertFires: Phase.ALERT,
    AlertsFire: Phase.ALERT,  # several alerts from one fault: the phase ends when the last one fires
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
        """The drilled alert: the first one a `fires` step names."""
        step = next((s for s in self.steps if isinstance(s, AlertFires | AlertsFire)), None)
        if isinstance(step, AlertsFire):
            return step.alerts[0]
        return step.alert if isinstance(step, AlertFires) else None

    @property
    def firing_alerts(self) -> tuple[str, ...]:
        """The alerts whose firing is the `alert` phase: the first `fires` step's."""
        step = next((s for s in self.steps if isinstance(s, AlertFires | AlertsFire)), None)
        if isinstance(step, AlertsFire):
            return step.alerts
        return (step.alert,) if isinstance(step, AlertFires) else ()

    @property
    def named_alerts(self) -> tuple[str, ...]:
        """Every alert the drill names (fires, inhibited), in order: the alerts that are no noise."""
        names: list[str] = []
        for step in self.steps:
            if isinstance(step, AlertFires | AlertInhibited):
                names.append(step.alert)
            elif isinstance(step, AlertsFire):
                names += step.alerts
        return tuple(dict.fromkeys(names))

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
            if isinstance(s, AlertFires | AlertsFire | ReachesContactGroup | LocatesFault | Recovers)
        }

    def longest_budget(self) -> float:
        return max(self.budgets().values(), default=0.0)
