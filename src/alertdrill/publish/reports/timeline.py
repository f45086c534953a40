"""Geometry of the HTML timeline, computed from a drill's JSON (the scorecard is the only source).

Two pictures per drill: the events on one time axis from injection (pending, firing, received,
delivered, located, recovered, resolved, reverted), and each phase's elapsed time against its budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

WIDTH = 720.0
LEFT = 110.0  # room for labels
AXIS = WIDTH - LEFT - 20.0

SHOWN = {  # event name -> label on the picture
    "fault_injected": "injected", "alert_pending": "pending", "alert_firing": "firing",
    "alert_received": "received", "notification_delivered": "delivered", "acknowledged": "acknowledged",
    "fault_located": "located", "service_recovered": "recovered", "fault_reverted": "reverted",
}
PHASES = ("alert", "notify", "locate", "recover")


@dataclass(frozen=True)
class Mark:
    x: float
    label: str
    t_s: float
    row: int  # alternating rows keep close labels apart


@dataclass(frozen=True)
class Bar:
    phase: str
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


def _label(event: Mapping[str, Any]) -> str:
    name = SHOWN[event["name"]]
    details = event.get("details") or {}
    if event["name"] == "notification_delivered" and details.get("status") == "resolved":
        return "resolved"
    return name


def timeline_view(drill: Mapping[str, Any]) -> TimelineView:
    events = [e for e in drill.get("events", []) if e["name"] in SHOWN and e.get("t_s") is not None]
    firsts: dict[str, Mapping[str, Any]] = {}
    for event in events:
        firsts.setdefault(_label(event), event)
    phases = drill.get("phases", {})
    fired = (phases.get("alert") or {}).get("elapsed_s")
    end = max([float(e["t_s"]) for e in firsts.values()] + [float(fired or 0.0), 1.0]) * 1.05
    scale = AXIS / end
    ordered = sorted(firsts.items(), key=lambda item: float(item[1]["t_s"]))
    marks = [Mark(LEFT + float(e["t_s"]) * scale, label, float(e["t_s"]), i % 3)
             for i, (label, e) in enumerate(ordered)]
    if fired is not None and "firing" not in firsts:
        marks.append(Mark(LEFT + float(fired) * scale, "fired", float(fired), len(marks) % 3))
    bars = []
    for phase in PHASES:
        if phase not in phases:
            continue
        result = phases[phase]
        elapsed, budget = result["elapsed_s"], float(result["budget_s"])
        fraction = 1.0 if elapsed is None else min(float(elapsed) / budget, 1.0) if budget else 1.0
        bars.append(Bar(phase, elapsed, budget, max(fraction * AXIS, 2.0), bool(result["passed"])))
    step = _tick_step(end)
    ticks = [(LEFT + i * step * scale, f"{i * step:g} s") for i in range(int(end / step) + 1)]
    return TimelineView(marks, bars, end, ticks)


def _tick_step(end: float) -> float:
    for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600):
        if end / step <= 10:
            return float(step)
    return 600.0
