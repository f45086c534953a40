"""Drilling a stack whose sink nobody started: `alertdrill run` serves the sink itself for the run."""

from __future__ import annotations

import json
from pathlib import Path

from alertdrill import processes
from alertdrill.lab.lab import Lab
from alertdrill.testing import lab_project
from tests.conftest import REPO, TEST_FAULTS, alertdrill


def test_run_starts_the_sink_itself_when_nothing_answers_and_stops_it_after(tmp_path: Path) -> None:
    with lab_project(REPO, tmp_path / "stack", TEST_FAULTS) as project:
        lab = Lab(project.settings())
        assert processes.stop(lab.run_dir / "sink.pid")  # a user's stack: Prometheus + Alertmanager only
        host, _, port = project.settings().sink_listen.rpartition(":")
        done = alertdrill(
            "run", str(project.root / "drills" / "payments.feature"), "--config", str(project.config_path)
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "this run serves it itself" in done.stdout
        card = json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())
        events = [e["name"] for e in card["drills"][0]["events"]]
        assert "notification_delivered" in events
        assert processes.port_free(host, int(port)), "the run's own sink outlived the run"
