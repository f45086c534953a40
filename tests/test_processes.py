"""Process states as the kernel has them: a process is every one of its threads, not its main thread's
/proc entry. The main thread turns zombie as soon as it ends itself, while the other threads go on and
hold the process's files (a listening port): "dead" and "stopped" must wait for all of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from alertdrill import processes
from alertdrill.faults.process import process_state
from alertdrill.polling import poll_until

# Listens, starts a second thread, and on "go" ends its main thread only (pthread_exit): the process
# lives on in the second thread, which still holds the listening socket.
CHILD = """
import ctypes, socket, sys, threading
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen()
threading.Thread(target=threading.Event().wait).start()
print(server.getsockname()[1], flush=True)
sys.stdin.readline()
ctypes.CDLL(None).pthread_exit(None)
"""


@pytest.fixture
def child() -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc, int(proc.stdout.readline())
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_a_process_whose_main_thread_ended_is_alive_and_keeps_its_port(
    child: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = child
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()
    assert poll_until(lambda: process_state(proc.pid) == "Z", 10, 0.01)  # the main thread's own state
    assert processes.is_alive(proc.pid) and not processes.port_free("127.0.0.1", port)
    assert not processes.wait_dead(proc.pid, 0.2)
    os.kill(proc.pid, signal.SIGKILL)
    assert processes.wait_dead(proc.pid, 10)  # every thread ended ...
    assert processes.port_free("127.0.0.1", port)  # ... so its files are closed: the port is free at once


def test_stopped_means_every_thread_stopped_and_gone_is_not_stopped(child: tuple[subprocess.Popen[str], int]) -> None:
    proc, _ = child
    os.kill(proc.pid, signal.SIGSTOP)
    assert processes.wait_stopped(proc.pid, 10)  # SIGSTOP takes effect after kill() returns: awaited
    assert set(processes.thread_states(proc.pid) or []) <= set(processes.STOPPED)
    os.kill(proc.pid, signal.SIGCONT)  # continuing is immediate: kill() wakes every thread before it returns
    assert not processes.is_stopped(proc.pid) and processes.is_alive(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    assert processes.wait_dead(proc.pid, 10) and not processes.is_stopped(proc.pid)
    proc.wait(timeout=10)  # reaped: gone from /proc
    assert processes.thread_states(proc.pid) == [] and not processes.is_stopped(proc.pid)
