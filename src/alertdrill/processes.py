"""Detached processes with pid files and logs, stopped exactly as they were started."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def start_time(pid: int) -> int | None:
    """When `pid` started (clock ticks since boot, /proc/PID/stat field 22): with the pid, a process's identity."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None


def same_process(pid: int, started: int | None) -> bool:
    """`pid` is alive and is the process that started at `started` (not a reused pid); no start time: alive."""
    return is_alive(pid) and (started is None or start_time(pid) == started)


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def wait_dead(pid: int, timeout_s: float) -> bool:
    """Bounded wait for `pid` to exit (reaping it when it is our child)."""
    deadline = time.monotonic() + timeout_s
    delay = 0.005
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        if not is_alive(pid):
            return True
        time.sleep(delay)  # polling a foreign pid: there is no event to await
        delay = min(delay * 2, 0.1)
    return not is_alive(pid)


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port(host: str = "127.0.0.1", attempts: int = 200) -> int:
    """A free port below the kernel's ephemeral range: a port from bind(0) can be taken as the source
    port of some outgoing connection before the server (re)binds it, e.g. when a drill restarts it."""
    low, _ = _ephemeral_range()
    rng = random.Random()
    for _ in range(attempts):
        port = rng.randrange(max(1024, low - 12000), low)
        if port_free(host, port):
            return port
    raise OSError(f"no free port found below {low} after {attempts} tries")


def spawn(name: str, argv: Sequence[str], run_dir: Path, log_dir: Path) -> int:
    """Start `argv` in its own session, output to `log_dir/name.log`, pid to `run_dir/name.pid`."""
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"{name}.log", "ab") as log:
        proc = subprocess.Popen(list(argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, close_fds=True)
    (run_dir / f"{name}.pid").write_text(f"{proc.pid}\n{' '.join(argv)}\n")
    return proc.pid


def stop(pidfile: Path, timeout_s: float = 5.0) -> bool:
    """SIGTERM, then SIGKILL after `timeout_s`, the process named by `pidfile` if it is still ours."""
    pid = read_pid(pidfile)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return False
    recorded = pidfile.read_text().splitlines()[1:2]
    ours = is_alive(pid) and (not recorded or recorded[0].split()[0] in cmdline(pid))
    if ours:
        os.kill(pid, signal.SIGCONT)  # a stopped process cannot act on SIGTERM
        os.kill(pid, signal.SIGTERM)
        if not wait_dead(pid, timeout_s):
            os.kill(pid, signal.SIGKILL)
            wait_dead(pid, timeout_s)
    pidfile.unlink(missing_ok=True)
    return ours
