"""Ground truth the harness does not produce, and how a drill's reported times compare with it.

- injection: the fault's own `date +%s.%N`, written right after the kill;
- pending: the timestamp of the first raw ALERTS{alertstate="pending"} sample (the evaluation that
  made it pending: the rule's activeAt; ALERTS_FOR_STATE holds activeAt only to the whole second);
- firing: the timestamp of the first raw ALERTS{alertstate="firing"} sample (the evaluation that fired);
- delivery: a recorder in its own process (recorder.py) that Alertmanager delivers to as well.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests

from alertdrill.polling import poll_until

FOR_S, GROUP_WAIT_S = 2.0, 1.0  # the lab's rules and route


@dataclass
class Sample:
    """One drill: what the harness reported and the ground truth, as epoch seconds."""

    alert: str
    harness: dict[str, float]
    truth: dict[str, float]
    others: dict[str, float] = field(default_factory=dict)  # other tools: when each saw the alert firing

    def errors_ms(self) -> dict[str, float]:
        return {k: (self.harness[k] - self.truth[k]) * 1000 for k in self.truth if k in self.harness}

    def overhead_s(self) -> float:
        """Time to notification minus the floor: the scrape/evaluation phase the fault landed in
        (injection -> pending), plus `for`, plus `group_wait`."""
        floor = (self.truth["pending"] - self.harness["injected"]) + FOR_S + GROUP_WAIT_S
        return (self.harness["delivered"] - self.harness["injected"]) - floor


@contextmanager
def recorder(listen: str, out: Path) -> Iterator[None]:
    child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("recorder.py")), listen, str(out)])
    try:
        assert poll_until(
            lambda: requests.get(f"http://{listen}/", timeout=1).ok, 10, 0.05, on_error=(requests.RequestException,)
        ), "the recorder did not start"
        yield
    finally:
        child.terminate()
        child.wait(timeout=10)


def raw_samples(prometheus: str, expr: str, at: float) -> list[tuple[float, float]]:
    answer = requests.get(f"{prometheus}/api/v1/query", params={"query": f"{expr}[5m]", "time": at}, timeout=10)
    return sorted((float(ts), float(v)) for series in answer.json()["data"]["result"] for ts, v in series["values"])


def first_sample(prometheus: str, alert: str, state: str, after: float) -> float:
    """When Prometheus first evaluated `alert` into `state` at or after `after` (its raw sample's time)."""
    expr = f'ALERTS{{alertname="{alert}",alertstate="{state}"}}'
    found = next((ts for ts, _ in raw_samples(prometheus, expr, time.time()) if ts >= after), None)
    if found is None:
        raise LookupError(f"no {state} sample in Prometheus")
    return found


def deliveries(truth_file: Path) -> list[dict]:
    return [json.loads(line) for line in truth_file.read_text().splitlines() if line.strip()]


def truth_of(alert: str, injected: float, prometheus: str, arrivals: list[dict]) -> dict[str, float]:
    pending = first_sample(prometheus, alert, "pending", injected)
    firing = first_sample(prometheus, alert, "firing", injected)
    delivered = min(
        (
            e["t"]
            for e in arrivals
            if e["t"] >= injected
            and e["payload"].get("status") == "firing"
            and any(a["labels"].get("alertname") == alert for a in e["payload"].get("alerts", []))
        ),
        default=None,
    )
    if delivered is None:
        seen = [
            e["t"] - injected
            for e in arrivals
            if any(a["labels"].get("alertname") == alert for a in e["payload"].get("alerts", []))
        ]
        first = min(seen, default=float("nan"))
        raise LookupError(
            f"the recorder got no firing delivery after injection ({len(seen)} of it, first {first:+.1f} s)"
        )
    return {"pending": pending, "firing": firing, "delivered": delivered}


def harness_of(drill: dict) -> dict[str, float]:
    """The harness's reported times from a scorecard drill."""
    at: dict[str, float] = {}
    for event in drill["events"]:
        about = (event.get("details") or {}).get("alert")
        if about not in (None, drill["alert"]):
            continue  # the noise picture: another alert seen during the drill (other drills' in a parallel run)
        at.setdefault(event["name"], datetime.fromisoformat(event["at"].replace("Z", "+00:00")).timestamp())
    injected = at["fault_injected"]
    return {
        "injected": injected,
        "pending": at["alert_pending"],
        "firing": injected + drill["phases"]["alert"]["elapsed_s"],
        "delivered": at["notification_delivered"],
    }
