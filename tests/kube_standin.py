"""A stand-in for the Kubernetes API server: a Kubernetes API server cannot run on these machines, so
this local HTTP server plays its part for the exact requests alertdrill makes. It answers from a
script (method, path) -> [(status, JSON body), ...] (the last answer repeats) and records every
request: method, path, query, content type and body. `exec` is answered as the API server does, over
a WebSocket (channel protocol v4), with a Success status on the error channel."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str
    body: Any


@dataclass
class StandIn:
    script: dict[tuple[str, str], list[tuple[int, Any]]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def answer(self, method: str, path: str, *answers: tuple[int, Any]) -> None:
        self.script[(method, path)] = list(answers)

    def requests(self) -> list[tuple[str, str]]:
        return [(s.method, s.path) for s in self.seen]

    def _next(self, method: str, path: str) -> tuple[int, Any]:
        answers = self.script.get((method, path))
        if not answers:
            return 404, {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "reason": "NotFound",
                "message": f"{path} not found",
                "code": 404,
            }
        return answers.pop(0) if len(answers) > 1 else answers[0]


def status(code: int, reason: str) -> tuple[int, Any]:
    return code, {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "reason": reason,
        "code": code,
        "message": reason,
    }


def _frame(opcode: int, payload: bytes) -> bytes:
    assert len(payload) < 126
    return bytes([0x80 | opcode, len(payload)]) + payload


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _handle(self) -> None:
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw) if raw else None
            standin.seen.append(
                Seen(self.command, url.path, parse_qs(url.query), self.headers.get("Content-Type", ""), body)
            )
            if self.headers.get("Upgrade", "").lower() == "websocket":
                self._exec()
                return
            code, answer = standin._next(self.command, url.path)
            data = json.dumps(answer).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _exec(self) -> None:
            key = self.headers["Sec-WebSocket-Key"]
            accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
            self.send_response(101, "Switching Protocols")
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept)
            self.send_header("Sec-WebSocket-Protocol", "v4.channel.k8s.io")
            self.end_headers()
            self.wfile.write(_frame(0x2, b"\x03" + json.dumps({"metadata": {}, "status": "Success"}).encode()))
            self.wfile.write(_frame(0x8, (1000).to_bytes(2, "big")))
            self.wfile.flush()
            self.close_connection = True

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

    return Handler


@contextmanager
def standin_api() -> Iterator[StandIn]:
    standin = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()


def write_kubeconfig(path: Path, server: str) -> Path:
    """Two contexts on the stand-in: `drills` (allowed in the tests) and `prod` (current, never allowed)."""
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "prod",
                "clusters": [{"name": "standin", "cluster": {"server": server}}],
                "users": [{"name": "drill", "user": {"token": "t0ken"}}],
                "contexts": [
                    {"name": "drills", "context": {"cluster": "standin", "user": "drill"}},
                    {"name": "prod", "context": {"cluster": "standin", "user": "drill"}},
                ],
            }
        )
    )
    return path
