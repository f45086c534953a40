"""The lab's demo services: small HTTP services exporting metrics, started and stopped one by one."""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import requests

from alertdrill import processes
from alertdrill.config import LabConfig, LabService, Settings
from alertdrill.errors import ConfigError, LabError
from alertdrill.polling import poll_until


@dataclass(frozen=True)
class LabServices:
    settings: Settings

    @property
    def lab(self) -> LabConfig:
        return self.settings.require_lab()

    def get(self, name: str) -> LabService | None:
        return next((s for s in self.lab.services if s.name == name), None)

    def require(self, name: str, where: str = "") -> LabService:
        service = self.get(name)
        if service is None:
            known = ", ".join(s.name for s in self.lab.services) or "none"
            at = f" (at {where})" if where else ""
            raise ConfigError(f"{name!r} is not a lab service", fix=f"known: {known}{at}")
        return service

    def pidfile(self, name: str) -> Path:
        return self.lab.dir / "run" / f"{name}.pid"

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.require(name).port}"

    def running(self, name: str) -> bool:
        pid = processes.read_pid(self.pidfile(name))
        return pid is not None and processes.is_alive(pid)

    def start(self, name: str, timeout_s: float = 10.0) -> int:
        service = self.require(name)
        if self.running(name):
            return processes.read_pid(self.pidfile(name)) or 0
        # Not running means every thread of the old process has ended, and so closed its listening socket
        # (a process's files are closed before it turns zombie, not when it is reaped): a port still taken
        # now is someone else's, and waiting would not free it.
        if not processes.port_free("127.0.0.1", service.port):
            raise LabError(
                f"port {service.port} for lab service {name} is taken",
                fix=f"stop what uses it or change lab.services.{name}.port",
            )
        argv = [sys.executable, "-m", "alertdrill.lab.demo_service", "--name", name, "--port", str(service.port)]
        pid = processes.spawn(name, argv, self.lab.dir / "run", self.lab.dir / "logs")
        self.wait_answering(name, pid, timeout_s)
        return pid

    def wait_answering(self, name: str, pid: int, timeout_s: float) -> None:
        def answering() -> bool:
            if not processes.is_alive(pid):
                raise LabError(
                    f"lab service {name} exited at start", fix=f"see {self.lab.dir / 'logs' / (name + '.log')}"
                )
            return requests.get(f"{self.url(name)}/-/healthy", timeout=1).ok

        if not poll_until(answering, timeout_s, 0.02, on_error=(requests.RequestException,)):
            raise LabError(f"lab service {name} did not answer within {timeout_s:.0f} s")

    def heal(self, name: str) -> str:
        """Undo what a drill may have done to a running service: continue it, clear its error fault."""
        pid = processes.read_pid(self.pidfile(name))
        if pid is None or not processes.is_alive(pid):
            self.start(name)
            return "started"
        os.kill(pid, signal.SIGCONT)
        requests.post(f"{self.url(name)}/-/fault", json={"error_rate": 0}, timeout=5).raise_for_status()
        return "healed"

    def stop(self, name: str) -> bool:
        return processes.stop(self.pidfile(name))
