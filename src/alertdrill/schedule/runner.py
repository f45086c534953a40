"""Runs one scheduled job as `alertdrill run` in a child process.

A child that crashes (or is killed) ends only itself: the scheduler records it and goes on, and the
child's ledger entry lets the next run revert what it left. The child writes its own scorecard, its
history row and its metrics, and publishes to the contact groups, exactly as a manual run does.
`stop()` sends SIGTERM to the running children: each reverts its fault at once and exits 130.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from alertdrill.config import Settings
from alertdrill.schedule.jobs import Job

STATUS_OF_EXIT = {0: "passed", 1: "failed", 2: "error", 130: "interrupted"}
GRACE_S = 120.0  # after SIGTERM, how long a child may take to revert before it is killed
MARGIN_S = 600.0  # a run may take its drills' budgets plus this (steady state, reloads, reverts)


@dataclass(frozen=True)
class Outcome:
    status: str  # passed, failed, error, interrupted, crashed
    exit_code: int | None
    seconds: float
    log: str = ""
    detail: str = ""


class Runner(Protocol):
    def run(self, job: Job) -> Outcome: ...

    def stop(self) -> None: ...


class SubprocessRunner:
    def __init__(self, settings: Settings, log_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.settings, self.log_dir = settings, log_dir
        self.env = {**os.environ, **(env or {})}
        self._children: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._stopping = False

    def command(self, job: Job) -> list[str]:
        cmd = [sys.executable, "-m", "alertdrill", "run", *job.paths, "--config", str(self.settings.config_path)]
        for name in job.scenarios:
            cmd += ["--scenario", name]
        return cmd

    def run(self, job: Job) -> Outcome:
        self.log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        log = self.log_dir / f"{stamp}-{''.join(c if c.isalnum() else '-' for c in job.name)}.log"
        started = time.monotonic()
        with self._lock:
            if self._stopping:
                return Outcome("interrupted", None, 0.0, detail="the scheduler is stopping")
            with open(log, "wb") as out:
                child = subprocess.Popen(
                    self.command(job),
                    cwd=self.settings.root,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self._children.add(child)
        try:
            code = child.wait(timeout=job.longest_s + MARGIN_S)
        except subprocess.TimeoutExpired:
            code = self._end(child)
            return Outcome(
                "error",
                code,
                time.monotonic() - started,
                str(log),
                f"ran longer than its budgets plus {MARGIN_S:g} s and was stopped",
            )
        finally:
            with self._lock:
                self._children.discard(child)
        status = STATUS_OF_EXIT.get(code, "crashed")
        detail = f"exit status {code}" + (f" (signal {-code})" if code < 0 else "")
        return Outcome(status, code, time.monotonic() - started, str(log), detail)

    @staticmethod
    def _end(child: subprocess.Popen[bytes]) -> int:
        child.send_signal(signal.SIGTERM)
        try:
            return child.wait(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            child.kill()
            return child.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM every running child; they revert at once. Returns when they are gone."""
        with self._lock:
            self._stopping = True
            children = list(self._children)
        for child in children:
            self._end(child)
