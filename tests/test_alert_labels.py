"""The labels an alert really has: the series' labels carried through PromQL, scrape targets and
relabelling, recording rules, external labels; what cannot be known is said, never guessed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alertdrill.catalog.alert_labels import SeriesKnowledge, alert_labels
from alertdrill.catalog.label_flow import ABSENT, KNOWN, UNKNOWN, Labels, flow
from alertdrill.catalog.matchers import Matcher, parse_matchers
from alertdrill.catalog.promql_tree import Selector, parse, selectors
from alertdrill.catalog.relabel import Relabel, apply
from alertdrill.catalog.rules import AlertRule, RecordingRule
from alertdrill.catalog.scrape import read_config, running_config
from alertdrill.config import load_settings
from alertdrill.lint import lint
from alertdrill.lint.findings import ERROR, WARNING

SCRAPE = """
global: {external_labels: {cluster: eu-1, region: "${REGION}"}}
scrape_configs:
  - job_name: payments-api
    static_configs: [{targets: ["pay-1:8080", "pay-2:8080"], labels: {team: payments}}]
  - job_name: node
    static_configs: [{targets: ["node-1:9100"]}]
    relabel_configs:
      - {target_label: owner, replacement: sre}
      - {source_labels: [__address__], regex: "(.*):.*", target_label: host}
      - {source_labels: [__address__], regex: "(.*):.*", target_label: odd, replacement: "$1x"}
  - job_name: pods
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - {source_labels: [__meta_kubernetes_pod_label_team], target_label: team}
  - job_name: pushed
    honor_labels: true
    static_configs: [{targets: ["push:9091"], labels: {team: platform}}]
"""


def rule(expr: str, labels: dict[str, str] | None = None) -> AlertRule:
    return AlertRule("A", expr, 0.0, labels or {}, {}, "g", None, Path("rules.yml"), 3)


def states(expr: str, *names: str, config: str = SCRAPE) -> dict[str, str | None]:
    labels = alert_labels(rule(expr), SeriesKnowledge(read_config(yaml.safe_load(config), "prometheus.yml")))
    return {name: labels.value(name) for name in names}


def test_selectors_are_found_with_their_text_including_quoted_utf8_names() -> None:
    tree = parse('sum by ("my.label") (rate({"my.metric", "my.label"=~"a|b"}[5m] offset 1m)) / on() group_left x @ 5')
    found = selectors(tree)
    assert [s.text for s in found] == ['{"my.metric", "my.label"=~"a|b"}', "x"]
    assert found[0].metric == "my.metric" and Matcher("my.label", "=~", "a|b") in found[0].matchers
    with pytest.raises(ValueError):
        parse("up ==")


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('up{job="a", team="t"} == 0', {"job": "a", "team": "t", "other": None}),
        ('sum by (job) (up{job="a", team="t"}) == 0', {"job": "a", "team": "", "other": ""}),
        ('sum without (team) (up{job="a", team="t"})', {"job": "a", "team": "", "other": None}),
        ('up{job="a"} > on(job) x{team="t"}', {"job": "a", "team": "", "other": ""}),
        ('up{job="a"} > ignoring(job) x', {"job": "", "other": None}),
        ('up{job="a"} * on(job) group_left(team) x{team="t"}', {"job": "a", "team": "t"}),
        ('absent(up{job="a", env=~"p.*"})', {"job": "a", "env": "", "other": ""}),
        ('label_replace(up{team="t"}, "team", "x", "", "")', {"team": None}),
        ('up{job="a"} or up{job="b"}', {"job": None}),
        ('up{job="a"} and up{job="b"}', {"job": "a"}),
        ('2 < up{job="a"}', {"job": "a"}),
        ('histogram_quantile(0.9, sum by (le, job) (rate(h{job="a"}[5m])))', {"job": "a", "le": ""}),
        ('topk(3, up{job="a"})', {"job": "a", "other": None}),
        ("vector(1)", {"other": ""}),
        ('count_values("v", up)', {"v": None, "job": ""}),
    ],
)
def test_labels_flow_through_the_expression_as_prometheus_computes_them(
    expr: str, expected: dict[str, str | None]
) -> None:
    labels = flow(parse(expr), lambda _selector: Labels())
    assert {name: labels.value(name) for name in expected} == expected


def test_relabelling_is_followed_where_it_can_be() -> None:
    start = Labels({"__address__": "h:1", "job": "j"}, open=False)
    steps = [
        Relabel(source_labels=("__address__",), regex="(.*):(?P<port>.*)", target_label="host"),
        Relabel(source_labels=("__address__",), regex="(.*):(?P<port>.*)", target_label="p", replacement="${port}"),
        Relabel(target_label="env", replacement="prod"),
        Relabel(action="labeldrop", regex="jo."),
        Relabel(source_labels=("__meta_x",), target_label="team"),
        Relabel(action="uppercase", source_labels=("env",), target_label="ENV"),
    ]
    done = apply(start, steps)
    assert done is not None
    assert (done.value("host"), done.value("p"), done.value("env"), done.value("job")) == ("h", "1", "prod", "")
    assert (done.value("team"), done.value("ENV")) == ("", "PROD")  # an absent label joins as ""
    opened = apply(Labels({"job": "j"}), [Relabel(source_labels=("__meta_x",), target_label="team")])
    assert opened is not None and opened.state("team") == UNKNOWN
    assert apply(start, [Relabel(action="drop", source_labels=("job",), regex="j")]) is None
    assert apply(start, [Relabel(action="keep", source_labels=("__meta_x",), regex="y")]) is None  # "" is not y


def test_targets_give_series_their_labels() -> None:
    up_pay = states('up{job="payments-api"} == 0', "team", "instance", "cluster", "region", "job")
    assert up_pay == {"team": "payments", "instance": None, "cluster": "eu-1", "region": None, "job": "payments-api"}
    node = states('up{job="node"} == 0', "owner", "host", "odd", "instance", "team")
    assert node == {"owner": "sre", "host": "node-1", "odd": "", "instance": "node-1:9100", "team": ""}  # Go: $1x
    assert states('rate(errors_total{job="node"}[5m]) > 0', "team")["team"] is None  # the exporter may set it
    assert states('up{job="pods"} == 0', "team")["team"] is None  # discovered: not known offline
    assert states('x{job="pushed"} > 0', "team")["team"] is None  # honor_labels: the pushed series decide
    assert states('up{job="pushed"} == 0', "team")["team"] == "platform"  # `up` is Prometheus's own
    assert states("up == 0", "team")["team"] is None  # several jobs: several answers


def test_external_labels_and_alert_relabelling_apply_to_what_is_sent() -> None:
    config = "global: {external_labels: {team: sre, cluster: c1}}\nscrape_configs: []\n"
    config += "alerting:\n  alert_relabel_configs:\n    - {action: labeldrop, regex: cluster}\n"
    assert states("sum(up) == 0", "team", "cluster", config=config) == {"team": "sre", "cluster": ""}
    assert states('sum by (team) (up{team="db"}) == 0', "team", config=config) == {"team": "db"}
    live = running_config("global:\n  external_labels:\n    region: eu-west\n")  # Prometheus 3 expanded ${REGION}
    labels = alert_labels(rule("sum(up) > 0"), SeriesKnowledge(live))
    assert labels.value("region") == "eu-west" and labels.sources["region"].startswith("external_labels")


def test_recorded_series_carry_their_expression_labels_and_live_series_are_exact() -> None:
    record = RecordingRule("job:errors:rate5m", 'sum by (job) (rate(e{team="x"}[5m]))', {"tier": "1"}, Path("r"), 1)
    knowledge = SeriesKnowledge(read_config({}, "none"), {record.name: record})
    labels = alert_labels(rule('job:errors:rate5m{job="a"} > 1'), knowledge)
    assert (labels.value("team"), labels.value("tier"), labels.value("job")) == ("", "1", "a")
    live = SeriesKnowledge(read_config({}, "none"), live={"up": [{"__name__": "up", "job": "a", "team": "t"}]})
    got = alert_labels(rule("up == 0", {"severity": "page"}), live)
    assert (got.state("team"), got.value("team"), got.state("zone")) == (KNOWN, "t", ABSENT)
    assert "the running Prometheus" in got.sources["team"]
    assert Selector((), "up") and parse_matchers('{"my.label"="x", b!~"y"}') == [
        Matcher("my.label", "=", "x"),
        Matcher("b", "!~", "y"),
    ]


ROUTES = """route:
  receiver: default
  routes:
    - {receiver: pay, matchers: ['team="payments"']}
    - {receiver: eu, matchers: ['cluster="eu-1"', 'severity="page"']}
receivers: [{name: default}, {name: pay}, {name: eu}]
"""
RULES = """groups:
  - name: g
    rules:
      - alert: PaymentsDown
        expr: up{job="payments-api"} == 0
        labels: {severity: page}
      - alert: PodsDown
        expr: up{job="pods"} == 0
        labels: {severity: ticket}
      - alert: ClusterPage
        expr: sum(up) == 0
        labels: {severity: page}
"""
DRILLS = """Feature: f
  Scenario: payments
    When the fault "noop" is injected
    Then the alert "PaymentsDown" fires within 1 minute
    And the alert reaches the contact group "pay" within 1 minute
  Scenario: pods
    When the fault "noop" is injected
    Then the alert "PodsDown" fires within 1 minute
    And the alert reaches the contact group "pay" within 1 minute
  Scenario: cluster
    When the fault "noop" is injected
    Then the alert "ClusterPage" fires within 1 minute
    And the alert reaches the contact group "pay" within 1 minute
"""


def test_lint_routes_on_target_and_external_labels_and_says_what_it_cannot_know(tmp_path: Path) -> None:
    for name, text in {
        "rules.yml": RULES,
        "am.yml": ROUTES,
        "prometheus.yml": SCRAPE,
        "drills/f.feature": DRILLS,
    }.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "groups.yml").write_text("pay: {receiver: pay}\ndefault: {receiver: default}\neu: {receiver: eu}\n")
    (tmp_path / "alertdrill.yml").write_text(
        "rules: [rules.yml]\nalertmanager_config: am.yml\ncontact_groups: groups.yml\n"
        "prometheus_config: prometheus.yml\nfaults: {noop: {type: command, inject: 'true', revert: 'true'}}\n"
    )
    report = lint(load_settings(tmp_path / "alertdrill.yml", env={}))
    by_drill = {f.message.split(" ")[0].split("'")[0]: f for f in report.findings if f.rule.startswith("drills/")}
    assert "PaymentsDown" not in by_drill  # team=payments comes from the target: no false alarm
    pods = by_drill["PodsDown"]
    assert (pods.rule, pods.severity, pods.drill) == ("drills/route-depends-on-labels", WARNING, None)
    assert "depends on label(s) team" in pods.message and "relabelling at prometheus.yml:" in pods.message
    cluster = by_drill["ClusterPage"]  # sum() drops team; cluster=eu-1 comes from external_labels: certain
    assert (cluster.rule, cluster.severity) == ("drills/wrong-route", ERROR)
    assert "is routed to eu, not to pay" in cluster.message and "cluster=eu-1" in cluster.message
    assert report.routes["PaymentsDown"] == ["pay"] and report.route_depends == {"PodsDown": ["team"]}
    assert "PodsDown -> default (depends on label team)" in report.to_text()


def test_a_templated_runbook_link_is_expanded_with_the_labels_its_series_get_from_the_targets(tmp_path: Path) -> None:
    books = tmp_path / "runbooks"
    books.mkdir()
    (books / "payments.md").write_text("# p\n## Diagnose\n```promql\nup == 0\n```\n")
    (tmp_path / "prometheus.yml").write_text(SCRAPE)
    (tmp_path / "rules.yml").write_text(
        "groups:\n  - name: g\n    rules:\n"
        '      - alert: FromTarget\n        expr: up{job="payments-api"} == 0\n        labels: {severity: page}\n'
        "        annotations: {runbook_url: 'https://rb.example/{{ $labels.team }}.md'}\n"
        '      - alert: WrongTarget\n        expr: up{job="node"} == 0\n        labels: {severity: page}\n'
        "        annotations: {runbook_url: 'https://rb.example/{{ $labels.owner }}.md'}\n"
    )
    (tmp_path / "alertdrill.yml").write_text(
        "rules: [rules.yml]\nrunbooks: runbooks/\nprometheus_config: prometheus.yml\n"
    )
    report = lint(load_settings(tmp_path / "alertdrill.yml", env={}))
    by_alert = {f.alert: f for f in report.findings if f.rule.startswith("runbooks/")}
    assert "FromTarget" not in by_alert  # team=payments from static_configs: runbooks/payments.md
    wrong = by_alert["WrongTarget"]
    assert (wrong.rule, wrong.severity) == ("runbooks/unresolved-link", WARNING)
    assert "https://rb.example/sre.md" in wrong.message  # owner=sre from relabelling: expanded, and missing


@pytest.mark.parametrize(
    "expr",
    [
        'predict_linear(node_filesystem_avail_bytes{fstype!=""}[6h], 24*60*60) < 0',
        'sum by (cluster, namespace, pod) (max by(cluster, namespace, pod) (kube_pod_status_phase{phase=~"Pending"})'
        " * on(namespace, pod, cluster) group_left(owner_kind) topk by(namespace, pod, cluster) (1, max by(namespace,"
        ' pod, owner_kind, cluster) (kube_pod_owner{owner_kind!="Job"}))) > 0',
        'increase(restarts_total[10m]) > 0 and on (namespace, pod) max_over_time(waiting{reason="Crash"}[5m]) >= 1',
        'absent(up{job="alertmanager"} == 1)',
        "min by (job) (up) offset 5m @ end() < bool 1",
        'count(count by (v) (label_replace(build_info{job!~"a|b"},"v","$1","v","(v[0-9]*).*"))) > 1',
        "sum(rate(x[5m:30s])) > 0 unless on() vector(0)",
        '{__name__=~"up|x", job="a"} == 0',
        "1 - avg without (cpu) (rate(node_cpu_seconds_total{mode='idle'}[1m])) > 0.9  # a comment",
    ],
)
def test_expressions_of_public_rule_sets_are_followed(expr: str) -> None:
    assert selectors(parse(expr))
