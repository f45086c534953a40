"""Run a shell command the way the contract says: `sh -c`, from the project folder, with a timeout."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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


def run_shell(command: str, *, cwd: Path, timeout_s: float, env: Mapping[str, str]) -> CommandResult:
    try:
        done = subprocess.run(["sh", "-c", command], cwd=cwd, env=dict(env), timeout=timeout_s,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              text=True, errors="replace", check=False, start_new_session=True)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return CommandResult(command, None, out[-OUTPUT_LIMIT:])
    return CommandResult(command, done.returncode, done.stdout[-OUTPUT_LIMIT:])
