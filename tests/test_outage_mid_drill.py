"""An observer that loses its server mid-drill makes the drill an error (never passed, never a
plain verdict): the scorecard says which system stopped answering. Runs its own lab, since it
kills that lab's Alertmanager."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from alertdrill import processes
from alertdrill.testing import lab_project
from tests.conftest import REPO

DRILL = '''Feature: Alertmanager dies during the drill
  Scenario: Payments alert with nobody to route it
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" within 1 minute
'''


def test_alertmanager_dying_mid_drill_is_an_error_and_the_fault_is_reverted(tmp_path: Path) -> None:
    with lab_project(REPO, tmp_path / "lab") as project:
        feature = project.write_feature("outage.feature", DRILL)
        run = subprocess.Popen([sys.executable, "-m", "alertdrill", "run", str(feature), "--config",
                                str(project.config_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
        assert run.stdout is not None
        for line in run.stdout:  # the live progress says when the fault is in place
            if "injecting payments-api-down" in line:
                break
        pid = processes.read_pid(project.settings().require_lab().dir / "run" / "alertmanager.pid")
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        started = time.monotonic()
        out = run.communicate(timeout=120)[0]
        assert run.returncode == 1, out
        assert time.monotonic() - started < 30, "the drill waited out its budget instead of stopping at the outage"
        drill = json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())["drills"][0]
        assert drill["status"] == "error"
        assert "observers could not watch the drill (alertmanager:" in drill["error"]
        assert drill["phases"]["alert"]["passed"]  # Prometheus still saw it fire
        assert [e["name"] for e in drill["events"]][-1] == "fault_reverted"
