"""The webhook sink pushes arrivals to a waiting long poll, timestamped on receipt."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from alertdrill.observe.clients import SinkClient
from alertdrill.observe.watch import unescape_receiver
from alertdrill.sink.server import serve


@pytest.fixture
def sink() -> Iterator[str]:
    server = serve("127.0.0.1:0")  # the kernel's port, bound at once: no free port picked now and taken later
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


LONG_POLL_S = 10.0


def test_long_poll_answers_when_a_webhook_arrives(sink: str) -> None:
    client = SinkClient(sink)
    _, last = client.events(0, 0)
    posted: list[int] = []
    before = time.time()  # before the webhook can be sent, however late this thread runs
    webhook = threading.Timer(
        0.1, lambda: posted.append(requests.post(f"{sink}/hook/x", json={"receiver": "team"}, timeout=5).status_code)
    )
    webhook.start()
    try:
        arrivals, newest = client.events(last, LONG_POLL_S)
        answered = time.time()
    finally:
        webhook.join(timeout=10)
    assert answered - before < LONG_POLL_S  # answered by the arrival, not by the long poll's timeout
    assert newest == last + 1 and arrivals[0]["payload"] == {"receiver": "team"} and posted == [200]
    assert arrivals[0]["path"] == "/hook/x" and before <= arrivals[0]["received_at"] <= answered


def test_long_poll_returns_empty_at_its_timeout(sink: str) -> None:
    assert SinkClient(sink).events(0, 0.05) == ([], 0)


def test_bad_payloads_are_refused(sink: str) -> None:
    answer = requests.post(f"{sink}/hook", data=b"not json", timeout=5)
    assert answer.status_code == 400


def test_receiver_names_are_unescaped() -> None:
    assert unescape_receiver(r"sre\.pager") == "sre.pager"
    assert unescape_receiver("payments-oncall") == "payments-oncall"
