"""Real rule files: every form promtool accepts is read; templated runbook links; the mission as a policy."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from alertdrill.catalog.links import expand
from alertdrill.catalog.rules import load_rule_file
from alertdrill.config import load_settings
from alertdrill.durations import parse_duration, parse_prometheus_duration
from alertdrill.errors import ConfigError
from alertdrill.lint import lint
from alertdrill.lint.findings import ERROR, INFO, WARNING
from tests.rule_corpus import write_corpus, write_project

FORMS = """groups:
  - name: zero-and-absent
    interval: 30s
    limit: 10
    query_offset: 1m
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: ForZeroSeconds
        expr: up == 0
        for: 0s
        labels: {severity: page, team: payments, host: "{{ $labels.instance }}"}
      - alert: ForZeroMinutes
        expr: up == 0
        for: 0m
        keep_firing_for: 5m
      - alert: NoFor
        expr: up == 0
  - name: long
    rules:
      - alert: Long
        expr: up == 0
        for: 1h30m
        keep_firing_for: 1w
        labels: {priority: 1, paging: true}
      - record: other
        expr: vector(1)
"""


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0),
        ("0s", 0),
        ("0m", 0),
        ("1h30m", 5400),
        ("30d", 2592000),
        ("1w", 604800),
        ("1y", 31536000),
        ("500ms", 0.5),
        ("1d12h", 129600),
    ],
)
def test_prometheus_durations(text: str, seconds: float) -> None:
    assert parse_prometheus_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5 minutes", "1m1h", "1.5m", "m", "-1m", "1000y"])
def test_what_prometheus_refuses_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_prometheus_duration(text)


def test_budgets_people_write_still_must_be_longer_than_zero() -> None:
    with pytest.raises(ValueError, match="zero"):
        parse_duration("0 seconds")


def test_every_form_of_a_rule_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "forms.yml"
    path.write_text(FORMS)
    read = load_rule_file(path)
    assert (read.records, read.groups) == (2, 2)
    rules = {r.name: r for r in read.alerts}
    assert list(rules) == ["ForZeroSeconds", "ForZeroMinutes", "NoFor", "Long"]
    assert [r.for_s for r in read.alerts] == [0, 0, 0, 5400]
    assert (rules["ForZeroMinutes"].keep_firing_for_s, rules["Long"].keep_firing_for_s) == (300, 604800)
    zero = rules["ForZeroSeconds"]
    assert (zero.interval_s, zero.limit, zero.query_offset_s, zero.line) == (30, 10, 60, 9)
    assert (rules["Long"].interval_s, rules["Long"].limit, rules["Long"].query_offset_s) == (None, None, None)
    assert zero.routing_labels() == {"severity": "page", "team": "payments", "alertname": "ForZeroSeconds"}
    assert rules["Long"].labels == {"priority": "1", "paging": "true"}


def test_templated_links_are_expanded_where_the_labels_are_known() -> None:
    assert expand("https://rb/{{ $labels.service }}/X.md", {"service": "pay"}).text == "https://rb/pay/X.md"
    assert expand("https://rb/{{.Labels.team}}.md", {"team": "t"}).complete
    unknown = expand("https://rb/{{ $labels.instance }}/{{ $labels.team }}.md", {"team": "t"})
    assert (unknown.text, unknown.missing) == ("https://rb/{{ $labels.instance }}/t.md", ("instance",))
    assert expand("https://rb/{{ $value }}.md", {}).opaque


def test_templated_runbook_links_are_never_called_broken(tmp_path: Path) -> None:
    books = tmp_path / "runbooks"
    books.mkdir()
    (books / "payments.md").write_text("# p\n## Diagnose\n```promql\nup == 0\n```\n")
    (tmp_path / "rules.yml").write_text("""groups:
  - name: g
    rules:
      - alert: Known
        expr: up == 0
        labels: {severity: page, service: payments}
        annotations: {runbook_url: "https://runbooks.example/{{ $labels.service }}.md"}
      - alert: Unknown
        expr: up == 0
        labels: {severity: page}
        annotations: {runbook_url: "https://runbooks.example/{{ .Labels.service }}/{{ $labels.instance }}.md"}
      - alert: KnownButMissing
        expr: up == 0
        labels: {severity: page, service: billing}
        annotations: {runbook_url: "https://runbooks.example/{{ $labels.service }}.md"}
""")
    (tmp_path / "alertdrill.yml").write_text("rules: [rules.yml]\nrunbooks: runbooks/\n")
    report = lint(load_settings(tmp_path / "alertdrill.yml", env={}))
    by_alert = {f.alert: f for f in report.findings if f.rule.startswith("runbooks/")}
    assert "Known" not in by_alert
    unknown = by_alert["Unknown"]
    assert (unknown.rule, unknown.severity) == ("runbooks/templated-link", INFO)
    assert "depends on labels service, instance" in unknown.message
    missing = by_alert["KnownButMissing"]
    assert (missing.rule, missing.severity) == ("runbooks/unresolved-link", WARNING)
    assert "https://runbooks.example/billing.md with the rule's labels" in missing.message


def test_the_corpus_is_what_promtool_accepts(tmp_path: Path) -> None:
    if shutil.which("promtool") is None:
        pytest.skip("promtool is not installed")
    corpus = write_corpus(tmp_path / "corpus")
    done = subprocess.run(
        ["promtool", "check", "rules", *map(str, corpus.files)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[:500]


def test_a_public_style_corpus_is_read_whole(tmp_path: Path) -> None:
    config, corpus = write_project(tmp_path)
    assert len(corpus.files) >= 100
    report = lint(load_settings(config, env={}))
    assert report.rule_counts == (len(corpus.files), corpus.alerts, corpus.records)
    assert report.coverage.alerts == corpus.alerts == 1008
    counts = Counter(f.rule for f in report.findings)
    # dependent alerts without inhibition, and alerts that can never meet the mission: one summary each
    expected = {"runbooks/templated-link": corpus.templated_runbooks, "mission/unreachable": 1}
    assert counts == expected | {"storms/no-inhibition": 1}, counts
    assert not [f for f in report.findings if f.severity == ERROR]
    (summary,) = [f for f in report.findings if f.rule == "mission/unreachable"]
    assert summary.severity == WARNING and summary.path == "alertdrill.yml"
    late = {f"Corpus{f:03d}G{g}A{a}" for f in range(len(corpus.files)) for g in range(3) for a in range(3)}
    listed = {name for name in late if f"{name} " in summary.message}
    assert summary.message.startswith(f"{len(listed)} of 1008 alerts can never notify within the mission's 1 minute")
    assert 0 < len(listed) < 1008


MISSION_DRILLS = """Feature: mission
  Scenario: Looser than the mission
    When the fault "noop" is injected
    Then the alert "Quick" fires within 3 minutes
    And the runbook locates the fault within 6 minutes

  Scenario: Within the mission
    When the fault "noop" is injected
    Then the alert "Quick" fires within 1 minute
"""


def mission_project(tmp_path: Path, mission: str) -> Path:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "rules.yml").write_text("""groups:
  - name: g
    rules:
      - alert: Quick
        expr: up == 0
        for: 0s
        labels: {severity: page}
      - alert: Slow
        expr: up == 0
        for: 15m
        labels: {severity: page}
""")
    (tmp_path / "drills").mkdir()
    (tmp_path / "drills" / "m.feature").write_text(MISSION_DRILLS)
    (tmp_path / "prometheus.yml").write_text("global: {scrape_interval: 1s, evaluation_interval: 1s}\n")
    fault = "faults: {noop: {type: command, inject: 'true', revert: 'true'}}\n"
    (tmp_path / "alertdrill.yml").write_text(f"rules: [rules.yml]\nprometheus_config: prometheus.yml\n{mission}{fault}")
    return tmp_path / "alertdrill.yml"


def test_the_mission_is_a_policy_read_from_the_configuration(tmp_path: Path) -> None:
    config = mission_project(tmp_path, "mission: {alert: 2 minutes, locate: 5 minutes, recover: 10 minutes}\n")
    report = lint(load_settings(config, env={}))
    assert report.mission.alert_s == 120
    found = sorted(
        (f.rule, f.severity, f.line, f.drill) for f in report.findings if f.rule.startswith(("mission", "budget"))
    )
    assert found == [
        ("mission/looser-budget", WARNING, 4, None),
        ("mission/looser-budget", WARNING, 5, None),
        ("mission/unreachable", WARNING, 3, None),
    ]
    summary = next(f for f in report.findings if f.rule == "mission/unreachable")
    assert "1 of 2 alerts can never notify within the mission's 2 minutes" in summary.message
    assert "Slow (900 s)" in summary.message and "Quick" not in summary.message


def test_without_a_mission_the_default_is_1_5_10_and_a_bad_one_is_said(tmp_path: Path) -> None:
    report = lint(load_settings(mission_project(tmp_path, ""), env={}))
    assert report.mission.to_dict() == {"alert_s": 60, "locate_s": 300, "recover_s": 600}
    assert sum(f.rule == "mission/looser-budget" for f in report.findings) == 2
    # A bad mission is bad input: refused when the configuration is read, with its file and line.
    config = mission_project(tmp_path / "bad", "mission: {alert: 1 minute, notify: 1 minute}\n")
    with pytest.raises(ConfigError, match=r"alertdrill\.yml:\d+: unknown key 'mission.notify'"):
        load_settings(config, env={})
    config = mission_project(tmp_path / "worse", "mission: {alert: soon}\n")
    with pytest.raises(ConfigError, match=r"alertdrill\.yml:\d+: mission\.alert"):
        load_settings(config, env={})


YAML_SAMPLES = {
    "plain": "groups:\n  - name: a\n    interval: 30s\n    rules:\n      - alert: X\n        for: 0m\n"
    "        labels: {a: 1, b: true, c: null, d: '1', e: 2026-01-01, f: 1.5}\n",
    "duplicate": "a: 1\na: 2\n",
    "alias": "a: &x {b: 1}\nc: *x\n",
    "scalar-alias": "a: &x s\nb: *x\n",
    "merge": "a: {b: 1}\nc:\n  <<: {d: 1}\n",
    "list": "- a\n",
    "empty": "",
    "custom-tag": "a: !foo 1\n",
    "deep": "a: " + "[" * 150 + "]" * 150 + "\n",
    "very-deep": "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "broken": "a: [\n",
    "two-documents": "a: 1\n---\nb: 2\n",
    "int-key": "1: a\n'1': b\n",
    "tab": "a:\n\tb: 1\n",
    "bad-date": "a: 2026-13-45\n",
    "laughs": "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
}


@pytest.mark.parametrize("name", YAML_SAMPLES)
def test_the_quick_reader_answers_as_the_strict_one(tmp_path: Path, name: str) -> None:
    from alertdrill.catalog.quickyaml import load_yaml_quickly
    from alertdrill.errors import ConfigError
    from alertdrill.yamlfile import load_yaml

    path = tmp_path / f"{name}.yml"
    path.write_text(YAML_SAMPLES[name])

    def read(reader: object) -> tuple[object, ...]:
        try:
            doc = reader(path, what="rule file")  # type: ignore[operator]
            return ("read", doc.data, doc.lines)
        except ConfigError as exc:
            return ("refused", str(exc))

    assert read(load_yaml_quickly) == read(load_yaml)


def test_a_route_on_a_templated_label_is_not_called_wrong(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(
        "groups:\n  - name: g\n    rules:\n      - alert: Templated\n"
        "        expr: up == 0\n        labels: {severity: page, team: '{{ $labels.job }}'}\n"
    )
    (tmp_path / "am.yml").write_text(
        "route:\n  receiver: default\n  routes:\n    - receiver: pay\n"
        "      matchers: ['team=\"payments\"']\nreceivers: [{name: default}, {name: pay}]\n"
    )
    (tmp_path / "groups.yml").write_text("pay:\n  receiver: pay\ndefault:\n  receiver: default\n")
    (tmp_path / "drills").mkdir()
    (tmp_path / "drills" / "t.feature").write_text(
        'Feature: t\n  Scenario: s\n    When the fault "noop" is injected\n'
        '    Then the alert "Templated" fires within 1 minute\n'
        '    And the alert reaches the contact group "pay" within 1 minute\n'
    )
    (tmp_path / "alertdrill.yml").write_text(
        "rules: [rules.yml]\nalertmanager_config: am.yml\ncontact_groups: groups.yml\n"
        "faults: {noop: {type: command, inject: 'true', revert: 'true'}}\n"
    )
    findings = lint(load_settings(tmp_path / "alertdrill.yml", env={})).findings
    assert "drills/wrong-route" not in {f.rule for f in findings}
    (said,) = [f for f in findings if f.rule == "drills/route-depends-on-labels"]
    assert said.severity == WARNING and "depends on label(s) team" in said.message
    assert "team: templated in the rule (rules.yml:4)" in said.message and said.drill is None
