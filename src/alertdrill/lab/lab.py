"""`alertdrill lab up | down | status`."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from alertdrill import processes
from alertdrill.config import LabConfig, Settings
from alertdrill.errors import LabError
from alertdrill.lab import fresh_groups, readiness
from alertdrill.lab.configs import write_configs
from alertdrill.lab.reload import remember_loaded
from alertdrill.lab.services import LabServices
from alertdrill.sink import auth

POINTER = "lab.json"  # in the project's state folder (.alertdrill/): the pid files of the running lab


def down_from_state(state_dir: Path) -> list[str] | None:
    """Stop the processes the lab's state names, without its configuration (which may be broken):
    the names stopped, or None when no lab state is there."""
    pointer = state_dir / POINTER
    try:
        pid_files = [Path(p) for p in json.loads(pointer.read_text())["pid_files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    stopped = [pid_file.stem for pid_file in pid_files if processes.stop(pid_file)]
    pointer.unlink(missing_ok=True)
    return stopped


@dataclass(frozen=True)
class Component:
    name: str
    host: str
    port: int
    config_key: str
    process: str = ""  # the process serving it, when another component's (the sink serves email too)

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def pid_name(self) -> str:
        return self.process or self.name


@dataclass(frozen=True)
class Lab:
    settings: Settings

    @property
    def config(self) -> LabConfig:
        return self.settings.require_lab()

    @property
    def run_dir(self) -> Path:
        return self.config.dir / "run"

    @property
    def secret_file(self) -> Path:
        """The sink's secret for this `lab up` (mode 0600); Alertmanager and the sink read it, nothing prints it."""
        return self.config.dir / auth.FILE_NAME

    @property
    def state_file(self) -> Path:
        return self.config.dir / "lab.json"

    @property
    def pointer_file(self) -> Path:
        """Where `lab down` finds the lab when the configuration cannot be read (a fixed place)."""
        return self.settings.state_dir / POINTER

    def components(self) -> list[Component]:
        prom, am = urlsplit(self.settings.prometheus), urlsplit(self.settings.alertmanager)
        sink_host, _, sink_port = self.settings.sink_listen.rpartition(":")
        found = [
            Component("prometheus", prom.hostname or "127.0.0.1", prom.port or 9090, "prometheus"),
            Component("alertmanager", am.hostname or "127.0.0.1", am.port or 9093, "alertmanager"),
            Component("sink", sink_host.strip("[]") or "127.0.0.1", int(sink_port), "sink.listen"),
        ]
        if self.settings.sink_smtp:
            smtp_host, _, smtp_port = self.settings.sink_smtp.rpartition(":")
            found.append(
                Component("email sink", smtp_host.strip("[]") or "127.0.0.1", int(smtp_port), "sink.smtp", "sink")
            )
        found += [Component(s.name, "127.0.0.1", s.port, f"lab.services.{s.name}.port") for s in self.config.services]
        return found

    def _binary(self, name: str, package: str) -> str:
        path = shutil.which(name)
        if path is None:
            raise LabError(f"{name} is not installed", fix=f"apt-get install {package} (or run `make setup`)")
        return path

    def running(self) -> list[str]:
        return [
            c.name
            for c in self.components()
            if (pid := processes.read_pid(self.run_dir / f"{c.name}.pid")) and processes.is_alive(pid)
        ]

    def up(self, progress: Callable[[str], None] = print) -> float:
        """Start everything and wait until usable; seconds it took. Idempotent when already up."""
        started = time.monotonic()
        if set(self.running()) == {c.name for c in self.components()}:
            progress("lab already up")
            return 0.0
        self.down()
        binaries = (
            self._binary(self.config.prometheus_bin, "prometheus"),
            self._binary(self.config.alertmanager_bin, "prometheus-alertmanager"),
        )
        self._require_free_ports()
        secret = auth.generate(self.secret_file.absolute())  # new per `lab up`: an old copy authenticates nothing
        configs = write_configs(self.settings, self.config.dir / "config", secret)
        fresh_groups.reset(self.settings)
        try:
            self._start(binaries, configs, secret, progress)
        except BaseException:
            self.down()
            raise
        took = time.monotonic() - started
        state = {
            "started_at": time.time(),
            "ready_s": round(took, 3),
            "prometheus": self.settings.prometheus,
            "components": [c.name for c in self.components()],
        }
        self.state_file.write_text(json.dumps(state))
        owned = [c for c in reversed(self.components()) if not c.process]  # newest first, as `down` stops them
        pids = [str((self.run_dir / f"{c.pid_name}.pid").absolute()) for c in owned]
        self.pointer_file.parent.mkdir(parents=True, exist_ok=True)
        self.pointer_file.write_text(json.dumps({**state, "pid_files": pids}))
        remember_loaded(self.settings)  # the rule and route files as loaded now (`run` reloads on change)
        return took

    def _require_free_ports(self) -> None:
        for comp in self.components():
            if not processes.port_free(comp.host, comp.port):
                raise LabError(
                    f"port {comp.port} ({comp.name}) is taken by another process",
                    path=self.settings.config_path,
                    fix=f"stop it, or change {comp.config_key} in {self.settings.config_path.name}",
                )

    def _start(
        self, binaries: tuple[str, str], configs: tuple[Path, Path], secret: Path, progress: Callable[[str], None]
    ) -> None:
        # Prometheus first: it finds the Alertmanager only on a 5 s discovery throttle after it starts,
        # the floor of `lab up`; everything else starts inside that time.
        logs = self.config.dir / "logs"
        progress("starting Prometheus and Alertmanager")
        for name, argv in self._server_commands(binaries, configs):
            processes.spawn(name, argv, self.run_dir, logs)
        progress("starting sink and demo services")
        smtp = ["--smtp", self.settings.sink_smtp] if self.settings.sink_smtp else []
        sink = ["-m", "alertdrill.sink.server", "--listen", self.settings.sink_listen, "--secret-file", str(secret)]
        processes.spawn("sink", [sys.executable, *sink, *smtp], self.run_dir, logs)
        services = LabServices(self.settings)
        for service in self.config.services:
            services.start(service.name)
        progress("waiting until Prometheus has discovered Alertmanager and scraped every target")
        am = urlsplit(self.settings.alertmanager).netloc
        conditions = readiness.conditions(
            self.settings.prometheus, self.settings.alertmanager, self.settings.sink_url, am
        )
        failed = readiness.wait_ready(conditions, self.config.ready_timeout_s, self._dead_component)
        if failed:
            raise LabError(f"lab not ready: {failed}", fix=f"see the logs in {logs}")

    def _server_commands(self, binaries: tuple[str, str], configs: tuple[Path, Path]) -> list[tuple[str, list[str]]]:
        data = self.config.dir / "data"
        prom, am = urlsplit(self.settings.prometheus).netloc, urlsplit(self.settings.alertmanager).netloc
        prometheus = [f"--config.file={configs[0]}", f"--storage.tsdb.path={data / 'prometheus'}", "--log.level=warn"]
        alertmanager = [f"--config.file={configs[1]}", f"--storage.path={data / 'alertmanager'}", "--log.level=warn"]
        return [
            ("prometheus", [binaries[0], *prometheus, f"--web.listen-address={prom}", "--web.enable-lifecycle"]),
            ("alertmanager", [binaries[1], *alertmanager, f"--web.listen-address={am}", "--cluster.listen-address="]),
        ]

    def _dead_component(self) -> str | None:
        for comp in self.components():
            pid = processes.read_pid(self.run_dir / f"{comp.pid_name}.pid")
            if pid is None or not processes.is_alive(pid):
                log = self.config.dir / "logs" / f"{comp.pid_name}.log"
                tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
                return f"{comp.name} exited" + (f": {tail[0][:200]}" if tail else "")
        return None

    def down(self) -> list[str]:
        """Stop exactly the processes `up` started (their pid files), newest first."""
        stopped = []
        for comp in reversed(self.components()):
            if not comp.process and processes.stop(self.run_dir / f"{comp.pid_name}.pid"):
                stopped.append(comp.name)
        self.state_file.unlink(missing_ok=True)
        self.pointer_file.unlink(missing_ok=True)
        return stopped

    def status(self) -> list[tuple[str, str, str]]:
        rows = []
        for comp in self.components():
            pid = processes.read_pid(self.run_dir / f"{comp.pid_name}.pid")
            alive = pid is not None and processes.is_alive(pid)
            rows.append((comp.name, comp.address, f"running (pid {pid})" if alive else "stopped"))
        return rows
