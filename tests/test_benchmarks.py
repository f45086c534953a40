"""The benchmark runs end to end on its tiny size (its own private lab, free ports). Its targets are
judged in its report, not here: this test only proves the command works and writes what it says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_the_benchmark_runs_on_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--size", "tiny", "--quiet", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "timing error delivered (ms)" in result.stdout and "overhead over floor (s)" in result.stdout
    report = json.loads(out.read_text())
    summary = report["summary"]
    assert set(summary["accuracy_ms"]) == {"injected", "pending", "firing", "delivered"}
    assert summary["accuracy_ms"]["delivered"]["n"] == 2 and len(report["samples"]) == 2
    assert {"polling 1s", "polling 5s"} <= set(summary["side_by_side_firing_error_ms"])
    assert report["machine"]["cpus"] >= 1 and summary["lab_up_s"] > 0
    if summary["concurrency"]:  # needs prometheus-pushgateway (scripts/setup --with-test-tools)
        assert summary["concurrency"][0]["passed"] == 2
        suite = summary["suites"][0]
        assert suite["parallel"]["passed"] == suite["sequential"]["passed"] == 2, suite
        assert "suite 2, --parallel auto: wall (s) / x slowest drill" in result.stdout
