"""What the sink received, in order, with a long poll for what comes next.

Memory is bounded: at most `KEEP` arrivals and `MAX_BYTES` of payload are kept; the oldest are dropped
first and counted (`dropped`), so a flood can cost a drill its history but never the machine its memory.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque

KEEP = 10_000
MAX_BYTES = 64 * 1024 * 1024
MAX_WAIT_S = 10.0


def size_of(path: str, payload: object) -> int:
    """What an arrival costs, roughly: its path and its payload as JSON."""
    try:
        return len(path) + len(json.dumps(payload, default=str))
    except (TypeError, ValueError, RecursionError):
        return len(path) + len(repr(payload))


class Arrivals:
    def __init__(self, keep: int = KEEP, max_bytes: int = MAX_BYTES) -> None:
        self.keep, self.max_bytes = keep, max_bytes
        self._items: deque[tuple[dict[str, object], int]] = deque()
        self._bytes = 0
        self._seq = 0
        self.dropped = 0
        self._cond = threading.Condition()

    def add(self, path: str, payload: object, size: int | None = None, **facts: object) -> int:
        """Store one arrival (`size`: its bytes as received, else measured; `facts`: e.g. `authenticated`,
        kept beside the payload); its sequence number."""
        cost = size_of(path, payload) if size is None else max(size, 0) + len(path)
        with self._cond:
            self._seq += 1
            item = {**facts, "seq": self._seq, "received_at": time.time(), "path": path, "payload": payload}
            self._items.append((item, cost))
            self._bytes += cost
            while len(self._items) > self.keep or (self._bytes > self.max_bytes and len(self._items) > 1):
                _, freed = self._items.popleft()
                self._bytes -= freed
                self.dropped += 1
            self._cond.notify_all()
            return self._seq

    def stats(self) -> dict[str, int]:
        with self._cond:
            return {"kept": len(self._items), "bytes": self._bytes, "dropped": self.dropped, "last": self._seq}

    def after(self, seq: int, timeout_s: float) -> tuple[list[dict[str, object]], int]:
        wait = min(max(timeout_s, 0.0), MAX_WAIT_S) if math.isfinite(timeout_s) else 0.0
        deadline = time.monotonic() + wait
        with self._cond:
            while self._seq <= seq:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return [item for item, _ in self._items if int(str(item["seq"])) > seq], self._seq
