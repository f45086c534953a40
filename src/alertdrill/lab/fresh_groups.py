"""Fresh Alertmanager groups for back-to-back drills (the "hot group" trap in DESIGN.md).

Alertmanager keeps an aggregation group alive while Prometheus re-sends the resolved alert (every
resend delay, for 15 minutes), so a second drill of the same alert lands in a hot group and is
delivered on the `group_interval` ticker instead of after `group_wait`: the timing skews.

When the drill runs against the lab's own Prometheus, the harness gives each drill a new value of
an external label (`drill_run` by default) through a config reload; Prometheus adds it to every
alert it sends, and the lab's route groups by it, so each drill's group is new. Alertmanager is
rediscovered up to 5 s after a reload; the harness waits for that before injecting, and reloads
only when the alert was already drilled under the current label.
"""

from __future__ import annotations

import fcntl
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

from alertdrill import processes
from alertdrill.config import Settings
from alertdrill.errors import LabError
from alertdrill.lab.configs import write_prometheus_config
from alertdrill.lab.readiness import get_data
from alertdrill.polling import poll_until


def lab_owns_prometheus(settings: Settings) -> bool:
    """The drill's Prometheus is the one `alertdrill lab up` started (not one named by --prometheus)."""
    if settings.lab is None:
        return False
    try:
        started = json.loads((settings.lab.dir / "lab.json").read_text()).get("prometheus")
    except (OSError, ValueError):
        return False
    pid = processes.read_pid(settings.lab.dir / "run" / "prometheus.pid")
    return started == settings.prometheus and pid is not None and processes.is_alive(pid)


def _state_file(settings: Settings) -> Path:
    assert settings.lab is not None
    return settings.lab.dir / "config" / "run-label.json"


def _load_state(settings: Settings) -> tuple[dict[str, str], list[str]] | None:
    """(current labels, alerts drilled under them); None when unknown (then only a reload is safe)."""
    try:
        state = json.loads(_state_file(settings).read_text())
        return dict(state["labels"]), list(state["alerts"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save_state(settings: Settings, labels: dict[str, str], alerts: list[str]) -> None:
    _state_file(settings).write_text(json.dumps({"labels": labels, "alerts": alerts}))


_THREADS = threading.Lock()  # flock is per open file, not per thread: threads queue here first


@contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    """One drill at a time reads and updates the label state (threads of one run, and other runs):
    concurrent drills would otherwise lose each other's updates or reload Prometheus together."""
    assert settings.lab is not None
    lock = settings.lab.dir / "config" / "run-label.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with _THREADS, open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_labels(settings: Settings) -> dict[str, str]:
    """The external labels the lab's Prometheus runs with now (to keep them across a reload)."""
    state = _load_state(settings)
    return state[0] if state is not None else {}


def reset(settings: Settings) -> None:
    """A lab that just started has no groups: every alert is fresh."""
    _save_state(settings, {}, [])


def start_fresh_group(
    settings: Settings, alert: str, timeout_s: float = 10.0, also: tuple[str, ...] = ()
) -> dict[str, str] | None:
    """Labels under which `alert` will land in a new group, or None when the lab is not in charge.

    Reloads Prometheus only when `alert` was already drilled under the current label: a reload
    costs up to 5 s (Prometheus re-announces Alertmanager on a 5 s throttle).
    """
    if not lab_owns_prometheus(settings):
        return None
    with _locked(settings):
        return _fresh_labels(settings, (alert, *also), timeout_s)


def start_fresh_run(settings: Settings, alerts: Sequence[str], timeout_s: float = 10.0) -> bool:
    """Before a run's first drill: one reload (only when one of `alerts` was drilled under the current
    label), so that no drill of the run needs one while others are in flight. True when it reloaded."""
    if not lab_owns_prometheus(settings):
        return False
    with _locked(settings):
        state = _load_state(settings)
        if state is not None and not set(alerts) & set(state[1]):
            return False
        _reload_with_new_label(settings, [], timeout_s)
        return True


def _fresh_labels(settings: Settings, alerts: tuple[str, ...], timeout_s: float) -> dict[str, str]:
    assert settings.lab is not None
    state = _load_state(settings)
    if state is not None and not set(alerts) & set(state[1]):
        labels, used = state
        _save_state(settings, labels, [*used, *alerts])
        return labels
    return _reload_with_new_label(settings, list(alerts), timeout_s)


def _reload_with_new_label(settings: Settings, alerts: list[str], timeout_s: float) -> dict[str, str]:
    """A new value of the run label, loaded by Prometheus and announced to Alertmanager."""
    assert settings.lab is not None
    labels = {settings.lab.run_label: f"r{uuid.uuid4().hex[:10]}"}
    write_prometheus_config(settings, settings.lab.dir / "config", labels)
    prometheus = settings.prometheus_endpoint
    session = prometheus.session()
    answer = session.post(prometheus.at("/-/reload"), timeout=5)
    if answer.status_code != 200:
        raise LabError(f"Prometheus refused the reload ({answer.status_code}): {answer.text[:200]}")
    expected = f"{settings.lab.run_label}: {labels[settings.lab.run_label]}"

    def taken() -> bool:  # Prometheus announces neither; up to 5 s (its discovery throttle)
        loaded = expected in str(get_data(prometheus.at("/api/v1/status/config"), session).get("yaml", ""))
        return loaded and bool(get_data(prometheus.at("/api/v1/alertmanagers"), session).get("activeAlertmanagers"))

    if poll_until(taken, timeout_s, 0.02, on_error=(requests.RequestException, ValueError)):
        _save_state(settings, labels, alerts)
        return labels
    raise LabError(f"Prometheus did not take the new {settings.lab.run_label} label within {timeout_s:.0f} s")
