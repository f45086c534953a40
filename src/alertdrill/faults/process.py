"""`type: process` (alias `process-kill`): signal processes found by lab service, pid file, pid or a
command-line match. SIGSTOP freezes them (revert continues them); any other signal ends them (revert
restarts: the lab service, or the `restart:` command)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from alertdrill import processes
from alertdrill.config import FaultConfig
from alertdrill.errors import ConfigError, InjectorError
from alertdrill.faults.base import InjectorContext, option, require_ok, text_option, unknown_options
from alertdrill.lab.services import LabServices

MAX_MATCHES = 20  # a command match that finds more than this is a mistake, not a target
ENDING = (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
SIGNAL_WAIT_S = 5.0  # how long inject awaits the signal's effect (stopped, or ended) before it fails


def _signal(name: str, fault: FaultConfig | None = None) -> signal.Signals:
    key = name.strip().upper() if name.strip().upper().startswith("SIG") else f"SIG{name.strip().upper()}"
    try:
        return signal.Signals[key]
    except KeyError:
        owner = f"fault {fault.name!r}: " if fault else ""
        raise ConfigError(
            f"{owner}unknown signal {name[:30]!r}",
            fix="use e.g. KILL, TERM, STOP" + (f" at {fault.source}" if fault else ""),
        ) from None


def unsafe_target(pid: int) -> str:
    """Why signalling `pid` would hit init, a whole process group, every process, or the harness
    (itself, its parent, the leader of its process group); "" when it would not."""
    if pid <= 0:
        return f"pid {pid} is not a process (kill({pid}) signals {'every process' if pid == -1 else 'a group'})"
    if pid == 1:
        return "pid 1 is init"
    if pid in (os.getpid(), os.getppid()):
        return f"pid {pid} is the harness itself or its parent"
    if pid == os.getpgrp():
        return f"pid {pid} leads the harness's own process group"
    return ""


def _check_pid(fault: FaultConfig, pid: object) -> int | None:
    if pid is None:
        return None
    assert isinstance(pid, int)
    problem = unsafe_target(pid)
    if problem:
        raise ConfigError(
            f"fault {fault.name!r}: {problem}: alertdrill will not signal it",
            fix=f"name the service's own pid, pidfile or command at {fault.source}",
        )
    return pid


def matching_pids(pattern: str) -> list[int]:
    """Live processes whose command line matches `pattern` (init, this process, its parent and the
    leader of its process group excluded)."""
    regex, mine = re.compile(pattern), {1, os.getpid(), os.getppid(), os.getpgrp()}
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in mine:
            command = processes.cmdline(int(entry.name))
            if command and regex.search(command):
                found.append(int(entry.name))
    return sorted(found)


def process_state(pid: int) -> str:
    """`R`, `S`, `T` (stopped), `Z`... of the main thread from /proc; "" when gone (the whole process:
    `processes.thread_states`)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


@dataclass
class ProcessFault:
    type_name: ClassVar[str] = "process"
    context: InjectorContext
    sig: signal.Signals
    service: str | None = None
    pidfile: Path | None = None
    pid: int | None = None
    match: str | None = None
    restart: str | None = None
    targets: list[int] = field(default_factory=list)

    @classmethod
    def from_config(cls, fault: FaultConfig, context: InjectorContext) -> ProcessFault:
        unknown_options(fault, {"service", "pidfile", "pid", "match", "signal", "restart"})
        sig = _signal(str(text_option(fault, "signal", "KILL")), fault)
        service, pidfile = text_option(fault, "service", None), text_option(fault, "pidfile", None)
        raw_pid = option(fault, "pid", int, None)
        match, restart = text_option(fault, "match", None), text_option(fault, "restart", None)
        chosen = [
            k
            for k, v in (("service", service), ("pidfile", pidfile), ("pid", raw_pid), ("match", match))
            if v is not None
        ]
        if len(chosen) != 1:
            raise ConfigError(
                f"fault {fault.name!r} ({fault.type}) needs exactly one of service, pidfile, pid, match"
                + (f" (it has {', '.join(chosen)})" if chosen else ""),
                fix=f"at {fault.source}",
            )
        pid = _check_pid(fault, raw_pid)
        if match:
            try:
                re.compile(str(match))
            except re.error as exc:
                raise ConfigError(
                    f"fault {fault.name!r}: match is not a regex ({exc})", fix=f"at {fault.source}"
                ) from None
        if service:
            services = LabServices(context.settings)
            services.require(str(service), fault.source)
            return cls(context, sig, service=str(service), pidfile=services.pidfile(str(service)), restart=restart)
        if sig in ENDING and not restart:
            raise ConfigError(
                f"fault {fault.name!r} ends a process that is not a lab service, so its revert needs "
                "`restart:` (a command that starts it again)",
                fix=f"add it at {fault.source}",
            )
        return cls(
            context, sig, pidfile=context.cwd / str(pidfile) if pidfile else None, pid=pid, match=match, restart=restart
        )

    def _find(self) -> list[int]:
        """The live targets; an InjectorError, before any signal, when one is init, all, or the harness."""
        if self.match:
            found = matching_pids(self.match)
            if len(found) > MAX_MATCHES:
                raise InjectorError(
                    f"`{self.match}` matches {len(found)} processes (more than {MAX_MATCHES})",
                    fix="make the match narrower",
                )
            return found
        pid = self.pid if self.pid is not None else processes.read_pid(self.pidfile) if self.pidfile else None
        if pid is None:
            return []
        problem = unsafe_target(pid)
        if problem:
            source = f"the pid file {self.pidfile} says {pid}" if self.pid is None else f"pid {pid}"
            raise InjectorError(
                f"{source}: {problem}; alertdrill sends it no signal",
                fix="fix the pid file" if self.pid is None else "fix `pid:` of the fault",
            )
        return [pid] if processes.is_alive(pid) else []

    def inject(self) -> None:
        self.targets = [pid for pid in self._find() if self._send(pid)]
        if not self.targets:
            raise InjectorError(
                f"no running process for {self._what()}: nothing to signal", fix="start it first (alertdrill lab up)"
            )
        # A signal takes effect after kill() returns, once the target is scheduled: await it, bounded,
        # so that the fault is in place (and recorded as injected) only when it is.
        if self.sig == signal.SIGSTOP:
            running = [pid for pid in self.targets if not processes.wait_stopped(pid, SIGNAL_WAIT_S)]
            if running:
                raise InjectorError(
                    f"process(es) {running} did not stop after SIGSTOP within "
                    f"{SIGNAL_WAIT_S:g} s (thread states {self._states(running)})"
                )
        if self.sig in ENDING:
            alive = [pid for pid in self.targets if not processes.wait_dead(pid, SIGNAL_WAIT_S)]
            if alive:
                raise InjectorError(f"process(es) {alive} did not end after {self.sig.name} within {SIGNAL_WAIT_S:g} s")

    def verify(self) -> str | None:
        """None when the fault holds: the processes are gone (or, for SIGSTOP, every thread of them is
        stopped: a process that ended instead is not frozen, and no revert brings it back)."""
        if self.sig == signal.SIGSTOP:
            running = [p for p in self.targets if not processes.is_stopped(p)]
            return f"process(es) {running} are not stopped (thread states {self._states(running)})" if running else None
        if self.sig in ENDING:
            alive = [p for p in self.targets if processes.is_alive(p)]
            return f"process(es) {alive} still run" if alive else None
        return None

    def revert(self) -> None:
        if self.sig == signal.SIGSTOP:
            for pid in self.targets or self._find():
                if unsafe_target(pid):  # re-checked right before the signal
                    continue
                with contextlib.suppress(ProcessLookupError):  # one that ended meanwhile needs nothing
                    os.kill(pid, signal.SIGCONT)
            return
        if self.sig not in ENDING:
            return
        if self._find():  # already running again (a person, or a restart policy, brought it back)
            return
        if self.restart:
            require_ok(self.context.shell(self.restart), "restart command")
        elif self.service:
            LabServices(self.context.settings).start(self.service)

    def _send(self, pid: int) -> bool:
        """Signal `pid`; False when it ended since it was found (a match can find short-lived processes)."""
        problem = unsafe_target(pid)  # checked by _find; re-checked right before the signal
        if problem:
            raise InjectorError(f"refusing to signal pid {pid}: {problem}")
        try:
            os.kill(pid, self.sig)
        except ProcessLookupError:
            return False
        return True

    @staticmethod
    def _states(pids: list[int]) -> str:
        return ", ".join(f"{pid}: {''.join(processes.thread_states(pid) or []) or 'gone'}" for pid in pids)

    def _what(self) -> str:
        return (
            f"lab service {self.service}"
            if self.service
            else f"pid {self.pid}"
            if self.pid
            else f"command matching `{self.match}`"
            if self.match
            else f"pid in {self.pidfile}"
        )

    def describe(self) -> str:
        revert = "continue it" if self.sig == signal.SIGSTOP else "restart it" if self.sig in ENDING else "nothing"
        return f"send {self.sig.name} to {self._what()}, revert: {revert}"


ProcessKillFault = ProcessFault  # the name issue 3's configs use (`type: process-kill`)
