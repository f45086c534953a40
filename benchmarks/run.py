"""alertdrill benchmarks, on a private copy of the real lab (free ports, stopped afterwards).

    python benchmarks/run.py [--size tiny|full] [--out benchmarks/results.json]

1. timing accuracy: the harness's reported times against ground truth it does not produce (truth.py);
2. overhead over the physical floor: time to notification minus (injection -> pending) + for + group_wait;
3. concurrency: 1, 10, 50, 100 drills at once on distinct synthetic targets and alerts (concurrency.py):
   accuracy, CPU and peak memory of the harness process;
4. suite wall time: `alertdrill lab up` and the example suite end to end;
5. side by side: plain polling loops on the Prometheus API (1 s, 5 s) and a Chaos Toolkit experiment
   (chaos.py), each one's time-to-alert error against the same ground truth, as ratios to alertdrill's.
Targets are reported, never asserted: the test suite only checks that a tiny run works.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chaos
import concurrency
import suite
from pollers import polling_drill, settle
from truth import Sample, deliveries, first_sample, harness_of, recorder, truth_of

from alertdrill.processes import free_port
from alertdrill.testing import Project, copy_project, running_pushgateway

REPO = Path(__file__).resolve().parents[1]
ALERT = "PaymentsApiDown"


@dataclass(frozen=True)
class Size:
    drills: int  # sequential drills for accuracy and overhead
    levels: tuple[int, ...]  # concurrent drills
    side_runs: int  # drills per other tool (polling loops, Chaos Toolkit)
    suite: bool = True  # run the example suite after lab up
    suites: tuple[int, ...] = ()  # `alertdrill run` of N drills, --parallel auto (suite.py)
    sequential: tuple[int, ...] = ()  # ... also sequential, and as Chaos Toolkit experiments (the smallest)


SIZES = {
    "tiny": Size(2, (2,), 1, suite=False, suites=(2,), sequential=(2,)),
    "suites": Size(0, (), 0, suite=True, suites=(10, 50, 100), sequential=(10,)),
    "suite100": Size(0, (), 0, suite=False, suites=(100,), sequential=()),
    "full": Size(20, (1, 10, 50, 100), 5, suites=(10, 50, 100), sequential=(10, 50, 100)),
}
FEATURE = """Feature: benchmark
  Scenario: bench payments kill
    Given the service "payments-api" is healthy
    When the fault "bench-kill" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" within 1 minute
"""
KILL = 'kill -9 "$(head -n1 .lab/run/payments-api.pid)"; date +%s.%N > .bench-injected'
RESTART = f'"{sys.executable}" -m alertdrill lab service start payments-api'


def alertdrill(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alertdrill", *args], cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )


Levels = dict[int, tuple[Path, list[str]]]  # drills -> (feature file, alerts)


def prepare(dest: Path, truth_listen: str, size: Size, pushgateway: str | None) -> tuple[Project, Levels]:
    """A copy of the example project on free ports; payments on-call also delivers to the recorder."""
    project = copy_project(REPO, dest, {"bench-kill": {"type": "command", "inject": KILL, "revert": RESTART}})
    am_path = project.root / "alerts" / "alertmanager.yml"
    am = yaml.safe_load(am_path.read_text())
    for receiver in am["receivers"]:
        if receiver["name"] == "payments-oncall":
            receiver.setdefault("webhook_configs", []).append({"url": f"http://{truth_listen}/truth"})
    am_path.write_text(yaml.safe_dump(am, sort_keys=False))
    project.write_feature("zz-bench.feature", FEATURE)
    features = {}
    if pushgateway:
        config = yaml.safe_load(project.config_path.read_text())
        config["lab"]["scrape"] = {"pushgateway": pushgateway.removeprefix("http://")}
        project.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        levels = sorted(set(size.levels) | set(size.suites))
        features = {level: concurrency.write_level(project.root, level, pushgateway) for level in levels}
    return project, features


def injected_truth(project: Project) -> float:
    return float((project.root / ".bench-injected").read_text())


def accuracy(project: Project, drills: int, truth_file: Path, say: bool) -> list[Sample]:
    prometheus = project.settings().prometheus
    samples = []
    for index in range(drills):
        result = alertdrill("run", "drills/zz-bench.feature", "--config", str(project.config_path), cwd=project.root)
        if result.returncode != 0:
            raise SystemExit(f"benchmark drill {index} did not pass:\n{result.stdout}\n{result.stderr}")
        drill = json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())["drills"][0]
        harness = harness_of(drill)
        truth = truth_of(ALERT, harness["injected"], prometheus, deliveries(truth_file))
        truth["injected"] = injected_truth(project)
        samples.append(Sample(ALERT, harness, truth))
        if say:
            errors = ", ".join(f"{k} {v:+.1f}" for k, v in samples[-1].errors_ms().items())
            print(
                f"  alertdrill drill {index + 1}/{drills}: error ms {errors}; "
                f"overhead {samples[-1].overhead_s():.3f} s",
                flush=True,
            )
    return samples


def side_by_side(project: Project, runs: int, folder: Path, say: bool) -> tuple[list[Sample], list[str]]:
    """The same drill done the ways people do it today, each against the same ground truth."""
    prometheus, root = project.settings().prometheus, str(project.root)
    restart = f"{RESTART} --config {project.config_path}"
    tools: list[tuple[str, object]] = [
        (f"polling {p:g}s", lambda p=p: polling_drill(prometheus, ALERT, p, KILL, restart, root)) for p in (1.0, 5.0)
    ]
    notes = []
    if chaos.available():
        kill = KILL.replace(".lab/", f"{root}/.lab/").replace(".bench-injected", f"{root}/.bench-injected")

        def chaos_drill() -> float | None:
            try:
                return chaos.run(ALERT, prometheus, kill, restart, Path(tempfile.mkdtemp(dir=folder)))
            finally:  # the experiment's rollback restarts the service; make sure of it
                subprocess.run(["sh", "-c", restart], cwd=root, check=True, timeout=60, capture_output=True)

        tools.append(("chaostoolkit", chaos_drill))
    else:
        notes.append("Chaos Toolkit skipped: pip install -r benchmarks/requirements.txt")
    samples = []
    for name, drill in tools:
        for index in range(runs):
            settle(prometheus, 'up{job="payments-api"} == 1')
            seen = drill()  # type: ignore[operator]
            injected = injected_truth(project)
            firing = first_sample(prometheus, ALERT, "firing", injected)
            samples.append(Sample(ALERT, {}, {"injected": injected, "firing": firing}, {name: seen} if seen else {}))
            if say:
                print(
                    f"  {name} drill {index + 1}/{runs}: saw firing "
                    + (f"{(seen - firing) * 1000:+.0f} ms after it fired" if seen else "never"),
                    flush=True,
                )
    return samples, notes


def concurrent(project: Project, level: int, feature: Path, truth_file: Path, folder: Path) -> dict[str, object]:
    out = folder / f"concurrency-{level}.json"
    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("concurrency.py")),
            str(project.config_path),
            str(feature),
            str(out),
        ],
        cwd=project.root,
        check=True,
        timeout=900,
    )
    measured = json.loads(out.read_text())
    errors, signed = suite.errors_of(measured["drills"], project.settings().prometheus, truth_file)
    passed = sum(drill["status"] == "passed" for drill in measured["drills"])
    return {
        "drills": level,
        "passed": passed,
        "cpu_s": measured["cpu_s"],
        "cpu_share": measured["cpu_share"],
        "wall_s": measured["wall_s"],
        "peak_rss_mb": measured["peak_rss_mb"],
        "error_ms": {p: stats(v) for p, v in errors.items() if v},
        "signed_errors_ms": signed,
    }


def run_suites(project: Project, levels: Levels, size: Size, folder: Path, say: bool) -> list[dict[str, object]]:
    """`alertdrill run` of 10, 50, 100 drills: sequential versus --parallel auto, and Chaos Toolkit."""
    settings = project.settings()
    truth_file = folder / "truth.jsonl"
    faults = yaml.safe_load(project.config_path.read_text())["faults"]
    first = next((alerts[0] for _feature, alerts in levels.values()), "")
    pushgateway = str(faults[first]["pushgateway"]) if first else ""

    def one(feature: Path, parallel: str) -> dict[str, object]:
        found = suite.suite_run(
            project.root, project.config_path, feature, parallel, folder, settings.prometheus, truth_file
        )
        found["error_ms"] = {p: stats(v) for p, v in found["error_ms"].items() if v}  # type: ignore[attr-defined]
        return found

    smallest = min(size.sequential, default=0)

    def chaos_run(alerts: list[str]) -> dict[str, object] | None:
        return suite.chaos_suite(alerts, settings.prometheus, pushgateway, folder) if len(alerts) == smallest else None

    return suite.suite_levels(levels, one, chaos_run, set(size.sequential), say)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def stats(values: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(values), "p99": percentile(values, 99), "max": max(values), "n": len(values)}


def summarize(
    samples: list[Sample],
    others: list[Sample],
    levels: list[dict[str, object]],
    lab_up_s: float,
    lab_ready_s: float,
    suite_s: float | None,
) -> dict[str, object]:
    errors = {p: [abs(s.errors_ms()[p]) for s in samples] for p in ("injected", "pending", "firing", "delivered")}
    # A ratio to an error of 0 ms is counted against 1 ms.
    ours = max(statistics.median(errors["firing"]), 1.0) if samples else float("nan")
    side: dict[str, list[float]] = {}
    for sample in samples + others:
        for tool, seen in sample.others.items():
            side.setdefault(tool, []).append((seen - sample.truth["firing"]) * 1000)
    return {
        "accuracy_ms": {p: stats(v) for p, v in errors.items() if v},
        "overhead_s": stats([s.overhead_s() for s in samples]) if samples else None,
        "side_by_side_firing_error_ms": ({"alertdrill": stats(errors["firing"])} if samples else {})
        | {tool: stats(v) | {"ratio_p50": statistics.median(v) / ours} for tool, v in side.items()},
        "concurrency": levels,
        "lab_up_s": lab_up_s,  # the command, Python start included
        "lab_ready_s": lab_ready_s,  # the lab's own clock: first process started -> everything ready
        "suite_s": suite_s,
    }


def table(summary: dict, size: str) -> str:
    rows = [("measure", "p50", "p99", "target", "met")]
    for phase, v in summary["accuracy_ms"].items():
        rows.append(
            (
                f"timing error {phase} (ms)",
                f"{v['p50']:.1f}",
                f"{v['p99']:.1f}",
                "p99 <= 50",
                "yes" if v["p99"] <= 50 else "NO",
            )
        )
    over = summary["overhead_s"]
    if over is not None:
        rows.append(
            (
                "overhead over floor (s)",
                f"{over['p50']:.3f}",
                f"{over['p99']:.3f}",
                "<= 0.5",
                "yes" if over["p99"] <= 0.5 else "NO",
            )
        )
    for tool, v in summary["side_by_side_firing_error_ms"].items():
        ratio = f"x{v['ratio_p50']:.0f} alertdrill" if "ratio_p50" in v else "(reference)"
        rows.append((f"time-to-alert error, {tool} (ms)", f"{v['p50']:.0f}", f"{v['p99']:.0f}", ratio, "-"))
    for level in summary["concurrency"]:
        worst = max((e["p99"] for e in level["error_ms"].values()), default=float("nan"))
        rows.append(
            (
                f"{level['drills']} at once: passed {level['passed']}, worst p99 error (ms)",
                "",
                f"{worst:.0f}",
                "p99 <= 50",
                "yes" if worst <= 50 else "NO",
            )
        )
        rows.append(
            (
                f"{level['drills']} at once: peak RSS (MB) / CPU (cores)",
                f"{level['peak_rss_mb']:.0f}",
                f"{level['cpu_share']:.2f}",
                "<= 200 MB",
                "yes" if level["peak_rss_mb"] <= 200 else "NO",
            )
        )
    rows.append(
        (
            "lab up, the command (s)",
            f"{summary['lab_up_s']:.2f}",
            "",
            "<= 6",
            "yes" if summary["lab_up_s"] <= 6 else "NO",
        )
    )
    rows.append(
        (
            "lab up, the lab's own clock (s)",
            f"{summary['lab_ready_s']:.2f}",
            "",
            "<= 6",
            "yes" if summary["lab_ready_s"] <= 6 else "NO",
        )
    )
    if summary["suite_s"] is not None:
        rows.append(
            (
                "example suite incl. lab up (s)",
                f"{summary['suite_s']:.2f}",
                "",
                "<= 60",
                "yes" if summary["suite_s"] <= 60 else "NO",
            )
        )
    rows += suite_rows(summary.get("suites") or [])
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:], f"(size {size})"])


def suite_rows(suites: list[dict]) -> list[tuple[str, str, str, str, str]]:
    """Per suite size: --parallel auto against its slowest drill and against sequential; harness time."""
    rows = []
    for entry in suites:
        n, par, seq = entry["drills"], entry["parallel"], entry.get("sequential")
        ratio = par["wall_s"] / par["slowest_drill_s"] if par["slowest_drill_s"] else float("nan")
        worst = max((e["p99"] for e in par["error_ms"].values()), default=float("nan"))
        rows += [
            (
                f"suite {n}, --parallel auto: wall (s) / x slowest drill",
                f"{par['wall_s']:.1f}",
                f"x{ratio:.2f}",
                "<= x1.5",
                "yes" if ratio <= 1.5 else "NO",
            ),
            (
                f"suite {n}, --parallel auto: passed, worst p99 error (ms)",
                f"{par['passed']}/{n}",
                f"{worst:.0f}",
                "p99 <= 50",
                "yes" if worst <= 50 else "NO",
            ),
            (
                f"suite {n}, --parallel auto: peak RSS (MB) / CPU (cores)",
                f"{par['peak_rss_mb']:.0f}",
                f"{par['cpu_share']:.2f}",
                "<= 200 MB",
                "yes" if par["peak_rss_mb"] <= 200 else "NO",
            ),
        ]
        if isinstance(seq, dict):
            outside = seq["harness_s_per_drill_outside_drills"]
            rows += [
                (
                    f"suite {n}, sequential: wall (s) / parallel share",
                    f"{seq['wall_s']:.1f}",
                    f"x{par['wall_s'] / seq['wall_s']:.2f}",
                    "-",
                    "-",
                ),
                (
                    f"suite {n}, harness s per drill outside drills",
                    f"{outside:.2f}",
                    "",
                    "<= 0.3",
                    "yes" if outside <= 0.3 else "NO",
                ),
            ]
        if entry.get("chaos_toolkit"):
            ctk = entry["chaos_toolkit"]
            rows.append(
                (
                    f"suite {n}, Chaos Toolkit one by one: wall (s)",
                    f"{ctk['wall_s']:.1f}",
                    f"{ctk['alerts_seen']}/{ctk['experiments']} seen",
                    "-",
                    "-",
                )
            )
    return rows


def machine() -> dict[str, object]:
    def version(binary: str) -> str:
        try:
            out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
            return (out.stdout or out.stderr).splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "missing"

    memory = next(
        (
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return {
        "cpus": os.cpu_count(),
        "memory_mb": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "prometheus": version("prometheus"),
        "alertmanager": version("prometheus-alertmanager"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results.json")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--only",
        choices=["accuracy", "side-by-side", "concurrency", "suites"],
        action="append",
        help="run only these parts (repeatable; lab start is always measured)",
    )
    args = parser.parse_args(argv)
    size, say = SIZES[args.size], not args.quiet
    wanted = set(args.only or ["accuracy", "side-by-side", "concurrency", "suite", "suites"])
    if "suites" not in wanted:
        size = replace(size, suites=(), sequential=())
    if "suite" not in wanted:
        size = replace(size, suite=False)
    if "accuracy" not in wanted:
        size = replace(size, drills=0)
    if "side-by-side" not in wanted:
        size = replace(size, side_runs=0)
    if "concurrency" not in wanted:
        size = replace(size, levels=())
    truth_listen = f"127.0.0.2:{free_port()}"  # not 127.0.0.1: the lab points 127.0.0.1 webhooks at its sink
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="alertdrill-bench-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        gateway = stack.enter_context(running_pushgateway()) if size.levels or size.suites else None
        if (size.levels or size.suites) and gateway is None:
            notes.append("concurrency skipped: prometheus-pushgateway is not installed")
        project, features = prepare(folder / "project", truth_listen, size, gateway)
        truth_file = folder / "truth.jsonl"
        stack.enter_context(recorder(truth_listen, truth_file))
        started = time.monotonic()
        up = alertdrill("lab", "up", "--config", str(project.config_path), cwd=project.root)
        lab_up_s = time.monotonic() - started
        lab_ready_s = (
            json.loads((project.root / ".lab" / "lab.json").read_text())["ready_s"]
            if up.returncode == 0
            else float("nan")
        )
        stack.callback(alertdrill, "lab", "down", "--config", str(project.config_path), cwd=project.root)
        if up.returncode != 0:
            raise SystemExit(f"lab did not start: {up.stderr}")
        suite_s = None
        if size.suite:
            suite = alertdrill(
                "run",
                "drills/payments.feature",
                "drills/storefront.feature",
                "--config",
                str(project.config_path),
                cwd=project.root,
            )
            suite_s = time.monotonic() - started
            if say:
                print(
                    f"lab up {lab_up_s:.2f} s; example suite (exit {suite.returncode}) {suite_s:.2f} s incl. lab up",
                    flush=True,
                )
        samples = accuracy(project, size.drills, truth_file, say)
        others, skipped = side_by_side(project, size.side_runs, folder, say)
        notes += skipped
        levels = []
        for level, (feature, _alerts) in features.items():
            if level not in size.levels:
                continue
            levels.append(concurrent(project, level, feature, truth_file, folder))
            if say:
                done = levels[-1]
                worst = {k: round(v["p99"], 1) for k, v in done["error_ms"].items()}  # type: ignore[attr-defined]
                print(
                    f"  {level} at once: passed {done['passed']}, p99 error ms {worst}, "
                    f"peak RSS {done['peak_rss_mb']:.0f} MB, CPU {done['cpu_share']:.2f} cores",
                    flush=True,
                )
        suites = run_suites(project, {n: features[n] for n in size.suites if n in features}, size, folder, say)
    summary = summarize(samples, others, levels, lab_up_s, lab_ready_s, suite_s) | {"suites": suites}
    report = {
        "machine": machine(),
        "size": args.size,
        "notes": notes,
        "summary": summary,
        "samples": [asdict(s) | {"errors_ms": s.errors_ms(), "overhead_s": s.overhead_s()} for s in samples],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(table(summary, args.size))
    for note in notes:
        print(f"note: {note}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
