"""The console in a real browser (Playwright driving Debian's Chromium) against the real lab: open the
catalog, confirm a drill's plan, watch it reach `passed`, find it in the history; pull the kill switch
on a second drill and see `error` with its fault reverted; a viewer cannot start a drill.
Screenshots of every page go to $ALERTDRILL_SCREENSHOTS (default: the test's temporary folder)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import uvicorn
import yaml
from playwright.sync_api import Browser, Page, expect, sync_playwright

from alertdrill.console.access import Access
from alertdrill.console.app import create_app
from alertdrill.console.runs import RunManager
from alertdrill.console.state import Console
from alertdrill.faults.ledger import Ledger
from alertdrill.polling import poll_until
from alertdrill.processes import free_port
from alertdrill.testing import Project

CHROMIUM = Path("/usr/bin/chromium")
TOKENS = {"rita": "rita-runner-token-0123456789", "vic": "vic-viewer-token-0123456789"}
PASSING = "Killing the payments API pages payments on-call"
LONG = """Feature: console kill switch
  Scenario: A drill stopped from the console
    When the fault "marker" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" within 1 minute
"""
DRILL_S = 120_000  # ms: the longest a drill in these tests may take (budgets are 1 minute)


@dataclass(frozen=True)
class Served:
    url: str
    project: Project
    shots: Path
    server: uvicorn.Server

    def shot(self, page: Page, name: str) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


@pytest.fixture
def served(lab: Project, tmp_path: Path) -> Iterator[Served]:
    users = tmp_path / "users.yml"
    users.write_text(yaml.safe_dump({"rita": {"token": TOKENS["rita"], "role": "runner"}} | viewer()))
    port = free_port()
    settings = replace(lab.settings(), serve_users_file=users, serve_listen=f"127.0.0.1:{port}")
    console = Console(settings, Access.for_settings(settings), RunManager(settings))
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(console), host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert poll_until(lambda: server.started, 30, 0.05), "the console did not start"
        shots = Path(os.environ.get("ALERTDRILL_SCREENSHOTS") or tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        yield Served(f"http://127.0.0.1:{port}", lab, shots, server)
    finally:
        server.should_exit = True
        thread.join(timeout=90)
    assert not thread.is_alive(), "the console did not stop"


def viewer() -> dict[str, dict[str, str]]:
    return {"vic": {"token": TOKENS["vic"], "role": "viewer"}}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: run scripts/setup --with-test-tools", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    yield context.new_page()
    context.close()


def log_in(page: Page, served: Served, who: str) -> None:
    page.goto(f"{served.url}/?token={TOKENS[who]}")
    expect(page.locator(".who")).to_contain_text(who)


def start(page: Page, served: Served, drill: str, shot: str = "") -> None:
    page.locator("tr", has_text=drill).get_by_role("link", name="Run").click()
    expect(page.locator("h1")).to_contain_text(drill)
    if shot:
        served.shot(page, shot)
    page.locator("#confirm").click()
    expect(page.locator("#status")).to_be_visible()


def test_start_a_drill_watch_it_pass_and_find_it_in_history(page: Page, served: Served) -> None:
    log_in(page, served, "rita")
    expect(page.locator("tr", has_text=PASSING)).to_be_visible()
    served.shot(page, "catalog")
    start(page, served, PASSING, shot="plan")
    expect(page.locator("#timeline li[data-event=fault_injected]")).to_be_visible(timeout=DRILL_S)
    expect(page.locator("#status")).to_have_text("passed", timeout=DRILL_S)
    expect(page.locator("#timeline li[data-event=alert_firing]")).to_be_visible()
    expect(page.locator(".phase[data-phase=alert]")).to_have_class("phase ok")
    served.shot(page, "live")
    run_id = page.url.rsplit("/", 1)[1]
    page.goto(f"{served.url}/history")
    row = page.locator(f"tr[data-run='{run_id}']")
    expect(row).to_contain_text("passed")
    served.shot(page, "history")
    download = page.request.get(f"{served.url}/reports/{run_id}/scorecard.json")
    assert download.ok and download.json()["drills"][0]["status"] == "passed"
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(served.url)
    served.shot(page, "phone-catalog")
    page.goto(f"{served.url}/runs/{run_id}")
    expect(page.locator("#status")).to_have_text("passed")
    served.shot(page, "phone-live")


def test_the_kill_switch_ends_a_drill_with_its_fault_reverted(page: Page, served: Served) -> None:
    project = served.project
    feature = project.write_feature("console_kill.feature", LONG)
    try:
        kill_from_the_console(page, served)
    finally:
        feature.unlink()  # other tests of the shared lab run the drills folder


def kill_from_the_console(page: Page, served: Served) -> None:
    project = served.project
    log_in(page, served, "rita")
    page.goto(served.url)
    start(page, served, "A drill stopped from the console")
    expect(page.locator("#timeline li[data-event=fault_injected]")).to_be_visible(timeout=DRILL_S)
    ledger = Ledger(project.settings().state_dir / "ledger")
    assert (project.root / "injected.marker").exists() and ledger.entries()
    page.locator("#abort").click()
    expect(page.locator("#status")).to_have_text("error", timeout=DRILL_S)
    expect(page.locator("#verdict")).to_contain_text("kill switch")
    expect(page.locator("#timeline li[data-event=fault_reverted]")).to_be_visible()
    served.shot(page, "killed")
    assert not (project.root / "injected.marker").exists()
    assert poll_until(lambda: not ledger.entries(), 10, 0.05), "the ledger still holds the fault"
    audit = (project.settings().report_dir / "console-audit.jsonl").read_text()
    assert '"action": "kill", "by": "rita"' in audit


def test_a_viewer_cannot_start_a_drill(page: Page, served: Served) -> None:
    log_in(page, served, "vic")
    page.locator("tr", has_text=PASSING).get_by_role("link", name="Run").click()
    expect(page.locator(".notice")).to_contain_text("only runner and qa may start drills")
    expect(page.locator("#confirm")).to_have_count(0)
    drill_id = page.url.rsplit("/", 1)[1]
    forged = page.request.post(f"{served.url}/api/runs", data={"drill": drill_id})
    assert forged.status == 403
    assert not (served.project.settings().report_dir / "console-audit.jsonl").exists() or (
        "vic" not in (served.project.settings().report_dir / "console-audit.jsonl").read_text()
    )


def test_stopping_the_console_reverts_the_running_drill(served: Served) -> None:
    import requests

    project = served.project
    feature = project.write_feature("console_stop.feature", LONG.replace("from the console", "by stopping the console"))
    ledger = Ledger(project.settings().state_dir / "ledger")
    try:
        auth = {"Authorization": f"Bearer {TOKENS['rita']}"}
        drills = requests.get(f"{served.url}/api/drills", headers=auth, timeout=30).json()
        drill = next(d["id"] for d in drills if d["name"] == "A drill stopped by stopping the console")
        started = requests.post(f"{served.url}/api/runs", json={"drill": drill}, headers=auth, timeout=30)
        assert started.status_code == 202
        assert poll_until(lambda: (project.root / "injected.marker").exists(), 60, 0.05), "never injected"
        served.server.should_exit = True
        # well before the drill's own 1-minute budget could end it: the stop reverted it
        assert poll_until(lambda: not (project.root / "injected.marker").exists(), 30, 0.05), "not reverted"
        assert poll_until(lambda: not ledger.entries(), 10, 0.05), "the ledger still holds the fault"
    finally:
        feature.unlink()
