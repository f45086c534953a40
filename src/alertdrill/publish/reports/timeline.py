"""Geometry of the HTML timeline, computed from a drill's result (what its scorecard JSON says).

Two pictures per drill: the events on one time axis from injection, one lane for the drill's own
events (injected, located, recovered, reverted) and one lane per alert named in the events' `alert`
detail (a storm shows as many lanes); and each phase's elapsed time against its budget, a phase that
did not run drawn as "not run". Every position is computed here, so tests can check that no two
labels overlap: a label goes in the first row of its lane where it intersects nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from alertdrill.score.events import EventName
from alertdrill.score.scorecard import DrillResult, EventRecord, Phase

WIDTH = 760.0
LEFT = 130.0  # room for the lane names
RIGHT = 16.0
AXIS = WIDTH - LEFT - RIGHT
CHAR_W = 6.6  # an upper bound of an 11px system-ui character's width
ROW_H = 15.0  # one row of labels
GAP = 4.0  # between two labels of a row
BAR_H, BAR_STEP = 14.0, 22.0
BAR_TRACK = AXIS - 150.0  # the budget's width; the value is written right of it
DRILL_LANE = "drill"

SHOWN = {  # event name -> label on the picture
    EventName.FAULT_INJECTED: "injected",
    EventName.PENDING: "pending",
    EventName.FIRING: "firing",
    EventName.RECEIVED: "received",
    EventName.DELIVERED: "delivered",
    EventName.RESOLVED: "resolved",
    EventName.NOTIFIED: "sent",
    EventName.ACKNOWLEDGED: "acknowledged",
    EventName.LOCATED: "located",
    EventName.RECOVERED: "recovered",
    EventName.FAULT_REVERTED: "reverted",
}


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def intersects(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


@dataclass(frozen=True)
class Mark:
    x: float  # of the dot on the lane's axis
    label: str
    t_s: float
    text: str  # "received 3.84s", drawn at x
    anchor: str  # "start" or "end"
    baseline: float
    box: Box  # where the text is drawn


@dataclass(frozen=True)
class Lane:
    name: str
    y: float  # the lane's axis
    marks: list[Mark]


@dataclass(frozen=True)
class Bar:
    phase: Phase
    elapsed_s: float | None
    budget_s: float
    width: float  # of the elapsed bar, capped at the budget's
    passed: bool
    ran: bool
    y: float

    @property
    def state(self) -> str:
        return "not-run" if not self.ran else "met" if self.passed else "missed"

    @property
    def text(self) -> str:
        budget = f"{self.budget_s:g} s"
        if not self.ran:
            return f"not run (budget {budget})"
        if self.elapsed_s is None:
            return f"not within {budget}"
        return f"{self.elapsed_s:.2f} s / {budget}"


@dataclass(frozen=True)
class TimelineView:
    lanes: list[Lane]
    bars: list[Bar]
    end_s: float
    axis_y: float  # the time axis under the lanes, with its ticks
    ticks: list[tuple[float, str]]
    height: float

    @property
    def marks(self) -> list[Mark]:
        return [m for lane in self.lanes for m in lane.marks]


def _label(event: EventRecord) -> str:
    name = SHOWN[EventName(event.name)]
    if event.name == EventName.DELIVERED:
        channel = event.details.get("channel", "")
        name = "resolved" if event.details.get("status") == "resolved" else "delivered"
        return f"{name} by {channel}" if channel else f"{name} notice" if name == "resolved" else name
    return name


def _lanes_of(drill: DrillResult) -> dict[str, dict[str, float]]:
    """Lane name -> label -> seconds from injection of its first event; the drill's lane first."""
    lanes: dict[str, dict[str, float]] = {DRILL_LANE: {}}
    if drill.alert:
        lanes[drill.alert] = {}
    for event in drill.events:
        if event.name in SHOWN and event.t_s is not None:
            lane = event.details.get("alert") or DRILL_LANE
            lanes.setdefault(lane, {}).setdefault(_label(event), float(event.t_s))
    alert = drill.phases.get(Phase.ALERT)
    if drill.alert and alert is not None and alert.elapsed_s is not None and "firing" not in lanes[drill.alert]:
        lanes[drill.alert]["fired"] = float(alert.elapsed_s)  # Alertmanager's startsAt, no firing poll
    if not any(lanes.values()):
        return {}  # nothing happened (nothing was injected): no lanes at all
    return {name: marks for name, marks in lanes.items() if marks or name in (DRILL_LANE, drill.alert)}


def _place(labels: dict[str, float], top: float, scale: float, digits: int) -> tuple[list[Mark], float]:
    """Marks of one lane, each label in the first row where it meets no other; the lane's axis y."""
    rows: list[list[tuple[float, float]]] = []  # per row: the x spans taken
    placed: list[tuple[int, float, str, float, str, float]] = []
    for label, t_s in sorted(labels.items(), key=lambda item: item[1]):
        x = LEFT + max(t_s, 0.0) * scale
        text = f"{label} {t_s:.{digits}f}s"
        width = len(text) * CHAR_W
        x0 = x - width if x + width > WIDTH - 2 else x  # near the right edge the text ends at its dot
        free = (i for i, spans in enumerate(rows) if all(x0 + width + GAP <= a or b + GAP <= x0 for a, b in spans))
        row = next(free, len(rows))
        if row == len(rows):
            rows.append([])
        rows[row].append((x0, x0 + width))
        placed.append((row, x, label, t_s, text, x0))
    marks = []
    for row, x, label, t_s, text, x0 in placed:
        baseline = top + (row + 1) * ROW_H - 3.0
        box = Box(x0, baseline - 10.0, x0 + len(text) * CHAR_W, baseline + 3.0)
        marks.append(Mark(x, label, t_s, text, "start" if x0 == x else "end", baseline, box))
    return marks, top + max(len(rows), 1) * ROW_H + 8.0  # an empty lane keeps a row for "no event"


def timeline_view(drill: DrillResult) -> TimelineView:
    lanes_of = _lanes_of(drill)
    times = [t for marks in lanes_of.values() for t in marks.values()]
    alert = drill.phases.get(Phase.ALERT)
    fired = alert.elapsed_s if alert is not None else None
    end = max([*times, float(fired or 0.0), 1.0]) * 1.05
    scale = AXIS / end
    gaps = sorted(times)
    close = any(b - a < 0.1 for a, b in pairwise(gaps))
    digits = 2 if close or end < 10 else 1
    lanes, top = [], 4.0
    for name, labels in lanes_of.items():
        marks, axis = _place(labels, top, scale, digits)
        lanes.append(Lane(name, axis, marks))
        top = axis + 10.0
    if not lanes:
        bars = _bars(drill, 4.0)
        return TimelineView([], bars, end, 0.0, [], 4.0 + BAR_STEP * len(bars))
    step = _tick_step(end)
    ticks = [(LEFT + i * step * scale, f"{round(i * step, 2):g} s") for i in range(int(end / step) + 1)]
    axis_y = top + 2.0
    bars = _bars(drill, axis_y + 30.0)
    return TimelineView(lanes, bars, end, axis_y, ticks, axis_y + 30.0 + BAR_STEP * len(bars))


def _bars(drill: DrillResult, top: float) -> list[Bar]:
    bars = []
    for i, (phase, result) in enumerate(drill.ordered_phases()):
        elapsed, budget = result.elapsed_s, float(result.budget_s)
        fraction = 1.0 if elapsed is None else min(float(elapsed) / budget, 1.0) if budget else 1.0
        width = max(fraction * BAR_TRACK, 2.0) if result.ran else 0.0
        bars.append(Bar(phase, elapsed, budget, width, bool(result.passed), result.ran, top + i * BAR_STEP))
    return bars


def _tick_step(end: float) -> float:
    for step in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600):
        if end / step <= 10:
            return float(step)
    return 600.0
