"""One reader of the sink's arrivals for a whole run, shared by its drills' observers.

Each drill's watch long-polls `/events`; a hundred drills at once would hold a hundred of the sink's
bounded handler threads (it answers 503 beyond them). The feed polls once for everyone and answers
`events(after, wait_s)` from what it read, with the sink's own sequence numbers, so a watch cannot
tell it from a `SinkClient`.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import requests

from alertdrill.errors import TemporaryError
from alertdrill.observe.clients import Json, SinkClient

POLL_S = 0.5  # the feed's own long poll (the sink answers at once when something arrives; `stop` waits for it)
KEEP = 10_000  # arrivals kept for slow readers (the sink bounds its own memory the same way)
RETRY_S = 0.2  # after a failed poll


class SinkFeed:
    def __init__(self, client: SinkClient) -> None:
        self.client = client
        self._cond = threading.Condition()
        self._items: deque[Json] = deque(maxlen=KEEP)
        self._last = 0
        self._error: Exception | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> SinkFeed:
        """Read the sink's position now (arrivals before it are not this run's), then follow it."""
        _, self._last = self.client.events(0, 0)
        thread = threading.Thread(target=self._follow, daemon=True, name="alertdrill-sink-feed")
        thread.start()
        self._thread = thread
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=POLL_S + 5)

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                items, last = self.client.events(self._last, POLL_S)
            except (requests.RequestException, TemporaryError, ValueError, KeyError) as exc:
                with self._cond:
                    self._error = exc
                    self._cond.notify_all()
                self._stop.wait(RETRY_S)
                continue
            with self._cond:
                self._items.extend(i for i in items if int(str(i.get("seq", 0))) > self._last)
                self._last, self._error = max(self._last, last), None
                self._cond.notify_all()

    def events(self, after: int, wait_s: float) -> tuple[list[Json], int]:
        """Arrivals newer than `after` (waiting up to `wait_s` for one), and the newest sequence number.
        Raises the feed's last error while the sink does not answer, as a direct client would."""
        deadline = time.monotonic() + max(wait_s, 0.0)
        with self._cond:
            while self._last <= after and self._error is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            if self._error is not None and self._last <= after:
                raise self._error
            return self._newer(after), self._last

    def _newer(self, after: int) -> list[Json]:
        """The kept arrivals after `after`, read from the newest back (they are kept in sequence order)."""
        found: list[Json] = []
        for item in reversed(self._items):
            if int(str(item.get("seq", 0))) <= after:
                break
            found.append(item)
        return found[::-1]
