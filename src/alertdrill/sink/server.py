"""Webhook sink server.

`POST <any path>` stores an Alertmanager webhook payload, timestamped on receipt (this process's
clock). `GET /events?after=N&timeout=S` long-polls: it answers as soon as an arrival newer than N
exists, or after S seconds (at most 10) with none. So the harness sees arrivals pushed, not polled.
`GET /ack/<token>?by=NAME` is the acknowledgement link of a drill for people and
`GET /abort/<token>?by=NAME` a drill's kill switch: each is stored like a webhook (path
`/ack/<token>`, `/abort/<token>`) and answers a page a person can read; a token the harness did not
register answers 404 (see `alertdrill.sink.tokens`).

Alertmanager notifications need the run's secret when the sink has one (`--secret-file`, see
`alertdrill.sink.auth`): a POST whose payload claims to be one (it has `alerts`, `receiver` or
`groupKey`) without `Authorization: Bearer <secret>` answers 401 and is stored marked `rejected: 401`,
so the harness can say a forged notification was refused. Any other POST (an Apprise page to a person,
say) and every POST to a sink without a secret is stored marked `authenticated: false`; the harness
never counts such an arrival as a delivery.

Hardened, because anything on the network may talk to it: a body needs a Content-Length of at most
`MAX_BODY` (411/400/413 otherwise, unread), a Host header the sink answers to (400), a free handler
thread (503), and arrives within a deadline; memory is bounded in `Arrivals`.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import sys
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from alertdrill.serving import serve_until_stopped
from alertdrill.sink import guard
from alertdrill.sink.arrivals import Arrivals
from alertdrill.sink.auth import ENV_FILE, SecretError, WebhookAuth, claims_delivery
from alertdrill.sink.tokens import ENV_MODE, MODES, PATH, TokenBook

MAX_BODY = 4 * 1024 * 1024
CHUNK = 64 * 1024
PAGES = {
    "ack": (
        "<!doctype html><title>Acknowledged</title>"
        "<p>Acknowledged by {by}. The alert's drill clock has recorded it; now recover the service.</p>"
    ),
    "abort": (
        "<!doctype html><title>Drill stopped</title>"
        "<p>Kill switch pulled by {by}. The drill ends now and its fault is being reverted.</p>"
    ),
}
USAGE = {"error": "POST webhooks anywhere; GET /events?after=N&timeout=S"}


def _first_segment(path: str) -> str:
    """`/ack/x` -> `ack`; "" for `/` or a path that does not start with a slash."""
    return path.split("/")[1] if path.startswith("/") else ""


class SinkHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = guard.IDLE_S  # socket timeout: an idle or silent connection is closed
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall
    arrivals: Arrivals
    tokens: TokenBook
    auth: WebhookAuth
    server: guard.BoundedServer

    def log_message(self, *args: object) -> None:
        pass

    def handle_one_request(self) -> None:
        self.server.start_request(self.connection)
        try:
            super().handle_one_request()
        finally:
            self.server.end_request(self.connection)

    def reply(
        self,
        code: int,
        body: object,
        content_type: str = "application/json",
        close: bool = False,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def refuse(self, code: int, error: str) -> None:
        """An error answer after which the connection closes (a body, if any, stays unread)."""
        self.reply(code, {"error": error}, close=True)

    def admitted(self) -> bool:
        """Host and framing checks every request passes before it is looked at."""
        if len(self.headers.get_all("Host") or []) != 1 or not self.server.host_check.allows(self.headers["Host"]):
            self.refuse(400, "unknown Host: the sink answers to its own address only")
            return False
        return True

    def read_body(self) -> bytes | None:
        """The body, when its framing is sound and its size bounded; else an error answer and None."""
        if self.headers.get("Transfer-Encoding") is not None:
            self.refuse(411, "send a Content-Length (chunked bodies are not accepted)")
            return None
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            self.refuse(411, "a Content-Length is required")
            return None
        if len(lengths) != 1 or not lengths[0].strip().isdigit() or len(lengths[0].strip()) > 12:
            self.refuse(400, "Content-Length must be one non-negative integer")
            return None
        length = int(lengths[0])
        if length > MAX_BODY:
            self.refuse(413, f"payload too large (at most {MAX_BODY} bytes)")
            return None
        chunks, left = [], length
        while left:
            chunk = self.rfile.read(min(left, CHUNK))
            if not chunk:  # the client went away, or the deadline cut it off
                self.close_connection = True
                return None
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def no_body(self) -> bool:
        """A GET carries no body (one left unread would be taken for the next request)."""
        if self.headers.get("Transfer-Encoding") is not None or self.headers.get("Content-Length", "0") != "0":
            self.refuse(400, "a GET request carries no body")
            return False
        return True

    def do_GET(self) -> None:
        if not self.admitted() or not self.no_body():
            return
        url = urlsplit(self.path)
        if url.path == "/-/healthy":
            self.reply(
                200,
                {
                    "status": "ok",
                    **self.arrivals.stats(),
                    "refused": self.server.refused,
                    "authenticates": self.auth.configured,
                },
            )
        elif url.path == "/events":
            self.events(parse_qs(url.query))
        elif (kind := _first_segment(url.path)) in PAGES and len(url.path) > len(kind) + 2:
            self.link(kind, url.path[len(kind) + 2 :], parse_qs(url.query))
        else:
            self.reply(404, USAGE)

    def events(self, query: dict[str, list[str]]) -> None:
        try:
            after = int(query.get("after", ["0"])[0][:20])
            timeout = float(query.get("timeout", ["0"])[0][:20])
        except ValueError:
            self.reply(400, {"error": "after and timeout must be numbers"})
            return
        if not math.isfinite(timeout):
            self.reply(400, {"error": "timeout must be a finite number of seconds"})
            return
        self.server.start_request(self.connection, extra_s=min(max(timeout, 0.0), 10.0))
        items, last = self.arrivals.after(after, timeout)
        self.reply(200, {"events": items, "last": last, "dropped": self.arrivals.dropped})

    def link(self, kind: str, token: str, query: dict[str, list[str]]) -> None:
        if not self.tokens.honours(kind, token):
            self.reply(404, {"error": f"no drill has this {kind} link (it ended, or the link is mistyped)"})
            return
        by = query.get("by", [""])[0][:100]
        self.arrivals.add(f"/{kind}/{token}", {kind: token, "by": by or self.client_address[0]})
        self.reply(200, PAGES[kind].format(by=html.escape(by or "you")), "text/html; charset=utf-8")

    def do_POST(self) -> None:
        if not self.admitted():
            return
        raw = self.read_body()
        if raw is None:
            return
        try:
            payload = json.loads(raw or b"null")
        except (ValueError, RecursionError):
            self.reply(400, {"error": "expected a JSON webhook payload"})
            return
        path = urlsplit(self.path).path
        if path == PATH:
            self.register(payload)
        elif _first_segment(path) in (*PAGES, "-"):
            self.reply(405, {"error": f"{path} is not a webhook path: links are opened with GET"})
        else:
            self.webhook(path, payload, len(raw))

    def webhook(self, path: str, payload: object, size: int) -> None:
        """Store a webhook, marked with whether it carried the secret; 401 when the sink has one and the payload
        claims to be an Alertmanager notification without it."""
        if not self.auth.configured or not claims_delivery(payload):
            self.reply(200, {"seq": self.arrivals.add(path, payload, size=size, authenticated=False)})
        elif self.auth.allows(self.headers.get("Authorization")):
            self.reply(200, {"seq": self.arrivals.add(path, payload, size=size, authenticated=True)})
        else:
            self.arrivals.add(path, payload, size=size, authenticated=False, rejected=401)
            self.reply(
                401,
                {"error": "this sink accepts webhooks only with its secret (Authorization: Bearer ...)"},
                headers=(("WWW-Authenticate", 'Bearer realm="alertdrill sink"'),),
            )

    def register(self, payload: object) -> None:
        if not guard.is_loopback(str(self.client_address[0])):
            self.reply(403, {"error": "tokens are registered from this machine only"})
            return
        try:
            assert isinstance(payload, dict)
            self.tokens.register(str(payload.get("kind")), str(payload.get("token")))
        except (AssertionError, ValueError) as exc:
            self.reply(400, {"error": str(exc) or 'expected {"kind": ..., "token": ...}'})
            return
        self.reply(200, {"registered": True})


def make_handler(
    arrivals: Arrivals, tokens: TokenBook | None = None, idle_s: float = guard.IDLE_S, auth: WebhookAuth | None = None
) -> type[SinkHandler]:
    book = tokens or TokenBook()
    return type(
        "Handler",
        (SinkHandler,),
        {"arrivals": arrivals, "tokens": book, "timeout": idle_s, "auth": auth or WebhookAuth()},
    )


def serve(
    listen: str,
    arrivals: Arrivals | None = None,
    *,
    tokens: TokenBook | None = None,
    max_threads: int = guard.MAX_THREADS,
    request_s: float = guard.REQUEST_S,
    idle_s: float = guard.IDLE_S,
    extra_hosts: tuple[str, ...] = (),
    auth: WebhookAuth | None = None,
) -> guard.BoundedServer:
    host, _, port = listen.rpartition(":")
    handler = make_handler(arrivals or Arrivals(), tokens, idle_s, auth)
    return guard.BoundedServer(
        (host.strip("[]") or "127.0.0.1", int(port)),
        handler,
        max_threads=max_threads,
        request_s=request_s,
        extra_hosts=extra_hosts,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", default="127.0.0.1:9095")
    parser.add_argument("--smtp", default="", help="also receive email (SMTP) here, e.g. 127.0.0.1:9096")
    parser.add_argument(
        "--tokens",
        choices=MODES,
        default=os.environ.get(ENV_MODE, "auto"),
        help=f"which ack/abort links to honour (default: ${ENV_MODE} or auto)",
    )
    parser.add_argument("--allow-host", action="append", default=[], help="another Host name to answer to")
    parser.add_argument(
        "--secret-file",
        default=os.environ.get(ENV_FILE, ""),
        help=f"file holding the webhook secret (default: ${ENV_FILE}); without one, "
        "arrivals are marked unauthenticated and never count as deliveries",
    )
    args = parser.parse_args(argv)
    if args.tokens not in MODES:  # from the environment: argparse checks only what was typed
        parser.error(f"{ENV_MODE}={args.tokens!r}: use one of {', '.join(MODES)}")
    try:
        auth = WebhookAuth.from_file(args.secret_file)
    except SecretError as exc:
        parser.error(str(exc))
    host = args.listen.rpartition(":")[0]
    if not guard.is_loopback(host or "127.0.0.1"):
        print(
            f"alertdrill sink: listening on {args.listen}, beyond this machine: anyone who reaches it can post "
            "webhooks to it",
            file=sys.stderr,
        )
    if not auth.configured:
        print(
            "alertdrill sink: no secret file: webhooks are accepted but marked unauthenticated, and a drill "
            "never counts them as deliveries (see --secret-file)",
            file=sys.stderr,
        )
    arrivals = Arrivals()
    server = serve(args.listen, arrivals, tokens=TokenBook(args.tokens), extra_hosts=tuple(args.allow_host), auth=auth)
    smtp = None
    if args.smtp:
        from alertdrill.sink.smtp import start_smtp

        smtp = start_smtp(args.smtp, arrivals, auth)
    serve_until_stopped(server, on_stop=smtp.stop if smtp is not None else None)


if __name__ == "__main__":
    main()
