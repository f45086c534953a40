"""Drills against the real lab: real Prometheus, Alertmanager, sink and demo services."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import yaml

from alertdrill.testing import Project
from tests.conftest import alertdrill

PASSING = "drills/payments.feature"

MISROUTED = """Feature: a route that rotted
  Scenario: Payments alert expected at storefront
    Given the service "payments-api" is healthy
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "storefront-oncall" within 1 minute
"""

NEVER_FIRES = """Feature: a fault the rule cannot see
  Scenario: Nothing happens
    When the fault "noop" is injected
    Then the alert "PaymentsApiDown" fires within 3 seconds
"""


def scorecard(project: Project) -> dict[str, Any]:
    card: dict[str, Any] = json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())
    return card


def run(project: Project, *paths: str) -> tuple[int, dict[str, Any], str]:
    done = alertdrill("run", *paths, "--config", str(project.config_path))
    return done.returncode, scorecard(project), done.stdout + done.stderr


def run_without_preflight(project: Project, *paths: str) -> tuple[int, dict[str, Any], str]:
    """Skip the static checks, to prove the live check on its own (files and deployed config may differ)."""
    done = alertdrill("run", *paths, "--config", str(project.config_path), "--no-preflight")
    return done.returncode, scorecard(project), done.stdout + done.stderr


def event_times(drill: dict[str, Any]) -> dict[str, float]:
    return {e["name"]: e["t_s"] for e in reversed(drill["events"])}


STUBBORN = """Feature: a revert that fails
  Scenario: The fault will not go
    When the fault "stubborn" is injected
    Then the alert "PaymentsApiDown" fires within 5 seconds
"""


def test_a_failed_revert_is_never_exit_0_and_cleanup_reverts_it_later(lab: Project) -> None:
    code, card, out = run(lab, str(lab.write_feature("stubborn.feature", STUBBORN)))
    assert code == 1, out
    drill = card["drills"][0]
    assert drill["status"] == "error" and "revert failed" in drill["error"], drill["error"]
    assert (lab.root / "stubborn.marker").exists()
    (lab.root / "allow-revert.marker").touch()
    try:
        done = alertdrill("cleanup", "--config", str(lab.config_path))
        assert done.returncode == 0 and "stubborn" in done.stdout and "reverted" in done.stdout, done.stdout
        assert not (lab.root / "stubborn.marker").exists()
    finally:
        (lab.root / "allow-revert.marker").unlink()
        (lab.root / "drills" / "stubborn.feature").unlink()


def test_passing_drill_records_every_phase_of_the_alert_path(lab: Project) -> None:
    code, card, out = run(lab, str(lab.root / PASSING))
    assert code == 0, out
    # `alertdrill run` is not pytest: none of its lines are pytest's.
    assert not [
        line for line in out.splitlines() if "[100%]" in line or line.startswith("====") or " passed in " in line
    ], out
    assert card["summary"] == {"drills": 1, "passed": 1, "failed": 0, "errored": 0}
    drill = card["drills"][0]
    assert drill["status"] == "passed" and drill["alert"] == "PaymentsApiDown"
    assert drill["feature"] == "drills/payments.feature"
    times = event_times(drill)
    for name in (
        "steady_state_ok",
        "alertmanager_group_fresh",
        "fault_injected",
        "alert_pending",
        "alert_received",
        "notification_delivered",
        "fault_located",
        "service_recovered",
        "fault_reverted",
    ):
        assert name in times, f"{name} missing from {list(times)}"
    # causality: injection -> pending -> fired -> delivered -> reverted, on one clock
    assert 0 == times["fault_injected"] < times["alert_pending"] <= drill["phases"]["alert"]["elapsed_s"]
    assert drill["phases"]["alert"]["elapsed_s"] <= times["notification_delivered"] < times["fault_reverted"]
    assert drill["phases"]["notify"]["elapsed_s"] == times["notification_delivered"]
    assert drill["phases"]["notify"]["elapsed_s"] <= drill["phases"]["locate"]["elapsed_s"]
    assert drill["phases"]["locate"]["elapsed_s"] <= drill["phases"]["recover"]["elapsed_s"] < times["fault_reverted"]
    assert sorted(drill["phases"]) == ["alert", "locate", "notify", "recover"]
    delivered = next(e for e in drill["events"] if e["name"] == "notification_delivered")
    assert delivered["details"]["receiver"] == "payments-oncall"
    assert delivered["details"]["runbook_url"].endswith("runbooks/payments-api-down.md")
    assert json.loads(delivered["details"]["annotations"])["summary"].startswith("payments-api is down (127.0.0.1:")
    assert all(c["passed"] for c in drill["checks"])
    assert (lab.root / "reports" / "latest" / "scorecard.md").read_text().count("| passed |") == 1
    # every runbook step's result is kept: the Diagnose query's size, the Remediate command's exit and output
    (diagnose, remediate) = drill["runbook_steps"]
    assert (diagnose["phase"], diagnose["runbook"], diagnose["line"], diagnose["ok"]) == (
        "locate",
        "runbooks/payments-api-down.md",
        11,
        True,
    )
    assert diagnose["result"] == "1 series" and diagnose["attempts"] >= 1
    assert (remediate["phase"], remediate["language"], remediate["ok"]) == ("recover", "sh", True)
    assert "exit 0: payments-api: running (pid " in remediate["result"]
    # the resolved notification's arrival is on the timeline, and the check says when it came
    resolved = [
        e for e in drill["events"] if e["name"] == "notification_delivered" and e["details"]["status"] == "resolved"
    ]
    assert resolved and resolved[0]["t_s"] < times["fault_reverted"]
    recovered = next(c for c in drill["checks"] if c["name"] == "service recovers")
    assert recovered["actual"].startswith("healthy, alert resolved; resolved notification after ")


def test_preflight_stops_a_misrouted_drill_before_injection(lab: Project) -> None:
    path = lab.write_feature("misrouted-marker.feature", MISROUTED.replace('"payments-api-down"', '"marker"'))
    code, card, out = run(lab, str(path))
    assert code == 2, out  # every drill stopped: a configuration error, nothing injected
    drill = card["drills"][0]
    assert drill["status"] == "error" and not (lab.root / "injected.marker").exists()
    assert "fault_injected" not in [e["name"] for e in drill["events"]]
    assert drill["error"].startswith(
        "preflight found 1 problem, nothing was injected: "
        "drills/misrouted-marker.feature:6: error drills/wrong-route: "
        "PaymentsApiDown (alertname=PaymentsApiDown, "
        "severity=page, team=payments) is routed to payments-oncall, not to "
        "storefront-oncall (contact group storefront-oncall)"
    )


def test_wrong_receiver_fails_with_expected_and_actual(lab: Project) -> None:
    path = lab.write_feature("misrouted.feature", MISROUTED)
    code, card, out = run_without_preflight(lab, str(path))
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
    assert drill["phases"]["alert"] == {"budget_s": 3.0, "elapsed_s": None, "passed": False, "ran": True}
    check = drill["checks"][0]
    assert check["actual"] == "never pending or firing" and "never saw PaymentsApiDown pending" in check["message"]
    gave_up = event_times(drill)["deadline_missed"]
    assert 3.0 <= gave_up < 3.0 + 1.5, f"stopped waiting {gave_up} s after injection for a 3 s budget"


def test_pytest_and_the_cli_take_the_same_path_to_the_same_scorecard(lab: Project, pytester: pytest.Pytester) -> None:
    code, cli_card, out = run(lab, str(lab.root / PASSING))
    assert code == 0, out
    result = pytester.runpytest_subprocess(
        str(lab.root / PASSING), "--alertdrill-config", str(lab.config_path), "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
    assert not [line for line in result.outlines if "[100%]" in line]  # the drill's own lines say more
    pytest_card = scorecard(lab)
    assert pytest_card["run_id"] != cli_card["run_id"]

    def shape(card: dict[str, Any]) -> list[tuple[Any, Any, Any, list[Any], list[Any], list[str]]]:
        """What must not differ. Left out: the Prometheus poll that saw `firing` (it races Alertmanager's
        report of the same moment) and the resolution tail, whose order against recovery is a race."""

        def path(names: list[str]) -> list[str]:
            names = [n for n in names if n != "alert_firing"]
            return names[: names.index("fault_located") + 1] + names[-1:]

        return [
            (
                d["name"],
                d["feature"],
                d["status"],
                sorted(d["phases"]),
                [c["name"] for c in d["checks"]],
                path([e["name"] for e in d["events"]]),
            )
            for d in card["drills"]
        ]

    assert shape(pytest_card) == shape(cli_card)


def test_the_same_drill_twice_gets_a_fresh_alertmanager_group_each_time(lab: Project) -> None:
    groups = []
    for _ in range(2):
        code, card, out = run(lab, str(lab.root / PASSING))
        assert code == 0, out
        events = card["drills"][0]["events"]
        fresh = next(e for e in events if e["name"] == "alertmanager_group_fresh")
        delivered = next(e for e in events if e["name"] == "notification_delivered")
        assert fresh["t_s"] < 0, "the group is made fresh before the fault"
        run_label = fresh["details"].get("drill_run", "")
        assert f'drill_run="{run_label}"' in delivered["details"]["group_key"] or not run_label
        groups.append(delivered["details"]["group_key"])
    assert groups[0] != groups[1], "the second drill landed in the first drill's (hot) group"


STEADY = """Feature: steady state first
  Scenario: A service that is not healthy
    Given the service "ghost-api" is healthy
    When the fault "marker" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
"""


def test_unhealthy_steady_state_is_an_error_and_injects_nothing(lab: Project) -> None:
    raw = yaml.safe_load(lab.config_path.read_text())
    raw["services"]["ghost-api"] = {"healthy": 'up{job="ghost-api"} == 1'}
    raw["steady_timeout"] = 1
    config = lab.root / "alertdrill-ghost.yml"
    config.write_text(yaml.safe_dump(raw))
    feature = lab.write_feature("ghost.feature", STEADY)
    done = alertdrill("run", str(feature), "--config", str(config))
    assert done.returncode == 1, done.stdout + done.stderr
    drill = scorecard(lab)["drills"][0]
    assert drill["status"] == "error"
    assert "steady state not met: ghost-api's healthy expression returned nothing" in drill["error"]
    assert "nothing was injected" in drill["error"]
    assert "fault_injected" not in [e["name"] for e in drill["events"]]
    assert not (lab.root / "injected.marker").exists()


SILENCED = """Feature: a silence left behind
  Scenario: Silenced payments alert
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" within 6 seconds
"""


def test_a_silenced_alert_fails_and_names_the_silence(lab: Project) -> None:
    alertmanager = lab.settings().alertmanager
    now = datetime.now(UTC)
    silence = requests.post(
        f"{alertmanager}/api/v2/silences",
        timeout=5,
        json={
            "matchers": [{"name": "alertname", "value": "PaymentsApiDown", "isRegex": False, "isEqual": True}],
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(minutes=5)).isoformat(),
            "createdBy": "alertdrill tests",
            "comment": "left behind after maintenance",
        },
    ).json()["silenceID"]
    try:
        code, card, out = run(lab, str(lab.write_feature("silenced.feature", SILENCED)))
    finally:
        requests.delete(f"{alertmanager}/api/v2/silence/{silence}", timeout=5)
    assert code == 1, out
    check = next(c for c in card["drills"][0]["checks"] if c["name"] == "routed to contact group")
    assert check["actual"] == "suppressed"
    assert f"silenced by {silence}" in check["message"] and "remove the silence" in check["message"]
