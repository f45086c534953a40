"""The small HTTP servers alertdrill runs as processes of their own (the sink, the fault proxy, the
lab's demo services): bound to one `host:port`, served until SIGINT or SIGTERM, always closed."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connection attempts when many drills long-poll the sink and
    # Alertmanager delivers at once; a dropped SYN is retried after 1 s, which a notification's
    # receipt time would carry as error (measured in benchmarks/: p99 1.02 s at 10 drills at once).
    request_queue_size = 256


def http_server(listen: str, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    host, _, port = listen.rpartition(":")
    return _Server((host or "127.0.0.1", int(port)), handler)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def serve_until_stopped(server: ThreadingHTTPServer, on_stop: Callable[[], None] | None = None) -> None:
    """Serve until SIGINT/SIGTERM (SIGTERM is taken as an interrupt when called from the main thread)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        if on_stop is not None:
            on_stop()
        server.server_close()
