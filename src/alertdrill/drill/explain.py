"""What a drill knows about its alert's path before injecting, so a missed page can name its cause:
the alert's labels (its rule's, or a synthetic alert's), the configuration Alertmanager runs, lint's
arithmetic for the path to the contact group's receiver, and whether the alert would be inhibited or is
muted now, or lands in a group that is already live (`--fresh-groups wait` waits for it to end)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import requests

from alertdrill.catalog.routes import Route, RoutingTree, load_routing_tree, parse_routing_tree
from alertdrill.catalog.rules import AlertRule, Intervals, load_intervals, load_rule_file
from alertdrill.config import Settings
from alertdrill.errors import AlertdrillError
from alertdrill.faults.base import mapping_option
from alertdrill.lint.budgets import AlertPath, alert_path
from alertdrill.observe.clients import Alertmanager
from alertdrill.observe.watch import hot_groups
from alertdrill.polling import poll_until

Progress = Callable[[str], None]
WAIT_LIMIT_S = 900.0  # `--fresh-groups wait` never waits longer than this


def routing_tree(settings: Settings, alertmanager: Alertmanager) -> RoutingTree | None:
    """The configuration file when given, else what Alertmanager reports it runs; None when neither reads."""
    path = settings.alertmanager_config
    try:
        if path is not None and path.exists():
            return load_routing_tree(path)
        original = alertmanager.status().get("config", {}).get("original", "")
        return parse_routing_tree(str(original), "Alertmanager's /api/v2/status") if original else None
    except (AlertdrillError, requests.RequestException, ValueError, AttributeError):
        return None


def drill_rule(settings: Settings, alert: str) -> AlertRule | None:
    for path in settings.rules:
        try:
            found = next((r for r in load_rule_file(path).alerts if r.name == alert), None)
        except AlertdrillError:
            continue
        if found is not None:
            return found
    return None


def alert_labels(settings: Settings, alert: str, fault: str | None) -> tuple[dict[str, str], AlertRule | None]:
    """The labels the drilled alert will carry (its rule's static labels, or a synthetic alert's)."""
    rule = drill_rule(settings, alert)
    labels = rule.routing_labels() if rule else {}
    config = settings.faults.get(fault or "")
    if config is not None and config.type == "synthetic-alert":
        labels = {**labels, **mapping_option(config, "labels")}
    return {**labels, "alertname": alert}, rule


def _intervals(settings: Settings) -> Intervals:
    try:
        return load_intervals(settings.prometheus_config)
    except AlertdrillError:
        return Intervals(0.0, 0.0, "unknown")


def path_details(
    settings: Settings, rule: AlertRule | None, route: Route | None, alert: str, hot: bool
) -> dict[str, object]:
    """The ALERT_PATH event's details: lint's arithmetic; a live group waits group_interval instead."""
    if rule is not None:
        path = alert_path(rule, _intervals(settings), route)
    else:  # a synthetic alert goes straight to Alertmanager: no scrape, evaluation or `for`
        gw, gi = (route.group_wait_s, route.group_interval_s) if route else (0.0, 0.0)
        path = AlertPath(alert, 0.0, 0.0, 0.0, gw, gi, route.line if route else 0, route.receiver if route else "")
    grouping = path.group_interval_s if hot else path.group_wait_s
    arithmetic = path.arithmetic() if rule is not None else f"floor {grouping:g} s = group_wait {grouping:g} s"
    if hot:
        arithmetic = arithmetic.replace("group_wait", "group_interval").replace(
            f"{path.group_wait_s:g} s", f"{path.group_interval_s:g} s"
        )
    return {
        "alert": alert,
        "receiver": path.receiver,
        "notify_floor_s": path.fire_floor_s + grouping,
        "notify_worst_s": path.fire_worst_s + grouping,
        "grouping_s": grouping,
        "group_interval_s": path.group_interval_s,
        "arithmetic": arithmetic,
        "hot": str(hot).lower(),
    }


def route_to(tree: RoutingTree | None, labels: Mapping[str, str], receiver: str) -> Route | None:
    routes = tree.routes_for(labels) if tree else []
    return next((r for r in routes if r.receiver == receiver), routes[0] if routes else None)


@dataclass
class HotGroups:
    alertmanager: Alertmanager
    progress: Progress
    monotonic: Callable[[], float] = time.monotonic

    def check(self, alert: str, labels: Mapping[str, str]) -> list[str] | None:
        found = hot_groups(self.alertmanager, alert, labels)
        if found is None:
            self.progress("  Alertmanager's groups could not be read: whether the alert's group is live is unknown")
        return found

    def wait(self, alert: str, labels: Mapping[str, str], group_interval_s: float) -> list[str] | None:
        """`--fresh-groups wait`: until no live group holds the alert (bounded); the groups still live."""
        limit = min(WAIT_LIMIT_S, 3 * group_interval_s + 30)
        self.progress(f"  waiting up to {limit:g} s for the live group of {alert} to end (--fresh-groups wait)")
        poll_until(lambda: not hot_groups(self.alertmanager, alert, labels), limit, 0.5)
        return self.check(alert, labels)
