"""When is the lab usable? Not when `/-/ready` answers: when Prometheus has discovered the
Alertmanager, scraped every target and evaluated its rules (DESIGN.md, pitfalls)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from alertdrill.polling import poll_until

ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass(frozen=True)
class Condition:
    name: str
    holds: Callable[[], bool]


def get_data(url: str, session: requests.Session | None = None) -> dict[str, Any]:
    answer = session.get(url, timeout=2) if session is not None else requests.get(url, timeout=2)
    answer.raise_for_status()
    body = answer.json()
    return body.get("data", body) if isinstance(body, dict) else {}


def _ok(url: str) -> bool:
    return requests.get(url, timeout=2).status_code == 200


def conditions(prometheus: str, alertmanager: str, sink: str, am_address: str) -> list[Condition]:
    def am_discovered() -> bool:
        active = get_data(f"{prometheus}/api/v1/alertmanagers").get("activeAlertmanagers") or []
        return any(am_address in str(a.get("url", "")) for a in active)

    def targets_up() -> bool:
        targets = get_data(f"{prometheus}/api/v1/targets").get("activeTargets") or []
        return bool(targets) and all(t.get("health") == "up" for t in targets)

    def rules_evaluated() -> bool:
        groups = get_data(f"{prometheus}/api/v1/rules").get("groups") or []
        return all(g.get("lastEvaluation", ZERO_TIME) != ZERO_TIME for g in groups)

    return [
        Condition("Prometheus /-/ready", lambda: _ok(f"{prometheus}/-/ready")),
        Condition("Alertmanager /-/ready", lambda: _ok(f"{alertmanager}/-/ready")),
        Condition("sink answers", lambda: _ok(f"{sink}/-/healthy")),
        Condition("Prometheus has discovered the Alertmanager", am_discovered),
        Condition("every target scraped and up", targets_up),
        Condition("rules evaluated", rules_evaluated),
    ]


class _Died(Exception):
    pass


def wait_ready(checks: list[Condition], timeout_s: float, dead: Callable[[], str | None]) -> str | None:
    """None when every condition holds, in order; else the first that did not, or which process died."""
    deadline = time.monotonic() + timeout_s

    def holds(check: Condition) -> bool:
        if (died := dead()) is not None:
            raise _Died(died)
        return check.holds()

    for check in checks:
        try:
            if not poll_until(
                lambda c=check: holds(c),  # type: ignore[misc]
                deadline - time.monotonic(),
                0.05,
                on_error=(requests.RequestException, ValueError),
            ):
                return check.name
        except _Died as exc:
            return str(exc)
    return None
