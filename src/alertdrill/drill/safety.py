"""What keeps a drill safe, in one unit: the ledger entry (written before the fault), revert-once,
the fault's maximum duration, the kill switch and the guards.

Whatever ends a drill early is said once, typed: `stop_reason()` gives a `Stop` (reason, message,
fix). The expiry timer, the kill switch and the guards run on their own threads; they never print:
what they have to say goes on `messages`, which the session drains on its own thread.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import requests

from alertdrill.config import FaultConfig
from alertdrill.drill.killswitch import KillSwitch
from alertdrill.errors import DrillError, InjectorError
from alertdrill.faults.base import Injector
from alertdrill.faults.ledger import Ledger, LedgerEntry
from alertdrill.observe.guards import Guards
from alertdrill.score.events import EventName, Timeline
from alertdrill.score.scoring import secs


class StopReason(StrEnum):
    """Why a drill ended before its verdict (the scorecard's `aborted.reason` uses the same words)."""

    KILL_SWITCH = "kill switch"
    GUARD = "guard"
    EXPIRED = "max duration"


FIXES = {
    StopReason.KILL_SWITCH: "nothing to fix in alertdrill: a person ended the drill",
    StopReason.GUARD: "find out why the guard's condition held",
    StopReason.EXPIRED: "raise the fault's max_duration (or max_fault_duration) if the drill needs longer",
}


@dataclass(frozen=True)
class Stop:
    reason: StopReason
    message: str  # one line for the scorecard, e.g. "aborted by the kill switch, pulled by alice ..."
    fix: str

    def error(self) -> DrillError:
        return DrillError(self.message, fix=self.fix)


class Safety:
    """Owns the held fault from its ledger entry to its one revert. Thread-safe."""

    def __init__(
        self,
        ledger: Ledger,
        timeline: Timeline,
        kill_switch: KillSwitch | None = None,
        guards: Guards | None = None,
        sink_url: str = "",
    ) -> None:
        self.ledger, self.timeline = ledger, timeline
        self.messages: queue.Queue[str] = queue.Queue()
        self.kill_switch = kill_switch or KillSwitch(sink_url, ledger, timeline, lambda: None)
        self.kill_switch.on_pull = self._pulled
        self.guards = guards
        if guards is not None:
            guards.on_trip = self._tripped
        self.entry: LedgerEntry | None = None
        self.injected = False  # whether a fault was (or may have been) put in place
        self._injector: Injector | None = None
        self._revert_error: str | None = None
        self._lock = threading.Lock()
        self._expiry: threading.Timer | None = None
        self._limit_s: float | None = None
        self._expired = False

    # -- before the fault --------------------------------------------------------------------
    def guard_holding(self) -> str | None:
        """A guard whose condition holds now (the drill must not start), or None."""
        return self.guards.holding() if self.guards is not None else None

    def hold(self, injector: Injector, drill: str, fault: FaultConfig, config_path: Path) -> LedgerEntry:
        """Write the ledger entry, then own `injector`: from now on `revert()` reverts it (once)."""
        self.entry = self.ledger.record(drill, fault, config_path)
        with self._lock:
            self._injector, self.injected = injector, True
        return self.entry

    def arm(self, limit_s: float) -> None:
        """The fault is in place: start the expiry timer, the guards and the kill switch."""
        self._limit_s = limit_s
        self._expiry = threading.Timer(limit_s, self._expire)
        self._expiry.daemon = True
        self._expiry.start()
        if self.guards is not None:
            self.guards.start()
        self.kill_switch.arm(self.entry.id if self.entry else "")

    def disarm(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        if self.guards is not None:
            self.guards.stop()
        self.kill_switch.disarm()

    # -- background threads: they say things through `messages` only ---------------------------
    def _expire(self) -> None:
        if not self.held:
            return
        self._expired = True
        self.timeline.record(EventName.FAULT_EXPIRED, limit_s=f"{self._limit_s:g}")
        self.messages.put(f"the fault reached its maximum duration ({secs(self._limit_s or 0)}): reverting now")
        self.revert()

    def _pulled(self) -> None:
        self.revert()

    def _announce_pull(self) -> None:
        """Say who pulled the kill switch, once, whichever thread reverts first (it or the drill's)."""
        pulled = self.timeline.first(EventName.KILL_SWITCH)
        if pulled is not None:
            by = pulled.detail("by")
            self.messages.put(f"the kill switch was pulled by {by or 'someone'}: reverting now")

    def _tripped(self, guard: str) -> None:
        self.messages.put(f"aborted by {guard}: reverting now")
        self.revert()

    def drain(self) -> list[str]:
        """Everything the background threads said since the last call, in order."""
        said: list[str] = []
        while True:
            try:
                said.append(self.messages.get_nowait())
            except queue.Empty:
                return said

    # -- why the drill must stop -----------------------------------------------------------------
    def stop_reason(self) -> Stop | None:
        """A person's kill switch first, then the maximum duration, then a guard; None while none holds."""
        pulled = self.timeline.first(EventName.KILL_SWITCH)
        if pulled is not None and pulled.detail("via") == "signal":  # a parallel run's Ctrl-C or SIGTERM
            message = f"interrupted ({pulled.detail('by')}) before the verdict; the fault was reverted"
            return Stop(StopReason.KILL_SWITCH, message, "nothing to fix in alertdrill: the run was stopped")
        if pulled is not None:
            when = time.strftime("%H:%M:%S", time.gmtime(pulled.at))
            return Stop(
                StopReason.KILL_SWITCH,
                f"aborted by the kill switch, pulled by {pulled.detail('by') or 'someone'} at {when} UTC "
                f"({pulled.detail('via')}); the fault was reverted",
                FIXES[StopReason.KILL_SWITCH],
            )
        if self._expired:
            return Stop(
                StopReason.EXPIRED,
                f"the fault reached its maximum duration ({secs(self._limit_s or 0)}) and was reverted",
                FIXES[StopReason.EXPIRED],
            )
        tripped = self.guards.tripped if self.guards is not None else None
        if tripped:
            return Stop(StopReason.GUARD, f"aborted by {tripped}; the fault was reverted", FIXES[StopReason.GUARD])
        return None

    # -- the one revert ----------------------------------------------------------------------------
    @property
    def held(self) -> bool:
        with self._lock:
            return self._injector is not None

    def revert(self) -> str | None:
        """Revert once, from whichever thread gets here first; later calls return the first outcome."""
        with self._lock:
            if self._injector is None:
                return self._revert_error
            injector, self._injector = self._injector, None
            self._announce_pull()
            try:
                injector.revert()
            except (InjectorError, OSError, requests.RequestException) as exc:
                self.timeline.record(EventName.DRILL_ERROR, error=str(exc))
                self._revert_error = (
                    f"revert failed: {exc}; the fault may still be in place; its ledger entry "
                    "is kept for `alertdrill cleanup`"
                )
                return self._revert_error
            self.timeline.record(EventName.FAULT_REVERTED)
            if self.entry is not None:
                self.ledger.clear(self.entry)
            self.messages.put("fault reverted")
            return None
