"""One read of an alert list for every observer of a run: each drill's watchers ask Prometheus and
Alertmanager for all their alerts several times a second; with many drills in flight they would ask
hundreds of times a second, a load a production Prometheus should never see from a drill.

`Fresh` answers from the last read while it is younger than `max_age_s`, and a caller that asked while
a read was under way takes that read's answer (or its error) instead of asking again: however slow the
server, a run reads each list at most once per `max_age_s` plus the time a read takes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Read(Generic[T]):
    started: float
    ended: float
    value: T | None
    error: Exception | None = None


@dataclass
class Fresh(Generic[T]):
    fetch: Callable[[], T]
    max_age_s: float
    clock: Callable[[], float] = time.monotonic
    reads: int = 0  # how many times `fetch` ran (for tests and the benchmark)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _last: Read[T] | None = None

    def get(self) -> T:
        """The last read's answer if it is fresh enough or ended after this call began; else a new read.
        A failed read's error is raised to the callers that waited for it, never kept for later ones."""
        asked = self.clock()
        with self._lock:
            last = self._last
            waited_for = last is not None and last.ended >= asked
            young = last is not None and last.error is None and self.clock() - last.started < self.max_age_s
            if last is None or not (waited_for or young):
                last = self._read()
            if last.error is not None:
                raise last.error
            return last.value  # type: ignore[return-value]

    def _read(self) -> Read[T]:
        started = self.clock()
        self.reads += 1
        try:
            value = self.fetch()
            read: Read[T] = Read(started, self.clock(), value)
        except Exception as exc:  # kept for the callers waiting now, raised to each of them
            read = Read(started, self.clock(), None, exc)
        self._last = read
        return read
