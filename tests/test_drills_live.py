"""Drills against the real lab: real Prometheus, Alertmanager, sink and demo services."""

from __future__ import annotations

import json

import pytest

from alertdrill.testing import Project
from tests.conftest import alertdrill

PASSING = "drills/payments.feature"

MISROUTED = '''Feature: a route that rotted
  Scenario: Payments alert expected at storefront
    Given the service "payments-api" is healthy
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "storefront-oncall" within 1 minute
'''

NEVER_FIRES = '''Feature: a fault the rule cannot see
  Scenario: Nothing happens
    When the fault "noop" is injected
    Then the alert "PaymentsApiDown" fires within 3 seconds
'''


def scorecard(project: Project) -> dict:
    return json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())


def run(project: Project, *paths: str) -> tuple[int, dict, str]:
    done = alertdrill("run", *paths, "--config", str(project.config_path))
    return done.returncode, scorecard(project), done.stdout + done.stderr


def event_times(drill: dict) -> dict[str, float]:
    return {e["name"]: e["t_s"] for e in reversed(drill["events"])}


def test_passing_drill_records_every_phase_of_the_alert_path(lab: Project) -> None:
    code, card, out = run(lab, str(lab.root / PASSING))
    assert code == 0, out
    assert card["summary"] == {"drills": 1, "passed": 1, "failed": 0, "errored": 0}
    drill = card["drills"][0]
    assert drill["status"] == "passed" and drill["alert"] == "PaymentsApiDown"
    assert drill["feature"] == "drills/payments.feature"
    times = event_times(drill)
    for name in ("steady_state_ok", "fault_injected", "alert_pending", "alert_received",
                 "notification_delivered", "fault_reverted"):
        assert name in times, f"{name} missing from {list(times)}"
    # causality: injection -> pending -> fired -> delivered -> reverted, on one clock
    assert 0 == times["fault_injected"] < times["alert_pending"] <= drill["phases"]["alert"]["elapsed_s"]
    assert drill["phases"]["alert"]["elapsed_s"] <= times["notification_delivered"] < times["fault_reverted"]
    assert drill["phases"]["notify"]["elapsed_s"] == times["notification_delivered"]
    delivered = next(e for e in drill["events"] if e["name"] == "notification_delivered")
    assert delivered["details"]["receiver"] == "payments-oncall"
    assert delivered["details"]["runbook_url"].endswith("runbooks/payments-api-down.md")
    assert all(c["passed"] for c in drill["checks"])
    assert (lab.root / "reports" / "latest" / "scorecard.md").read_text().count("| passed |") == 1


def test_wrong_receiver_fails_with_expected_and_actual(lab: Project) -> None:
    path = lab.write_feature("misrouted.feature", MISROUTED)
    code, card, out = run(lab, str(path))
    assert code == 1, out
    drill = card["drills"][0]
    assert drill["status"] == "failed"
    check = next(c for c in drill["checks"] if c["name"] == "routed to contact group")
    assert (check["passed"], check["expected"], check["actual"]) == (False, "storefront-oncall", "payments-oncall")
    assert "routed PaymentsApiDown to receiver payments-oncall, not storefront-oncall" in check["message"]
    assert "fix the route" in check["message"]
    assert "misrouted.feature:2: drill 'Payments alert expected at storefront' failed" in out


def test_alert_that_never_fires_fails_at_the_budget_not_later(lab: Project) -> None:
    path = lab.write_feature("never.feature", NEVER_FIRES)
    code, card, out = run(lab, str(path))
    assert code == 1, out
    drill = card["drills"][0]
    assert drill["phases"]["alert"] == {"budget_s": 3.0, "elapsed_s": None, "passed": False}
    check = drill["checks"][0]
    assert check["actual"] == "never pending or firing" and "never saw PaymentsApiDown pending" in check["message"]
    gave_up = event_times(drill)["deadline_missed"]
    assert 3.0 <= gave_up < 3.0 + 1.5, f"stopped waiting {gave_up} s after injection for a 3 s budget"


def test_pytest_and_the_cli_take_the_same_path_to_the_same_scorecard(
        lab: Project, pytester: pytest.Pytester) -> None:
    code, cli_card, out = run(lab, str(lab.root / PASSING))
    assert code == 0, out
    result = pytester.runpytest_subprocess(str(lab.root / PASSING), "--alertdrill-config", str(lab.config_path),
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    pytest_card = scorecard(lab)
    assert pytest_card["run_id"] != cli_card["run_id"]

    def shape(card: dict) -> list:
        return [(d["name"], d["feature"], d["status"], sorted(d["phases"]), [c["name"] for c in d["checks"]],
                 [e["name"] for e in d["events"] if e["name"] != "alert_firing"]) for d in card["drills"]]

    assert shape(pytest_card) == shape(cli_card)
