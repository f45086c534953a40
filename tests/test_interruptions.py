"""A fault that was injected is reverted on every path: SIGTERM, Ctrl-C, and (through the ledger)
even `kill -9`, by `alertdrill cleanup` or by the next run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from alertdrill.polling import poll_until
from alertdrill.testing import Project
from tests.conftest import alertdrill, harness_steps

WAITS = """Feature: a drill that is still waiting when it is stopped
  Scenario: Waiting for an alert
    When the fault "marker" is injected
    Then the alert "PaymentsApiDown" fires within 2 minutes
"""


BUDGET_S = 120  # the drill's only budget: a run that waited for it would take this long


@pytest.fixture
def start_drill(lab: Project) -> Iterator[Callable[[], tuple[subprocess.Popen[str], Path]]]:
    """Starts the waiting drill and returns once its fault is in place; kills what is left at the end."""
    started: list[subprocess.Popen[str]] = []

    def start() -> tuple[subprocess.Popen[str], Path]:
        feature = lab.write_feature("waits.feature", WAITS)
        marker = lab.root / "injected.marker"
        # SIGINT as a terminal's Ctrl-C finds it: a test run started in the background (nohup, `&` in a
        # script) passes SIGINT on ignored, and Python then installs no KeyboardInterrupt handler.
        proc = subprocess.Popen(
            [sys.executable, "-m", "alertdrill", "run", str(feature), "--config", str(lab.config_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        started.append(proc)

        def injected() -> bool:  # the fault is a file: there is no event to await but its appearance
            assert proc.poll() is None, proc.communicate()[0]
            return marker.exists()

        assert poll_until(injected, 30, 0.02), "the fault was never injected"
        return proc, marker

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
    alertdrill("cleanup", "--config", str(lab.config_path))  # a fault a failed test left behind


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_mid_drill_reverts_at_once_and_records_why(
    lab: Project, start_drill: Callable[[], tuple[subprocess.Popen[str], Path]], sig: signal.Signals
) -> None:
    proc, marker = start_drill()
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=BUDGET_S / 2)  # a run that waited for its budget would time out here
    assert proc.returncode == 130, out
    assert not marker.exists(), "the fault was left in place"
    card = json.loads((lab.root / "reports" / "latest" / "scorecard.json").read_text())
    drill = card["drills"][0]
    assert drill["status"] == "error" and "interrupted" in drill["error"]
    assert harness_steps(drill["events"])[-1] == "fault_reverted"
    assert not list((lab.root / ".alertdrill" / "ledger").glob("*.json"))


def test_kill_9_leaves_a_ledger_entry_that_cleanup_reverts(
    lab: Project, start_drill: Callable[[], tuple[subprocess.Popen[str], Path]]
) -> None:
    proc, marker = start_drill()
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


def test_the_next_run_reverts_what_a_killed_run_left(
    lab: Project, start_drill: Callable[[], tuple[subprocess.Popen[str], Path]]
) -> None:
    proc, marker = start_drill()
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert marker.exists()
    done = alertdrill("run", "--dry-run", "--config", str(lab.config_path))
    assert marker.exists(), "a dry run must not act"
    done = alertdrill("run", str(lab.root / "drills" / "payments.feature"), "--config", str(lab.config_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "left by a killed run: marker (Waiting for an alert): reverted" in done.stdout
    assert not marker.exists()


SLOW = """Feature: an inject that takes its time
  Scenario: Killed while injecting
    When the fault "slow-inject" is injected
    Then the alert "PaymentsApiDown" fires within 2 minutes
"""


def sleeping_in_group(pgid: int) -> bool:
    """A process of the group runs `sleep` (the slow revert waits in one; the inject shell never does)."""
    for pid in running_in_group(pgid):
        try:
            if b"sleep" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


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
    proc = subprocess.Popen(
        [sys.executable, "-m", "alertdrill", "run", str(feature), "--config", str(lab.config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def recorded() -> bool:  # the inject shell's group is recorded before its command runs
            assert proc.poll() is None, proc.communicate()[0]
            return bool(list(groups.glob("*.json")))

        assert poll_until(recorded, 30, 0.02), "the inject shell never started"
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


SLOW_REVERT = """Feature: a revert that takes its time
  Scenario: Killed while reverting
    When the fault "slow-revert" is injected
    Then the alert "PaymentsApiDown" fires within 5 seconds
"""


def test_kill_9_during_a_slow_revert_is_finished_by_cleanup(lab: Project) -> None:
    feature = lab.write_feature("slow_revert.feature", SLOW_REVERT)
    groups, marker = lab.root / ".alertdrill" / "ledger" / "groups", lab.root / "slow-revert.marker"
    argv = [sys.executable, "-m", "alertdrill", "run", str(feature), "--config", str(lab.config_path)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:

        def reverting() -> list[int]:  # injected (the marker), the drill failed, the revert shell runs
            assert proc.poll() is None, proc.communicate()[0]
            # the inject shell's group is recorded too, for a moment after the marker appears: only a
            # recorded group that still runs is the (slow) revert's
            running = [int(g.stem) for g in groups.glob("*.json") if sleeping_in_group(int(g.stem))]
            return running if marker.exists() else []

        assert poll_until(lambda: bool(reverting()), 60, 0.02), "the revert never started"
        pgid = reverting()[0]
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        assert marker.exists() and running_in_group(pgid)  # killed mid-revert: the fault is still there
        (lab.root / "revert-now.flag").touch()
        done = alertdrill("cleanup", "--config", str(lab.config_path))
        assert done.returncode == 0 and "slow-revert" in done.stdout and "reverted" in done.stdout, done.stdout
        assert not running_in_group(pgid) and not marker.exists()
        assert not list((lab.root / ".alertdrill" / "ledger").glob("*.json"))
    finally:
        (lab.root / "revert-now.flag").unlink(missing_ok=True)
        feature.unlink()
