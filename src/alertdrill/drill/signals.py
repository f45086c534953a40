"""Ctrl-C and SIGTERM end a run: its drills in flight revert their faults, then the run exits 130.

The handler raises KeyboardInterrupt, so a wait, a subprocess or a runbook step stops at once and the
session's `close` reverts the fault. Python loses an exception raised in a signal handler when it
lands inside a finalizer or a `__del__` (it prints "Exception ignored in ..." and goes on), which
would leave the drill waiting out its budget. So a watcher thread also ends the run through `stop`
(the kill switch of every drill still in flight) when the run has not ended a moment later.
"""

from __future__ import annotations

import queue
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

GRACE_S = 2.0  # how long the raised KeyboardInterrupt has to end the drills before the kill switch does

SIGNAL_NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


@contextmanager
def signals_end_the_run(stop: Callable[[str], None]) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise KeyboardInterrupt and, should that be lost, call
    `stop(by)` after GRACE_S. A SIGINT that the parent ignored (`nohup`, `&`) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals (the console runs drills in workers)
        return
    # The handler only puts on a SimpleQueue: reentrant, so a second signal arriving inside the first
    # handler cannot deadlock on a lock the interrupted handler holds (an Event's would).
    news: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    ended = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        name = SIGNAL_NAMES.get(signal.Signals(signum), f"signal {signum}")
        news.put(name)
        raise KeyboardInterrupt(name)

    def watch() -> None:
        first = news.get()  # None: the block ended without a signal
        if first is not None and not ended.wait(GRACE_S):
            stop(first)

    caught = {signal.SIGTERM} | ({signal.SIGINT} if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN else set())
    watcher = threading.Thread(target=watch, name="alertdrill-signals", daemon=True)
    watcher.start()
    previous: dict[signal.Signals, object] = {}
    try:
        with _held(caught):  # both handlers in place, or neither
            previous = {sig: signal.signal(sig, handler) for sig in caught}
        yield
    finally:
        with _held(caught):  # a signal now waits for the handlers it would have found before the block
            for sig, before in previous.items():
                signal.signal(sig, before)  # type: ignore[arg-type]
            ended.set()
            news.put(None)
        watcher.join(timeout=GRACE_S + 1)


@contextmanager
def _held(signals: set[signal.Signals]) -> Iterator[None]:
    """Block `signals` for the block: they are delivered, to whatever handler is then in place, after it."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
