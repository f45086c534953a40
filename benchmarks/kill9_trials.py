"""`kill -9` trials: a run is killed while its inject shell, its revert shell or a runbook step runs;
`alertdrill cleanup` must leave nothing behind (no marker, no live recorded process group, no ledger
entry). On a private copy of the lab (free ports, stopped afterwards).

    .venv/bin/python benchmarks/kill9_trials.py [--trials 30]

Prints one line per trial and the count of faults left behind (the target is 0).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from alertdrill.polling import poll_until
from alertdrill.testing import Project, lab_project

REPO = Path(__file__).resolve().parents[1]
FAULTS: dict[str, dict[str, object]] = {
    "slow-inject": {"type": "command", "inject": "sleep 30 && touch fault.marker", "revert": "rm -f fault.marker"},
    "slow-revert": {
        "type": "command",
        "inject": "touch fault.marker",
        "revert": "test -e revert-now.flag || sleep 30; rm -f fault.marker",
    },
    "marker": {"type": "command", "inject": "touch fault.marker", "revert": "rm -f fault.marker"},
}
FEATURE = """Feature: killed
  Scenario: killed {phase}
    When the fault "{fault}" is injected
    Then the alert "PaymentsApiDown" fires within {budget}
"""
RUNBOOK_FEATURE = """Feature: killed
  Scenario: killed in a runbook step
    Given the service "payments-api" is healthy
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the runbook locates the fault within 1 minute
    And the service recovers within 2 minutes
"""
RUNBOOK = """---
alerts: [PaymentsApiDown]
---
# Payments API down
## Diagnose
```promql
up{job="payments-api"} == 0
```
## Remediate
```sh
sleep 30; alertdrill lab service start payments-api
```
"""


def groups(project: Project) -> list[Path]:
    return sorted((project.root / ".alertdrill" / "ledger" / "groups").glob("*.json"))


def alive_in_group(pgid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def trial(project: Project, phase: str) -> str:
    """'' when nothing was left behind, else what was."""
    marker = project.root / "fault.marker"
    if phase == "runbook":
        (project.root / "runbooks" / "payments-api-down.md").write_text(RUNBOOK)
        text = RUNBOOK_FEATURE
    else:
        fault = {"inject": "slow-inject", "revert": "slow-revert"}[phase]
        text = FEATURE.format(phase=phase, fault=fault, budget="5 seconds")
    feature = project.write_feature("killed.feature", text)
    argv = [sys.executable, "-m", "alertdrill", "run", str(feature), "--config", str(project.config_path)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready = {
        "inject": lambda: bool(groups(project)),
        "revert": lambda: marker.exists() and bool(groups(project)),
        "runbook": lambda: bool(groups(project)),
    }[phase]
    if not poll_until(lambda: proc.poll() is not None or ready(), 90, 0.02) or proc.poll() is not None:
        return f"the {phase} shell never started"
    pgids = [int(p.stem) for p in groups(project)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    (project.root / "revert-now.flag").touch()
    subprocess.run(
        [sys.executable, "-m", "alertdrill", "cleanup", "--config", str(project.config_path)],
        capture_output=True,
        check=False,
        timeout=120,
    )
    (project.root / "revert-now.flag").unlink(missing_ok=True)
    left = [f"group {g} alive" for g in pgids if alive_in_group(g)]
    left += ["fault.marker"] if marker.exists() else []
    left += [p.name for p in (project.root / ".alertdrill" / "ledger").glob("*.json")]
    feature.unlink()
    return ", ".join(left)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=30)
    args = parser.parse_args()
    phases = ["inject", "revert", "runbook"]
    left_behind = 0
    with tempfile.TemporaryDirectory() as tmp, lab_project(REPO, Path(tmp) / "project", FAULTS) as project:
        original = (project.root / "runbooks" / "payments-api-down.md").read_text()
        for number in range(args.trials):
            phase = phases[number % len(phases)]
            outcome = trial(project, phase)
            (project.root / "runbooks" / "payments-api-down.md").write_text(original)
            left_behind += bool(outcome)
            print(f"trial {number + 1:2d} ({phase:7}): {outcome or 'nothing left behind'}", flush=True)
    print(f"{left_behind} of {args.trials} trials left something behind")
    return 1 if left_behind else 0


if __name__ == "__main__":
    raise SystemExit(main())
