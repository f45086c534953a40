"""Run a shell command the way the contract says: `sh -c`, from the project folder, with a timeout."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from alertdrill.processes import same_process, start_time

OUTPUT_LIMIT = 4000


@dataclass(frozen=True)
class CommandResult:
    command: str
    exit_code: int | None  # None: timed out
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def summary(self) -> str:
        status = "timed out" if self.exit_code is None else f"exit {self.exit_code}"
        tail = self.output.strip().splitlines()[-1:] if self.output.strip() else []
        return f"`{self.command}` {status}" + (f": {tail[0]}" if tail else "")


def command_env(config_path: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The harness's environment, plus its own scripts on PATH and the config it runs with."""
    env = dict(os.environ)
    scripts = str(Path(sys.executable).parent)
    env["PATH"] = scripts + os.pathsep + env.get("PATH", "")
    env["ALERTDRILL_CONFIG"] = str(config_path)
    env.update(extra or {})
    return env


# The shell waits for one line on stdin before it runs the command: the harness records its process
# group first, so a command never runs unrecorded (after `kill -9`, cleanup kills what it left).
GATE = 'read -r _ || true; exec sh -c "$1" </dev/null'


def run_shell(
    command: str, *, cwd: Path, timeout_s: float, env: Mapping[str, str], groups: GroupRecord | None = None
) -> CommandResult:
    """`sh -c command` in its own process group; on timeout the whole group is killed."""
    proc = subprocess.Popen(
        ["sh", "-c", GATE, "alertdrill-shell", command],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    recorded = groups.add(proc.pid) if groups is not None else None
    try:
        try:
            out, _ = proc.communicate(input="go\n", timeout=timeout_s)  # the gate opens: the command runs
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            out, _ = proc.communicate()
            return CommandResult(command, None, (out or "")[-OUTPUT_LIMIT:])
        return CommandResult(command, proc.returncode, (out or "")[-OUTPUT_LIMIT:])
    finally:  # what the command started in the background on purpose (a daemon) stays; its record goes
        if recorded is not None and groups is not None:
            groups.remove(recorded)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class GroupRecord:
    """Process groups of running shells, one file each, written before the shell's command starts.
    `alertdrill cleanup` and the next run kill those whose harness is gone (`kill_orphans`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def add(self, pgid: int) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{pgid}.json"
        path.write_text(
            json.dumps(
                {"pgid": pgid, "start": start_time(pgid), "owner": os.getpid(), "owner_start": start_time(os.getpid())}
            )
        )
        return path

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def kill_orphans(self) -> list[int]:
        """Kill the recorded groups whose harness died (pid and start time checked); the killed pgids."""
        killed = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            try:
                record = json.loads(path.read_text())
                pgid, started = int(record["pgid"]), record.get("start")
                owner, owner_start = int(record["owner"]), record.get("owner_start")
            except (OSError, ValueError, KeyError, TypeError):
                path.unlink(missing_ok=True)
                continue
            if owner != os.getpid() and same_process(owner, owner_start):
                continue  # its harness still runs and will clean up itself
            if pgid > 1 and same_process(pgid, started):
                _kill_group(pgid)
                killed.append(pgid)
            path.unlink(missing_ok=True)
        return killed
