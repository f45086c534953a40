"""The one way alertdrill asks a remote state again: bounded in time, with a fixed cadence.

Prometheus query results, process liveness and readiness endpoints push nothing, so they are
polled; everything that does push (the sink, the timeline) is awaited instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Intervals that grow by `factor` up to `max_s`, and at most `attempts` calls in all."""

    factor: float = 1.0
    max_s: float = 60.0
    attempts: int = 1_000_000


def poll_until(
    check: Callable[[], bool],
    timeout_s: float,
    interval_s: float = 0.25,
    on_error: tuple[type[BaseException], ...] = (),
    backoff: Backoff = Backoff(),
) -> bool:
    """Call `check` until it returns True (True) or `timeout_s` passes or the attempts run out (False).
    At least one call. Exceptions listed in `on_error` count as "not yet"; any other propagates.
    """
    deadline = time.monotonic() + max(0.0, timeout_s)
    for _ in range(max(1, backoff.attempts)):
        try:
            if check():
                return True
        except on_error:
            pass
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(interval_s, left))
        interval_s = min(interval_s * backoff.factor, backoff.max_s)
    return False
