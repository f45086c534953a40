"""The whole lab with its sink on IPv6 loopback: the real Alertmanager delivers a webhook there, and an
email (SMTP AUTH with the run's secret) to 127.0.0.1 (Alertmanager 0.25 cannot dial an IPv6 smarthost);
the drill counts both."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from alertdrill.processes import free_port
from alertdrill.testing import copy_project, running_lab
from tests.conftest import REPO, alertdrill
from tests.test_email_live import BY_EMAIL


def test_a_drill_against_a_sink_on_ipv6_loopback(tmp_path: Path) -> None:
    project = copy_project(REPO, tmp_path / "project")
    raw = yaml.safe_load(project.config_path.read_text())
    raw["sink"] = {"listen": f"[::1]:{free_port()}", "smtp": f"127.0.0.1:{free_port()}"}  # see test_sink_ipv6
    project.config_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with running_lab(project):
        done = alertdrill(
            "run", str(project.write_feature("email.feature", BY_EMAIL)), "--config", str(project.config_path)
        )
    drill = json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())["drills"][0]
    assert done.returncode == 0 and drill["status"] == "passed", done.stdout + done.stderr
    delivered = [e["details"] for e in drill["events"] if e["name"] == "notification_delivered"]
    channels = {(d["channel"], d.get("authenticated")) for d in delivered if d["contact_group"] == "storefront-oncall"}
    assert {("email", "true"), ("webhook", "true")} <= channels, delivered
