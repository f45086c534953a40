"""What the sink received, in order, with a long poll for what comes next."""

from __future__ import annotations

import threading
import time
from collections import deque

KEEP = 10_000
MAX_WAIT_S = 10.0


class Arrivals:
    def __init__(self) -> None:
        self._items: deque[dict[str, object]] = deque(maxlen=KEEP)
        self._seq = 0
        self._cond = threading.Condition()

    def add(self, path: str, payload: object) -> int:
        with self._cond:
            self._seq += 1
            self._items.append({"seq": self._seq, "received_at": time.time(), "path": path, "payload": payload})
            self._cond.notify_all()
            return self._seq

    def after(self, seq: int, timeout_s: float) -> tuple[list[dict[str, object]], int]:
        deadline = time.monotonic() + min(max(timeout_s, 0.0), MAX_WAIT_S)
        with self._cond:
            while self._seq <= seq:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return [a for a in self._items if int(str(a["seq"])) > seq], self._seq
