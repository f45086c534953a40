"""Preflight against what is live, before any injection:

- each drilled alert's rule is loaded in the running Prometheus as the rule file says;
- the running Alertmanager (`/api/v2/status`) routes the alert, reaches its receivers and may inhibit
  it as `alertmanager_config` says;
- the alert, with the labels its series carry in the running Prometheus (the series its expression
  selects, the running configuration's external labels), reaches the drill's contact group.

A drift stops that drill, naming the difference (`--allow-drift` proceeds and records it in the
progress and the drill's scorecard notes). A route is judged only where the labels it depends on are
known: a guess never stops a drill.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import requests
import yaml

from alertdrill.catalog.alert_labels import SeriesKnowledge, alert_labels, parsed
from alertdrill.catalog.am_drift import AlertmanagerConfig, differences, load_alertmanager_config, running_alertmanager
from alertdrill.catalog.label_flow import Labels
from alertdrill.catalog.promql_tree import selectors
from alertdrill.catalog.rules import AlertRule, RecordingRule, load_rule_file
from alertdrill.catalog.scrape import PrometheusConfig, load_prometheus_config, running_config
from alertdrill.drill.plan import DrillPlan, PlannedDrill
from alertdrill.errors import AlertdrillError
from alertdrill.observe.clients import Alertmanager, Prometheus
from alertdrill.observe.deployed import (
    drift,
    live_series,
    loaded_rules,
    running_alertmanager_config,
    running_prometheus_config,
)
from alertdrill.redact import redact
from alertdrill.spec.model import ReachesContactGroup

Progress = Callable[[str], None]
LIVE_ERRORS = (requests.RequestException, ValueError, yaml.YAMLError, AlertdrillError)


@dataclass
class _Files:
    rules: dict[str, AlertRule] = field(default_factory=dict)
    recordings: dict[str, RecordingRule] = field(default_factory=dict)
    prometheus: PrometheusConfig = field(default_factory=lambda: PrometheusConfig("no prometheus_config"))
    alertmanager: AlertmanagerConfig | None = None


def _files(plan: DrillPlan) -> _Files:
    """What the repository says; a file that cannot be read is lint's to report, not compared here."""
    files = _Files()
    for path in plan.settings.rules:
        try:
            read = load_rule_file(path) if path.exists() else None
        except AlertdrillError:
            continue
        for rule in read.alerts if read else []:
            files.rules.setdefault(rule.name, rule)
        for record in read.recordings if read else ():
            files.recordings.setdefault(record.name, record)
    with contextlib.suppress(AlertdrillError):
        files.prometheus = load_prometheus_config(plan.settings.prometheus_config)
    routes = plan.settings.alertmanager_config
    with contextlib.suppress(AlertdrillError):
        files.alertmanager = load_alertmanager_config(routes) if routes is not None and routes.exists() else None
    return files


def _rule_drift(plan: DrillPlan, files: _Files, alerts: set[str], progress: Progress) -> dict[str, str]:
    """alert -> how its loaded rule differs from the file (or that it is not loaded)."""
    prometheus = Prometheus(plan.settings.prometheus_endpoint)
    try:
        loaded = loaded_rules(prometheus)
    except (requests.RequestException, ValueError) as exc:
        progress(f"could not compare the loaded rules with the files: {prometheus.endpoint.scrub(str(exc))[:200]}")
        return {}
    return {alert: found for alert in alerts if (found := drift(prometheus, files.rules[alert], loaded.get(alert, [])))}


def _knowledge(plan: DrillPlan, files: _Files, rules: list[AlertRule], progress: Progress) -> SeriesKnowledge:
    """Series labels from the running Prometheus (its configuration and the series the rules select)."""
    prometheus, config = Prometheus(plan.settings.prometheus_endpoint), files.prometheus
    texts = [s.text for rule in rules if (tree := parsed(rule.expr)) is not None for s in selectors(tree)]
    series: dict[str, list[dict[str, str]]] = {}
    try:
        config = running_config(running_prometheus_config(prometheus))
        series = live_series(prometheus, texts, time.time())
    except LIVE_ERRORS as exc:
        progress(f"could not read the series' labels from Prometheus: {prometheus.endpoint.scrub(str(exc))[:200]}")
    return SeriesKnowledge(config, files.recordings, series)


def _am_drift(plan: DrillPlan, files: _Files, labels: dict[str, Labels], progress: Progress) -> dict[str, str]:
    """alert -> how the running Alertmanager treats it differently from `alertmanager_config`."""
    url = plan.settings.alertmanager
    if files.alertmanager is None or not labels:
        return {}
    try:
        alertmanager = Alertmanager(plan.settings.alertmanager_endpoints)
        running = running_alertmanager(running_alertmanager_config(alertmanager), redact(url))
    except LIVE_ERRORS as exc:
        progress(f"could not compare the running Alertmanager's configuration with the file: {redact(str(exc))[:200]}")
        return {}
    where = files.alertmanager.source
    return {
        alert: f"the Alertmanager at {redact(url)} differs from {where} for {alert}: {'; '.join(found)} "
        "(reload it, `alertdrill lab reload` for the lab, or pass --allow-drift to drill what is deployed)"
        for alert, value in labels.items()
        if (found := differences(alert, value.value, files.alertmanager, running))
    }


def _route_problem(
    plan: DrillPlan, files: _Files, planned: PlannedDrill, labels: Labels, progress: Progress
) -> str | None:
    """The drill's contact group is not reached by the alert with the labels its series really carry."""
    reach = next((s for s in planned.spec.steps if isinstance(s, ReachesContactGroup)), None)
    tree = files.alertmanager.tree if files.alertmanager else None
    if reach is None or tree is None or reach.group not in plan.contact_groups:
        return None
    receiver, alert = plan.contact_groups.receiver(reach.group), planned.spec.alert
    routes, depends = tree.decide(labels.value)
    routed = list(dict.fromkeys(route.receiver for route in routes))
    if not routed or receiver in routed:
        return None
    if depends:
        progress(f"{alert}'s route depends on label(s) {', '.join(depends)}, not known before it fires: not judged")
        return None
    used = tree.routing_labels() | {"alertname"}
    shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.known.items()) if k in used)
    return (
        f"{planned.spec.feature}:{reach.line}: {alert} ({shown}: the labels its series carry in the running "
        f"Prometheus) is routed to {', '.join(routed)}, not to {receiver} (contact group {reach.group})"
    )


def check_deployed(plan: DrillPlan, progress: Progress) -> DrillPlan:
    """The plan with each drift added to its drill's preflight findings (or, with --allow-drift, only said
    and recorded in the drill's notes); a route the live labels prove wrong stops the drill too."""
    files = _files(plan)
    chosen = [d for d in plan.drills if d.spec.alert in files.rules and not d.blocked]
    if not chosen:
        return plan
    alerts = {d.spec.alert or "" for d in chosen}
    knowledge = _knowledge(plan, files, [files.rules[a] for a in alerts], progress)
    labels = {alert: alert_labels(files.rules[alert], knowledge) for alert in alerts}
    drifts = _rule_drift(plan, files, alerts, progress)
    for alert, problem in _am_drift(plan, files, labels, progress).items():
        drifts[alert] = f"{drifts[alert]}; {problem}" if alert in drifts else problem
    routes = {
        d.key: found
        for d in chosen
        if plan.settings.preflight and (found := _route_problem(plan, files, d, labels[d.spec.alert or ""], progress))
    }
    if plan.settings.allow_drift:
        for problem in drifts.values():
            progress(f"drift allowed (--allow-drift): {problem}")
    return replace(plan, drills=tuple(_judged(d, drifts, routes, plan.settings.allow_drift) for d in plan.drills))


def _judged(planned: PlannedDrill, drifts: dict[str, str], routes: dict[str, str], allowed: bool) -> PlannedDrill:
    drifted = drifts.get(planned.spec.alert or "")
    problems = [p for p in (None if allowed else drifted, routes.get(planned.key)) if p]
    notes = (f"drift allowed (--allow-drift): {drifted}",) if allowed and drifted else ()
    if not problems and not notes:
        return planned
    return replace(planned, blocked=(*planned.blocked, *problems), notes=(*planned.notes, *notes))
