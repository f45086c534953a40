"""Ground truth for delivery: a webhook receiver in its own process (not the harness's sink) that
timestamps every arrival on receipt and appends it to a JSON-lines file.

    python benchmarks/recorder.py 127.0.0.2:PORT truth.jsonl
"""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler

from alertdrill.serving import http_server, serve_until_stopped


def main() -> None:
    listen, out = sys.argv[1], sys.argv[2]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            received = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with open(out, "a", encoding="utf-8") as sink:
                sink.write(json.dumps({"t": received, "payload": json.loads(body or b"{}")}) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    serve_until_stopped(http_server(listen, Handler))


if __name__ == "__main__":
    main()
