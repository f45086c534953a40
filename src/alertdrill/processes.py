"""Detached processes with pid files and logs, stopped exactly as they were started."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def thread_states(pid: int) -> list[str] | None:
    """The state letter (`R`, `S`, `D`, `T`, `t`, `Z`, `X`...) of every thread of `pid` from /proc:
    [] when the process is gone, None when /proc does not say."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return []
    except OSError:
        return None
    states = []
    for tid in tids:
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue  # that thread just ended
        states.append(stat.rsplit(")", 1)[1].split()[0])
    return states


DEAD = ("Z", "X")
STOPPED = ("T", "t")


def is_alive(pid: int) -> bool:
    """False once every thread of `pid` has ended. A zombie is dead for our purposes, but the thread
    group leader turns zombie as soon as it exits itself, while the other threads may still be ending
    and still hold the process's files (its listening port): so every thread is looked at."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    states = thread_states(pid)
    return states is None or any(state not in DEAD for state in states)


def is_stopped(pid: int) -> bool:
    """True when every live thread of `pid` is stopped (SIGSTOP takes effect in each thread on its own,
    asynchronously after kill() returns); False when it runs or is gone."""
    live = [state for state in thread_states(pid) or [] if state not in DEAD]
    return bool(live) and all(state in STOPPED for state in live)


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


def _await(done: Callable[[], bool], timeout_s: float) -> bool:
    """Bounded wait for a state of a process that pushes nothing (a foreign pid, /proc)."""
    deadline = time.monotonic() + timeout_s
    delay = 0.005
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(delay)  # polling a foreign pid: there is no event to await
        delay = min(delay * 2, 0.1)
    return done()


def wait_dead(pid: int, timeout_s: float) -> bool:
    """Bounded wait for `pid` to exit, every thread of it (reaping it when it is our child)."""

    def dead() -> bool:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        return not is_alive(pid)

    return _await(dead, timeout_s)


def wait_stopped(pid: int, timeout_s: float) -> bool:
    """Bounded wait for `pid` to be stopped, every thread of it (after a SIGSTOP)."""
    return _await(lambda: is_stopped(pid), timeout_s)


def port_free(host: str, port: int) -> bool:
    """Whether `port` can be bound on `host` (an IPv4 or IPv6 address, `[::1]` too, or a name)."""
    host = host.strip("[]")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
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
        proc = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
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
