"""Answers of Prometheus 2.42-3.8 and Alertmanager 0.25-0.34 (tests/fixtures/api/<product>-<version>/,
each with a README naming its version and source) read through the parsing code the harness uses."""

from __future__ import annotations

import json
import re
from pathlib import Path

from alertdrill.catalog.alert_labels import SeriesKnowledge, alert_labels, observed, parsed
from alertdrill.catalog.am_drift import differences, running_alertmanager
from alertdrill.catalog.promql_tree import selectors
from alertdrill.catalog.rules import AlertRule
from alertdrill.catalog.scrape import running_config
from alertdrill.observe.api_shapes import RuleState, parse_alert_status, parse_groups, parse_rules, parse_status
from alertdrill.observe.clients import Prometheus
from alertdrill.observe.deployed import drift
from alertdrill.observe.watch import hot_groups

API = Path(__file__).parent / "fixtures" / "api"
SRC = Path(__file__).resolve().parents[1] / "src" / "alertdrill"
NOWHERE = Prometheus("http://127.0.0.1:1")  # format_query unreachable: expressions are compared without whitespace


def answer(name: str) -> object:
    return json.loads((API / name).read_text())


def rule(
    name: str, expr: str, labels: dict[str, str], annotations: dict[str, str], for_s: float, keep_s: float = 0.0
) -> AlertRule:
    return AlertRule(name, expr, for_s, labels, annotations, "g", None, Path("rules.yml"), 4, keep_firing_for_s=keep_s)


def test_every_fixture_names_its_version_and_source() -> None:
    for folder in API.iterdir():
        product, version = folder.name.rsplit("-", 1)
        readme = (folder / "README.md").read_text()
        assert product in ("prometheus", "alertmanager") and re.fullmatch(r"\d+\.\d+", version)
        assert readme.startswith(f"# {product.capitalize()} {version}"), folder
        assert "Recorded" in readme or "from the source" in readme, folder


def test_a_rule_not_evaluated_yet_is_loaded_not_drifted() -> None:
    early_2x = parse_rules(answer("prometheus-2.42/rules_before_first_evaluation.json"))["SelfUp"][0]
    assert (early_2x.state, early_2x.health, early_2x.evaluated) == (RuleState.INACTIVE, "unknown", False)
    assert parse_rules(answer("prometheus-2.42/rules.json"))["SelfUp"][0].evaluated
    loaded = parse_rules(answer("prometheus-3.8/rules.json"))
    down = loaded["PaymentsApiDown"][0]
    assert (down.state, down.health, down.evaluated) == (RuleState.UNKNOWN, "unknown", False)
    assert (down.for_s, down.keep_firing_for_s) == (120.0, 300.0)
    same = rule("PaymentsApiDown", 'up{job="payments-api"}  ==  0', dict(down.labels), dict(down.annotations), 120, 300)
    assert drift(NOWHERE, same, loaded["PaymentsApiDown"]) is None
    shorter = rule("PaymentsApiDown", 'up{job="payments-api"} == 0', dict(down.labels), dict(down.annotations), 120, 10)
    problem = drift(NOWHERE, shorter, loaded["PaymentsApiDown"])
    assert problem is not None and "keep_firing_for 300 s (file: 10 s)" in problem
    assert "job:up:sum" not in loaded  # recording rules are not drilled
    assert RuleState.read("some-future-state") is RuleState.UNKNOWN


def test_a_loaded_rule_whose_evaluation_fails_is_named() -> None:
    body = answer("prometheus-3.8/rules.json")
    first = body["data"]["groups"][0]["rules"][0]  # type: ignore[index]
    first.update(health="err", lastError="found duplicate series for the match group", state="inactive")
    loaded = parse_rules(body)["PaymentsApiDown"]
    same = rule("PaymentsApiDown", first["query"], first["labels"], first["annotations"], 120, 300)
    problem = drift(NOWHERE, same, loaded)
    assert problem is not None and "its evaluation fails: found duplicate series for the match group" in problem


def test_utf8_names_and_quoted_selectors_of_prometheus_3() -> None:
    latency = parse_rules(answer("prometheus-3.8/rules.json"))["PaymentsLatencyHigh"][0]
    assert latency.labels["service.name"] == "payments"
    tree = parsed(latency.query)
    assert tree is not None
    (selector,) = selectors(tree)
    assert selector.metric == "http.server.duration_bucket"
    series = answer("prometheus-3.0/series.json")["data"]  # type: ignore[index]
    live = SeriesKnowledge(running_config(""), live={selector.text: series[1:]})
    labels = alert_labels(rule("PaymentsLatencyHigh", latency.query, dict(latency.labels), {}, 0), live)
    assert (labels.value("service.name"), labels.value("le"), labels.value("team")) == ("payments", "", "")
    assert observed(series, "p").value("service.name") == "payments"


def test_external_labels_as_the_running_prometheus_expanded_them() -> None:
    config = running_config(answer("prometheus-3.0/status_config.json")["data"]["yaml"])  # type: ignore[index]
    labels = alert_labels(rule("Down", 'up{job="payments-api"} == 0', {}, {}, 0), SeriesKnowledge(config))
    assert (labels.value("region"), labels.value("cluster")) == ("eu-west-1", "prod-eu")  # ${REGION} in the file
    assert (labels.value("team"), labels.value("service.name"), labels.value("instance")) == (
        "payments",
        "payments",
        "payments-1:8080",
    )
    old = running_config(answer("prometheus-2.42/status_config.json")["data"]["yaml"])  # type: ignore[index]
    assert old.external.known == {"cluster": "lab"}


def test_alertmanager_status_groups_and_alerts_from_0_25_to_0_34() -> None:
    status = parse_status(answer("alertmanager-0.25/status.json"))
    assert status.version == "0.25.0"
    running = running_alertmanager(status.config, "am")
    value = {"alertname": "PaymentsDown", "team": "payments", "instance": "a"}.get
    assert running.tree.receivers_for({"team": "payments"}) == ["payments"]
    assert [str(r) for r in running.inhibit] == [
        'source {alertname="NodeDown"} target {team="payments"} equal [instance]'
    ]
    assert differences("PaymentsDown", value, running, running) == []
    (_, payments) = parse_groups(answer("alertmanager-0.25/groups.json"))
    assert payments.receiver == "payments" and payments.alerts[0].status.state == "suppressed"
    assert payments.alerts[0].status.inhibited_by and payments.alerts[0].status.muted_by == ()
    (muted,) = parse_groups(answer("alertmanager-0.28/groups.json"))
    assert muted.alerts[0].status.muted_by == ("weekend-quiet",)
    assert parse_alert_status(answer("alertmanager-0.28/alerts.json")[0]["status"]).muted_by == ()  # type: ignore[index]
    (newest,) = parse_groups(answer("alertmanager-0.34/groups.json"))
    assert (newest.receiver, dict(newest.route_labels)) == ("payments-oncall", {"team": "payments"})
    latest = parse_status(answer("alertmanager-0.34/status.json"))
    tree = running_alertmanager(latest.config, "am").tree
    (route,) = tree.routes_for({"team": "payments", "service.name": "payments"})
    assert (latest.version, latest.cluster, route.receiver, route.group_wait_s) == (
        "0.34.0",
        "ready",
        "payments-oncall",
        30,
    )
    assert tree.receivers_for({"team": "payments"}) == ["sre-default"]  # the UTF-8 matcher must match too


def test_hot_groups_read_every_version_of_the_groups_answer() -> None:
    class Groups:
        def __init__(self, name: str) -> None:
            self.name = name

        def groups(self) -> object:
            return answer(self.name)

    assert hot_groups(Groups("alertmanager-0.25/groups.json"), "PaymentsDown") == [  # type: ignore[arg-type]
        "payments{'alertname': 'PaymentsDown'}"
    ]
    assert hot_groups(Groups("alertmanager-0.34/groups.json"), "PaymentsApiDown")  # type: ignore[arg-type]


def test_only_api_v2_of_alertmanager_is_used() -> None:
    gone = answer("alertmanager-0.27/v1_alerts_410.json")
    assert "removed as of version 0.27.0" in gone["error"]  # type: ignore[index]
    prometheus_v1 = {"alerts", "rules", "status/config", "series", "format_query", "alertmanagers", "targets", "query"}
    for path in SRC.rglob("*.py"):
        for used in re.findall(r"/api/v1/([a-z_/]+)", path.read_text()):
            assert used.rstrip("/") in prometheus_v1, f"{path}: /api/v1/{used} (Alertmanager has only /api/v2/)"
