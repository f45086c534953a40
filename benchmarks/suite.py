"""Suites: N drills on distinct Pushgateway-fed targets as one `alertdrill run`, sequential and with
`--parallel auto`, end to end (Python start, preflight, history and reports included); and the same
targets as Chaos Toolkit experiments, one after another (Chaos Toolkit runs one experiment at a time).

Reported per run: wall time, CPU seconds and peak RSS of the `alertdrill` process (from
`resource.getrusage(RUSAGE_CHILDREN)` around a wrapper process, so each run is measured alone), drills
passed, the slowest single drill, harness time per drill outside the alert path and runbook steps, and
the timing error against the ground truth (truth.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import chaos
from truth import Sample, deliveries, harness_of, truth_of

MEASURE = """import resource, subprocess, sys, json
done = subprocess.run(sys.argv[2:], capture_output=True, text=True)
use = resource.getrusage(resource.RUSAGE_CHILDREN)
json.dump({"exit": done.returncode, "cpu_s": use.ru_utime + use.ru_stime, "peak_rss_mb": use.ru_maxrss / 1024,
           "tail": (done.stdout + done.stderr)[-3000:]}, open(sys.argv[1], "w"))
"""


def measured(command: list[str], cwd: Path, out: Path) -> dict[str, object]:
    """Run `command` in a wrapper process whose children are only it: its CPU and peak RSS, and wall time."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", MEASURE, str(out), *command], cwd=cwd, check=True, timeout=3600)
    found: dict[str, object] = json.loads(out.read_text())
    return found | {"wall_s": time.monotonic() - started}


def errors_of(
    drills: list[dict], prometheus: str, truth_file: Path, untimed: Counter[str] | None = None
) -> tuple[dict[str, list[float]], dict]:
    """Per phase, each drill's timing error against the ground truth: (absolute ms, signed ms rounded);
    `untimed` counts why a drill had nothing to compare."""
    arrivals = deliveries(truth_file)
    errors: dict[str, list[float]] = {"pending": [], "firing": [], "delivered": []}
    signed: dict[str, list[float]] = {}
    why_not = untimed if untimed is not None else Counter()
    for drill in drills:
        try:
            harness = harness_of(drill)
        except KeyError as missing:
            why_not[f"the harness reported no {missing}"] += 1
            continue
        try:
            truth = truth_of(drill["alert"], harness["injected"], prometheus, arrivals)
        except (ValueError, StopIteration, LookupError) as exc:
            why_not[str(exc) or type(exc).__name__] += 1
            continue
        sample = Sample(drill["alert"], harness, truth)
        for phase, value in sample.errors_ms().items():
            if phase in errors:
                errors[phase].append(abs(value))
                signed.setdefault(phase, []).append(round(value, 1))
    return errors, signed


def suite_run(
    project_root: Path, config: Path, feature: Path, parallel: str, folder: Path, prometheus: str, truth: Path
) -> dict[str, object]:
    """One `alertdrill run` of the suite; what it cost and what its scorecard says."""
    command = [sys.executable, "-m", "alertdrill", "run", str(feature), "--config", str(config), "--parallel", parallel]
    took = measured(command, project_root, folder / f"suite-{feature.stem}-{parallel}.json")
    card = json.loads((project_root / "reports" / "latest" / "scorecard.json").read_text())
    drills = card["drills"]
    inside = [d.get("duration_s", 0.0) for d in drills]  # each drill's own time, injection to revert
    wall = float(took["wall_s"])  # type: ignore[arg-type]
    outside = (wall - sum(inside)) / len(drills) if parallel == "1" else None
    return {
        "parallel": parallel,
        "drills": len(drills),
        "passed": sum(d["status"] == "passed" for d in drills),
        "exit": took["exit"],
        "wall_s": wall,
        "cpu_s": took["cpu_s"],
        "cpu_share": float(took["cpu_s"]) / wall if wall else 0.0,  # type: ignore[arg-type]
        "peak_rss_mb": took["peak_rss_mb"],
        "slowest_drill_s": max(inside, default=0.0),
        "harness_s_per_drill_outside_drills": outside,
        "error_ms": (timed := errors_of(drills, prometheus, truth, untimed := Counter()))[0],
        "signed_errors_ms": timed[1],  # harness minus truth: negative is early
        "untimed": len(drills) - len(timed[0]["delivered"]),  # drills without a ground-truth delivery to compare
        "untimed_why": dict(untimed),
        "not_passed": dict(Counter(why(d) for d in drills if d["status"] != "passed").most_common(5)),
    }


def why(drill: dict) -> str:
    """A failed drill's first failed check or error, shortened, to count alike failures together."""
    failed = [c.get("message") or c["name"] for c in drill.get("checks", []) if not c.get("passed")]
    return re.sub(r"[0-9.]+", "N", (drill.get("error") or (failed[0] if failed else "?")))[:160]


def chaos_suite(alerts: list[str], prometheus: str, pushgateway: str, folder: Path) -> dict[str, object] | None:
    """The same targets as Chaos Toolkit experiments, one after another: wall time and alerts seen."""
    if not chaos.available():
        return None
    started, seen = time.monotonic(), 0
    for alert in alerts:
        url = f"{pushgateway}/metrics/job/{alert}"
        series = f'# TYPE bench_fault gauge\\nbench_fault{{target="{alert}"}} 1\\n'
        push = f"printf '{series}' | curl -sf --data-binary @- {url}"
        delete = f"curl -sf -X DELETE {url}"
        seen += chaos.run(alert, prometheus, push, delete, Path(tempfile.mkdtemp(dir=folder))) is not None
    return {"experiments": len(alerts), "alerts_seen": seen, "wall_s": time.monotonic() - started}


def suite_levels(
    levels: dict[int, tuple[Path, list[str]]],
    run_one: Callable[[Path, str], dict[str, object]],
    chaos_run: Callable[[list[str]], dict[str, object] | None],
    sequential: set[int],
    say: bool,
) -> list[dict[str, object]]:
    found = []
    for level, (feature, alerts) in levels.items():
        entry: dict[str, object] = {"drills": level, "parallel": run_one(feature, "auto")}
        if level in sequential:
            entry["sequential"] = run_one(feature, "1")
            entry["chaos_toolkit"] = chaos_run(alerts) if shutil.which("curl") else None
        found.append(entry)
        if say:
            par, seq = entry["parallel"], entry.get("sequential")
            print(
                f"  suite of {level}: --parallel auto {par['wall_s']:.1f} s (passed {par['passed']}, "  # type: ignore[index]
                f"peak RSS {par['peak_rss_mb']:.0f} MB)"  # type: ignore[index]
                + (f", sequential {seq['wall_s']:.1f} s" if isinstance(seq, dict) else ""),
                flush=True,
            )
    return found
