"""`alertdrill lint`: each check fails on a planted defect and passes on the example repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from alertdrill.testing import Project, copy_project
from tests.conftest import REPO, alertdrill

PLANTED_DRILLS = """Feature: drills with defects
  Scenario: Payments expected at storefront
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "storefront-oncall" within 1 minute

  Scenario: An alert nobody wrote
    When the fault "payments-api-down" is injected
    Then the alert "NoSuchAlert" fires within 1 minute

  Scenario: A runbook nobody wrote
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the notification links the runbook "runbooks/nope.md"

  Scenario: Faster than the rule allows
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 second

  Scenario: Only in the best case
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 3 seconds
"""
EXTRA_RULES = """groups:
  - name: extra
    rules:
      - alert: DiskFull
        expr: node_filesystem_avail_bytes == 0
        labels: {severity: page}
        annotations: {runbook_url: https://wiki/runbooks/payments-api-down.md}
      - alert: BillingLag
        expr: billing_lag_seconds > 60
        labels: {severity: page, team: billing}
        annotations: {runbook_url: https://wiki/runbooks/payments-api-down.md}
      - alert: SlowBurn
        expr: up == 0
        for: 2m
        labels: {severity: page, team: payments}
        annotations: {runbook_url: https://wiki/runbooks/payments-api-down.md}
  - name: broken
    rules:
      - alert: Unparsable
        expr: up == = 0
        labels: {severity: page, team: payments}
        annotations: {runbook_url: https://wiki/runbooks/payments-api-down.md}
"""


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def edit(path: Path, old: str, new: str) -> None:
    content = path.read_text()
    assert old in content, f"{old!r} not in {path}"
    path.write_text(content.replace(old, new, 1))


@pytest.fixture
def planted(tmp_path: Path) -> Project:
    """A copy of the example repository with one defect per check."""
    project = copy_project(REPO, tmp_path / "broken")
    root = project.root
    (root / "alerts" / "extra.yml").write_text(EXTRA_RULES)
    config = yaml.safe_load(project.config_path.read_text())
    config["rules"] = ["alerts/rules.yml", "alerts/extra.yml", "alerts/missing.yml"]
    project.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    rules = root / "alerts" / "rules.yml"
    edit(rules, "runbook_url: https://github.com/acme/oncall/blob/main/runbooks/inventory-api-down.md\n", "")
    edit(rules, "          severity: page\n          team: storefront\n", "          team: storefront\n")
    edit(rules, "runbooks/checkout-api-errors.md", "runbooks/checkout-errors-old.md")
    routes = root / "alerts" / "alertmanager.yml"
    edit(
        routes,
        "  routes:\n",
        "  routes:\n    - receiver: ghost\n      matchers: ['team=\"ghost\"']\n"
        "    - receiver: billing\n      matchers: ['team=\"billing\"']\n",
    )
    edit(routes, "receivers:\n", "receivers:\n  - name: billing\n")
    groups = root / "notifiers" / "contact-groups.yml"
    groups.write_text(groups.read_text() + "dba:\n  receiver: dba-pager\n")
    (root / "runbooks" / "empty.md").write_text("# Nothing to see\n\n## Remediate\nCall someone.\n")
    (root / "runbooks" / "broken.md").write_text("---\nalerts: [X\n---\n# Broken\n")
    project.write_feature("planted.feature", PLANTED_DRILLS)
    return project


def lint_json(project: Project) -> tuple[int, dict[str, Any]]:
    done = alertdrill("lint", "--format", "json", "--config", str(project.config_path))
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def test_the_example_repository_is_clean() -> None:
    done = alertdrill("lint", "--config", str(REPO / "alertdrill.yml"))
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines()[-1] == "4 drill(s) checked against alertdrill.yml; no finding(s)"
    assert "Drill coverage: 5 of 5 alerts (100%)" in done.stdout
    assert (
        "PaymentsApiDown: floor 3 s = for 2 s + group_wait 1 s; worst 5 s = scrape 1 s + evaluation 1 s "
        "+ for 2 s + group_wait 1 s"
    ) in done.stdout


def test_a_planted_broken_copy_reports_each_defect_once_with_file_and_line(planted: Project) -> None:
    code, report = lint_json(planted)
    assert code == 1
    root = planted.root
    rules, extra = root / "alerts" / "rules.yml", root / "alerts" / "extra.yml"
    feature = root / "drills" / "planted.feature"
    expected = {
        ("rules/invalid", "alerts/extra.yml", line_of(extra, "expr: up == = 0")),
        ("rules/missing-file", "alertdrill.yml", 1),
        ("rules/runbook-url", "alerts/rules.yml", line_of(rules, "alert: InventoryApiDown")),
        ("rules/severity", "alerts/rules.yml", line_of(rules, "alert: CheckoutApiErrors")),
        ("rules/routing-label", "alerts/extra.yml", line_of(extra, "alert: DiskFull")),
        (
            "routes/unknown-receiver",
            "alerts/alertmanager.yml",
            line_of(root / "alerts" / "alertmanager.yml", "receiver: ghost"),
        ),
        (
            "contacts/unknown-receiver",
            "notifiers/contact-groups.yml",
            line_of(root / "notifiers" / "contact-groups.yml", "dba:"),
        ),
        ("contacts/receiver-without-group", "alerts/extra.yml", line_of(extra, "alert: BillingLag")),
        ("drills/wrong-route", "drills/planted.feature", line_of(feature, 'contact group "storefront-oncall"')),
        ("drills/unknown-alert", "drills/planted.feature", line_of(feature, '"NoSuchAlert"')),
        ("drills/runbook-missing", "drills/planted.feature", line_of(feature, "runbooks/nope.md")),
        ("runbooks/unresolved-link", "alerts/rules.yml", line_of(rules, "alert: CheckoutApiErrors")),
        ("runbooks/no-diagnose", "runbooks/empty.md", 1),
        ("files/unreadable", "runbooks/broken.md", 3),
        ("budget/infeasible", "drills/planted.feature", line_of(feature, "fires within 1 second")),
        ("mission/unreachable", "alertdrill.yml", 1),  # one summary, not an error per alert (the issue)
        ("budget/at-risk", "drills/planted.feature", line_of(feature, "fires within 3 seconds")),
    }
    found = [(f["rule"], f["path"], f["line"]) for f in report["findings"]]
    assert sorted(found) == sorted(expected)  # each defect once, nothing else
    by_rule = {f["rule"]: f for f in report["findings"]}
    assert by_rule["drills/wrong-route"]["message"] == (
        "PaymentsApiDown (alertname=PaymentsApiDown, severity=page, team=payments) is routed to payments-oncall, "
        "not to storefront-oncall (contact group storefront-oncall)"
    )
    infeasible = next(f for f in report["findings"] if f["rule"] == "budget/infeasible" and f["drill"])
    assert infeasible["message"] == (
        "PaymentsApiDown cannot fire within 1 s: floor 2 s = for 2 s; worst 4 s = scrape 1 s + evaluation 1 s + for 2 s"
    )
    assert (
        "BillingLag reaches receiver 'billing', which no contact group claims"
        in by_rule["contacts/receiver-without-group"]["message"]
    )
    assert by_rule["rules/invalid"]["message"].startswith('promtool: group "broken", rule 1, "Unparsable"')


def test_coverage_and_unlinked_runbooks_are_listed(planted: Project) -> None:
    _, report = lint_json(planted)
    coverage = report["coverage"]
    assert (coverage["alerts"], coverage["drilled"], coverage["percent"]) == (9, 5, 55.6)
    assert sorted(coverage["undrilled"]) == ["BillingLag", "DiskFull", "SlowBurn", "Unparsable"]
    assert coverage["per_team"]["(no contact group)"] == {"drilled": 0, "alerts": 1, "percent": 0.0}
    assert coverage["per_team"]["sre"] == {"drilled": 0, "alerts": 1, "percent": 0.0}
    assert coverage["per_team"]["payments-oncall"]["alerts"] == 5
    assert sorted(report["unlinked_runbooks"]) == [
        "runbooks/checkout-api-errors.md",
        "runbooks/empty.md",
        "runbooks/inventory-api-down.md",
    ]
    assert report["routes"]["DiskFull"] == ["sre-default"] and report["routes"]["BillingLag"] == ["billing"]


def test_text_output_is_one_line_per_finding_for_people(planted: Project) -> None:
    done = alertdrill("lint", "--config", str(planted.config_path))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[-1] == "9 drill(s) checked against alertdrill.yml; 17 finding(s)"
    assert sum(": error " in line or ": warning " in line for line in lines) == 17
    assert any(line.startswith("drills/planted.feature:") and "(fix: " in line for line in lines)


def test_a_missing_configuration_is_a_usage_error(tmp_path: Path) -> None:
    done = alertdrill("lint", "--config", str(tmp_path / "nope.yml"))
    assert done.returncode == 2 and "configuration file not found" in done.stderr


def test_lint_without_promtool_still_checks_the_rest(planted: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from alertdrill.lint import lint

    monkeypatch.setattr(shutil, "which", lambda name: None)
    rules = {f.rule for f in lint(planted.settings()).findings}
    assert "rules/invalid" not in rules and "rules/severity" in rules
