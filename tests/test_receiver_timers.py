"""Per-receiver timers: where `continue` sends an alert down several routes, each receiver's budget uses its
own route's group_wait / group_interval; lint's routing agrees with Alertmanager's `amtool config routes test`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from alertdrill.config import load_settings
from alertdrill.lint import lint, preflight
from alertdrill.spec.model import AlertFires, DrillSpec, InjectFault, ReachesContactGroup
from tests.test_routes import amtool as amtool_routes

CONFIG = Path(__file__).parent / "fixtures" / "routes" / "continue.yml"

# label set -> (receiver, group_wait s, group_interval s) per receiver reached, worked out by hand from
# continue.yml (inheritance as Alertmanager applies it); the receivers are also checked against amtool.
EXPECTED: dict[str, list[tuple[str, float, float]]] = {
    "team=payments severity=page service=api": [
        ("audit", 0, 60),
        ("payments-pager", 10, 300),
        ("payments-chat", 10, 120),
    ],
    "team=payments severity=page env=staging service=db-1": [("audit", 0, 60), ("payments-chat", 60, 300)],
    "team=payments severity=critical env=prod service=webshop": [("audit", 0, 60), ("payments-chat", 10, 120)],
    "team=payments service=web2": [("payments-chat", 10, 120)],
    "team=payments": [("default", 10, 300)],
    "team=store severity=page region=eu-west": [
        ("audit", 0, 60),
        ("storefront-eu", 5, 300),
        ("catchall-page", 120, 300),
    ],
    "team=storefront region=us-east": [("storefront", 45, 300)],
    "team=storefronts": [("default", 30, 300)],
    "severity=critical": [("audit", 0, 60)],
    "severity=page": [("audit", 0, 60), ("catchall-page", 120, 300)],
    "severity=warning team=payments service=db-": [("default", 10, 300)],
    "region=eu-west": [("default", 30, 300)],
}


def labels_of(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split())


def alert_name(index: int) -> str:
    return f"Case{index:02d}"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One alert per label set, routed by continue.yml; `for: 0s`, evaluation and scrape 1 s."""
    root = tmp_path_factory.mktemp("timers")
    rules = [
        {"alert": alert_name(i), "expr": "vector(1)", "for": "0s", "labels": labels_of(text)}
        for i, text in enumerate(EXPECTED)
    ]
    (root / "rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "cases", "rules": rules}]}))
    (root / "prometheus.yml").write_text("global: {scrape_interval: 1s, evaluation_interval: 1s}\n")
    receivers = {r for cases in EXPECTED.values() for r, _, _ in cases}
    (root / "groups.yml").write_text("".join(f"{r}-group:\n  receiver: {r}\n" for r in sorted(receivers)))
    (root / "alertdrill.yml").write_text(
        f"rules: [rules.yml]\nprometheus_config: prometheus.yml\nalertmanager_config: {CONFIG}\n"
        "contact_groups: groups.yml\nfaults: {noop: {type: command, inject: 'true', revert: 'true'}}\n"
    )
    return root / "alertdrill.yml"


def amtool(labels: str) -> list[str]:
    return amtool_routes(CONFIG, labels)


@pytest.mark.skipif(shutil.which("amtool") is None, reason="amtool is not installed (scripts/setup installs it)")
def test_lint_routes_every_label_set_to_the_receivers_amtool_names(project: Path) -> None:
    report = lint(load_settings(project, env={}))
    for index, text in enumerate(EXPECTED):
        name = alert_name(index)
        expected = amtool(f"alertname={name} {text}")
        assert report.routes[name] == list(dict.fromkeys(expected)), text
        assert [p.receiver for p in report.paths[name]] == list(dict.fromkeys(expected)), text


def test_each_receiver_has_its_own_routes_timers(project: Path) -> None:
    report = lint(load_settings(project, env={}))
    for index, (text, cases) in enumerate(EXPECTED.items()):
        paths = report.paths[alert_name(index)]
        assert [(p.receiver, p.group_wait_s, p.group_interval_s) for p in paths] == cases, text
        assert [p.notify_floor_s for p in paths] == [wait for _, wait, _ in cases]  # for: 0s


def drill(group: str, budget_s: float) -> DrillSpec:
    return DrillSpec(
        f"reaches {group}",
        "drills/t.feature",
        1,
        (
            InjectFault("noop", 2),
            AlertFires(alert_name(0), 60.0, 3),
            ReachesContactGroup(f"{group}-group", budget_s, 4),
        ),
    )


def test_a_drill_is_judged_by_its_contact_groups_own_route(project: Path) -> None:
    settings = load_settings(project, env={})
    quick, slow = drill("audit", 3.0), drill("payments-chat", 3.0)  # group_wait 0 s vs 10 s, same alert
    budgets = {
        key: [f for f in found if f.rule.startswith("budget/")]
        for key, found in preflight(settings, [quick, slow]).items()
    }  # the rules here have no runbooks
    blocked = {key: found for key, found in budgets.items() if found}
    assert list(blocked) == [f"{slow.feature}::{slow.name}"]
    (finding,) = blocked[f"{slow.feature}::{slow.name}"]
    assert finding.rule == "budget/infeasible"
    assert (
        "reach its contact group (payments-chat) within 3 s: floor 10 s = for 0 s + group_wait 10 s" in finding.message
    )


def test_prometheus_durations_in_routes_and_what_alertmanager_refuses(tmp_path: Path) -> None:
    from alertdrill.catalog.routes import load_routing_tree
    from alertdrill.errors import ConfigError

    path = tmp_path / "am.yml"
    path.write_text(
        "route: {receiver: r, group_wait: 0s, group_interval: 1h30m, repeat_interval: 30d}\nreceivers: [{name: r}]\n"
    )
    root = load_routing_tree(path).root
    assert (root.group_wait_s, root.group_interval_s, root.repeat_interval_s) == (0, 5400, 30 * 86400)
    path.write_text("route: {receiver: r, group_interval: 0s}\nreceivers: [{name: r}]\n")
    with pytest.raises(ConfigError, match="group_interval cannot be zero"):
        load_routing_tree(path)


def test_a_query_offset_adds_to_the_floor(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(
        "groups:\n  - name: g\n    query_offset: 30s\n    rules:\n"
        "      - alert: Late\n        expr: up == 0\n        for: 10s\n"
    )
    (tmp_path / "prometheus.yml").write_text("global: {scrape_interval: 5s, evaluation_interval: 5s}\n")
    (tmp_path / "alertdrill.yml").write_text("rules: [rules.yml]\nprometheus_config: prometheus.yml\n")
    (path,) = lint(load_settings(tmp_path / "alertdrill.yml", env={})).paths["Late"]
    assert path.arithmetic(notify=False) == (
        "floor 40 s = query_offset 30 s + for 10 s; worst 50 s = scrape 5 s + "
        "evaluation 5 s + query_offset 30 s + for 10 s"
    )
