"""The route evaluator agrees with Alertmanager's own `amtool config routes test`, case by case."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from alertdrill.catalog.routes import Matcher, load_routing_tree, parse_matchers
from tests.conftest import REPO

FIXTURES = Path(__file__).parent / "fixtures" / "routes"
CONFIGS = {
    "example": REPO / "alerts" / "alertmanager.yml",
    "nested": FIXTURES / "nested.yml",
    "tricky": FIXTURES / "tricky.yml",
    "legacy": FIXTURES / "legacy.yml",
}

CASES: dict[str, list[str]] = {
    "example": [
        "alertname=PaymentsApiDown team=payments severity=page",
        "alertname=X team=storefront",
        "alertname=X",
        "team=Payments",
        "team=payments-eu",
        "team=",
        "alertname=team=payments",
        "team=storefront drill_run=abc",
    ],
    "nested": [
        "service=foo1",
        "service=foo2 severity=critical",
        "service=baz severity=warning",
        "service=foo3 severity=critical",
        "service=files",
        "service=files severity=critical",
        "service=database",
        "service=database owner=team-X",
        "service=database owner=team-Y",
        "service=database owner=team-Z severity=critical",
        "severity=critical",
        "",
        "service=foo1|foo2",
        "service=FOO1",
        "service=database owner=team-X severity=critical",
    ],
    "tricky": [
        "",
        "severity=page",
        "severity=critical team=payments",
        "team=payments env=staging",
        "team=payments env=prod severity=page region=eu-west",
        "team=payments severity=page region=us-east",
        "team=payments tier=gold",
        "team=payments tier=bronze",
        "team=payments tier=gold severity=page",
        "notify=x",
        "notify=",
        "msg=a,b",
        "msg=a",
        "zone=us",
        "zone=us-east",
        "zone=xus",
        "host=db1",
        "host=db2",
        "host=test-db1",
        "host=",
        "notify=y host=db1 severity=pager",
        "team=payments env=prod region=eu-",
        "severity=page|critical",
    ],
    "legacy": [
        "team=ops",
        "team=ops severity=warning",
        "team=ops severity=critical",
        "team=ops severity=info",
        "service=web",
        "service=webshop severity=critical",
        "service=webshop severity=critical env=prod",
        "service=myweb severity=critical env=prod",
        "team=ops service=web",
        "service=web env=prod",
        "severity=critical env=prod",
    ],
}
PAIRS = [(config, labels) for config, cases in CASES.items() for labels in cases]


def amtool(config: Path, labels: str) -> list[str]:
    done = subprocess.run(
        ["amtool", "config", "routes", "test", f"--config.file={config}", *labels.split()],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().split(",")


def as_labels(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split())


def test_there_are_enough_cases_over_several_configs() -> None:
    assert len(PAIRS) >= 50 and len(CASES) >= 4


@pytest.mark.skipif(shutil.which("amtool") is None, reason="amtool is not installed (scripts/setup installs it)")
@pytest.mark.parametrize(("config", "labels"), PAIRS, ids=[f"{c}:{text or '-'}" for c, text in PAIRS])
def test_receivers_agree_with_amtool(config: str, labels: str) -> None:
    tree = load_routing_tree(CONFIGS[config])
    assert tree.receivers_for(as_labels(labels)) == amtool(CONFIGS[config], labels)


def test_matcher_strings_parse_like_alertmanager() -> None:
    assert parse_matchers('{team="payments", env!="staging"}') == [
        Matcher("team", "=", "payments"),
        Matcher("env", "!=", "staging"),
    ]
    assert parse_matchers('msg="a,b\\"c"') == [Matcher("msg", "=", 'a,b"c')]
    assert parse_matchers("host=db1") == [Matcher("host", "=", "db1")]
    for bad in ('team=~"(unclosed"', "=x", "no operator"):
        with pytest.raises(ValueError):
            parse_matchers(bad)


def test_children_inherit_receiver_and_timers_and_lines_are_kept() -> None:
    tree = load_routing_tree(FIXTURES / "nested.yml")
    database = tree.root.routes[2]
    assert (database.group_wait_s, database.group_interval_s, database.line) == (30.0, 300.0, 19)
    assert database.group_by == ("alertname", "cluster", "database")
    assert tree.root.routes[0].routes[0].group_by == ("alertname", "cluster", "service")
    assert tree.routing_labels() == {"service", "severity", "owner"}
