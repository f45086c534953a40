"""Ctrl-C and SIGTERM end a run even when Python loses the KeyboardInterrupt its handler raised."""

from __future__ import annotations

import os
import signal
import sys
import threading

import pytest

from alertdrill.drill.signals import signals_end_the_run


class SignalledOnCollection:
    """Receives SIGTERM inside `__del__`: Python cannot raise the handler's KeyboardInterrupt there."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)


def test_an_interrupt_lost_in_a_finalizer_still_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    stopped, by, lost = threading.Event(), list[str](), list[object]()
    monkeypatch.setattr(sys, "unraisablehook", lambda info: lost.append(info.exc_type))

    def stop(name: str) -> None:
        by.append(name)
        stopped.set()

    with signals_end_the_run(stop):
        SignalledOnCollection()  # collected at once: the signal lands in its finalizer
        assert stopped.wait(30), "the run was never stopped"
    assert lost == [KeyboardInterrupt] and by == ["SIGTERM"]


def test_an_interrupt_that_ends_the_run_pulls_nothing_else() -> None:
    by: list[str] = []
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), signals_end_the_run(by.append):
        os.kill(os.getpid(), signal.SIGTERM)
    assert by == [] and signal.getsignal(signal.SIGTERM) is before
