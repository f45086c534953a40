"""`alertdrill run --parallel auto` on the real lab: the example suite's three drills (three services)
run at the same time in one process, all pass, and the scorecard lists them in the plan's order."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
from datetime import datetime
from typing import Any

import pytest

from alertdrill.polling import poll_until
from alertdrill.testing import Project
from tests.conftest import alertdrill
from tests.test_drills_live import run

PLAN_ORDER = [
    "Killing the ledger API pages payments only; its traffic alert is inhibited",
    "Killing the payments API pages payments on-call",
    "Checkout answering errors pages storefront on-call",
    "A hung inventory API pages storefront on-call",
]


def window(drill: dict[str, Any]) -> tuple[float, float]:
    """From the injection to the drill's last event, in epoch seconds."""
    times = {e["name"]: datetime.fromisoformat(e["at"].replace("Z", "+00:00")).timestamp() for e in drill["events"]}
    return times["fault_injected"], max(times.values())


def test_the_example_suite_runs_at_once_and_passes(lab: Project) -> None:
    code, card, output = run(lab, "drills/", "--parallel", "auto")
    assert code == 0, output
    assert [d["name"] for d in card["drills"]] == PLAN_ORDER
    assert [d["status"] for d in card["drills"]] == ["passed"] * 4, output
    # the ledger drill says no other alert fires: it runs alone; the other three run at once
    windows = sorted(window(d) for d in card["drills"][1:])
    ledger = window(card["drills"][0])
    assert all(ledger[1] <= w[0] or w[1] <= ledger[0] for w in windows), (ledger, windows)
    overlapping = [a for a, b in itertools.pairwise(windows) if b[0] < a[1]]
    assert overlapping, f"the drills ran one after another: {windows}"
    assert "[2/4] drill: Killing the payments API" in output and "-- [4/4] A hung inventory" in output
    assert "Traceback" not in output


TWO_WAITING = """Feature: two drills still waiting when the run is stopped
  Scenario: Waiting for the payments alert
    When the fault "marker" is injected
    Then the alert "PaymentsApiDown" fires within 2 minutes

  Scenario: Waiting for the checkout alert
    When the fault "marker-2" is injected
    Then the alert "CheckoutApiErrors" fires within 2 minutes
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_reverts_every_drill_in_flight(lab: Project, sig: signal.Signals) -> None:
    feature = lab.write_feature("two-waiting.feature", TWO_WAITING)
    markers = [lab.root / "injected.marker", lab.root / "injected-2.marker"]
    command = [sys.executable, "-m", "alertdrill", "run", str(feature), "--config", str(lab.config_path)]
    proc = subprocess.Popen(
        [*command, "--parallel", "auto"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal's Ctrl-C finds it
    )
    try:

        def both_injected() -> bool:  # the faults are files: nothing to await but their appearance
            assert proc.poll() is None, proc.communicate()[0]
            return all(m.exists() for m in markers)

        assert poll_until(both_injected, 60, 0.02), "the faults were never injected together"
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=60)  # a run that waited for the budgets (2 minutes) times out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
            alertdrill("cleanup", "--config", str(lab.config_path))
    assert proc.returncode == 130, out
    assert not any(m.exists() for m in markers), out
    assert not list((lab.root / ".alertdrill" / "ledger").glob("*.json"))
    card = json.loads((lab.root / "reports" / "latest" / "scorecard.json").read_text())
    assert [d["status"] for d in card["drills"]] == ["error", "error"]
    assert all(d["error"].startswith("interrupted") for d in card["drills"]), [d["error"] for d in card["drills"]]
