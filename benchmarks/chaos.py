"""The same drill as a Chaos Toolkit experiment (chaostoolkit + chaostoolkit-prometheus): kill the
process, then probe Prometheus for the alert once a second; the steady-state hypothesis checks with a
tolerance that the alert is not firing. When the journal first shows the alert firing is what Chaos
Toolkit knows about the time to alert. Needs `pip install -r benchmarks/requirements.txt`."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

PROBES = 12  # one a second after the kill: longer than the alert path's worst case (5 s here)


def available() -> bool:
    return shutil.which("chaos") is not None and importlib.util.find_spec("chaosprometheus") is not None


def experiment(alert: str, prometheus: str, kill: str, restart: str) -> dict[str, object]:
    query = f'count(ALERTS{{alertname="{alert}",alertstate="firing"}}) or vector(0)'
    probe = {"type": "python", "module": "chaosprometheus.probes", "func": "query", "arguments": {"query": query}}
    return {
        "version": "1.0.0",
        "title": f"{alert} fires when the service dies",
        "description": "alertdrill benchmark: the same drill, written for Chaos Toolkit",
        "configuration": {"prometheus_base_url": prometheus},
        "steady-state-hypothesis": {
            "title": f"{alert} is not firing",
            "probes": [
                {
                    "type": "probe",
                    "name": "alert-not-firing",
                    "provider": probe,
                    "tolerance": {"type": "jsonpath", "path": "$.data.result[0].value[1]", "expect": "0"},
                }
            ],
        },
        "method": [
            {"type": "action", "name": "kill", "provider": {"type": "process", "path": "sh", "arguments": ["-c", kill]}}
        ]
        + [
            {"type": "probe", "name": f"alert-firing-{i}", "provider": probe, "pauses": {"after": 1}}
            for i in range(PROBES)
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "restart",
                "provider": {"type": "process", "path": "sh", "arguments": ["-c", restart]},
            }
        ],
    }


def run(alert: str, prometheus: str, kill: str, restart: str, folder: Path) -> float | None:
    """Run the experiment; the time its journal first shows the alert firing (epoch seconds)."""
    path, journal = folder / "experiment.json", folder / "journal.json"
    path.write_text(json.dumps(experiment(alert, prometheus, kill, restart), indent=2))
    chaos = shutil.which("chaos") or "chaos"
    done = subprocess.run(
        [
            chaos,
            "--log-file",
            str(folder / "chaostoolkit.log"),
            "run",
            "--rollback-strategy",
            "always",
            "--journal-path",
            str(journal),
            str(path),
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if not journal.exists():
        raise SystemExit(f"chaos run wrote no journal:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    for entry in json.loads(journal.read_text()).get("run", []):
        name = entry.get("activity", {}).get("name", "")
        result = ((entry.get("output") or {}).get("data") or {}).get("result") or []
        if name.startswith("alert-firing-") and result and result[0]["value"][1] != "0":
            return datetime.fromisoformat(entry["end"]).replace(tzinfo=UTC).timestamp()
    return None
