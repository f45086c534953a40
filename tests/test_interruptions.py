"""A fault that was injected is reverted on every path: SIGTERM, Ctrl-C, and (through the ledger)
even `kill -9`, by `alertdrill cleanup` or by the next run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alertdrill.testing import Project
from tests.conftest import alertdrill

WAITS = '''Feature: a drill that is still waiting when it is stopped
  Scenario: Waiting for an alert
    When the fault "marker" is injected
    Then the alert "PaymentsApiDown" fires within 2 minutes
'''


def start_drill(project: Project) -> tuple[subprocess.Popen[str], Path]:
    feature = project.write_feature("waits.feature", WAITS)
    marker = project.root / "injected.marker"
    proc = subprocess.Popen([sys.executable, "-m", "alertdrill", "run", str(feature), "--config",
                             str(project.config_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while not marker.exists():  # the fault is a file: there is no event to await but its appearance
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the fault was never injected"
        time.sleep(0.02)
    return proc, marker


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_mid_drill_reverts_at_once_and_records_why(lab: Project, sig: signal.Signals) -> None:
    proc, marker = start_drill(lab)
    sent = time.monotonic()
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, out
    assert not marker.exists(), "the fault was left in place"
    assert time.monotonic() - sent < 10, "the revert waited for the budget instead of happening at once"
    card = json.loads((lab.root / "reports" / "latest" / "scorecard.json").read_text())
    drill = card["drills"][0]
    assert drill["status"] == "error" and "interrupted" in drill["error"]
    assert [e["name"] for e in drill["events"]][-1] == "fault_reverted"
    assert not list((lab.root / ".alertdrill" / "ledger").glob("*.json"))


def test_kill_9_leaves_a_ledger_entry_that_cleanup_reverts(lab: Project) -> None:
    proc, marker = start_drill(lab)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert marker.exists()
    entries = list((lab.root / ".alertdrill" / "ledger").glob("*.json"))
    assert len(entries) == 1 and json.loads(entries[0].read_text())["fault"] == "marker"

    done = alertdrill("cleanup", "--config", str(lab.config_path))
    assert done.returncode == 0, done.stderr
    assert "marker (drill 'Waiting for an alert'" in done.stdout and "reverted" in done.stdout
    assert not marker.exists()
    assert not list((lab.root / ".alertdrill" / "ledger").glob("*.json"))
    assert "nothing to clean up" in alertdrill("cleanup", "--config", str(lab.config_path)).stdout


def test_the_next_run_reverts_what_a_killed_run_left(lab: Project) -> None:
    proc, marker = start_drill(lab)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert marker.exists()
    done = alertdrill("run", "--dry-run", "--config", str(lab.config_path))
    assert marker.exists(), "a dry run must not act"
    done = alertdrill("run", str(lab.root / "drills" / "payments.feature"), "--config", str(lab.config_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "left by a killed run: marker (Waiting for an alert): reverted" in done.stdout
    assert not marker.exists()


SLOW = '''Feature: an inject that takes its time
  Scenario: Killed while injecting
    When the fault "slow-inject" is injected
    Then the alert "PaymentsApiDown" fires within 2 minutes
'''


def running_in_group(pgid: int) -> list[int]:
    """Processes of the group that still run (killed ones may linger as zombies until init reaps them)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            found.append(int(stat.parent.name))
    return found


def test_kill_9_during_a_slow_inject_leaves_no_shell_to_re_apply_the_fault(lab: Project) -> None:
    feature = lab.write_feature("slow.feature", SLOW)
    groups = lab.root / ".alertdrill" / "ledger" / "groups"
    proc = subprocess.Popen([sys.executable, "-m", "alertdrill", "run", str(feature), "--config",
                             str(lab.config_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while not list(groups.glob("*.json")):  # the inject shell's group is recorded before it runs
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "the inject shell never started"
            time.sleep(0.02)
        pgid = int(next(groups.glob("*.json")).stem)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        assert running_in_group(pgid)  # the slow inject outlived the harness...
        done = alertdrill("cleanup", "--config", str(lab.config_path))
        assert done.returncode == 0 and "slow-inject" in done.stdout and "reverted" in done.stdout, done.stdout
        assert not running_in_group(pgid)  # ...until cleanup killed its group, before reverting
        assert not (lab.root / "slow.marker").exists() and not list(groups.glob("*.json"))
    finally:
        (lab.root / "drills" / "slow.feature").unlink()
