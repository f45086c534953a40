"""The surprise drills' audit log: JSON lines only the QA team reads (file mode 0600).

It is the only place that says which drill runs when; `alertdrill surprise` prints neither.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ENDED = ("finished", "missed")


@dataclass(frozen=True)
class PendingPick:
    id: str
    drill: str
    feature: str
    moment: datetime


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, event: str, **fields: object) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as out:
            out.write(json.dumps({"event": event, **fields}, default=str) + "\n")

    def entries(self) -> list[dict[str, object]]:
        if not self.path.exists():
            return []
        found = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line after a crash
            if isinstance(entry, dict):
                found.append(entry)
        return found

    def taken(self) -> list[datetime]:
        """Moments of picks that count against the limit: every pick not missed."""
        entries = self.entries()
        missed = {e.get("id") for e in entries if e.get("event") == "missed"}
        return [
            datetime.fromisoformat(str(e["moment"]))
            for e in entries
            if e.get("event") == "picked" and e.get("id") not in missed
        ]

    def pending(self) -> PendingPick | None:
        """The last pick that has neither run nor been given up (a restarted process resumes it)."""
        entries = self.entries()
        ended = {e.get("id") for e in entries if e.get("event") in ENDED}
        for entry in reversed(entries):
            if entry.get("event") == "picked" and entry.get("id") not in ended:
                return PendingPick(
                    str(entry["id"]),
                    str(entry["drill"]),
                    str(entry["feature"]),
                    datetime.fromisoformat(str(entry["moment"])),
                )
        return None
