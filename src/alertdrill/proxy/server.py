"""HTTP fault proxy. Forwards every request to `--target`; while a fault is set, a share of requests
(`rate`) is delayed (`latency_ms`), answered with an error (`status`) or dropped (connection closed
with no answer). Control: `GET|PUT|DELETE /-/alertdrill/fault` with JSON
`{"rate": 1.0, "status": 503, "latency_ms": 0, "drop": false}`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import threading
import time
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import SplitResult, urlsplit

from alertdrill.serving import http_server, serve_until_stopped

CONTROL = "/-/alertdrill/fault"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
MAX_LATENCY_MS = 600_000
FORWARD_TIMEOUT_S = 30


@dataclass(frozen=True)
class Fault:
    rate: float = 0.0
    status: int | None = None
    latency_ms: int = 0
    drop: bool = False

    @classmethod
    def parse(cls, body: object) -> Fault:
        if not isinstance(body, dict):
            raise ValueError("the fault is a JSON object")
        for key in ("rate", "status", "latency_ms"):
            if isinstance(body.get(key), bool):
                raise ValueError(f"{key} must be a number, not {body[key]!r}")
        if not isinstance(body.get("drop", False), bool):
            raise ValueError(f"drop must be true or false, not {body['drop']!r}")
        fault = cls(
            float(body.get("rate", 1.0)),
            int(body["status"]) if body.get("status") else None,
            int(body.get("latency_ms", 0)),
            bool(body.get("drop", False)),
        )
        if not 0 <= fault.rate <= 1 or not 0 <= fault.latency_ms <= MAX_LATENCY_MS:
            raise ValueError(f"rate must be in [0, 1] and latency_ms in [0, {MAX_LATENCY_MS}]")
        if fault.status is not None and not 100 <= fault.status <= 599:
            raise ValueError("status must be an HTTP status code")
        return fault


class FaultState:
    def __init__(self) -> None:
        self._fault = Fault()
        self._lock = threading.Lock()
        self._random = random.Random()

    def get(self) -> Fault:
        with self._lock:
            return self._fault

    def set(self, fault: Fault) -> None:
        with self._lock:
            self._fault = fault

    def hits(self) -> Fault | None:
        """The fault, when this request is one of the share it applies to."""
        fault = self.get()
        with self._lock:
            return fault if fault.rate > 0 and self._random.random() < fault.rate else None


class ProxyHandler(BaseHTTPRequestHandler):
    """Forwards to `target`, except for the share of requests the current fault applies to."""

    protocol_version = "HTTP/1.1"
    target: SplitResult
    state: FaultState

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, code: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _control(self) -> None:
        if self.command in ("PUT", "POST"):
            try:
                self.state.set(Fault.parse(json.loads(self._body() or b"{}")))
            except (ValueError, KeyError, TypeError) as exc:
                self._reply(400, json.dumps({"error": str(exc)}).encode())
                return
        elif self.command == "DELETE":
            self.state.set(Fault())
        self._reply(200, json.dumps(asdict(self.state.get())).encode())

    def _apply(self, fault: Fault | None) -> bool:
        """Apply the fault to this request; True when it answered (or dropped) it."""
        if fault and fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault and fault.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if fault and fault.status:
            self._reply(fault.status, b"alertdrill fault proxy: injected error\n", "text/plain")
            return True
        return False

    def _forward(self) -> None:
        body = self._body()
        if self._apply(self.state.hits()):
            return
        connection = http.client.HTTPConnection(
            self.target.hostname or "127.0.0.1", self.target.port or 80, timeout=FORWARD_TIMEOUT_S
        )
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
        except OSError as exc:
            self._reply(502, f"alertdrill fault proxy: target unreachable ({exc})\n".encode(), "text/plain")
            return
        finally:
            connection.close()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in HOP_BY_HOP | {"content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        if self.path.split("?")[0] == CONTROL:
            self._control()
        else:
            self._forward()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle  # noqa: N815


def make_handler(target: str, state: FaultState) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (ProxyHandler,), {"target": urlsplit(target), "state": state})


def serve(listen: str, target: str) -> ThreadingHTTPServer:
    return http_server(listen, make_handler(target, FaultState()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", required=True, help="host:port, e.g. 127.0.0.1:9111")
    parser.add_argument("--target", required=True, help="base URL, e.g. http://127.0.0.1:9102")
    args = parser.parse_args(argv)
    serve_until_stopped(serve(args.listen, args.target))


if __name__ == "__main__":
    main()
