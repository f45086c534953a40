"""A demo HTTP service for the lab: serves `/`, exports Prometheus metrics, takes faults at `/-/fault`.

It serves itself a steady synthetic load (20 requests a second through the same handler logic), so
an error fault shows in `demo_http_requests_total{code="500"}` at once, like a real busy service.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler

from alertdrill.serving import http_server, serve_until_stopped

LOAD_RPS = 20


class State:
    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self.error_rate = 0.0
        self.error_status = 500
        self.counts: dict[int, int] = {200: 0, 500: 0}
        self.started = time.time()
        self._rng = random.Random(0)

    def handle(self) -> int:
        with self.lock:
            failing = self.error_rate >= 1.0 or self._rng.random() < self.error_rate
            code = self.error_status if failing else 200
            self.counts[code] = self.counts.get(code, 0) + 1
            return code

    def metrics(self) -> str:
        with self.lock:
            lines = ["# TYPE demo_http_requests_total counter"]
            lines += [
                f'demo_http_requests_total{{service="{self.name}",code="{c}"}} {n}'
                for c, n in sorted(self.counts.items())
            ]
            lines += [
                "# TYPE demo_fault_error_rate gauge",
                f"demo_fault_error_rate {self.error_rate}",
                "# TYPE demo_start_time_seconds gauge",
                f"demo_start_time_seconds {self.started}",
            ]
        return "\n".join(lines) + "\n"


def make_handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def reply(self, code: int, body: str, kind: str = "text/plain") -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/metrics":
                self.reply(200, state.metrics(), "text/plain; version=0.0.4")
            elif self.path == "/-/healthy":
                self.reply(200, "ok\n")
            else:
                code = state.handle()
                self.reply(code, "ok\n" if code == 200 else "injected error\n")

        def do_POST(self) -> None:
            if self.path != "/-/fault":
                self.reply(404, "not found\n")
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                rate = float(body.get("error_rate", 0.0))
                status = int(body.get("status", 500))
            except (ValueError, TypeError, AttributeError):
                self.reply(400, "expected JSON {error_rate: 0..1, status: int}\n")
                return
            with state.lock:
                state.error_rate, state.error_status = max(0.0, min(rate, 1.0)), status
            self.reply(200, json.dumps({"error_rate": state.error_rate}) + "\n", "application/json")

    return Handler


def synthetic_load(state: State, stop: threading.Event) -> None:
    while not stop.wait(1.0 / LOAD_RPS):
        state.handle()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    state = State(args.name)
    stop = threading.Event()
    threading.Thread(target=synthetic_load, args=(state, stop), daemon=True).start()
    serve_until_stopped(http_server(f"{args.host}:{args.port}", make_handler(state)), on_stop=stop.set)


if __name__ == "__main__":
    main()
