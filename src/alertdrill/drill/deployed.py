"""Preflight against what is live: each drilled alert's rule must be loaded in the running Prometheus
as the rule file says. A drift stops that drill before injection, naming the difference
(`--allow-drift` proceeds and notes it in the progress and the scorecard)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import requests

from alertdrill.catalog.rules import AlertRule, load_rules
from alertdrill.drill.plan import DrillPlan, PlannedDrill
from alertdrill.errors import AlertdrillError
from alertdrill.observe.clients import Prometheus
from alertdrill.observe.deployed import drift, loaded_rules


def _file_rules(plan: DrillPlan) -> dict[str, AlertRule]:
    rules: dict[str, AlertRule] = {}
    for path in plan.settings.rules:
        try:
            rules.update({r.name: r for r in load_rules(path)} if path.exists() else {})
        except AlertdrillError:
            continue  # lint reports a broken rule file; this check only compares what it can read
    return rules


def check_deployed(plan: DrillPlan, progress: Callable[[str], None]) -> DrillPlan:
    """The plan with each drift added to its drill's preflight findings (or only said, with --allow-drift)."""
    rules = _file_rules(plan)
    drilled = {d.spec.alert for d in plan.drills if d.spec.alert in rules and not d.blocked}
    if not drilled:
        return plan
    prometheus = Prometheus(plan.settings.prometheus_endpoint)
    try:
        loaded = loaded_rules(prometheus)
    except (requests.RequestException, ValueError) as exc:
        shown = prometheus.endpoint.scrub(str(exc))
        progress(f"could not compare the loaded rules with the files: {shown[:200]}")
        return plan
    problems = {alert: found for alert in drilled if (found := drift(prometheus, rules[alert], loaded.get(alert, [])))}
    if not problems:
        return plan
    if plan.settings.allow_drift:
        for problem in problems.values():
            progress(f"drift allowed (--allow-drift): {problem}")
        return plan
    return replace(plan, drills=tuple(_blocked(d, problems.get(d.spec.alert or "")) for d in plan.drills))


def _blocked(planned: PlannedDrill, problem: str | None) -> PlannedDrill:
    return replace(planned, blocked=(*planned.blocked, problem)) if problem else planned
