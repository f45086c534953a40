"""An observer that loses its server mid-drill makes the drill an error (never passed, never a
plain verdict): the scorecard says which system stopped answering. Runs its own lab, since it
kills that lab's Alertmanager."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from alertdrill import processes
from alertdrill.testing import lab_project
from tests.conftest import REPO, harness_steps

DRILL = """Feature: Alertmanager dies during the drill
  Scenario: Payments alert with nobody to route it
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" within 1 minute
"""


BUDGET_S = 60  # each expectation of DRILL has 1 minute


def test_alertmanager_dying_mid_drill_is_an_error_and_the_fault_is_reverted(tmp_path: Path) -> None:
    with lab_project(REPO, tmp_path / "lab") as project:
        settings = project.settings()
        # A silence keeps the notification from being sent, whenever Alertmanager gets the alert: the
        # drill then waits on Alertmanager at the moment it dies, not on a race with its delivery.
        now = datetime.now(UTC)
        requests.post(
            f"{settings.alertmanager}/api/v2/silences",
            timeout=5,
            json={
                "matchers": [{"name": "alertname", "value": "PaymentsApiDown", "isRegex": False, "isEqual": True}],
                "startsAt": now.isoformat(),
                "endsAt": (now + timedelta(minutes=10)).isoformat(),
                "createdBy": "alertdrill tests",
                "comment": "no delivery: the drill must wait",
            },
        ).raise_for_status()
        feature = project.write_feature("outage.feature", DRILL)
        run = subprocess.Popen(
            [sys.executable, "-m", "alertdrill", "run", str(feature), "--config", str(project.config_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            assert run.stdout is not None
            seen = []
            for line in run.stdout:  # the live progress says when Prometheus has seen the alert fire
                seen.append(line)
                if "alert_firing" in line:
                    break
            assert seen and "alert_firing" in seen[-1], "".join(seen)
            pid = processes.read_pid(settings.require_lab().dir / "run" / "alertmanager.pid")
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            out = run.communicate(timeout=BUDGET_S / 2)[0]  # one that waited out its budget would time out
        finally:
            if run.poll() is None:
                run.kill()
                run.communicate(timeout=30)
        assert run.returncode == 1, out
        drill = json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())["drills"][0]
        assert drill["status"] == "error"
        assert "observers could not watch the drill (alertmanager:" in drill["error"]
        assert drill["phases"]["alert"]["passed"]  # Prometheus saw it fire
        assert harness_steps(drill["events"])[-1] == "fault_reverted"
