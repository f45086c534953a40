"""The sink, started inside the harness for the duration of a run when nothing answers at `sink.listen`:
drilling a user's own stack needs no second process (a long-lived `alertdrill sink` stays possible).

It checks webhooks against `secret_file` (default: `$ALERTDRILL_SINK_SECRET_FILE`), the secret the
stack's receivers send (see `alertdrill.sink.auth`); without one, arrivals are marked unauthenticated
and never count as deliveries."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests

from alertdrill.sink import guard
from alertdrill.sink.arrivals import Arrivals
from alertdrill.sink.auth import ENV_FILE, WebhookAuth
from alertdrill.sink.server import serve

PROBE_S = 1.0


def answers(url: str) -> bool:
    try:
        return requests.get(f"{url.rstrip('/')}/-/healthy", timeout=PROBE_S).ok
    except requests.RequestException:
        return False


@contextmanager
def sink_for_run(
    listen: str, smtp: str, progress: Callable[[str], None], secret_file: Path | None = None
) -> Iterator[bool]:
    """Yields True when it started a sink (stopped on exit), False when one already answers or `listen`
    is not on this machine (then reachability checks say what is wrong). A secret file that cannot be
    used raises `SecretError` (its message names the file, never the secret)."""
    host = listen.rpartition(":")[0].strip("[]") or "127.0.0.1"
    if answers(f"http://{listen}") or not guard.is_loopback(host):
        yield False
        return
    auth = WebhookAuth.from_file(secret_file or os.environ.get(ENV_FILE) or None)
    arrivals = Arrivals()
    with ExitStack() as stack:
        server = serve(listen, arrivals, auth=auth)
        stack.callback(server.server_close)
        thread = threading.Thread(target=server.serve_forever, name="alertdrill-sink", daemon=True)
        thread.start()
        stack.callback(thread.join, 5.0)
        stack.callback(server.shutdown)
        if smtp:
            from alertdrill.sink.smtp import start_smtp

            stack.callback(start_smtp(smtp, arrivals, auth).stop)
        progress(
            f"sink: nothing answered at {listen}, so this run serves it itself until it ends"
            + (
                ""
                if auth.configured
                else f" (no secret file: its arrivals will not count as deliveries; set {ENV_FILE})"
            )
        )
        yield True
