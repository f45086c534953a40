"""Runbook web links and Apprise messages, against real local HTTP servers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alertdrill.catalog.links import link_problem
from alertdrill.observe.clients import SinkClient
from alertdrill.publish.notifiers import redact, send
from alertdrill.sink.server import serve


class Wiki(BaseHTTPRequestHandler):
    """A runbook wiki: /runbooks/ok.md exists, /old.md moves there, /away.md moves to another host."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        moves = {"/old.md": "/runbooks/ok.md", "/away.md": "https://elsewhere.example.invalid/ok.md"}
        if self.path in moves:
            self.send_response(301)
            self.send_header("Location", moves[self.path])
        else:
            self.send_response(200 if self.path == "/runbooks/ok.md" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[str]:
    """`host:port` of `server`, served from a thread until the block ends."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"{server.server_address[0]!s}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def wiki() -> Iterator[str]:
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Wiki)) as address:
        yield f"http://{address}"


@pytest.fixture
def sink() -> Iterator[str]:
    with serving(serve("127.0.0.1:0")) as address:
        yield address


def test_a_loopback_runbook_page_must_answer_200(wiki: str) -> None:
    assert link_problem(f"{wiki}/runbooks/ok.md", ()) is None
    assert link_problem(f"{wiki}/old.md", ()) is None  # redirects among allowed hosts are followed
    assert link_problem(f"{wiki}/runbooks/gone.md", ()) == f"GET {wiki}/runbooks/gone.md answered 404; expected 200"
    assert "a host not in runbook_hosts" in (link_problem(f"{wiki}/away.md", ()) or "")


def test_a_dead_loopback_host_is_a_problem() -> None:
    assert "failed (ConnectionError)" in (link_problem("http://127.0.0.1:9/runbooks/x.md", ()) or "")


def test_only_hosts_in_runbook_hosts_are_fetched() -> None:
    # 127.0.0.2 stands in for a company wiki: it is not one of the loopback names, so it needs listing.
    with serving(ThreadingHTTPServer(("127.0.0.2", 0), Wiki)) as address:
        url = f"http://{address}/runbooks/gone.md"
        assert link_problem(url, ()) is None  # not fetched at all
        assert link_problem(url, ("127.0.0.2",)) == f"GET {url} answered 404; expected 200"


def test_redacted_urls_keep_no_secret() -> None:
    assert redact("json://user:hunter2@127.0.0.1:8080/hooks/T0KEN") == "json://127.0.0.1:8080/****"
    assert "hunter2" not in redact("mailto://ops:hunter2@mail.example.invalid")
    assert redact("nonsense://a:b@c") == "nonsense://****"


def test_send_delivers_through_apprise_and_reports_each_url(sink: str) -> None:
    outcomes = send([f"json://{sink}/people/T0KEN", "nonsense://x"], "title", "body text")
    assert [(o.url, o.ok) for o in outcomes] == [(f"json://{sink}/****", True), ("nonsense://****", False)]
    arrivals, _ = SinkClient(f"http://{sink}").events(0, 0)
    assert [(a["path"], a["payload"]["title"], a["payload"]["message"]) for a in arrivals] == [
        ("/people/T0KEN", "title", "body text")
    ]
    assert json.dumps([o.__dict__ for o in outcomes]).count("T0KEN") == 0
