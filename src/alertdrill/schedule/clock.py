"""The scheduler's time source: the system clock, or a manual clock that tests move by hand."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

MAX_NAP_S = 30.0  # the system clock never sleeps longer than this in one go: the loop re-checks


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC now."""
        ...

    def sleep_until(self, when: datetime, wake: threading.Event, busy: bool = False) -> None:
        """Return at `when`, or earlier when `wake` is set. `busy`: drills are running right now."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep_until(self, when: datetime, wake: threading.Event, busy: bool = False) -> None:
        wake.wait(min(MAX_NAP_S, max(0.0, (when - self.now()).total_seconds())))


class ManualClock:
    """A clock for tests (public helper). Time moves only by `advance`/`set`, or, with
    `fast_forward=True`, jumps straight to whatever the scheduler waits for while no drill runs:
    a month of schedules is checked in milliseconds, with no real waiting."""

    def __init__(self, start: datetime, fast_forward: bool = False, real_limit_s: float = 60.0) -> None:
        self._now = start.astimezone(UTC)
        self.fast_forward = fast_forward
        self.real_limit_s = real_limit_s  # a test that forgets to move the clock fails instead of hanging
        self._cond = threading.Condition()

    def now(self) -> datetime:
        with self._cond:
            return self._now

    def set(self, when: datetime) -> None:
        with self._cond:
            self._now = max(self._now, when.astimezone(UTC))
            self._cond.notify_all()

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)

    def sleep_until(self, when: datetime, wake: threading.Event, busy: bool = False) -> None:
        if self.fast_forward and not busy:
            if not wake.is_set():
                self.set(when)
            return
        deadline = time.monotonic() + self.real_limit_s
        with self._cond:
            while not wake.is_set() and self._now < when and time.monotonic() < deadline:
                self._cond.wait(0.01)
