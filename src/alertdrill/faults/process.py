"""`type: process-kill`: signal a process found by lab service name or pid file; revert restarts it."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from alertdrill.config import FaultConfig
from alertdrill.errors import ConfigError, InjectorError
from alertdrill.faults.base import InjectorContext, option, require_ok, unknown_options
from alertdrill.lab import processes
from alertdrill.lab.services import LabServices


def _signal(name: str) -> signal.Signals:
    key = name.upper() if name.upper().startswith("SIG") else f"SIG{name.upper()}"
    try:
        return signal.Signals[key]
    except KeyError:
        raise ConfigError(f"unknown signal {name!r}", fix="use e.g. KILL, TERM, STOP") from None


@dataclass(frozen=True)
class ProcessKillFault:
    type_name: ClassVar[str] = "process-kill"
    context: InjectorContext
    pidfile: Path
    sig: signal.Signals
    service: str | None = None
    restart: str | None = None

    @classmethod
    def from_config(cls, fault: FaultConfig, context: InjectorContext) -> ProcessKillFault:
        unknown_options(fault, {"service", "pidfile", "signal", "restart"})
        service = option(fault, "service", str, None)
        pidfile = option(fault, "pidfile", str, None)
        restart = option(fault, "restart", str, None)
        sig = _signal(str(option(fault, "signal", str, "KILL")))
        if service:
            services = LabServices(context.settings)
            services.require(str(service), fault.source)
            return cls(context, services.pidfile(str(service)), sig, str(service), restart)  # type: ignore[arg-type]
        if not pidfile or not restart:
            raise ConfigError(f"fault {fault.name!r} (process-kill) needs `service:` (a lab service) or "
                              "`pidfile:` and `restart:`", fix=f"add them at {fault.source}")
        return cls(context, context.cwd / str(pidfile), sig, None, str(restart))

    def inject(self) -> None:
        pid = processes.read_pid(self.pidfile)
        if pid is None or not processes.is_alive(pid):
            raise InjectorError(f"no running process in {self.pidfile}: nothing to kill",
                                fix="start it first (alertdrill lab up)")
        os.kill(pid, self.sig)
        if self.sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT) and not processes.wait_dead(pid, 5.0):
            raise InjectorError(f"process {pid} did not die after {self.sig.name}")

    def revert(self) -> None:
        pid = processes.read_pid(self.pidfile)
        if pid is not None and processes.is_alive(pid):
            if self.sig == signal.SIGSTOP:
                os.kill(pid, signal.SIGCONT)
            return
        if self.restart:
            require_ok(self.context.shell(self.restart), "restart command")
        elif self.service:
            LabServices(self.context.settings).start(self.service)

    def describe(self) -> str:
        target = f"lab service {self.service}" if self.service else f"pid in {self.pidfile}"
        return f"send {self.sig.name} to {target}, revert by restarting it"
