"""The local lab: "up" means usable, a taken port is a clear error, "down" stops exactly what "up" started."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests

from alertdrill import processes
from alertdrill.config import Settings
from alertdrill.errors import LabError
from alertdrill.lab.lab import Lab
from alertdrill.testing import Project, copy_project, lab_project
from tests.conftest import REPO, alertdrill


def assert_usable(settings: Settings) -> None:
    """What `lab up` promises when it returns, asked at once (no waiting)."""
    managers = requests.get(f"{settings.prometheus}/api/v1/alertmanagers", timeout=5).json()["data"]
    assert any(settings.alertmanager.split("//")[1] in m["url"] for m in managers["activeAlertmanagers"])
    targets = requests.get(f"{settings.prometheus}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    assert sorted(t["labels"]["job"] for t in targets) == [
        "checkout-api",
        "inventory-api",
        "ledger-api",
        "payments-api",
    ]
    assert all(t["health"] == "up" for t in targets), targets
    rules = requests.get(f"{settings.prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
    assert {r["name"] for g in rules for r in g["rules"]} == {
        "PaymentsApiDown",
        "CheckoutApiErrors",
        "InventoryApiDown",
        "LedgerApiDown",
        "LedgerApiNoTraffic",
    }
    assert all(g["lastEvaluation"] != "0001-01-01T00:00:00Z" for g in rules)


def test_up_means_prometheus_discovered_alertmanager_and_scraped_every_target(tmp_path: Path) -> None:
    # A lab of its own: the shared one is long past its `up`, and other tests kill and restart its
    # services (Prometheus sees a restarted one up only at its next scrape).
    with lab_project(REPO, tmp_path / "p") as project:
        assert_usable(project.settings())


def test_status_lists_every_component_running(lab: Project) -> None:
    done = alertdrill("lab", "status", "--config", str(lab.config_path))
    assert done.returncode == 0, done.stdout
    assert done.stdout.count("running (pid") == 8 and done.stdout.endswith("lab is up\nno fault is injected now\n")
    assert "email sink" in done.stdout  # served by the sink process


def test_status_names_the_fault_injected_now_from_the_ledger(tmp_path: Path) -> None:
    from alertdrill.faults.ledger import Ledger

    project = copy_project(REPO, tmp_path / "p")
    settings = project.settings()
    entry = Ledger(settings.state_dir / "ledger").record(
        "Killing the payments API", settings.faults["payments-api-down"], settings.config_path
    )
    done = alertdrill("lab", "status", "--config", str(project.config_path))
    assert done.returncode == 0, done.stderr
    assert (
        f"fault injected now: payments-api-down (drill 'Killing the payments API', pid {entry.pid}; "
        "its run is still going)" in done.stdout  # this test's process holds it
    )
    assert "no fault is injected now" not in done.stdout


def test_down_works_from_the_labs_state_when_the_configuration_is_broken(tmp_path: Path) -> None:
    project = copy_project(REPO, tmp_path / "p")
    config = project.config_path
    config.write_text(config.read_text().replace("dir: .lab", "dir: elsewhere/lab"))  # not the default folder
    lab = Lab(project.settings())
    try:
        lab.up(progress=lambda m: None)
        pids = [processes.read_pid(lab.run_dir / f"{c.pid_name}.pid") for c in lab.components()]
        config.write_text(config.read_text() + "\nfaults: [unclosed\n")  # a YAML error
        done = alertdrill("lab", "down", "--config", str(config))
        assert done.returncode == 0, done.stderr
        assert "alertdrill.yml" in done.stderr and "by the lab's state in .alertdrill/lab.json" in done.stdout
        assert not any(processes.is_alive(pid) for pid in pids if pid), done.stdout
        assert "prometheus" in done.stdout and not lab.pointer_file.exists()
    finally:
        lab.down()


def test_a_taken_port_is_a_clear_error_and_starts_nothing(tmp_path: Path) -> None:
    project = copy_project(REPO, tmp_path / "p")
    settings = project.settings()
    port = int(settings.alertmanager.rsplit(":", 1)[1])
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        done = alertdrill("lab", "up", "--config", str(project.config_path))
    assert done.returncode == 2
    assert f"port {port} (alertmanager) is taken by another process" in done.stderr
    assert "change alertmanager in alertdrill.yml" in done.stderr
    assert Lab(settings).running() == []


def test_down_stops_exactly_what_up_started(tmp_path: Path) -> None:
    project = copy_project(REPO, tmp_path / "p")
    lab = Lab(project.settings())
    stranger = processes.spawn("stranger", ["sleep", "60"], tmp_path / "other-run", tmp_path / "logs")
    try:
        lab.up(progress=lambda m: None)
        pids = [processes.read_pid(lab.run_dir / f"{c.pid_name}.pid") for c in lab.components()]
        stopped = lab.down()
        assert sorted(stopped) == sorted(c.name for c in lab.components() if not c.process)
        assert not any(processes.is_alive(pid) for pid in pids if pid)
        assert processes.is_alive(stranger)
        assert lab.down() == []  # twice is harmless
    finally:
        lab.down()
        processes.stop(tmp_path / "other-run" / "stranger.pid")


def test_missing_binary_names_the_package(tmp_path: Path) -> None:
    project = copy_project(REPO, tmp_path / "p")
    config = project.config_path
    config.write_text(config.read_text().replace("dir: .lab", "dir: .lab\n  prometheus_bin: no-such-prometheus"))
    with pytest.raises(LabError, match=r"no-such-prometheus is not installed.*apt-get install prometheus"):
        Lab(project.settings()).up(progress=lambda m: None)


def test_fresh_groups_only_touch_the_labs_own_prometheus(lab: Project) -> None:
    from alertdrill.lab.fresh_groups import lab_owns_prometheus

    settings = lab.settings()
    assert lab_owns_prometheus(settings)
    assert not lab_owns_prometheus(settings.with_overrides(prometheus="http://127.0.0.1:1"))


def test_concurrent_drills_share_the_run_label_without_reloads(lab: Project) -> None:
    """Many drills starting at once (threads of one run) each get the current label for a new alert;
    none of them reloads Prometheus, and none loses another's update of the label state."""
    import threading

    from alertdrill.lab.fresh_groups import _load_state, start_fresh_group

    settings = lab.settings()
    before = _load_state(settings)
    assert before is not None
    alerts = [f"ConcurrentProbe{i}" for i in range(20)]
    got: dict[str, dict[str, str] | None] = {}
    threads = [threading.Thread(target=lambda a=a: got.__setitem__(a, start_fresh_group(settings, a))) for a in alerts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(labels == before[0] for labels in got.values()), got  # no reload: the label stayed
    after = _load_state(settings)
    assert after is not None and set(alerts) <= set(after[1])  # every update kept
