"""Drills for people (`@manual`) against the real lab. The test plays the person: it reads the page
the harness sent to the contact group's Apprise URL, opens the acknowledgement link or makes a
silence in the real Alertmanager, and restarts the service itself."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from alertdrill.config import Settings
from alertdrill.observe.clients import SinkClient
from alertdrill.testing import Project
from tests.conftest import alertdrill, harness_steps

MANUAL = """@manual
Feature: people are paged
  Scenario: Payments on-call acknowledges and recovers
    Given the service "payments-api" is healthy
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" within 1 minute
    And the runbook locates the fault within {locate}
    And the service recovers within {recover}
"""
PAGE_PATH = "/people/payments-oncall/secret-token-4711"  # the path of a generic webhook is treated as secret


@pytest.fixture
def people(lab: Project) -> Iterator[Settings]:
    """Payments on-call gets pages on the sink through Apprise's json:// scheme (restored afterwards)."""
    path = lab.root / "notifiers" / "contact-groups.yml"
    original = path.read_text()
    groups = yaml.safe_load(original)
    settings = lab.settings()
    groups["payments-oncall"]["notify"] = [f"json://{settings.sink_listen}{PAGE_PATH}"]
    path.write_text(yaml.safe_dump(groups))
    yield settings
    path.write_text(original)


STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def no_drill_left_running(lab: Project) -> Iterator[None]:
    """A test that fails half-way leaves no drill (and so no fault) running in the shared lab."""
    yield
    while STARTED:
        drill = STARTED.pop()
        if drill.poll() is None:
            drill.kill()
            drill.communicate(timeout=30)
            alertdrill("cleanup", "--config", str(lab.config_path))


def start_drill(lab: Project, locate: str, recover: str) -> subprocess.Popen[str]:
    feature = lab.write_feature("manual.feature", MANUAL.format(locate=locate, recover=recover))
    STARTED.append(
        subprocess.Popen(
            [sys.executable, "-m", "alertdrill", "run", str(feature), "--config", str(lab.config_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    )
    return STARTED[-1]


def receive_page(sink: SinkClient, after: int, timeout_s: float = 60) -> str:
    """The acknowledgement link in the page the harness sent (long-polled, bounded)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        arrivals, after = sink.events(after, min(5.0, deadline - time.monotonic()))
        for arrival in arrivals:
            if arrival["path"] == PAGE_PATH:
                found = re.search(r"(http://\S+/ack/\S+)", arrival["payload"]["message"])
                assert found, arrival
                return found.group(1)
    raise AssertionError("no page reached payments on-call")


def finish(drill: subprocess.Popen[str], lab: Project) -> tuple[dict[str, Any], str]:
    out, _ = drill.communicate(timeout=120)
    card = json.loads((lab.root / "reports" / "latest" / "scorecard.json").read_text())
    assert drill.returncode == (0 if card["drills"][0]["status"] == "passed" else 1), out
    return card["drills"][0], out


def events(result: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [e for e in result["events"] if e["name"] == name]


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def heal(lab: Project) -> None:
    done = alertdrill("lab", "service", "start", "payments-api", "--config", str(lab.config_path))
    assert done.returncode == 0, done.stderr


def test_acknowledgement_through_the_link_is_timed_and_people_recover(lab: Project, people: Settings) -> None:
    sink = SinkClient(people.sink_url)
    _, seen = sink.events(0, 0)
    drill = start_drill(lab, locate="1 minute", recover="2 minutes")
    link = receive_page(sink, seen)
    before = time.time()
    answer = requests.get(link, params={"by": "alice"}, timeout=5)
    after = time.time()
    assert answer.status_code == 200 and "Acknowledged by alice" in answer.text
    heal(lab)
    result, out = finish(drill, lab)

    assert result["status"] == "passed" and result["manual"] is True, out
    ack = events(result, "acknowledged")[0]
    assert ack["details"]["via"] == "link" and ack["details"]["by"] == "alice"
    # the sink's receipt time; `at` is cut to the millisecond, so it may read up to 1 ms before `before`
    assert before - 0.002 <= epoch(ack["at"]) <= after + 0.002
    assert result["phases"]["locate"]["elapsed_s"] == ack["t_s"]
    assert result["phases"]["notify"]["elapsed_s"] < ack["t_s"] < result["phases"]["recover"]["elapsed_s"]
    assert result["runbook_steps"] == []  # people, not the runbook's steps, did the work
    requested = events(result, "ack_requested")[0]["details"]
    assert requested["link"] == link and requested["sent_to"] == f"json://{people.sink_listen}/****"
    report = (lab.root / "reports" / "latest" / "scorecard.json").read_text()
    assert "secret-token-4711" not in report + out


def test_acknowledgement_through_a_silence_is_timed_and_the_silence_expired(lab: Project, people: Settings) -> None:
    sink = SinkClient(people.sink_url)
    _, seen = sink.events(0, 0)
    drill = start_drill(lab, locate="1 minute", recover="2 minutes")
    receive_page(sink, seen)
    now = datetime.now(UTC)
    before = time.time()
    made = requests.post(
        f"{people.alertmanager}/api/v2/silences",
        timeout=5,
        json={
            "matchers": [{"name": "alertname", "value": "PaymentsApiDown", "isRegex": False, "isEqual": True}],
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(hours=1)).isoformat(),
            "createdBy": "bob",
            "comment": "looking into it",
        },
    )
    after = time.time()
    assert made.status_code == 200, made.text
    silence_id = made.json()["silenceID"]
    heal(lab)
    result, out = finish(drill, lab)

    assert result["status"] == "passed", out
    ack = events(result, "acknowledged")[0]
    assert ack["details"] == {
        "alert": "PaymentsApiDown",
        "via": "silence",
        "by": "bob",
        "silence_id": silence_id,
        "comment": "looking into it",
    }
    assert before - 0.002 <= epoch(ack["at"]) <= after + 0.002  # Alertmanager's own creation time
    assert result["phases"]["locate"]["elapsed_s"] == ack["t_s"]
    assert events(result, "silence_expired")[0]["details"]["silence_id"] == silence_id
    state = requests.get(f"{people.alertmanager}/api/v2/silence/{silence_id}", timeout=5).json()["status"]["state"]
    assert state == "expired"  # it cannot mute the next drill of this alert


def test_nobody_acknowledging_fails_locate_and_the_fault_is_reverted(lab: Project, people: Settings) -> None:
    drill = start_drill(lab, locate="4 seconds", recover="1 minute")
    result, _ = finish(drill, lab)
    assert result["status"] == "failed"
    assert result["phases"]["locate"] == {"budget_s": 4.0, "elapsed_s": None, "passed": False, "ran": True}
    check = next(c for c in result["checks"] if not c["passed"])
    assert check["name"] == "acknowledged by a person" and check["actual"] == "nobody acknowledged"
    assert "/ack/" in check["message"] and "silence" in check["message"]
    assert harness_steps(result["events"])[-1] == "fault_reverted"
    assert Path(lab.root, "reports", "latest", "scorecard.md").read_text().count("nobody acknowledged") == 1
