"""`alertdrill run --parallel auto` on the real lab: the example suite's three drills (three services)
run at the same time in one process, all pass, and the scorecard lists them in the plan's order."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from alertdrill.testing import Project
from tests.test_drills_live import run

PLAN_ORDER = [
    "Killing the payments API pages payments on-call",
    "Checkout answering errors pages storefront on-call",
    "A hung inventory API pages storefront on-call",
]


def window(drill: dict[str, Any]) -> tuple[float, float]:
    """From the injection to the drill's last event, in epoch seconds."""
    times = {e["name"]: datetime.fromisoformat(e["at"].replace("Z", "+00:00")).timestamp() for e in drill["events"]}
    return times["fault_injected"], max(times.values())


def test_the_example_suite_runs_at_once_and_passes(lab: Project) -> None:
    code, card, output = run(lab, "drills/payments.feature", "drills/storefront.feature", "--parallel", "auto")
    assert code == 0, output
    assert [d["name"] for d in card["drills"]] == PLAN_ORDER
    assert [d["status"] for d in card["drills"]] == ["passed"] * 3, output
    windows = sorted(window(d) for d in card["drills"])
    overlapping = [a for a, b in itertools.pairwise(windows) if b[0] < a[1]]
    assert overlapping, f"the drills ran one after another: {windows}"
    assert "[1/3] drill: Killing the payments API" in output and "-- [3/3] A hung inventory" in output
    assert "Traceback" not in output
