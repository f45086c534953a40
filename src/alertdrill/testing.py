"""Public testing helpers: a private copy of a project on free ports, a lab that runs it, a
Pushgateway (for `metric` faults and pushed results) and a throwaway PostgreSQL server (for history).

    with lab_project(Path("."), tmp_path) as project:
        subprocess.run(["alertdrill", "run", "--config", str(project.config_path)])

Every process the lab starts is stopped on exit, so tests can run beside a developer's own lab.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from alertdrill.config import Settings, load_settings
from alertdrill.lab.lab import Lab
from alertdrill.polling import poll_until
from alertdrill.processes import free_port

PROJECT_PARTS = ("alertdrill.yml", "alerts", "drills", "notifiers", "runbooks")


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / "alertdrill.yml"

    def settings(self) -> Settings:
        return load_settings(self.config_path)

    def write_feature(self, name: str, text: str) -> Path:
        path = self.root / "drills" / name
        path.write_text(text)
        return path


def copy_project(source: Path, dest: Path, extra_faults: Mapping[str, Mapping[str, object]] | None = None) -> Project:
    """Copy the project at `source` to `dest`, moving every port in alertdrill.yml to a free one."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        src = source / part
        if src.is_dir():
            shutil.copytree(src, dest / part, dirs_exist_ok=True)
        elif src.is_file():
            shutil.copy2(src, dest / part)
    config_path = dest / "alertdrill.yml"
    raw = yaml.safe_load(config_path.read_text())
    raw["prometheus"] = f"http://127.0.0.1:{free_port()}"
    raw["alertmanager"] = f"http://127.0.0.1:{free_port()}"
    smtp = (raw.get("sink") or {}).get("smtp")
    raw["sink"] = {"listen": f"127.0.0.1:{free_port()}", **({"smtp": f"127.0.0.1:{free_port()}"} if smtp else {})}
    for service in (raw.get("lab") or {}).get("services", {}).values():
        service["port"] = free_port()
    raw.setdefault("faults", {}).update(extra_faults or {})
    config_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return Project(dest)


@contextmanager
def running_lab(project: Project) -> Iterator[Lab]:
    lab = Lab(project.settings())
    lab.up(progress=lambda message: None)
    try:
        yield lab
    finally:
        lab.down()


@contextmanager
def lab_project(
    source: Path, dest: Path, extra_faults: Mapping[str, Mapping[str, object]] | None = None
) -> Iterator[Project]:
    project = copy_project(source, dest, extra_faults)
    with running_lab(project):
        yield project


@contextmanager
def running_pushgateway() -> Iterator[str | None]:
    """A real Pushgateway (Debian's prometheus-pushgateway) on a free port, stopped on exit; its URL,
    or None when the binary is not installed."""
    binary = shutil.which("prometheus-pushgateway")
    if binary is None:
        yield None
        return
    address = f"127.0.0.1:{free_port()}"
    child = subprocess.Popen(
        [binary, f"--web.listen-address={address}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        if not poll_until(
            lambda: requests.get(f"http://{address}/-/ready", timeout=1).ok,
            10,
            0.05,
            on_error=(requests.RequestException,),
        ):
            raise RuntimeError(f"the Pushgateway on {address} did not become ready within 10 s")
        yield f"http://{address}"
    finally:
        child.terminate()
        child.wait(timeout=10)


def postgres_bindir() -> Path | None:
    """Where Debian's PostgreSQL server binaries are (the newest version installed), or None."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0
    )
    return found[-1].parent if found else None


@contextmanager
def running_postgres() -> Iterator[str | None]:
    """A throwaway PostgreSQL server on a free loopback port (trust auth, no fsync), stopped and deleted
    on exit; its SQLAlchemy URL (database `postgres`), or None when PostgreSQL is not installed.
    As root, the server runs as the `postgres` user (it refuses to run as root)."""
    bindir = postgres_bindir()
    if bindir is None:
        yield None
        return
    root, port = Path(tempfile.mkdtemp(prefix="alertdrill-pg-")), free_port()
    user = "postgres" if os.geteuid() == 0 else None
    if user is not None:
        shutil.chown(root, user)
    try:
        _initdb(bindir, root, user)
        with _postgres(bindir, root, port, user):
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _initdb(bindir: Path, root: Path, user: str | None) -> None:
    argv: list[str | Path] = [
        bindir / "initdb",
        "-D",
        root / "data",
        "-U",
        "postgres",
        "--auth=trust",
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C",
    ]
    done = subprocess.run(argv, user=user, cwd=root, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")


@contextmanager
def _postgres(bindir: Path, root: Path, port: int, user: str | None) -> Iterator[None]:
    """The server on `port`, ready (pg_isready, bounded), stopped on exit."""
    log = root / "postgres.log"
    argv: list[str | Path] = [
        bindir / "postgres",
        "-D",
        root / "data",
        "-p",
        str(port),
        "-k",
        root,
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "fsync=off",
    ]
    with log.open("w") as out:
        child = subprocess.Popen(argv, user=user, cwd=root, stdout=out, stderr=subprocess.STDOUT)
    try:
        ready = [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]

        def up_or_dead() -> bool:
            return child.poll() is not None or subprocess.run(ready, check=False).returncode == 0

        if not poll_until(up_or_dead, 30, 0.1) or child.poll() is not None:
            raise RuntimeError(f"PostgreSQL on port {port} did not become ready: {log.read_text()[-2000:]}")
        yield
    finally:
        child.send_signal(signal.SIGINT)  # "fast" shutdown: disconnects the clients
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
