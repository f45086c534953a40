"""Shared fixtures. The live tests share one private lab (real Prometheus and Alertmanager) on free
ports in a temporary folder; it is stopped at the end, so the suite can run beside `alertdrill lab up`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from alertdrill.testing import Project, lab_project, running_postgres, running_pushgateway

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[1]

# Faults the tests add to a copy of the example project.
TEST_FAULTS: dict[str, dict[str, object]] = {
    "noop": {"type": "command", "inject": "true", "revert": "true"},
    "marker": {"type": "command", "inject": "touch injected.marker", "revert": "rm -f injected.marker"},
    "marker-2": {"type": "command", "inject": "touch injected-2.marker", "revert": "rm -f injected-2.marker"},
    "brief-marker": {
        "type": "command",
        "inject": "touch brief.marker",
        "revert": "rm -f brief.marker",
        "max_duration": "2 seconds",
    },
    "slow-revert": {
        "type": "command",
        "inject": "touch slow-revert.marker",
        "revert": "test -e revert-now.flag || sleep 30; rm -f slow-revert.marker",
    },
    "slow-inject": {"type": "command", "inject": "sleep 30 && touch slow.marker", "revert": "rm -f slow.marker"},
    "stubborn": {
        "type": "command",
        "inject": "touch stubborn.marker",
        "revert": "test -e allow-revert.marker && rm -f stubborn.marker",
    },
    "synthetic-page": {
        "type": "synthetic-alert",
        "alertname": "SyntheticPage",
        "labels": {"team": "payments", "severity": "page"},
        "annotations": {"runbook_url": "https://wiki.example.invalid/runbooks/payments-api-down.md"},
    },
}


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    with lab_project(REPO, tmp_path_factory.mktemp("lab-project"), TEST_FAULTS) as project:
        yield project


# What the systems outside report (Prometheus, Alertmanager, the sink, a mailbox, a person). They may
# still report after the harness reverted the fault: a page that arrives late is a fact and is kept.
OBSERVED = frozenset(
    {
        "alert_pending",
        "alert_firing",
        "alert_received",
        "notification_delivered",
        "alert_suppressed",
        "alertmanager_notified",
        "alertmanager_notify_failed",
        "alert_resolved",
        "acknowledged",
    }
)


def harness_steps(events: list[dict[str, object]]) -> list[object]:
    """The names of the events the harness itself made, in time order (its last act should be the revert)."""
    return [e["name"] for e in events if e["name"] not in OBSERVED]


@pytest.fixture(autouse=True)
def lab_drills_restored(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that writes features into the shared lab leaves its `drills/` as it found it, so no test
    depends on which ran before it on its pytest-xdist worker."""
    if "lab" not in request.fixturenames:
        yield
        return
    drills = request.getfixturevalue("lab").root / "drills"
    before = {path: path.read_bytes() for path in drills.glob("*.feature")}
    yield
    for path in drills.glob("*.feature"):
        if path not in before:
            path.unlink()
    for path, content in before.items():
        if not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)


@pytest.fixture
def pushgateway() -> Iterator[str]:
    """A real Pushgateway on a free port (Debian's prometheus-pushgateway), stopped afterwards."""
    with running_pushgateway() as url:
        if url is None:
            pytest.skip("prometheus-pushgateway is not installed (scripts/setup --with-test-tools installs it)")
        yield url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL server (Debian's postgresql) for the session; its SQLAlchemy URL. Missing
    binaries fail the tests that need it: CI installs them, so a skip would hide a gap."""
    with running_postgres() as url:
        if url is None:
            pytest.fail(
                "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                "run scripts/setup --with-test-tools, or apt-get install postgresql",
                pytrace=False,
            )
        yield url


def alertdrill(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real command line, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "alertdrill", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        check=False,
    )


LIVE_FIXTURES = frozenset({"lab", "pushgateway", "postgres_server"})
LIVE_MODULES = frozenset({"tests.test_benchmarks", "tests.test_outage_mid_drill", "tests.test_lab"})  # own labs
# Whole modules that run the real command line (a new interpreter per case) or a large corpus.
SLOW_MODULES = frozenset(
    {
        "tests.test_plugin",
        "tests.test_secrets_sweep",
        "tests.test_broken_inputs",
        "tests.test_plan",
        "tests.test_validation",
        "tests.test_cronjobs",
        "tests.test_real_rules",
        "tests.test_scorecard_browser",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`live`: a test that starts real servers (a lab, a Pushgateway, PostgreSQL); `make check` skips them."""
    for item in items:
        module = getattr(item, "module", None)
        name = getattr(module, "__name__", "")
        if LIVE_FIXTURES & set(getattr(item, "fixturenames", ())) or "_live" in name or name in LIVE_MODULES:
            item.add_marker(pytest.mark.live)
        elif name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def send_json(handler: BaseHTTPRequestHandler, body: object, status: int = 200) -> None:
    """A stand-in server's JSON answer."""
    raw = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(raw)))
    handler.end_headers()
    handler.wfile.write(raw)
