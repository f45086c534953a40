"""Would a drilled alert be held back? Its rule's labels against the inhibit rules (every other alerting
rule as a source that can fire) and the time intervals of its routes at lint's moment: warnings, since
a drill at another moment, or with the source quiet, still pages."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from alertdrill.catalog.inhibition import ActiveAlert, inhibition
from alertdrill.catalog.timeintervals import muting
from alertdrill.lint.findings import WARNING, Finding
from alertdrill.lint.repository import Repository
from alertdrill.spec.model import DrillSpec, ReachesContactGroup


def _inhibited(repo: Repository, drill: DrillSpec, labels: dict[str, str]) -> list[Finding]:
    assert repo.routes is not None
    sources = [ActiveAlert({**r.static_labels(), "alertname": r.name}) for r in repo.rules if r.name != drill.alert]
    found = inhibition(repo.routes.inhibit_rules, labels, sources)
    if found is None:
        return []
    return [
        Finding(
            "suppression/inhibited",
            WARNING,
            drill.feature,
            drill.line,
            f"{drill.alert} would be {found} whenever {found.source.labels.get('alertname')} fires",
            f"drill when {found.source.labels.get('alertname')} is quiet, or narrow {found.rule} "
            f"({repo.show(repo.routes.path)}:{found.rule.line})",
            alert=drill.alert,
        )
    ]


def _muted(repo: Repository, drill: DrillSpec, labels: dict[str, str], now: datetime) -> list[Finding]:
    assert repo.routes is not None
    found = []
    for route in repo.routes.routes_for(labels):
        for name in muting(repo.routes.time_intervals, route.mute_time_intervals, route.active_time_intervals, now):
            what = name if name.startswith("outside") else f"the time interval {name}"
            found.append(
                Finding(
                    "suppression/muted",
                    WARNING,
                    drill.feature,
                    drill.line,
                    f"{drill.alert} is muted now by {what} on route {route.path} (receiver {route.receiver})",
                    f"drill outside the interval, or check {repo.show(repo.routes.path)}:{route.line}",
                    alert=drill.alert,
                )
            )
    return found


def suppression_findings(repo: Repository, clock: Callable[[], float] = time.time) -> list[Finding]:
    """Each drill's alert against the inhibit rules and, at this moment, the mute intervals of its routes."""
    if repo.routes is None:
        return []
    now = datetime.fromtimestamp(clock(), UTC)
    found: list[Finding] = []
    for drill in repo.drills:
        rule = repo.rule(drill.alert)
        if rule is None or not any(isinstance(s, ReachesContactGroup) for s in drill.steps):
            continue
        labels = {**rule.static_labels(), "alertname": rule.name}
        found += _inhibited(repo, drill, labels) + _muted(repo, drill, labels, now)
    return found
