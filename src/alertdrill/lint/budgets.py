"""Can the alert path meet its budget? Floor and worst case from the configuration, arithmetic shown.

From a fault to a notification (a fresh Alertmanager group):
- floor = `for` (rounded up to whole evaluation intervals) + `group_wait`: the fault lands just before a
  scrape that an evaluation follows at once;
- worst = scrape interval (waiting for the next scrape) + evaluation interval (waiting for the next
  evaluation) + the rounded `for` + `group_wait`.
A group's `query_offset` (evaluations look that far into the past) adds to both.
`group_wait` is the one of the route that delivers to the receiver: where `continue: true` sends an
alert down several routes, each receiver has its own timers (inherited from its parents, as in
Alertmanager). An already active group waits `group_interval` instead of `group_wait` (shown, not
judged: alertdrill gives each drill a fresh group in its lab). A range window can add up to itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from alertdrill.catalog.routes import Route
from alertdrill.catalog.rules import AlertRule, Intervals
from alertdrill.lint.findings import ERROR, WARNING, Finding
from alertdrill.lint.repository import Repository, drill_key
from alertdrill.spec.model import AlertFires, DrillSpec, ReachesContactGroup


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
    receiver: str = ""  # whose route's timers these are ("" without routes)
    offset_s: float = 0.0  # the group's query_offset: evaluations look this far into the past

    @property
    def fire_floor_s(self) -> float:
        return self.offset_s + self.for_s

    @property
    def fire_worst_s(self) -> float:
        return self.scrape_s + self.evaluation_s + self.offset_s + self.for_s

    @property
    def notify_floor_s(self) -> float:
        return self.fire_floor_s + self.group_wait_s

    @property
    def notify_worst_s(self) -> float:
        return self.fire_worst_s + self.group_wait_s

    def arithmetic(self, notify: bool = True) -> str:
        wait = f" + group_wait {_s(self.group_wait_s)}" if notify else ""
        offset = f"query_offset {_s(self.offset_s)} + " if self.offset_s else ""
        floor = self.notify_floor_s if notify else self.fire_floor_s
        worst = self.notify_worst_s if notify else self.fire_worst_s
        return (
            f"floor {_s(floor)} = {offset}for {_s(self.for_s)}{wait}; worst {_s(worst)} = scrape "
            f"{_s(self.scrape_s)} + evaluation {_s(self.evaluation_s)} + {offset}for {_s(self.for_s)}{wait}"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "alert": self.alert,
            "receiver": self.receiver,
            "fire_floor_s": self.fire_floor_s,
            "fire_worst_s": self.fire_worst_s,
            "notify_floor_s": self.notify_floor_s,
            "notify_worst_s": self.notify_worst_s,
            "group_wait_s": self.group_wait_s,
            "hot_group_worst_s": self.fire_worst_s + self.group_interval_s,
            "arithmetic": self.arithmetic(),
        }


def alert_path(rule: AlertRule, intervals: Intervals, route: Route | None) -> AlertPath:
    evaluation = rule.interval_s or intervals.evaluation_s
    rounded_for = math.ceil(rule.for_s / evaluation - 1e-9) * evaluation if rule.for_s else 0.0
    return AlertPath(
        rule.name,
        intervals.scrape_s,
        evaluation,
        rounded_for,
        route.group_wait_s if route else 0.0,
        route.group_interval_s if route else 0.0,
        route.line if route else 0,
        route.receiver if route else "",
        rule.query_offset_s or 0.0,
    )


def rule_paths(repo: Repository, rule: AlertRule) -> list[AlertPath]:
    """One path per receiver the rule's known labels reach, each with its own route's timers."""
    if repo.intervals is None:
        return []
    routes = repo.routes.routes_for(repo.known_labels(rule)) if repo.routes else []
    if not routes:
        return [alert_path(rule, repo.intervals, None)]
    paths: dict[str, AlertPath] = {}
    for route in routes:  # a receiver reached twice notifies first through its quicker route
        path = alert_path(rule, repo.intervals, route)
        if route.receiver not in paths or path.group_wait_s < paths[route.receiver].group_wait_s:
            paths[route.receiver] = path
    return list(paths.values())


def alert_paths(repo: Repository) -> dict[str, list[AlertPath]]:
    """Alert name -> its paths (one per receiver). Rules sharing a name: the first rule's, as routes show."""
    found: dict[str, list[AlertPath]] = {}
    for rule in repo.rules:
        if rule.name not in found and (paths := rule_paths(repo, rule)):
            found[rule.name] = paths
    return found


def _judge(budget_s: float, floor_s: float, worst_s: float) -> str | None:
    return ERROR if budget_s < floor_s else WARNING if budget_s < worst_s else None


def drill_path(repo: Repository, alert: str, receiver: str | None) -> AlertPath | None:
    """The quickest path of the drilled alert (to the contact group's receiver when one is named)."""
    candidates = [p for rule in repo.rules if rule.name == alert for p in rule_paths(repo, rule)]
    chosen = [p for p in candidates if p.receiver == receiver] or candidates
    return min(chosen, key=lambda p: (p.notify_floor_s, p.notify_worst_s), default=None)


def _drill_findings(repo: Repository, drill: DrillSpec) -> list[Finding]:
    found: list[Finding] = []
    for step in drill.steps:
        if not isinstance(step, AlertFires | ReachesContactGroup):
            continue
        notify = isinstance(step, ReachesContactGroup)
        receiver = (
            repo.groups.receiver(step.group)
            if isinstance(step, ReachesContactGroup) and repo.groups and step.group in repo.groups
            else None
        )
        path = drill_path(repo, drill.alert or "", receiver)
        if path is None:
            return found
        floor, worst = (path.notify_floor_s, path.notify_worst_s) if notify else (path.fire_floor_s, path.fire_worst_s)
        severity = _judge(step.budget_s, floor, worst)
        if severity:
            what = (
                f"reach its contact group ({path.receiver})"
                if notify and path.receiver
                else ("reach its contact group" if notify else "fire")
            )
            found.append(
                Finding(
                    f"budget/{'infeasible' if severity == ERROR else 'at-risk'}",
                    severity,
                    drill.feature,
                    step.line,
                    f"{path.alert} cannot {'' if severity == ERROR else 'always '}{what} within "
                    f"{_s(step.budget_s)}: {path.arithmetic(notify)}",
                    f"give the step at least {_s(worst)}, or shorten `for`, the intervals or group_wait",
                    alert=path.alert,
                    drill=drill_key(drill) if severity == ERROR else None,
                )
            )
    return found


def budget_findings(repo: Repository) -> list[Finding]:
    """Each drill's own budgets against its alert's path: infeasible is an error that stops the drill."""
    return [f for drill in repo.drills for f in _drill_findings(repo, drill)]
