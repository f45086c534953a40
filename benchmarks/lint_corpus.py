"""How long `alertdrill lint` takes over a public-style rule corpus (tests/rule_corpus.py: 112 files).

    PYTHONPATH=src python benchmarks/lint_corpus.py [--files 112] [--max-seconds 2] [--runs 3]

Prints the time of each run (in process, `lint(settings)` end to end: YAML, promtool, routes, budgets,
runbooks) and the same through the command line; exits 1 when the best in-process run is over the limit.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alertdrill.config import load_settings  # noqa: E402
from alertdrill.lint import lint  # noqa: E402
from tests.rule_corpus import FILES, write_project  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=FILES)
    parser.add_argument("--max-seconds", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="alertdrill-corpus-") as folder:
        config, corpus = write_project(Path(folder), args.files)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            report = lint(load_settings(config, env={}))
            times.append(time.perf_counter() - started)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "alertdrill", "lint", "--config", str(config)],
            capture_output=True,
            text=True,
            check=False,
        )
        cli_s = time.perf_counter() - started
    files, alerts, records = report.rule_counts
    print(f"corpus: {files} files, {alerts} alerts, {records} recording rules (expected {corpus.alerts} alerts)")
    print(
        f"lint in process: {', '.join(f'{t:.2f}' for t in times)} s (best {min(times):.2f} s, "
        f"limit {args.max_seconds:g} s); findings: {len(report.findings)}"
    )
    print(f"alertdrill lint (new process, imports included): {cli_s:.2f} s, exit {done.returncode}")
    return 0 if min(times) <= args.max_seconds and alerts == corpus.alerts else 1


if __name__ == "__main__":
    sys.exit(main())
