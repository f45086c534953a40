"""What people write today instead of a harness: kill the service, then ask Prometheus every
`period` seconds whether the alert fires; the first answer that says so is their time to alert."""

from __future__ import annotations

import subprocess
import time

import requests

from alertdrill.polling import poll_until

LIMIT_S = 60.0  # the 1-minute budget: a loop that has not seen the alert by then gives up


def firing(prometheus: str, alert: str) -> bool:
    alerts = requests.get(f"{prometheus}/api/v1/alerts", timeout=2).json()["data"]["alerts"]
    return any(a["labels"].get("alertname") == alert and a["state"] == "firing" for a in alerts)


def settle(prometheus: str, healthy: str) -> None:
    """Between drills: the service is healthy again and no alert is pending or firing."""

    def calm() -> bool:
        up = requests.get(f"{prometheus}/api/v1/query", params={"query": healthy}, timeout=5).json()
        alerts = requests.get(f"{prometheus}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
        return bool(up["data"]["result"]) and not alerts

    assert poll_until(calm, 60, 0.2, on_error=(requests.RequestException,)), "the lab did not settle"


def polling_drill(prometheus: str, alert: str, period: float, kill: str, restart: str, cwd: str) -> float | None:
    """One drill the polling way; when the loop first saw the alert firing (epoch seconds)."""
    subprocess.run(["sh", "-c", kill], cwd=cwd, check=True, timeout=30)
    deadline = time.monotonic() + LIMIT_S
    seen = None
    try:
        while time.monotonic() < deadline:
            time.sleep(period)
            try:
                if firing(prometheus, alert):
                    seen = time.time()
                    break
            except (requests.RequestException, ValueError, KeyError):
                continue
    finally:
        subprocess.run(["sh", "-c", restart], cwd=cwd, check=True, timeout=60, capture_output=True)
    return seen
