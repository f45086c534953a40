"""Against the real lab: the sink wants the run's secret, and a forger cannot make a drill pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from alertdrill import processes
from alertdrill.lab.lab import Lab
from alertdrill.polling import poll_until
from alertdrill.processes import read_pid
from alertdrill.testing import Project, lab_project
from tests.conftest import REPO, TEST_FAULTS, alertdrill

UNDELIVERABLE = """Feature: a receiver that cannot deliver
  Scenario: A synthetic page whose webhook goes nowhere
    When the fault "synthetic-page" is injected
    Then the alert "SyntheticPage" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" within 8 seconds
"""
DEAD_URL = "http://127.0.0.1:9/nowhere"  # the discard port: nothing listens, every delivery fails


def lab_of(project: Project) -> Lab:
    return Lab(project.settings())


def hooks(config: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(r["name"], [h["url"] for h in r.get("webhook_configs") or []]) for r in config["receivers"]]


def reload_alertmanager(project: Project, config: str) -> None:
    settings = project.settings()
    path = lab_of(project).config.dir / "config" / "alertmanager.yml"
    path.write_text(config)
    assert requests.post(f"{settings.alertmanager}/-/reload", timeout=5).status_code == 200
    wanted = hooks(yaml.safe_load(config))

    def loaded() -> bool:
        status = requests.get(f"{settings.alertmanager}/api/v2/status", timeout=5).json()
        return hooks(yaml.safe_load(status["config"]["original"])) == wanted

    assert poll_until(loaded, 10, 0.05, on_error=(requests.RequestException, ValueError))


@pytest.fixture
def undeliverable(lab: Project) -> Iterator[Project]:
    """payments-oncall's webhook points at a dead port for the test; the lab's own config after it."""
    path = lab_of(lab).config.dir / "config" / "alertmanager.yml"
    original = path.read_text()
    config = yaml.safe_load(original)
    for receiver in config["receivers"]:
        if receiver["name"] == "payments-oncall":
            receiver["webhook_configs"] = [{"url": DEAD_URL, "send_resolved": True}]
    reload_alertmanager(lab, yaml.safe_dump(config, sort_keys=False))
    try:
        yield lab
    finally:
        reload_alertmanager(lab, original)


def perfect_payload(alert: dict[str, Any]) -> dict[str, Any]:
    """What Alertmanager itself would post for `alert` to payments-oncall."""
    labels = alert["labels"]
    group = {k: labels[k] for k in ("alertname", "drill_run") if k in labels}
    group_key = '{}/{team="payments"}:{' + ", ".join(f'{k}="{v}"' for k, v in sorted(group.items())) + "}"
    return {
        "receiver": "payments-oncall",
        "status": "firing",
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "groupLabels": group,
        "commonLabels": labels,
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://forger",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": alert["annotations"],
                "startsAt": alert["startsAt"],
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": alert.get("generatorURL", ""),
                "fingerprint": alert["fingerprint"],
            }
        ],
    }


class Forger(threading.Thread):
    """Waits until Alertmanager holds the drill's alert, then posts Alertmanager's own payload to the sink,
    once without a secret and once with a wrong one."""

    def __init__(self, project: Project) -> None:
        super().__init__(daemon=True)
        self.settings, self.since = project.settings(), time.time()
        self.answers: list[int] = []
        self.done = threading.Event()

    def drill_alert(self) -> dict[str, Any] | None:
        found = requests.get(
            f"{self.settings.alertmanager}/api/v2/alerts",
            timeout=5,
            params={"filter": ['alertname="SyntheticPage"'], "active": "true"},
        ).json()
        return next(
            (a for a in found if a["startsAt"] >= time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.since - 1))), None
        )

    def run(self) -> None:
        try:
            alert: list[dict[str, Any]] = []

            def seen() -> bool:
                found = self.drill_alert()
                if found is not None:
                    alert.append(found)
                return found is not None

            if poll_until(seen, 60, 0.05, on_error=(requests.RequestException,)):
                body = perfect_payload(alert[0])
                for headers in ({}, {"Authorization": "Bearer guessed-secret-0123456789"}):
                    self.answers.append(
                        requests.post(
                            f"{self.settings.sink_url}/hook/payments-oncall", json=body, headers=headers, timeout=5
                        ).status_code
                    )
        finally:
            self.done.set()


def test_the_lab_sink_refuses_webhooks_without_the_runs_secret(lab: Project) -> None:
    the_lab = lab_of(lab)
    secret = the_lab.secret_file.read_text().strip()
    assert the_lab.secret_file.stat().st_mode & 0o077 == 0
    url = f"{lab.settings().sink_url}/hook/payments-oncall"
    assert requests.post(url, json={"alerts": []}, timeout=5).status_code == 401
    assert (
        requests.post(
            url, json={"alerts": []}, timeout=5, headers={"Authorization": "Bearer wrong-secret-0123456789"}
        ).status_code
        == 401
    )
    assert (
        requests.post(url, json={"alerts": []}, timeout=5, headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    # nowhere to read it from but the file: not the sink's command line, not the generated config, not a log
    pid = read_pid(the_lab.run_dir / "sink.pid")
    assert pid is not None and secret not in Path(f"/proc/{pid}/cmdline").read_bytes().decode()
    assert "--secret-file" in Path(f"/proc/{pid}/cmdline").read_bytes().decode()
    folder = the_lab.config.dir
    leaks = [
        p
        for p in (*folder.glob("config/*"), *folder.glob("logs/*"), *folder.glob("run/*"))
        if p.is_file() and secret in p.read_text(errors="replace")
    ]
    assert leaks == []


def test_a_forged_notification_cannot_pass_a_drill_whose_receiver_cannot_deliver(undeliverable: Project) -> None:
    forger = Forger(undeliverable)
    forger.start()
    feature = undeliverable.write_feature("undeliverable.feature", UNDELIVERABLE)
    try:
        done = alertdrill("run", str(feature), "--config", str(undeliverable.config_path))
    finally:
        feature.unlink()
    assert forger.done.wait(10) and forger.answers == [401, 401]
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    card_text = (undeliverable.root / "reports" / "latest" / "scorecard.json").read_text()
    drill = json.loads(card_text)["drills"][0]
    assert drill["status"] == "failed" and drill["phases"]["notify"]["elapsed_s"] is None
    check = next(c for c in drill["checks"] if c["name"] == "routed to contact group")
    assert not check["passed"] and check["actual"] == "no delivery that counts"
    assert "did not carry the sink's secret and was refused (401): not counted" in check["message"]
    forged = [e["details"] for e in drill["events"] if e["name"] == "notification_delivered"]
    assert forged and all(d["authenticated"] == "false" and d["rejected"] == "401" for d in forged)
    secret = lab_of(undeliverable).secret_file.read_text().strip()
    assert secret not in card_text and secret not in out


def test_a_users_stack_passes_with_the_runs_own_sink_when_given_the_secret_file(tmp_path: Path) -> None:
    """The README's recipe: the stack's webhooks send the secret from a file, the run's sink reads the same file."""
    with lab_project(REPO, tmp_path / "stack", TEST_FAULTS) as project:
        stack = lab_of(project)
        assert processes.stop(stack.run_dir / "sink.pid")  # Prometheus + Alertmanager only, as a user's stack
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "ALERTDRILL_SINK_SECRET_FILE": str(stack.secret_file)}
        feature = project.root / "drills" / "payments.feature"
        done = subprocess.run(
            [sys.executable, "-m", "alertdrill", "run", str(feature), "--config", str(project.config_path)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "this run serves it itself until it ends\n" in done.stdout  # and says nothing of a missing secret
        drill = json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())["drills"][0]
        notes = [e["details"] for e in drill["events"] if e["name"] == "notification_delivered"]
        assert notes and all(d["authenticated"] == "true" for d in notes)
        assert stack.secret_file.read_text().strip() not in done.stdout + done.stderr
