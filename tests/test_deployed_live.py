"""Deployed versus repository: the lab reloads edited rules for the next run; a Prometheus the lab does
not own, whose loaded rule differs from the file, stops the drill before injection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from alertdrill.testing import Project
from tests.conftest import alertdrill

FIRES = """Feature: edited rules
  Scenario: The edited rule is drilled
    When the fault "marker" is injected
    Then the alert "{alert}" fires within 20 seconds
"""


@pytest.fixture
def rules(lab: Project) -> Iterator[Path]:
    """The lab's rule file, restored (and reloaded into the lab) after the test edits it."""
    path = lab.root / "alerts" / "rules.yml"
    original = path.read_text()
    yield path
    path.write_text(original)
    done = alertdrill("lab", "reload", "--config", str(lab.config_path))
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_edited_rule_is_live_for_the_next_run(lab: Project, rules: Path) -> None:
    rules.write_text(
        rules.read_text().replace(
            "      - alert: PaymentsApiDown\n",
            """      - alert: PaymentsApiGone
        expr: up{job="payments-api"} == 0
        for: 0s
        labels: {severity: info, team: nobody}
        annotations: {summary: "a rule written just now"}

      - alert: PaymentsApiDown
""",
            1,
        )
    )
    feature = lab.write_feature(
        "edited.feature", FIRES.format(alert="PaymentsApiGone").replace('"marker"', '"payments-api-down"')
    )
    try:
        done = alertdrill("run", str(feature), "--config", str(lab.config_path), "--no-preflight")
    finally:
        feature.unlink()
    assert "lab: rule or route files changed; reloaded" in done.stdout, done.stdout
    card = json.loads((lab.root / "reports" / "latest" / "scorecard.json").read_text())
    assert card["drills"][0]["phases"]["alert"]["passed"], done.stdout


def test_a_drifted_rule_on_a_prometheus_the_lab_does_not_own_stops_the_drill(lab: Project, rules: Path) -> None:
    rules.write_text(rules.read_text().replace("        for: 2s\n", "        for: 3s\n", 1))
    other_name = lab.settings().prometheus.replace("127.0.0.1", "localhost")  # not the lab's: never reloaded
    feature = lab.write_feature("drift.feature", FIRES.format(alert="PaymentsApiDown").replace('"marker"', '"noop"'))
    try:
        done = alertdrill("run", str(feature), "--config", str(lab.config_path), "--prometheus", other_name)
    finally:
        feature.unlink()
    assert done.returncode == 2, done.stdout + done.stderr
    assert "PaymentsApiDown as loaded in Prometheus differs from rules.yml:4: for 2 s (file: 3 s)" in done.stdout


@pytest.fixture
def routes(lab: Project) -> Iterator[Path]:
    """The lab's Alertmanager configuration, restored after the test edits it (the lab is reloaded)."""
    path = lab.root / "alerts" / "alertmanager.yml"
    original = path.read_text()
    yield path
    path.write_text(original)
    done = alertdrill("lab", "reload", "--config", str(lab.config_path))
    assert done.returncode == 0, done.stdout + done.stderr


REACHES = FIRES + '    And the alert reaches the contact group "payments-oncall" within 20 seconds\n'
INHIBIT = """inhibit_rules:
  - source_matchers: ['alertname="NodeDown"']
    target_matchers: ['team="payments"']
    equal: [instance]
"""


def test_a_running_alertmanager_that_differs_from_the_file_stops_the_drill(lab: Project, routes: Path) -> None:
    edited = routes.read_text().replace(
        "    - receiver: payments-oncall\n", "    - receiver: payments-oncall\n      group_wait: 5s\n", 1
    )
    # one more inhibit rule, in the file's own inhibit_rules list when it has one
    routes.write_text(
        edited.replace("inhibit_rules:\n", INHIBIT, 1) if "\ninhibit_rules:\n" in edited else edited + INHIBIT
    )
    other_name = lab.settings().prometheus.replace("127.0.0.1", "localhost")  # not the lab's: never reloaded
    feature = lab.write_feature(
        "am-drift.feature", REACHES.format(alert="PaymentsApiDown").replace('"marker"', '"noop"')
    )
    try:
        done = alertdrill(
            "run", str(feature), "--config", str(lab.config_path), "--prometheus", other_name, "--dry-run"
        )
        feature.write_text(FIRES.format(alert="PaymentsApiDown").replace("20 seconds", "2 seconds"))
        allowed = alertdrill(
            *("run", str(feature), "--config", str(lab.config_path), "--prometheus", other_name),
            *("--allow-drift", "yes"),
        )
    finally:
        feature.unlink()
    assert done.returncode == 2, done.stdout + done.stderr
    running = lab.settings().alertmanager
    assert f"the Alertmanager at {running} differs from alertmanager.yml for PaymentsApiDown: " in done.stdout
    assert (
        "PaymentsApiDown is routed to payments-oncall (group_by [alertname, drill_run], group_wait 1 s" in done.stdout
    )
    assert "(file: payments-oncall (group_by [alertname, drill_run], group_wait 5 s" in done.stdout
    assert (
        'the inhibit rule source {alertname="NodeDown"} target {team="payments"} equal [instance] is missing'
    ) in done.stdout
    assert allowed.returncode == 1, allowed.stdout + allowed.stderr  # drilled (the marker fires nothing)
    assert "drift allowed (--allow-drift): the Alertmanager at" in allowed.stdout
    card = json.loads((lab.root / "reports" / "latest" / "scorecard.json").read_text())
    (note,) = [n for n in card["drills"][0]["notes"] if "drift allowed" in n]
    assert 'the inhibit rule source {alertname="NodeDown"}' in note and "fault_injected" in [
        e["name"] for e in card["drills"][0]["events"]
    ]


def test_the_labels_its_series_really_carry_decide_the_route_at_preflight(lab: Project, rules: Path) -> None:
    rules.write_text(
        rules.read_text().replace(
            "      - alert: PaymentsApiDown\n",
            """      - alert: PaymentsApiUnowned
        expr: up{job="payments-api"} == 0
        labels: {severity: page}
        annotations: {runbook_url: https://github.com/acme/oncall/blob/main/runbooks/payments-api-down.md}

      - alert: PaymentsApiDown
""",
            1,
        )
    )
    feature = lab.write_feature("unowned.feature", REACHES.format(alert="PaymentsApiUnowned"))
    try:
        linted = alertdrill("lint", "--config", str(lab.config_path), str(feature))
        done = alertdrill("run", str(feature), "--config", str(lab.config_path))
    finally:
        feature.unlink()
    # offline the series might carry `team` (no scrape configuration in the file): a warning, not a stop
    assert "warning drills/route-depends-on-labels: PaymentsApiUnowned's route depends on label(s) team" in (
        linted.stdout
    )
    assert done.returncode == 2 and not (lab.root / "injected.marker").exists(), done.stdout + done.stderr
    assert (
        "PaymentsApiUnowned (alertname=PaymentsApiUnowned: the labels its series carry in the running Prometheus) "
        "is routed to sre-default, not to payments-oncall (contact group payments-oncall)"
    ) in done.stdout
