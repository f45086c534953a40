"""Timestamped events of one drill, and a timeline that steps can await without sleeping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class EventName(StrEnum):
    STEADY_STATE_OK = "steady_state_ok"
    GROUP_FRESH = "alertmanager_group_fresh"
    GROUP_HOT = "alertmanager_group_hot"
    FAULT_INJECTED = "fault_injected"
    PENDING = "alert_pending"  # Prometheus: activeAt (server clock)
    FIRING = "alert_firing"  # Prometheus: first poll that saw state=firing
    RECEIVED = "alert_received"  # Alertmanager: updatedAt; startsAt = Prometheus fire time
    DELIVERED = "notification_delivered"  # sink: receipt time, per receiver
    MAILBOX_WATCHED = "mailbox_watched"  # a contact group's IMAP mailbox is read back: only it proves email
    SUPPRESSED = "alert_suppressed"  # inhibited, silenced or muted: its cause, named
    FORECAST = "suppression_forecast"  # before injecting: the alert would be inhibited / is muted now
    NOTIFIED = "alertmanager_notified"  # Alertmanager's notification counters rose: a send succeeded
    NOTIFY_FAILED = "alertmanager_notify_failed"  # its failure counters rose: a send failed
    ALERT_PATH = "alert_path"  # lint's arithmetic for this alert's path (for, intervals, group_wait)
    RESOLVED = "alert_resolved"
    ACK_REQUESTED = "ack_requested"  # a drill for people: the acknowledgement link was sent
    ACKNOWLEDGED = "acknowledged"  # the link was opened (sink receipt) or a silence made (its updatedAt)
    LOCATED = "fault_located"
    RECOVERED = "service_recovered"
    DEADLINE_MISSED = "deadline_missed"
    FAULT_VERIFIED = "fault_verified"  # the injector's own check: the fault holds
    GUARD_TRIPPED = "guard_tripped"  # a stop condition held: the drill is aborted
    FAULT_EXPIRED = "fault_max_duration"  # the fault reached its maximum duration and was reverted
    KILL_SWITCH = "kill_switch_pulled"  # a person ended the drill (link or `alertdrill abort`)
    DRILL_ANNOUNCED = "drill_announced"  # a surprise drill, told to be a drill after acknowledgement
    FAULT_REVERTED = "fault_reverted"
    SILENCE_EXPIRED = "silence_expired"  # the acknowledging silence, expired so the next drill is not muted
    DRILL_ERROR = "drill_error"


@dataclass(frozen=True)
class Event:
    """Something that happened, at wall-clock time `at` (seconds since the epoch).

    `details` holds small printable facts (receiver, source, runbook URL); it is not a model.
    """

    name: EventName
    at: float
    details: tuple[tuple[str, str], ...] = ()

    def detail(self, key: str, default: str = "") -> str:
        return dict(self.details).get(key, default)

    def number(self, key: str) -> float | None:
        """A detail recorded as a number (seconds, a time), as a float; None when absent or not a number."""
        try:
            return float(self.detail(key))
        except ValueError:
            return None

    def names(self, key: str) -> tuple[str, ...]:
        """A detail recorded as a list of names (comma-joined in `details`), as a tuple; () when absent."""
        return tuple(name for name in self.detail(key).split(",") if name)

    @property
    def starts_at(self) -> float | None:
        """alert_received: when Prometheus fired the alert (Alertmanager's `startsAt`), epoch seconds."""
        return self.number("starts_at")

    @property
    def receivers(self) -> tuple[str, ...]:
        """alert_received: the receivers Alertmanager routed the alert to."""
        return self.names("receivers")

    @staticmethod
    def make(name: EventName, at: float, **details: object) -> Event:
        """Details become printable strings here (the JSON edge): lists and tuples of names comma-joined."""
        return Event(name, at, tuple((k, _text(v)) for k, v in details.items() if v is not None))


def _text(value: object) -> str:
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value)
    return str(value)


Clock = Callable[[], float]


@dataclass
class Timeline:
    """Append-only, thread-safe list of events. Observers append; steps await."""

    clock: Clock = time.time
    monotonic: Clock = time.monotonic
    _events: list[Event] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def add(self, event: Event) -> None:
        with self._cond:
            self._events.append(event)
            self._cond.notify_all()

    def record(self, name: EventName, at: float | None = None, /, **details: object) -> Event:
        event = Event.make(name, self.clock() if at is None else at, **details)
        self.add(event)
        return event

    def arrived_since(self, count: int) -> list[Event]:
        """Events in arrival order from the `count`-th on (for progress output)."""
        with self._cond:
            return self._events[count:]

    def events(self) -> list[Event]:
        with self._cond:
            return sorted(self._events, key=lambda e: e.at)

    def first(self, name: EventName, where: Callable[[Event], bool] = lambda e: True) -> Event | None:
        return next((e for e in self.events() if e.name == name and where(e)), None)

    @property
    def injected_at(self) -> float | None:
        event = self.first(EventName.FAULT_INJECTED)
        return event.at if event else None

    def wake(self) -> None:
        """Make every `wait_for` look at its condition again now (one that also asks an outside flag)."""
        with self._cond:
            self._cond.notify_all()

    def wait_for(
        self,
        match: Callable[[Iterable[Event]], bool],
        timeout: float,
        on_tick: Callable[[float], None] | None = None,
        tick_s: float = 1.0,
    ) -> bool:
        """Block until `match(events)` holds or `timeout` seconds pass; True when it held.

        Wakes on every new event (no polling of its own) and at least every `tick_s` to call
        `on_tick(seconds_left)`, which is how waits show progress.
        """
        deadline = self.monotonic() + max(0.0, timeout)
        while True:
            with self._cond:
                done = match(list(self._events))
                left = deadline - self.monotonic()
                if not done and left > 0:
                    self._cond.wait(min(left, tick_s))
                    done = match(list(self._events))
            left = deadline - self.monotonic()
            if on_tick is not None:
                on_tick(max(0.0, left))
            if done:
                return True
            if left <= 0:
                return False
