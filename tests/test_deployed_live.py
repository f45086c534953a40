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
