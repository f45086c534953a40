"""`type: stress`: CPU and memory pressure (stress-ng where installed, else a built-in burner) and
filling a disk path up to a size. Everything is bounded: pressure processes end by themselves after
`seconds` (default 10 minutes, at most an hour), a fill never leaves less than `min_free_mb` free,
and revert (also from `alertdrill cleanup`) stops the processes and deletes the file."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from alertdrill import processes
from alertdrill.config import FaultConfig
from alertdrill.errors import ConfigError, InjectorError
from alertdrill.faults.base import InjectorContext, number_option, option, text_option, unknown_options

MAX_SECONDS = 3600.0
MAX_CPU = 64
MAX_MEMORY_MB = 16_384
MAX_DISK_MB = 102_400
MIN_FREE_MB = 64  # a fill never takes a disk below this, whatever `min_free_mb` says
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StressFault:
    type_name: ClassVar[str] = "stress"
    name: str
    state: Path  # pid file of the pressure processes, and where a killed run's revert finds them
    cpu: int = 0
    memory_mb: int = 0
    disk_path: Path | None = None
    disk_mb: int = 0
    min_free_mb: int = 512
    seconds: float = 600.0
    use_stress_ng: bool = True

    @classmethod
    def from_config(cls, fault: FaultConfig, context: InjectorContext) -> StressFault:
        unknown_options(fault, {"cpu", "memory_mb", "disk_path", "disk_mb", "min_free_mb", "seconds", "stress_ng"})
        cpu = int(number_option(fault, "cpu", 0, MAX_CPU, 0, integer=True) or 0)
        memory = int(number_option(fault, "memory_mb", 0, MAX_MEMORY_MB, 0, integer=True) or 0)
        disk_path = text_option(fault, "disk_path", None)
        disk = int(number_option(fault, "disk_mb", 0, MAX_DISK_MB, 0, integer=True) or 0)
        seconds = float(number_option(fault, "seconds", 0, MAX_SECONDS, 600) or 0.0)
        min_free = int(number_option(fault, "min_free_mb", MIN_FREE_MB, 10**12, 512, integer=True) or 0)
        where = f"at {fault.source}"
        if not 0 < seconds <= MAX_SECONDS:
            raise ConfigError(f"fault {fault.name!r}: seconds must be in (0, {MAX_SECONDS:g}]", fix=where)
        if bool(disk_path) != bool(disk):
            raise ConfigError(f"fault {fault.name!r}: disk_path and disk_mb go together", fix=where)
        if not (cpu or memory or disk):
            raise ConfigError(
                f"fault {fault.name!r} (stress) puts no pressure on anything",
                fix=f"set cpu, memory_mb or disk_path + disk_mb {where}",
            )
        return cls(
            fault.name,
            context.settings.state_dir / "stress" / f"{fault.name}.pids",
            cpu,
            memory,
            (context.cwd / str(disk_path)) if disk_path else None,
            disk,
            min_free,
            seconds,
            bool(option(fault, "stress_ng", bool, True)),
        )

    @property
    def fill_file(self) -> Path | None:
        return self.disk_path / f"alertdrill-fill-{self.name}.bin" if self.disk_path else None

    def _commands(self) -> list[list[str]]:
        seconds = f"{self.seconds:g}"
        stress_ng = shutil.which("stress-ng") if self.use_stress_ng else None
        if stress_ng:
            argv = [stress_ng, "--timeout", f"{int(self.seconds)}s", "--quiet"]
            argv += ["--cpu", str(self.cpu)] if self.cpu else []
            argv += ["--vm", "1", "--vm-bytes", f"{self.memory_mb}M", "--vm-keep"] if self.memory_mb else []
            return [argv] if self.cpu or self.memory_mb else []
        burn = [sys.executable, "-m", "alertdrill.faults.burn"]
        commands = [[*burn, "cpu", "--seconds", seconds] for _ in range(self.cpu)]
        return commands + (
            [[*burn, "memory", "--mb", str(self.memory_mb), "--seconds", seconds]] if self.memory_mb else []
        )

    def inject(self) -> None:
        self.state.parent.mkdir(parents=True, exist_ok=True)
        pids = []
        for argv in self._commands():
            child = subprocess.Popen(
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
            )  # its own group: revert ends it and its workers
            pids.append(child.pid)
        self.state.write_text("".join(f"{pid}\n" for pid in pids))
        if self.fill_file is not None:
            self._fill(self.fill_file)

    def _fill(self, path: Path) -> None:
        free_mb = shutil.disk_usage(path.parent).free // CHUNK
        if free_mb - self.disk_mb < self.min_free_mb:
            raise InjectorError(
                f"filling {self.disk_mb} MB would leave {free_mb - self.disk_mb} MB free on "
                f"{path.parent}, below min_free_mb {self.min_free_mb}",
                fix="lower disk_mb",
            )
        block = b"\0" * CHUNK
        with path.open("wb") as out:
            for _ in range(self.disk_mb):
                out.write(block)
            out.flush()
            os.fsync(out.fileno())

    def _pids(self) -> list[int]:
        try:
            return [int(line) for line in self.state.read_text().split() if line.strip()]
        except (OSError, ValueError):
            return []

    def verify(self) -> str | None:
        pids = self._pids()
        dead = [pid for pid in pids if not processes.is_alive(pid)]
        if dead or len(pids) != len(self._commands()):
            return f"pressure process(es) {dead or pids} are not running"
        if self.fill_file is not None and (
            not self.fill_file.exists() or self.fill_file.stat().st_size < self.disk_mb * CHUNK
        ):
            return f"{self.fill_file} is not {self.disk_mb} MB"
        return None

    def revert(self) -> None:
        for pid in self._pids():
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            processes.wait_dead(pid, 5.0)
        self.state.unlink(missing_ok=True)
        if self.fill_file is not None:
            self.fill_file.unlink(missing_ok=True)

    def describe(self) -> str:
        parts = [
            f"{self.cpu} CPU worker(s)" if self.cpu else "",
            f"{self.memory_mb} MB held" if self.memory_mb else "",
            f"{self.disk_mb} MB written to {self.fill_file}" if self.fill_file else "",
        ]
        return f"stress for at most {self.seconds:g} s: " + ", ".join(p for p in parts if p)
