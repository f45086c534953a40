"""Ctrl-C and SIGTERM end a run: its drills in flight revert their faults, then the run exits 130.

The handler raises KeyboardInterrupt, so a wait, a subprocess or a runbook step stops at once and the
session's `close` reverts the fault. Python loses an exception raised in a signal handler when it
lands inside a finalizer or a `__del__` (it prints "Exception ignored in ..." and goes on), which
would leave the drill waiting out its budget. So a watcher thread also ends the run through `stop`
(the kill switch of every drill still in flight) when the run has not ended a moment later.
"""

from __future__ import annotations

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
    signalled, ended = threading.Event(), threading.Event()
    received: list[str] = []  # list.append is atomic: the handler takes no lock the main thread may hold

    def handler(signum: int, _frame: object) -> None:
        received.append(SIGNAL_NAMES.get(signal.Signals(signum), f"signal {signum}"))
        signalled.set()
        raise KeyboardInterrupt(received[-1])

    def watch() -> None:
        signalled.wait()
        if not ended.wait(GRACE_S) and received:
            stop(received[0])

    watcher = threading.Thread(target=watch, name="alertdrill-signals", daemon=True)
    watcher.start()
    caught = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        caught.append(signal.SIGINT)
    previous = {sig: signal.signal(sig, handler) for sig in caught}
    try:
        yield
    finally:
        for sig, before in previous.items():
            signal.signal(sig, before)
        ended.set()
        signalled.set()
        watcher.join(timeout=GRACE_S + 1)
