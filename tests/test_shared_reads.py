"""One read of the alert lists per run, however many drills watch: a production Prometheus must not be
asked hundreds of times a second because a suite runs in parallel."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from alertdrill.config import Settings
from alertdrill.drill.environment import Environment
from alertdrill.observe.clients import Alertmanager
from alertdrill.observe.noise import NoiseWatch
from alertdrill.observe.shared_reads import Fresh
from alertdrill.observe.watch import WatchTarget
from alertdrill.score.events import EventName, Timeline
from tests.conftest import send_json


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_read_younger_than_its_max_age_is_shared_and_an_error_is_never_kept() -> None:
    clock, answers = Clock(), iter([1, 2])

    def fetch() -> int:
        value = next(answers, None)
        if value is None:
            raise ConnectionError("down")
        return value

    fresh = Fresh(fetch, 0.5, clock)
    assert [fresh.get(), fresh.get()] == [1, 1] and fresh.reads == 1
    clock.now += 0.5
    assert fresh.get() == 2 and fresh.reads == 2
    clock.now += 0.5
    with pytest.raises(ConnectionError):
        fresh.get()
    with pytest.raises(ConnectionError):  # asked again, not answered from the failed read
        fresh.get()


class SlowServer:
    """A read that blocks until released, answering from `outcomes` (an exception is raised)."""

    def __init__(self, *outcomes: str | Exception) -> None:
        self.outcomes = iter(outcomes)
        self.started, self.release = threading.Event(), threading.Event()

    def read(self) -> str:
        self.started.set()
        assert self.release.wait(10)
        outcome = next(self.outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def ask_together(self, fresh: Fresh[str], callers: int) -> list[str]:
        """One caller starts a read; the others ask while it runs; then it is released."""
        self.started.clear()
        self.release.clear()
        answers: list[str] = []

        def ask() -> None:
            try:
                answers.append(fresh.get())
            except ConnectionError as exc:
                answers.append(type(exc).__name__)

        threads = [threading.Thread(target=ask) for _ in range(callers)]
        threads[0].start()
        assert self.started.wait(10)
        for thread in threads[1:]:
            thread.start()
        self.release.set()
        for thread in threads:
            thread.join(10)
        return answers


def test_callers_waiting_on_a_slow_read_take_its_answer_however_small_the_max_age() -> None:
    """A read slower than the max age is still shared by the callers that asked while it ran; a failed
    one is raised to each of them, and asked again by the next caller."""
    clock, server = Clock(), SlowServer("alerts", ConnectionError("down"), "later")
    fresh = Fresh(
        server.read, 0.0, clock
    )  # the clock stands still while a read runs: every caller asked before it ended
    assert server.ask_together(fresh, 6) == ["alerts"] * 6 and fresh.reads == 1
    clock.now += 1
    assert server.ask_together(fresh, 6) == ["ConnectionError"] * 6 and fresh.reads == 2
    clock.now += 1
    server.release.set()
    assert fresh.get() == "later" and fresh.reads == 3


def test_alertmanager_alerts_from_the_shared_read_are_filtered_by_name_and_labels() -> None:
    held = [
        {"labels": {"alertname": "A", "drill_run": "r1"}, "fingerprint": "1"},
        {"labels": {"alertname": "A", "drill_run": "r2"}, "fingerprint": "2"},
        {"labels": {"alertname": "B", "drill_run": "r1"}, "fingerprint": "3"},
    ]
    alertmanager = Alertmanager("http://127.0.0.1:1", alerts_from=lambda: held)
    assert [a["fingerprint"] for a in alertmanager.alerts("A", {"drill_run": "r1"})] == ["1"]
    assert [a["fingerprint"] for a in alertmanager.alerts_matching({"drill_run": "r1"})] == ["1", "3"]
    assert len(alertmanager.every_alert()) == 3


class Counting(BaseHTTPRequestHandler):
    hits: ClassVar[dict[str, int]] = {}
    lock = threading.Lock()

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
        body = {"data": {"alerts": []}} if path == "/api/v1/alerts" else []
        send_json(self, body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def counting_server() -> Iterator[tuple[str, dict[str, int]]]:
    hits: dict[str, int] = {}
    handler = type("Handler", (Counting,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_every_observer_of_a_run_shares_one_read_of_each_alert_list(
    tmp_path: Path, counting_server: tuple[str, dict[str, int]]
) -> None:
    url, hits = counting_server
    settings = Settings(tmp_path / "alertdrill.yml", prometheus=url, alertmanager=url, poll_interval_s=60.0)
    env = Environment(settings)
    for _ in range(20):  # twenty drills' observers, each with its own client
        env.prometheus().alerts()
        env.alertmanager().alerts("A", {"drill_run": "r1"})
        env.alertmanager().alerts_matching({"drill_run": "r1"})
        env.alertmanager().metrics()
    assert hits == {"/api/v1/alerts": 1, "/api/v2/alerts": 1, "/metrics": 1}


def test_a_parallel_drills_noise_picture_leaves_out_the_alerts_drilled_beside_it() -> None:
    now = datetime.now(UTC).isoformat()

    class Prometheus:
        def alerts(self) -> list[dict[str, object]]:
            return [
                {"labels": {"alertname": n}, "state": "firing", "activeAt": now} for n in ("Mine", "Beside", "Stray")
            ]

    timeline = Timeline()
    watch = NoiseWatch(
        WatchTarget("Mine", time.time() - 5, lambda receiver: None),
        timeline,
        Prometheus(),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]  # Alertmanager is not read here
        None,
        ignored=frozenset({"Beside"}),
    )
    watch._poll_prometheus()
    assert {e.detail("alert") for e in timeline.events() if e.name == EventName.FIRING} == {"Stray"}
