"""What `alertdrill run` prints: the drill's events as they happen (one line each, with the channel a
notification took), a progress line while it waits (rewritten in place on a terminal, a plain line
now and then otherwise), and at the end the scorecard in a few lines: one per drill, its phases
against their budgets, the verdict."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from alertdrill.score.events import Event, EventName
from alertdrill.score.scorecard import PhaseResult, Scorecard

CLEAR_LINE = "\r\033[K"


def event_line(event: Event, t0: float, late: bool = False) -> str:
    """`  +3.86s notification_delivered (payments-oncall, webhook)`: seconds from injection, the event,
    where it went and how (webhook, email, resolved, human)."""
    facts: list[str] = []
    if event.name == EventName.DELIVERED:
        facts = [event.detail("receiver"), event.detail("channel") or "webhook"]
        facts += ["resolved"] if event.detail("status") == "resolved" else []
    elif event.name == EventName.ACKNOWLEDGED:
        facts = ["human", event.detail("via"), f"by {event.detail('by')}" if event.detail("by") else ""]
    elif event.name == EventName.RECEIVED:
        facts = [f"routed to {event.detail('receivers')}" if event.detail("receivers") else ""]
    elif event.name in (EventName.PENDING, EventName.FIRING, EventName.RESOLVED):
        facts = [event.detail("alert")]
    shown = ", ".join(f for f in facts if f)
    return (
        f"  {event.at - t0:+7.2f}s {event.name}"
        + (f" ({shown})" if shown else "")
        + (" [reported late: it happened before the line above]" if late else "")
    )


class LiveOutput:
    """The progress callback of `alertdrill run`: lines, and on a terminal one status line kept at the
    bottom (rewritten while waiting, cleared before the next line). Off a terminal `status` is None,
    so the session prints plain "waiting for ..." lines instead."""

    def __init__(self, stream: TextIO, tty: bool | None = None) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self._status_shown = False
        self._lock = threading.RLock()  # the drills of a parallel run speak from their own threads
        self.status: Callable[[str], None] | None = self._status if self.tty else None

    def __call__(self, message: str) -> None:
        with self._lock:
            self.clear()
            self._write(message + "\n")

    def _status(self, text: str) -> None:
        width = shutil.get_terminal_size((100, 20)).columns - 1
        with self._lock:
            self._write(CLEAR_LINE + text[:width])
            self._status_shown = True

    def clear(self) -> None:
        with self._lock:
            if self._status_shown:
                self._write(CLEAR_LINE)
                self._status_shown = False

    def _write(self, text: str) -> None:
        """A reader that went away (`alertdrill run | head`) must not stop a drill with its fault in."""
        try:
            self.stream.write(text)
            self.stream.flush()
        except BrokenPipeError:
            silence(self.stream)


def silence(stream: TextIO) -> None:
    """Send what is still written to `stream` (and its unflushed rest) to /dev/null: its reader is gone."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # not a file (a StringIO): nothing to redirect
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _phase(name: str, phase: PhaseResult) -> str:
    if not phase.ran:
        return f"{name} not run"
    return f"{name} {phase.elapsed_s if phase.elapsed_s is not None else '-'}/{phase.budget_s:g}s"


def summary_lines(card: Scorecard, run_dir: Path | None) -> list[str]:
    lines = []
    for result in card.drills:
        phases = "  ".join(_phase(name, p) for name, p in result.phases.items())
        lines.append(f"{result.status.upper():7} {result.name}  {phases}".rstrip())
        if result.status != "passed":
            lines.append(f"        {result.verdict()}")
    if run_dir is not None:
        lines.append(
            f"scorecard: {run_dir / 'scorecard.json'} (also scorecard.md, scorecard.html, junit.xml, "
            f"alertdrill.prom; {run_dir.parent / 'latest'} is the newest run)"
        )
    return lines
