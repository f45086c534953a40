"""Reports of real drills: history over three runs, the HTML timeline in a real headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from alertdrill.testing import Project
from tests.conftest import REPO, alertdrill

HISTORY_DRILL = """Feature: history
  Scenario: Payments drill kept in history
    Given the service "payments-api" is healthy
    When the fault "{fault}" is injected
    Then the alert "PaymentsApiDown" fires within 5 seconds
"""
OUTPUT = Path(os.environ.get("ALERTDRILL_TEST_OUTPUT", REPO / "test-output"))


@pytest.fixture(scope="module")
def three_runs(lab: Project) -> list[Path]:
    """Pass, pass, then a fault the rule cannot see: a regression. The report folder of each run."""
    runs = []
    for fault in ("payments-api-down", "payments-api-down", "noop"):
        feature = lab.write_feature("history.feature", HISTORY_DRILL.format(fault=fault))
        done = alertdrill("run", str(feature), "--config", str(lab.config_path))
        assert done.returncode == (1 if fault == "noop" else 0), done.stdout + done.stderr
        runs.append((lab.root / "reports" / "latest").resolve())
    return runs


def test_history_across_three_runs_shows_the_regression(lab: Project, three_runs: list[Path]) -> None:
    done = alertdrill("history", "--format", "json", "--config", str(lab.config_path))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    drill = "drills/history.feature::Payments drill kept in history"
    regression = next(r for r in report["regressions"] if r["drill"] == drill)
    assert regression["what"] == "was passed, now failed"
    assert (regression["run_id"], regression["previous_run_id"]) == (three_runs[2].name, three_runs[1].name)
    to_alert = report["by_alert"]["PaymentsApiDown"]["time to alert"]
    assert to_alert["runs"] >= 3 and to_alert["last_s"] is None  # the last run never fired
    assert 0 < to_alert["median_s"] <= to_alert["p90_s"] < 5
    text = alertdrill("history", "--config", str(lab.config_path)).stdout
    assert f"  {drill}: was passed, now failed" in text


def test_the_html_timeline_renders_in_headless_chromium(three_runs: list[Path], tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (scripts/setup --with-test-tools installs it)")
    page = three_runs[1] / "scorecard.html"  # a passing drill, its trend over the first two runs
    assert '<polyline fill="none" stroke="#1a73e8"' in page.read_text()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shot = OUTPUT / "scorecard-timeline.png"
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=900,700",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and shot.stat().st_size > 0, done.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    colors = {color: count for count, color in image.getcolors(image.width * image.height) or []}
    green = colors.get((0x34, 0xA8, 0x53), 0)  # phase bars that met their budget
    blue = colors.get((0x1A, 0x73, 0xE8), 0)  # event markers and the trend line
    assert green > 200 and blue > 50, (green, blue)
    dom = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            f"--user-data-dir={tmp_path / 'profile2'}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    assert dom.count('class="phase-bar met"') == 1 and "received" in dom and "Time to alert over the last 2 runs" in dom


def test_every_report_is_written_next_to_the_json(three_runs: list[Path]) -> None:
    names = sorted(p.name for p in three_runs[2].iterdir())
    assert names == ["alertdrill.prom", "junit.xml", "scorecard.html", "scorecard.json", "scorecard.md"]
    assert 'alertdrill_drill_passed{alert="PaymentsApiDown"' in (three_runs[2] / "alertdrill.prom").read_text()
