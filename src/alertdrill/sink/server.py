"""Webhook sink server.

`POST <any path>` stores an Alertmanager webhook payload, timestamped on receipt (this process's
clock). `GET /events?after=N&timeout=S` long-polls: it answers as soon as an arrival newer than N
exists, or after S seconds (at most 10) with none. So the harness sees arrivals pushed, not polled.
`GET /ack/<token>?by=NAME` is the acknowledgement link of a drill for people and
`GET /abort/<token>?by=NAME` a drill's kill switch: each is stored like a webhook (path
`/ack/<token>`, `/abort/<token>`) and answers a page a person can read.
"""

from __future__ import annotations

import argparse
import html
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from alertdrill.serving import http_server, serve_until_stopped
from alertdrill.sink.arrivals import Arrivals

MAX_BODY = 4 * 1024 * 1024
PAGES = {
    "ack": ("<!doctype html><title>Acknowledged</title>"
            "<p>Acknowledged by {by}. The alert's drill clock has recorded it; now recover the service.</p>"),
    "abort": ("<!doctype html><title>Drill stopped</title>"
              "<p>Kill switch pulled by {by}. The drill ends now and its fault is being reverted.</p>"),
}


def make_handler(arrivals: Arrivals) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def reply(self, code: int, body: object, content_type: str = "application/json") -> None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/-/healthy":
                self.reply(200, {"status": "ok"})
            elif url.path == "/events":
                query = parse_qs(url.query)
                try:
                    after = int(query.get("after", ["0"])[0])
                    timeout = float(query.get("timeout", ["0"])[0])
                except ValueError:
                    self.reply(400, {"error": "after and timeout must be numbers"})
                    return
                items, last = arrivals.after(after, timeout)
                self.reply(200, {"events": items, "last": last})
            elif (kind := url.path.split("/")[1]) in PAGES and len(url.path) > len(kind) + 2:
                by = parse_qs(url.query).get("by", [""])[0][:100]
                arrivals.add(url.path, {kind: url.path[len(kind) + 2:], "by": by or self.client_address[0]})
                self.reply(200, PAGES[kind].format(by=html.escape(by or "you")), "text/html; charset=utf-8")
            else:
                self.reply(404, {"error": "POST webhooks anywhere; GET /events?after=N&timeout=S"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            if length > MAX_BODY:
                self.reply(413, {"error": "payload too large"})
                return
            raw = self.rfile.read(length)
            try:
                payload = json.loads(raw or b"null")
            except ValueError:
                self.reply(400, {"error": "expected a JSON webhook payload"})
                return
            self.reply(200, {"seq": arrivals.add(urlsplit(self.path).path, payload)})

    return Handler


def serve(listen: str, arrivals: Arrivals | None = None) -> ThreadingHTTPServer:
    return http_server(listen, make_handler(arrivals or Arrivals()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", default="127.0.0.1:9095")
    parser.add_argument("--smtp", default="", help="also receive email (SMTP) here, e.g. 127.0.0.1:9096")
    args = parser.parse_args(argv)
    arrivals = Arrivals()
    server = serve(args.listen, arrivals)
    smtp = None
    if args.smtp:
        from alertdrill.sink.smtp import start_smtp

        smtp = start_smtp(args.smtp, arrivals)
    serve_until_stopped(server, on_stop=smtp.stop if smtp is not None else None)


if __name__ == "__main__":
    main()
