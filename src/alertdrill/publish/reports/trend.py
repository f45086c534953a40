"""Geometry of the trend chart: time to alert over a drill's last runs, against its budget.

Drawn only from two runs on (one point is no trend). Axes with their values, each run's time written
at its point, the budget as a dashed line; a run whose alert never fired is marked at the top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 420.0, 170.0
LEFT, RIGHT, TOP, BOTTOM = 48.0, 16.0, 16.0, 34.0
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
INSET = 24.0  # the first and last run stand off the axes, so their values do not meet the tick labels
MIN_RUNS = 2


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value_s: float | None  # None: the alert never fired in that run (drawn at the top)
    text: str


@dataclass(frozen=True)
class TrendView:
    points: list[Point]
    y_ticks: list[tuple[float, str]]  # (y, "30 s")
    x_ticks: list[tuple[float, str]]  # (x, "3"): runs numbered oldest first
    budget_y: float
    budget_s: float

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points if p.value_s is not None)


def _nice_step(top: float) -> float:
    for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800):
        if top / step <= 5:
            return float(step)
    return 3600.0


def trend_view(values: Sequence[float | None], budget_s: float) -> TrendView | None:
    """The chart of `values` (oldest first); None with fewer than two runs."""
    if len(values) < MIN_RUNS:
        return None
    known = [v for v in values if v is not None]
    step = _nice_step(max([*known, budget_s, 1.0]) * 1.1)
    top = step * (int(max([*known, budget_s, 1.0]) * 1.1 / step) + 1)

    def y_of(v: float) -> float:
        return TOP + PLOT_H * (1 - v / top)

    gap = (PLOT_W - 2 * INSET) / (len(values) - 1)
    points = [
        Point(LEFT + INSET + i * gap, y_of(v) if v is not None else TOP, v, f"{v:.1f} s" if v is not None else "never")
        for i, v in enumerate(values)
    ]
    y_ticks = [(y_of(i * step), f"{i * step:g} s") for i in range(int(top / step) + 1)]
    x_ticks = [(p.x, str(i + 1)) for i, p in enumerate(points)]
    return TrendView(points, y_ticks, x_ticks, y_of(budget_s), budget_s)
