"""The sink against hostile clients: bounded bodies, bounded memory, bounded threads, a deadline per
request, Host names it answers to, and ack/abort links only for registered tokens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from alertdrill.processes import free_port
from alertdrill.sink.arrivals import Arrivals
from alertdrill.sink.guard import BoundedServer, HostCheck
from alertdrill.sink.server import MAX_BODY, serve
from alertdrill.sink.tokens import TokenBook, register

GOOD = "drilltoken_0123456789"


@dataclass
class Sink:
    url: str
    port: int
    server: BoundedServer
    arrivals: Arrivals


@pytest.fixture
def sink() -> Iterator[Sink]:
    arrivals = Arrivals(keep=50, max_bytes=20_000)
    server = serve(
        f"127.0.0.1:{free_port()}", arrivals, tokens=TokenBook("strict"), max_threads=3, request_s=1.0, idle_s=0.5
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = server.server_address[1]
    yield Sink(f"http://127.0.0.1:{port}", port, server, arrivals)
    server.shutdown()
    server.server_close()


def ask(method: str, url: str, **options: object) -> requests.Response:
    """A request that waits out the sink's "busy" 503 as its Retry-After asks (10 times at most): the
    test sink has 3 handler threads, and on a loaded machine the previous request's may still be held."""
    retry = Retry(total=10, status_forcelist=[503], allowed_methods=None, respect_retry_after_header=True)
    with requests.Session() as session:
        session.mount("http://", HTTPAdapter(max_retries=retry))
        return session.request(method, url, **options)  # type: ignore[arg-type]


def raw(sink: Sink, data: bytes, wait_s: float = 3.0) -> bytes:
    """Send raw bytes; everything the sink answers until it closes (or `wait_s`)."""
    with socket.create_connection(("127.0.0.1", sink.port), timeout=wait_s) as conn:
        conn.sendall(data)
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
    return answer


def post_head(length: str | None, extra: str = "", host: str = "127.0.0.1") -> bytes:
    head = f"POST /hook HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{extra}"
    head += f"Content-Length: {length}\r\n" if length is not None else ""
    return (head + "\r\n").encode()


@pytest.mark.parametrize(
    ("length", "extra", "status"),
    [
        ("-1", "", b"400"),
        ("abc", "", b"400"),
        ("1e3", "", b"400"),
        (None, "", b"411"),
        (None, "Transfer-Encoding: chunked\r\n", b"411"),
        ("5", "Transfer-Encoding: chunked\r\n", b"411"),
        (str(MAX_BODY + 1), "", b"413"),
        (str(10**30), "", b"400"),
        ("5", "Content-Length: 6\r\n", b"400"),
    ],
)
def test_a_body_without_a_sound_bounded_length_is_refused_unread(
    sink: Sink, length: str | None, extra: str, status: bytes
) -> None:
    started = time.monotonic()
    answer = raw(sink, post_head(length, extra))  # headers only: the sink must answer without the body
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:80]
    assert b"Connection: close" in answer and time.monotonic() - started < 2
    assert sink.arrivals.stats()["last"] == 0


def test_a_get_with_a_body_is_refused(sink: Sink) -> None:
    answer = raw(sink, b"GET /-/healthy HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello")
    assert answer.startswith(b"HTTP/1.1 400")


def test_arrivals_are_capped_by_count_oldest_dropped_and_counted() -> None:
    arrivals = Arrivals(keep=100, max_bytes=10**9)
    for n in range(1000):
        arrivals.add("/hook", {"n": n})
    items, last = arrivals.after(0, 0)
    assert last == 1000 and len(items) == 100 and items[0]["seq"] == 901 and arrivals.dropped == 900


def test_arrivals_are_capped_by_bytes() -> None:
    arrivals = Arrivals(keep=10_000, max_bytes=10_000)
    for n in range(200):
        arrivals.add("/hook", {"n": n, "pad": "x" * 1000})
    stats = arrivals.stats()
    assert stats["bytes"] <= 10_000 and stats["kept"] == 9 and stats["dropped"] == 191


def test_a_flood_of_webhooks_keeps_memory_bounded_and_says_what_it_dropped(sink: Sink) -> None:
    with requests.Session() as session:
        for n in range(120):
            assert session.post(f"{sink.url}/hook", json={"n": n}, timeout=5).status_code == 200
        health = session.get(f"{sink.url}/-/healthy", timeout=5).json()
        events = session.get(f"{sink.url}/events", params={"after": 0}, timeout=5).json()
    assert health["kept"] == 50 and health["dropped"] == 70 and events["dropped"] == 70
    assert [e["payload"]["n"] for e in events["events"]] == list(range(70, 120))


def test_an_idle_connection_is_closed(sink: Sink) -> None:
    started = time.monotonic()
    assert raw(sink, b"", wait_s=5) == b""  # closed by the sink, not by our timeout
    assert time.monotonic() - started < 3


def test_a_slowly_trickling_request_is_cut_off_at_its_deadline(sink: Sink) -> None:
    with socket.create_connection(("127.0.0.1", sink.port), timeout=5) as conn:
        started, cut = time.monotonic(), False
        for byte in b"GET /-/healthy HTTP/1.1\r\nX-Slow: " + b"a" * 100:
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                cut = True
                break
            time.sleep(0.1)  # under the idle timeout each time, so only the request deadline stops it
            if time.monotonic() - started > 4:
                break
        cut = cut or conn.recv(100) == b""
    assert cut and time.monotonic() - started < 4


def test_connections_beyond_the_thread_bound_get_503(sink: Sink) -> None:
    holders = [socket.create_connection(("127.0.0.1", sink.port), timeout=5) for _ in range(3)]
    try:
        time.sleep(0.1)
        answer = raw(sink, b"GET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 503") and sink.server.refused >= 1
    finally:
        for holder in holders:
            holder.close()
    time.sleep(0.7)  # the idle timeout frees the slots
    assert ask("get", f"{sink.url}/-/healthy", timeout=5).status_code == 200


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("evil.example", b"400"),
        ("evil.example:9095", b"400"),
        ("127.0.0.1.nip.io", b"400"),
        ("", b"400"),
        ("localhost", b"200"),
        ("127.0.0.1:1234", b"200"),
        ("[::1]:9095", b"200"),
        ("LOCALHOST.", b"200"),
    ],
)
def test_only_its_own_host_names_are_answered(sink: Sink, host: str, status: bytes) -> None:
    answer = raw(sink, f"GET /-/healthy HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:60]


def test_no_host_or_two_hosts_are_refused(sink: Sink) -> None:
    assert raw(sink, b"GET /-/healthy HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 400")
    two = b"GET /-/healthy HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n"
    assert raw(sink, two).startswith(b"HTTP/1.1 400")


def test_a_wildcard_listen_answers_to_ip_literals_and_listed_names_only() -> None:
    check = HostCheck("0.0.0.0", ("drills.example.org",))
    assert check.allows("10.1.2.3:9095") and check.allows("drills.example.org") and check.allows("localhost")
    assert not check.allows("evil.example") and not check.allows(None)


def test_guessed_links_answer_404_and_record_nothing(sink: Sink) -> None:
    for path in (f"/abort/{GOOD}", f"/ack/{GOOD}", "/abort/x", "/abort/../../etc", "/ack/" + "a" * 500):
        answer = ask("get", f"{sink.url}{path}", params={"by": "mallory"}, timeout=5)
        assert answer.status_code == 404, path
    assert sink.arrivals.stats()["last"] == 0


def test_registered_links_are_honoured_once_registered(sink: Sink) -> None:
    register(sink.url, "abort", GOOD)
    answer = ask("get", f"{sink.url}/abort/{GOOD}", params={"by": "alice"}, timeout=5)
    assert answer.status_code == 200 and "Kill switch pulled by alice" in answer.text
    assert ask("get", f"{sink.url}/ack/{GOOD}", timeout=5).status_code == 404  # the kind matters
    (arrival,) = sink.arrivals.after(0, 0)[0]
    assert arrival["path"] == f"/abort/{GOOD}" and arrival["payload"] == {"abort": GOOD, "by": "alice"}


def test_links_cannot_be_forged_by_posting_to_their_path(sink: Sink) -> None:
    register(sink.url, "ack", GOOD)
    assert ask("post", f"{sink.url}/ack/{GOOD}", json={"by": "x"}, timeout=5).status_code == 405
    assert ask("post", f"{sink.url}/-/tokens", json={"kind": "ack", "token": "short"}, timeout=5).status_code == 400
    assert sink.arrivals.stats()["last"] == 0


def test_auto_mode_is_open_until_the_first_registration() -> None:
    book = TokenBook()
    assert book.honours("abort", GOOD)
    book.register("ack", "another_token_123")
    assert not book.honours("abort", GOOD) and book.honours("ack", "another_token_123")


def test_an_events_timeout_that_is_not_finite_is_refused(sink: Sink) -> None:
    assert ask("get", f"{sink.url}/events", params={"timeout": "nan"}, timeout=5).status_code == 400
    assert ask("get", f"{sink.url}/events", params={"after": "x"}, timeout=5).status_code == 400


def test_a_listen_beyond_loopback_is_announced_on_stderr() -> None:
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "alertdrill.sink.server", "--listen", f"0.0.0.0:{port}"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert child.stderr is not None
        line = child.stderr.readline()
    finally:
        child.terminate()
        child.wait(timeout=10)
    assert f"listening on 0.0.0.0:{port}, beyond this machine" in line


def test_a_burst_of_connections_gets_answers_not_a_dead_sink(sink: Sink) -> None:
    statuses: list[int | str] = []

    def call() -> None:
        try:
            statuses.append(requests.get(f"{sink.url}/events", params={"timeout": 0.3}, timeout=10).status_code)
        except requests.RequestException as exc:
            statuses.append(type(exc).__name__)

    callers = [threading.Thread(target=call) for _ in range(60)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=20)
    assert len(statuses) == 60 and set(statuses) <= {200, 503} and 503 in statuses, statuses
    assert sink.server.refused == statuses.count(503)
    assert ask("get", f"{sink.url}/-/healthy", timeout=5).status_code == 200
