"""`alertdrill run`'s live output against the real lab: every event once, in time order, each delivery
with its channel, and not a line of pytest's."""

from __future__ import annotations

import re

from alertdrill.testing import Project
from tests.conftest import alertdrill
from tests.test_cli_output import without_reader
from tests.test_drills_live import scorecard

EVENT = re.compile(r"^ +([+-]\d+\.\d\d)s (\w+)(?: \((.*)\))?$")


def test_live_output_is_in_time_order_once_each_with_channels_and_no_pytest_noise(lab: Project) -> None:
    done = alertdrill("run", str(lab.root / "drills/payments.feature"), "--config", str(lab.config_path))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    events = [(float(m[1]), m[2], m[3] or "") for line in lines if (m := EVENT.match(line))]
    assert [t for t, *_ in events] == sorted(t for t, *_ in events), done.stdout
    assert len(events) == len(set(events)), done.stdout
    deliveries = [facts for _, name, facts in events if name == "notification_delivered"]
    assert deliveries and all(re.fullmatch(r"payments-oncall, (webhook|email)(, resolved)?", f) for f in deliveries)
    assert "reported late" not in done.stdout
    assert not [line for line in lines if "[100%]" in line or line.startswith(("====", "collected", "PASSED ["))]
    assert "\r" not in done.stdout  # not a terminal: no status line, plain lines only


NEVER_FIRES = """Feature: output nobody reads
  Scenario: A drill whose reader went away
    When the fault "noop" is injected
    Then the alert "PaymentsApiDown" fires within 2 seconds
"""


def test_a_run_whose_reader_went_away_still_ends_with_its_verdict(lab: Project) -> None:
    """`alertdrill run | head`: the drill is not cut short by the closed pipe, its exit status stands."""
    feature = lab.write_feature("unread.feature", NEVER_FIRES)
    try:
        done = without_reader("run", str(feature), "--config", str(lab.config_path))
    finally:
        feature.unlink()
    assert done.returncode == 1 and done.stderr == "", done.stderr
    drill = scorecard(lab)["drills"][0]
    assert drill["name"] == "A drill whose reader went away" and drill["status"] == "failed", drill
