"""Can the alert path meet its budget? Floor and worst case from the configuration, arithmetic shown.

From a fault to a notification (a fresh Alertmanager group):
- floor = `for` (rounded up to whole evaluation intervals) + `group_wait`: the fault lands just before a
  scrape that an evaluation follows at once;
- worst = scrape interval (waiting for the next scrape) + evaluation interval (waiting for the next
  evaluation) + the rounded `for` + `group_wait`.
An already active group waits `group_interval` instead of `group_wait` (shown, not judged: alertdrill
gives each drill a fresh group in its lab). Expressions over a range window can add up to that window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from alertdrill.catalog.routes import Route
from alertdrill.catalog.rules import AlertRule, Intervals
from alertdrill.lint.findings import ERROR, WARNING, Finding
from alertdrill.lint.repository import Repository, drill_key
from alertdrill.spec.model import AlertFires, ReachesContactGroup

MISSION_ALERT_S = 60.0  # 1-5-10: an alert within one minute


def _s(value: float) -> str:
    return f"{value:g} s"


@dataclass(frozen=True)
class AlertPath:
    alert: str
    scrape_s: float
    evaluation_s: float
    for_s: float  # rounded up to whole evaluations
    group_wait_s: float
    group_interval_s: float
    route_line: int

    @property
    def fire_floor_s(self) -> float:
        return self.for_s

    @property
    def fire_worst_s(self) -> float:
        return self.scrape_s + self.evaluation_s + self.for_s

    @property
    def notify_floor_s(self) -> float:
        return self.for_s + self.group_wait_s

    @property
    def notify_worst_s(self) -> float:
        return self.fire_worst_s + self.group_wait_s

    def arithmetic(self, notify: bool = True) -> str:
        wait = f" + group_wait {_s(self.group_wait_s)}" if notify else ""
        floor = self.notify_floor_s if notify else self.fire_floor_s
        worst = self.notify_worst_s if notify else self.fire_worst_s
        return (f"floor {_s(floor)} = for {_s(self.for_s)}{wait}; worst {_s(worst)} = scrape "
                f"{_s(self.scrape_s)} + evaluation {_s(self.evaluation_s)} + for {_s(self.for_s)}{wait}")

    def to_dict(self) -> dict[str, object]:
        return {"alert": self.alert, "fire_floor_s": self.fire_floor_s, "fire_worst_s": self.fire_worst_s,
                "notify_floor_s": self.notify_floor_s, "notify_worst_s": self.notify_worst_s,
                "hot_group_worst_s": self.fire_worst_s + self.group_interval_s, "arithmetic": self.arithmetic()}


def alert_path(rule: AlertRule, intervals: Intervals, route: Route | None) -> AlertPath:
    evaluation = rule.interval_s or intervals.evaluation_s
    rounded_for = math.ceil(rule.for_s / evaluation - 1e-9) * evaluation if rule.for_s else 0.0
    return AlertPath(rule.name, intervals.scrape_s, evaluation, rounded_for,
                     route.group_wait_s if route else 0.0, route.group_interval_s if route else 0.0,
                     route.line if route else 0)


def alert_paths(repo: Repository) -> dict[str, AlertPath]:
    if repo.intervals is None:
        return {}
    routes = repo.routes
    return {rule.name: alert_path(rule, repo.intervals,
                                  routes.root.match(rule.routing_labels())[0] if routes else None)
            for rule in repo.rules}


def _judge(budget_s: float, floor_s: float, worst_s: float) -> str | None:
    return ERROR if budget_s < floor_s else WARNING if budget_s < worst_s else None


def budget_findings(repo: Repository, paths: dict[str, AlertPath]) -> list[Finding]:
    found: list[Finding] = []
    for rule in repo.rules:
        path = paths.get(rule.name)
        severity = path and _judge(MISSION_ALERT_S, path.notify_floor_s, path.notify_worst_s)
        if path and severity:
            found.append(Finding(f"budget/{'infeasible' if severity == ERROR else 'at-risk'}", severity,
                                 repo.show(rule.path), rule.line,
                                 f"{rule.name} cannot {'' if severity == ERROR else 'always '}notify within "
                                 f"{_s(MISSION_ALERT_S)}: {path.arithmetic()}",
                                 "shorten `for`, the intervals or the route's group_wait", alert=rule.name))
    for drill in repo.drills:
        path = paths.get(drill.alert or "")
        if path is None:
            continue
        for step in drill.steps:
            if not isinstance(step, AlertFires | ReachesContactGroup):
                continue
            notify = isinstance(step, ReachesContactGroup)
            floor, worst = ((path.notify_floor_s, path.notify_worst_s) if notify
                            else (path.fire_floor_s, path.fire_worst_s))
            severity = _judge(step.budget_s, floor, worst)
            if severity:
                what = "reach its contact group" if notify else "fire"
                found.append(Finding(
                    f"budget/{'infeasible' if severity == ERROR else 'at-risk'}", severity, drill.feature, step.line,
                    f"{path.alert} cannot {'' if severity == ERROR else 'always '}{what} within "
                    f"{_s(step.budget_s)}: {path.arithmetic(notify)}",
                    f"give the step at least {_s(worst)}, or shorten `for`, the intervals or group_wait",
                    alert=path.alert, drill=drill_key(drill) if severity == ERROR else None))
    return found
