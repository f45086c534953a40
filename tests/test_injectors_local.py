"""Every local injector against a real process or server: inject, its own check, revert."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from alertdrill import processes
from alertdrill.config import FaultConfig, load_settings
from alertdrill.errors import ConfigError, InjectorError
from alertdrill.faults import InjectorContext, InjectorRegistry
from alertdrill.faults.process import process_state
from alertdrill.polling import poll_until
from alertdrill.processes import free_port
from alertdrill.testing import copy_project
from tests.conftest import REPO
from tests.test_links_and_notifiers import serving


@pytest.fixture
def context(tmp_path: Path) -> InjectorContext:
    project = copy_project(REPO, tmp_path / "p")
    return InjectorContext(load_settings(project.config_path))


def build(context: InjectorContext, kind: str, **options: object) -> object:
    return InjectorRegistry.default().build(FaultConfig("f", kind, options, "alertdrill.yml:9"), context)


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    marker = f"alertdrill-test-sleeper-{time.time_ns()}"
    child = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(120)  # {marker}"])
    child.marker = marker  # type: ignore[attr-defined]
    yield child
    child.kill()
    child.wait(timeout=10)


def test_process_stop_by_command_match_freezes_and_revert_continues(
    context: InjectorContext, sleeper: subprocess.Popen[bytes]
) -> None:
    injector = build(context, "process", match=sleeper.marker, signal="STOP")  # type: ignore[attr-defined]
    injector.inject()  # type: ignore[attr-defined]  # returns once the stop took effect (bounded)
    assert processes.is_stopped(sleeper.pid) and process_state(sleeper.pid) in ("T", "t")
    assert injector.verify() is None  # type: ignore[attr-defined]
    injector.revert()  # type: ignore[attr-defined]  # SIGCONT wakes every thread before kill() returns
    assert processes.is_alive(sleeper.pid) and not processes.is_stopped(sleeper.pid)
    assert process_state(sleeper.pid) not in ("T", "t")


def test_process_kill_by_pid_file_and_revert_runs_the_restart_command(context: InjectorContext, tmp_path: Path) -> None:
    pidfile = tmp_path / "app.pid"
    start = f"{sys.executable} -c 'import time; time.sleep(120)' >/dev/null 2>&1 & echo $! > {pidfile}"
    subprocess.run(start, shell=True, check=True)
    first = processes.read_pid(pidfile)
    injector = build(context, "process", pidfile=str(pidfile), signal="TERM", restart=start)
    try:
        injector.inject()  # type: ignore[attr-defined]
        assert first and not processes.is_alive(first) and injector.verify() is None  # type: ignore[attr-defined]
        injector.revert()  # type: ignore[attr-defined]
        second = processes.read_pid(pidfile)
        assert second and second != first and processes.is_alive(second)
    finally:
        processes.stop(pidfile)


def test_process_needs_one_target_and_a_restart_for_foreign_processes(context: InjectorContext) -> None:
    with pytest.raises(ConfigError, match="exactly one of service, pidfile, pid, match"):
        build(context, "process", pid=1, match="x")
    with pytest.raises(ConfigError, match="needs `restart:`"):
        build(context, "process", pid=12345)


class Target(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def start_proxy(target: str) -> tuple[subprocess.Popen[bytes], str]:
    """The proxy on a free port. The port is picked here and bound by the child a moment later, so
    another process can take it in between: the child then exits at start, and another port is tried."""
    for _ in range(3):
        listen = f"127.0.0.1:{free_port()}"
        child = subprocess.Popen(
            [sys.executable, "-m", "alertdrill", "proxy", "--listen", listen, "--target", f"http://{target}"]
        )

        def answering(child: subprocess.Popen[bytes] = child, url: str = f"http://{listen}") -> bool:
            return child.poll() is not None or requests.get(url, timeout=1).ok

        if poll_until(answering, 10, 0.05, on_error=(requests.RequestException,)) and child.poll() is None:
            return child, f"http://{listen}"
        child.kill()
        child.wait(timeout=10)
    raise AssertionError("the fault proxy did not start on any of 3 free ports")


@pytest.fixture
def proxy() -> Iterator[str]:
    """The fault proxy (a real process) in front of a real HTTP server."""
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Target)) as target:
        child, url = start_proxy(target)
        try:
            yield url
        finally:
            child.terminate()
            child.wait(timeout=10)


def test_http_proxy_errors_latency_and_drops_then_reverts(context: InjectorContext, proxy: str) -> None:
    assert requests.get(f"{proxy}/x", timeout=5).text == "ok"
    errors = build(context, "http-proxy", proxy=proxy, status=503)
    errors.inject()  # type: ignore[attr-defined]
    assert requests.get(f"{proxy}/x", timeout=5).status_code == 503 and errors.verify() is None  # type: ignore[attr-defined]
    errors.revert()  # type: ignore[attr-defined]
    assert requests.get(f"{proxy}/x", timeout=5).status_code == 200
    slow = build(context, "http-proxy", proxy=proxy, latency_ms=300)
    slow.inject()  # type: ignore[attr-defined]
    started = time.monotonic()
    assert requests.get(f"{proxy}/x", timeout=5).text == "ok"
    assert time.monotonic() - started >= 0.3  # the injected delay itself, not a performance bound
    slow.revert()  # type: ignore[attr-defined]
    dropped = build(context, "http-proxy", proxy=proxy, drop=True)
    dropped.inject()  # type: ignore[attr-defined]
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{proxy}/x", timeout=5)
    dropped.revert()  # type: ignore[attr-defined]
    assert requests.get(f"{proxy}/x", timeout=5).text == "ok"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_stress_cpu_memory_and_disk_are_real_bounded_and_cleaned_up(context: InjectorContext, tmp_path: Path) -> None:
    stress = build(
        context, "stress", cpu=1, memory_mb=64, disk_path=str(tmp_path), disk_mb=8, seconds=60, stress_ng=False
    )
    stress.inject()  # type: ignore[attr-defined]
    try:
        pids = stress._pids()  # type: ignore[attr-defined]
        assert len(pids) == 2 and stress.verify() is None  # type: ignore[attr-defined]
        assert poll_until(lambda: max(rss_mb(p) for p in pids) >= 64, 10, 0.05)  # the pages are resident
        fill = tmp_path / "alertdrill-fill-f.bin"
        assert fill.stat().st_size == 8 * 1024 * 1024
    finally:
        stress.revert()  # type: ignore[attr-defined]
    assert not any(processes.is_alive(p) for p in pids) and not fill.exists()


def test_stress_ends_by_itself_at_its_bound(context: InjectorContext) -> None:
    stress = build(context, "stress", cpu=1, seconds=0.5, stress_ng=False)
    stress.inject()  # type: ignore[attr-defined]
    (pid,) = stress._pids()  # type: ignore[attr-defined]
    assert processes.wait_dead(pid, 10)  # even with no revert (a killed harness), pressure stops
    stress.revert()  # type: ignore[attr-defined]


def test_a_disk_fill_that_would_exhaust_the_disk_is_refused(context: InjectorContext, tmp_path: Path) -> None:
    stress = build(context, "stress", disk_path=str(tmp_path), disk_mb=1, min_free_mb=10**9)
    with pytest.raises(InjectorError, match="below min_free_mb"):
        stress.inject()  # type: ignore[attr-defined]
    stress.revert()  # type: ignore[attr-defined]


def test_metric_is_pushed_to_a_real_pushgateway_and_deleted(context: InjectorContext, pushgateway: str) -> None:
    metric = build(
        context, "metric", pushgateway=pushgateway, metric="demo_queue_depth", value=42, labels={"queue": "payments"}
    )
    metric.inject()  # type: ignore[attr-defined]
    assert metric.verify() is None  # type: ignore[attr-defined]
    text = requests.get(f"{pushgateway}/metrics", timeout=5).text
    assert 'demo_queue_depth{instance="",job="alertdrill",queue="payments"} 42' in text
    metric.revert()  # type: ignore[attr-defined]
    # The Pushgateway answers a DELETE with 202 and deletes from its store a moment later: await it.
    assert poll_until(
        lambda: "demo_queue_depth{" not in requests.get(f"{pushgateway}/metrics", timeout=5).text, 10, 0.02
    )


def test_the_proxy_refuses_a_fault_it_cannot_apply(proxy: str) -> None:
    answer = requests.put(f"{proxy}/-/alertdrill/fault", json={"rate": 2}, timeout=5)
    assert answer.status_code == 400 and "rate must be in [0, 1]" in answer.text
