"""Against the real lab: synthetic alerts, guards that abort a drill, and the fault's maximum duration."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from alertdrill.testing import Project
from tests.conftest import alertdrill

SYNTHETIC = """Feature: synthetic
  Scenario: A synthetic page reaches payments on-call
    When the fault "synthetic-page" is injected
    Then the alert "SyntheticPage" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" within 1 minute
"""
GUARDED = """Feature: guarded
  Scenario: A guard aborts the drill
    Given the service "payments-api" is healthy
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" within 1 minute
    And the runbook locates the fault within 5 minutes
"""
EXPIRING = """Feature: bounded
  Scenario: The fault outlives its maximum duration
    When the fault "brief-marker" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
"""


def run(lab: Project, name: str, text: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    feature = lab.write_feature(name, text)
    done = alertdrill("run", str(feature), "--config", str(lab.config_path), *extra)
    card = json.loads((lab.root / "reports" / "latest" / "scorecard.json").read_text())
    return done.returncode, card["drills"][0], done.stdout + done.stderr


@pytest.fixture
def guard(lab: Project) -> Iterator[None]:
    """A guard that holds once payments-api is down (restored afterwards)."""
    original = lab.config_path.read_text()
    config = yaml.safe_load(original)
    config["guards"] = {"payments-down": 'up{job="payments-api"} == 0'}
    lab.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    yield
    lab.config_path.write_text(original)


def test_a_synthetic_alert_proves_route_and_delivery_and_says_so(lab: Project) -> None:
    code, drill, out = run(lab, "synthetic.feature", SYNTHETIC)
    assert code == 0 and drill["status"] == "passed", out
    assert drill["notes"] == [
        "synthetic alert: posted straight to Alertmanager, so this drill proves routing and "
        "delivery only; the alerting rule and Prometheus were not exercised"
    ]
    names = [e["name"] for e in drill["events"]]
    assert "fault_verified" in names and "alert_pending" not in names  # Prometheus never saw it
    assert "synthetic alert" in (lab.root / "reports" / "latest" / "scorecard.html").read_text()


def test_a_guard_that_holds_aborts_the_drill_and_reverts_at_once(lab: Project, guard: None) -> None:
    code, drill, out = run(lab, "guarded.feature", GUARDED)
    assert code == 1 and drill["status"] == "error", out
    assert drill["error"].startswith(
        'aborted by guard payments-down: `up{job="payments-api"} == 0` returned 1 series; the fault was reverted'
    )
    names = [e["name"] for e in drill["events"]]
    assert names.index("guard_tripped") < names.index("fault_reverted")
    tripped = next(e for e in drill["events"] if e["name"] == "guard_tripped")
    assert tripped["t_s"] < drill["phases"]["locate"]["budget_s"]  # not at the budget: when the guard held


def test_a_guard_holding_before_the_fault_injects_nothing(lab: Project, guard: None) -> None:
    config = yaml.safe_load(lab.config_path.read_text())
    config["guards"] = {"always": "vector(1)"}
    lab.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    code, drill, _ = run(lab, "marker-guarded.feature", EXPIRING.replace("brief-marker", "marker"))
    assert code == 1 and drill["error"].startswith(
        "guard always: `vector(1)` returned 1 series before the fault; nothing was injected"
    )
    assert not (lab.root / "injected.marker").exists()


def test_preflight_stops_a_drill_whose_budget_outlasts_its_fault(lab: Project) -> None:
    feature = lab.write_feature("expiring.feature", EXPIRING)
    done = alertdrill("run", str(feature), "--config", str(lab.config_path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "budget/above-fault-limit" in done.stdout + done.stderr
    assert not (lab.root / "brief.marker").exists()


def test_the_fault_is_reverted_at_its_maximum_duration_whatever_the_drill_does(lab: Project) -> None:
    # Preflight would stop this drill (its budget outlasts the fault: budget/above-fault-limit); the safety
    # net under test is the one that holds when preflight is off.
    code, drill, out = run(lab, "expiring.feature", EXPIRING, "--no-preflight")
    assert code == 1 and drill["status"] == "error", out
    assert drill["error"].startswith("the fault reached its maximum duration (2.0 s) and was reverted")
    expired = next(e for e in drill["events"] if e["name"] == "fault_max_duration")
    reverted = next(e for e in drill["events"] if e["name"] == "fault_reverted")
    assert 2.0 <= expired["t_s"] <= reverted["t_s"] < 60  # long before the step's 1-minute budget
    assert not (lab.root / "brief.marker").exists()
