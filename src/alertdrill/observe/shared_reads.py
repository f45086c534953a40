"""One read of an alert list for every observer of a run: each drill's watchers ask Prometheus and
Alertmanager for all their alerts several times a second; with many drills in flight they would ask
hundreds of times a second, a load a production Prometheus should never see from a drill. `Fresh`
answers from the last read while it is younger than `max_age_s`, and lets one caller at a time read
again (the others wait for that answer rather than ask too)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Fresh(Generic[T]):
    fetch: Callable[[], T]
    max_age_s: float
    clock: Callable[[], float] = time.monotonic
    reads: int = 0  # how many times `fetch` ran (for tests and the benchmark)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _value: tuple[T, float] | None = None  # (answer, clock when its read started)

    def get(self) -> T:
        """The last answer if it is fresh enough, else a new one (an error is raised, never kept)."""
        with self._lock:
            if self._value is None or self.clock() - self._value[1] >= self.max_age_s:
                started = self.clock()
                self._value = (self.fetch(), started)
                self.reads += 1
            return self._value[0]
