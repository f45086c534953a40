"""A drill's kill switch, for any responder: a link (served by the sink) and `alertdrill abort`.

Pulling either ends the drill and reverts its fault at once; the scorecard records the drill as
aborted, by whom, when and how. The command works on the machine that runs the drill: it leaves a
request file next to the drill's ledger entry, which the running drill sees within a fraction of a
second. The link works from anywhere that reaches the sink.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from alertdrill.faults.ledger import Ledger, LedgerEntry
from alertdrill.score.events import Event, EventName, Timeline

CHECK_S = 0.2  # how often the request file is looked for; the link wakes the drill at once


def pulled(events: Iterable[Event]) -> bool:
    return any(e.name == EventName.KILL_SWITCH for e in events)


def request_path(ledger: Ledger, entry_id: str) -> Path:
    return ledger.folder / f"{entry_id}.abort"


def request_abort(ledger: Ledger, entry: LedgerEntry, by: str) -> Path:
    """What `alertdrill abort` does for one running drill."""
    path = request_path(ledger, entry.id)
    path.write_text(json.dumps({"by": by, "at": time.time()}))
    return path


class KillSwitch:
    def __init__(
        self,
        sink_url: str,
        ledger: Ledger,
        timeline: Timeline,
        on_pull: Callable[[], None],
        check_s: float = CHECK_S,
        register: Callable[[str, str], object] | None = None,
    ) -> None:
        """`register(kind, token)` tells the sink the link is real (a guessed link then answers 404)."""
        self.token = secrets.token_urlsafe(12)
        self.link = f"{sink_url}/abort/{self.token}"
        self.ledger, self.timeline, self.on_pull = ledger, timeline, on_pull
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._entry_id = ""
        self.check_s = check_s
        self.register = register

    def arm(self, entry_id: str) -> KillSwitch:
        self._entry_id = entry_id
        if self.register is not None:
            self.register("abort", self.token)
        thread = threading.Thread(target=self._watch, daemon=True, name="alertdrill-kill-switch")
        thread.start()
        self._thread = thread  # only a started thread is ever joined (a signal may land between the two)
        return self

    def _watch(self) -> None:
        request = request_path(self.ledger, self._entry_id)
        while not self._stop.is_set():
            if self.timeline.wait_for(lambda events: self._stop.is_set() or pulled(events), self.check_s):
                break
            if self._asked(request):
                break
        if self._stop.is_set() and not pulled(self.timeline.events()):
            self._asked(request)  # `alertdrill abort` just before the drill ended is still on its record
        if pulled(self.timeline.events()) and not self._stop.is_set():
            self.on_pull()

    def _asked(self, request: Path) -> bool:
        """Record `alertdrill abort`'s request (its file) when there is one."""
        if not request.exists():
            return False
        try:
            asked = json.loads(request.read_text())
            by, at = str(asked.get("by", ""))[:100], float(asked.get("at", time.time()))
        except (OSError, ValueError):
            by, at = "", time.time()
        self.timeline.record(EventName.KILL_SWITCH, at, via="command", by=by or "someone")
        return True

    def disarm(self) -> None:
        self._stop.set()
        self.timeline.wake()  # the watch re-checks at once instead of after its `check_s`
        if (
            self._thread is not None
            and self._thread.ident is not None
            and self._thread is not threading.current_thread()
        ):
            self._thread.join(timeout=10)
        if self._entry_id:
            request_path(self.ledger, self._entry_id).unlink(missing_ok=True)
