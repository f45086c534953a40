"""Geometry of the HTML timeline, computed from a drill's result (what its scorecard JSON says).

Two pictures per drill: the events on one time axis from injection (pending, firing, received,
delivered, located, recovered, resolved, reverted), and each phase's elapsed time against its budget.
"""

from __future__ import annotations

from dataclasses import dataclass

from alertdrill.score.events import EventName
from alertdrill.score.scorecard import DrillResult, EventRecord, Phase

WIDTH = 720.0
LEFT = 110.0  # room for labels
AXIS = WIDTH - LEFT - 20.0

SHOWN = {  # event name -> label on the picture
    EventName.FAULT_INJECTED: "injected",
    EventName.PENDING: "pending",
    EventName.FIRING: "firing",
    EventName.RECEIVED: "received",
    EventName.DELIVERED: "delivered",
    EventName.NOTIFIED: "sent",
    EventName.ACKNOWLEDGED: "acknowledged",
    EventName.LOCATED: "located",
    EventName.RECOVERED: "recovered",
    EventName.FAULT_REVERTED: "reverted",
}


@dataclass(frozen=True)
class Mark:
    x: float
    label: str
    t_s: float
    row: int  # alternating rows keep close labels apart


@dataclass(frozen=True)
class Bar:
    phase: Phase
    elapsed_s: float | None
    budget_s: float
    width: float  # of the elapsed bar, capped at the budget's
    passed: bool


@dataclass(frozen=True)
class TimelineView:
    marks: list[Mark]
    bars: list[Bar]
    end_s: float
    ticks: list[tuple[float, str]]


def _label(event: EventRecord) -> str:
    if event.name == EventName.DELIVERED and event.details.get("status") == "resolved":
        return "resolved"
    return SHOWN[EventName(event.name)]


def timeline_view(drill: DrillResult) -> TimelineView:
    firsts: dict[str, float] = {}  # label -> seconds from injection of its first event
    for event in drill.events:
        if event.name in SHOWN and event.t_s is not None:
            firsts.setdefault(_label(event), float(event.t_s))
    alert = drill.phases.get(Phase.ALERT)
    fired = alert.elapsed_s if alert is not None else None
    end = max([*firsts.values(), float(fired or 0.0), 1.0]) * 1.05
    scale = AXIS / end
    ordered = sorted(firsts.items(), key=lambda item: item[1])
    marks = [Mark(LEFT + t_s * scale, label, t_s, i % 3) for i, (label, t_s) in enumerate(ordered)]
    if fired is not None and "firing" not in firsts:
        marks.append(Mark(LEFT + float(fired) * scale, "fired", float(fired), len(marks) % 3))
    bars = []
    for phase, result in drill.ordered_phases():
        elapsed, budget = result.elapsed_s, float(result.budget_s)
        fraction = 1.0 if elapsed is None else min(float(elapsed) / budget, 1.0) if budget else 1.0
        bars.append(Bar(phase, elapsed, budget, max(fraction * AXIS, 2.0), bool(result.passed)))
    step = _tick_step(end)
    ticks = [(LEFT + i * step * scale, f"{i * step:g} s") for i in range(int(end / step) + 1)]
    return TimelineView(marks, bars, end, ticks)


def _tick_step(end: float) -> float:
    for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600):
        if end / step <= 10:
            return float(step)
    return 600.0
