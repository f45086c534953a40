"""The kill switch, against the real lab: a responder ends a drill through the link (served by the
sink) or `alertdrill abort`; the fault is reverted at once and the scorecard says who and when.
A surprise drill is not called a drill until acknowledged, then it is announced as one."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests

from alertdrill.config import Settings
from alertdrill.observe.clients import SinkClient
from alertdrill.polling import poll_until
from alertdrill.testing import Project
from tests.conftest import alertdrill
from tests.test_human_drills_live import MANUAL, PAGE_PATH, people  # noqa: F401  (fixture)

LONG = """Feature: long
  Scenario: A drill a responder stops
    When the fault "marker" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" within 1 minute
"""


BUDGET_S = 60  # each step of LONG has 1 minute


class Drill:
    """`alertdrill run` in a child process, its output read line by line without blocking the test."""

    started: ClassVar[list[Drill]] = []

    def __init__(self, lab: Project, feature: Path, env: dict[str, str] | None = None) -> None:
        Drill.started.append(self)
        self.lab = lab
        self.lines: queue.Queue[str] = queue.Queue()
        self.child = subprocess.Popen(
            [sys.executable, "-m", "alertdrill", "run", str(feature), "--config", str(lab.config_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.child.stdout is not None
        for line in self.child.stdout:
            self.output.append(line)
            self.lines.put(line)

    def await_line(self, pattern: str, timeout_s: float = 60) -> re.Match[str]:
        found: list[re.Match[str]] = []

        def seen() -> bool:
            while not self.lines.empty():
                if match := re.search(pattern, self.lines.get_nowait()):
                    found.append(match)
            return bool(found)

        assert poll_until(seen, timeout_s, 0.05), f"no line matching {pattern!r} in:\n{''.join(self.output)}"
        return found[0]

    def result(self) -> dict[str, Any]:
        self.child.wait(timeout=120)
        card = json.loads((self.lab.root / "reports" / "latest" / "scorecard.json").read_text())
        result: dict[str, Any] = card["drills"][0]
        return result


@pytest.fixture(autouse=True)
def no_drill_left_running(lab: Project) -> Iterator[None]:
    """A test that fails half-way leaves no drill (and so no fault) running in the shared lab."""
    yield
    while Drill.started:
        drill = Drill.started.pop()
        if drill.child.poll() is None:
            drill.child.kill()
            drill.child.wait(timeout=30)
            alertdrill("cleanup", "--config", str(lab.config_path))


@pytest.fixture
def long_drill(lab: Project) -> Iterator[Path]:
    path = lab.write_feature("stop-me.feature", LONG)
    yield path
    path.unlink()


def names(result: dict[str, Any]) -> list[str]:
    return [e["name"] for e in result["events"]]


def test_the_kill_switch_link_ends_the_drill_and_reverts_at_once(lab: Project, long_drill: Path) -> None:
    drill = Drill(lab, long_drill)
    link = drill.await_line(r"kill switch: (http://\S+/abort/\S+)").group(1)
    assert (lab.root / "injected.marker").exists()
    page = requests.get(f"{link}?by=alice", timeout=5)
    assert page.status_code == 200 and "alice" in page.text
    result = drill.result()
    assert drill.child.returncode == 1 and not (lab.root / "injected.marker").exists()
    assert result["status"] == "error" and "kill switch, pulled by alice" in result["error"]
    assert result["aborted"]["reason"] == "kill switch" and result["aborted"]["by"] == "alice"
    assert result["aborted"]["via"] == "link" and result["aborted"]["at"].endswith("Z")
    order = names(result)
    assert order.index("kill_switch_pulled") < order.index("fault_reverted")
    assert result["duration_s"] < BUDGET_S  # it did not sit out its budget


def test_alertdrill_abort_pulls_the_kill_switch_from_the_command_line(lab: Project, long_drill: Path) -> None:
    drill = Drill(lab, long_drill)
    drill.await_line(r"kill switch:")
    aborted = alertdrill("abort", "--by", "bob", "--config", str(lab.config_path))
    assert aborted.returncode == 0 and "every aborted drill has reverted its fault" in aborted.stdout, aborted
    result = drill.result()
    assert not (lab.root / "injected.marker").exists()
    assert result["aborted"]["by"] == "bob" and result["aborted"]["via"] == "command"
    nothing = alertdrill("abort", "--config", str(lab.config_path))
    assert nothing.returncode == 0 and "no drill is running" in nothing.stdout


def pages(sink: SinkClient, after: int, count: int, timeout_s: float = 60) -> tuple[list[str], int]:
    """The next `count` messages the harness sent to payments on-call (long-polled, bounded)."""
    got: list[str] = []

    def more() -> bool:
        nonlocal after
        arrivals, after = sink.events(after, 2.0)
        got.extend(a["payload"]["message"] for a in arrivals if a["path"] == PAGE_PATH)
        return len(got) >= count

    assert poll_until(more, timeout_s, 0.0), got
    return got, after


def test_a_surprise_drill_is_announced_only_after_acknowledgement(lab: Project, people: Settings) -> None:  # noqa: F811
    sink = SinkClient(people.sink_url)
    _, after = sink.events(0, 0)
    feature = lab.write_feature(
        "surprise.feature", MANUAL.format(locate="1 minute", recover="2 minutes").replace("@manual\n", "")
    )
    try:
        drill = Drill(lab, feature, env={"ALERTDRILL_SURPRISE": "1"})
        [request], after = pages(sink, after, 1)
        assert "drill" not in request.lower()  # the responders must treat it as real
        ack = re.search(r"(http://\S+/ack/\S+)", request)
        assert ack is not None
        requests.get(f"{ack.group(1)}?by=carol", timeout=5)
        [announcement], after = pages(sink, after, 1)
        assert "SURPRISE DRILL" in announcement and "not a real outage" in announcement
        kill = re.search(r"(http://\S+/abort/\S+)", announcement)
        assert kill is not None
        # The page can reach the sink (and this test) before the drill, back from sending it, records
        # drill_announced: pull the kill switch once it has, or the two events race by a millisecond.
        drill.await_line(r"announced as a drill")
        requests.get(f"{kill.group(1)}?by=carol", timeout=5)
        result = drill.result()
    finally:
        feature.unlink()
    assert result["surprise"] and result["manual"]
    assert result["phases"]["locate"]["passed"]
    assert result["aborted"]["by"] == "carol" and result["status"] == "error"
    order = names(result)
    assert order.index("acknowledged") < order.index("drill_announced") < order.index("kill_switch_pulled")
    assert alertdrill("lab", "service", "start", "payments-api", "--config", str(lab.config_path)).returncode == 0
