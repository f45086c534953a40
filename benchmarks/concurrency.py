"""Many drills at once in one harness process: N distinct synthetic targets (a series pushed to a
Pushgateway by the `metric` injector) and N distinct alerts, all injected together.

The parent (run.py) writes the rules, faults and feature file; this module's `main` is the child
process that runs the N drills in threads, so its CPU time and peak RSS are the harness's alone.

    python benchmarks/concurrency.py CONFIG FEATURE OUT.json
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

import yaml

RUNBOOK = "https://github.com/acme/oncall/blob/main/runbooks/payments-api-down.md"


def alert_name(level: int, index: int) -> str:
    return f"BenchTarget_{level}_{index}"


def write_level(root: Path, level: int, pushgateway: str) -> tuple[Path, list[str]]:
    """Rules, faults and a feature file for `level` concurrent drills; returns (feature, alerts)."""
    alerts = [alert_name(level, i) for i in range(level)]
    rules_path = root / "alerts" / "bench-rules.yml"
    rules = yaml.safe_load(rules_path.read_text()) if rules_path.exists() else {"groups": []}
    rules["groups"].append(
        {
            "name": f"bench-{level}",
            "rules": [
                {
                    "alert": name,
                    "expr": f'bench_fault{{target="{name}"}} == 1',
                    "for": "2s",
                    "labels": {"severity": "page", "team": "payments"},
                    "annotations": {"summary": f"{name} is down", "runbook_url": RUNBOOK},
                }
                for name in alerts
            ],
        }
    )
    rules_path.write_text(yaml.safe_dump(rules, sort_keys=False))
    config_path = root / "alertdrill.yml"
    config = yaml.safe_load(config_path.read_text())
    if "alerts/bench-rules.yml" not in config["rules"]:
        config["rules"].append("alerts/bench-rules.yml")
    for name in alerts:
        config["faults"][name] = {
            "type": "metric",
            "pushgateway": pushgateway,
            "metric": "bench_fault",
            "value": 1,
            "job": name,
            "labels": {"target": name},
        }
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    feature = root / "drills" / f"zz-concurrency-{level}.feature"
    feature.write_text(
        f"Feature: {level} drills at once\n"
        + "".join(
            f'''
  Scenario: {name}
    When the fault "{name}" is injected
    Then the alert "{name}" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" within 1 minute
'''
            for name in alerts
        )
    )
    return feature, alerts


def main() -> None:
    from alertdrill.config import load_settings
    from alertdrill.drill.environment import Environment
    from alertdrill.drill.session import DrillSession
    from alertdrill.score.scorecard import DrillResult
    from alertdrill.spec.features import compile_feature

    config, feature, out = (Path(a) for a in sys.argv[1:4])
    settings = load_settings(config)
    env = Environment(settings)
    drills = compile_feature(feature, settings, env.contact_groups)
    results: list[DrillResult | None] = [None] * len(drills)
    ready = threading.Barrier(len(drills) + 1)

    def one(index: int) -> None:
        session = DrillSession(drills[index], env)
        ready.wait(timeout=60)
        try:
            for step in drills[index].steps:
                session.perform(step)
        except Exception:  # the verdict is in the result
            pass
        finally:
            results[index] = session.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(drills))]
    for thread in threads:
        thread.start()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    ready.wait(timeout=60)
    for thread in threads:
        thread.join(timeout=300)
    after = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.monotonic() - started
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out.write_text(
        json.dumps(
            {
                "drills": [asdict(r) for r in results if r is not None],
                "wall_s": wall,
                "cpu_s": cpu,
                "cpu_share": cpu / wall if wall else 0.0,
                "peak_rss_mb": after.ru_maxrss / 1024,
                "threads_peak": len(threads),
            }
        )
    )


if __name__ == "__main__":
    main()
