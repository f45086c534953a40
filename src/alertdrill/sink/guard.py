"""What keeps the sink standing when what talks to it is hostile: a bounded number of handler threads
(the rest get 503 at once), a deadline per request (a slow client is cut off, not waited for), and the
Host names the sink answers to (a DNS-rebinding page in a responder's browser gets 400).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import queue
import socket
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any

MAX_THREADS = 64  # concurrent connections served; long polls hold one each for at most 10 s
IDLE_S = 10.0  # socket timeout: a connection silent this long is closed
REQUEST_S = 30.0  # a request (headers and body) must arrive within this, however slowly it trickles
REAP_EVERY_S = 0.5
WILDCARDS = ("", "0.0.0.0", "::")
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
ENV_HOSTS = "ALERTDRILL_SINK_ALLOW_HOSTS"  # more Host names, comma-separated (e.g. sink.public_url's host)
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b'Connection: close\r\nContent-Length: 40\r\n\r\n{"error": "too many connections, retry"}'
)


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_of(header: str) -> str:
    """`[::1]:9095` -> `::1`, `Example.org.:80` -> `example.org`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    name = header.rsplit(":", 1)[0] if header.count(":") == 1 else header
    return name.rstrip(".")


class HostCheck:
    """The Host names a request may carry: loopback names, the listen host, and `ALERTDRILL_SINK_ALLOW_HOSTS`;
    on a wildcard listen also this machine's names and any IP literal."""

    def __init__(self, listen_host: str, extra: tuple[str, ...] = ()) -> None:
        from_env = tuple(h for h in os.environ.get(ENV_HOSTS, "").split(",") if h.strip())
        self.wildcard = listen_host.strip("[]") in WILDCARDS
        names = {host_of(h) for h in (listen_host, *extra, *from_env) if h}
        if self.wildcard:
            names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        self.names = frozenset(names - {""})

    def allows(self, header: str | None) -> bool:
        if not header or len(header) > 255:
            return False
        host = host_of(header)
        if is_loopback(host) or host in self.names:
            return True
        if self.wildcard:
            try:
                ipaddress.ip_address(host)
                return True
            except ValueError:
                return False
        return False


class BoundedServer(ThreadingHTTPServer):
    """A thread per connection, at most `max_threads` at once; each request under a deadline."""

    daemon_threads = True
    request_queue_size = 256  # see alertdrill.serving: a small backlog drops SYNs under bursts

    def __init__(
        self,
        address: tuple[str, int],
        handler: Any,
        *,
        max_threads: int = MAX_THREADS,
        request_s: float = REQUEST_S,
        extra_hosts: tuple[str, ...] = (),
    ) -> None:
        self.max_threads, self.request_s = max_threads, request_s
        self.host_check = HostCheck(address[0], extra_hosts)
        self.refused = 0
        self._slots = threading.BoundedSemaphore(max_threads)
        self._deadlines: dict[socket.socket, float] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()  # before binding: a failed bind calls server_close
        self._refusals: queue.Queue[socket.socket] = queue.Queue(maxsize=256)
        if ":" in address[0]:  # an IPv6 address ("::1", from "[::1]:9095")
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)
        threading.Thread(target=self._reap, daemon=True, name="alertdrill-sink-reaper").start()
        threading.Thread(target=self._refuser, daemon=True, name="alertdrill-sink-refuser").start()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.refused += 1
            try:  # answered by one thread of its own, so a flood never slows the accept loop
                self._refusals.put_nowait(request)
            except queue.Full:
                self.shutdown_request(request)
            return
        thread = threading.Thread(target=self._serve, args=(request, client_address), daemon=True)
        thread.start()

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # one broken connection must not end the server
            self.handle_error(request, client_address)
        finally:
            self.end_request(request)
            self.shutdown_request(request)
            self._slots.release()

    def _refuser(self) -> None:
        while not self._closed.is_set():
            try:
                self._refuse(self._refusals.get(timeout=REAP_EVERY_S))
            except queue.Empty:
                continue

    def _refuse(self, request: socket.socket) -> None:
        try:
            request.settimeout(0.05)
            with contextlib.suppress(OSError):
                request.recv(65536)  # what was sent already, so closing does not reset our answer away
            request.sendall(BUSY)
        except OSError:
            pass
        finally:
            self.shutdown_request(request)

    def start_request(self, connection: socket.socket, extra_s: float = 0.0) -> None:
        """The request on `connection` must be done within `request_s` (+ `extra_s`, e.g. a long poll)."""
        with self._lock:
            self._deadlines[connection] = time.monotonic() + self.request_s + extra_s

    def end_request(self, connection: socket.socket) -> None:
        with self._lock:
            self._deadlines.pop(connection, None)

    def _reap(self) -> None:
        while not self._closed.wait(REAP_EVERY_S):
            now = time.monotonic()
            with self._lock:
                late = [conn for conn, deadline in self._deadlines.items() if deadline < now]
                for conn in late:
                    del self._deadlines[conn]
            for conn in late:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)  # the blocked read returns; the handler ends

    def server_close(self) -> None:
        self._closed.set()
        super().server_close()
