"""Stop conditions: PromQL guards polled during a drill. The first that returns a non-empty result
trips: the drill is aborted and its fault reverted ("aborted by guard X")."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import requests

from alertdrill.errors import PromQLError
from alertdrill.observe.clients import Prometheus
from alertdrill.score.events import EventName, Timeline

INTERVAL_S = 1.0


@dataclass
class Guards:
    guards: Mapping[str, str]
    prometheus: Prometheus
    timeline: Timeline
    tripped: str | None = None  # "guard X: `expr` returned N series"
    on_trip: Callable[[str], None] | None = None  # called on the guards' thread when one trips
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def holding(self) -> str | None:
        """The first guard whose expression returns something now, said in words; None when all are quiet."""
        for name, expr in self.guards.items():
            try:
                found = self.prometheus.query(expr)
            except (PromQLError, requests.RequestException):
                continue  # a guard that cannot be asked does not abort; the observers report outages
            if found:
                return f"guard {name}: `{expr}` returned {len(found)} series"
        return None

    def start(self) -> Guards:
        if self.guards:
            self._thread = threading.Thread(target=self._loop, daemon=True, name="alertdrill-guards")
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set() and self.tripped is None:
            holding = self.holding()
            if holding:
                self.tripped = holding
                self.timeline.record(EventName.GUARD_TRIPPED, guard=holding)
                if self.on_trip is not None:
                    self.on_trip(holding)
                return
            self._stop.wait(INTERVAL_S)

    def stop(self) -> None:
        self._stop.set()
        if (
            self._thread is not None
            and self._thread.ident is not None
            and self._thread is not threading.current_thread()
        ):
            self._thread.join(timeout=10)  # started threads only: a signal may land between create and start
