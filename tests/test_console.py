"""The console's HTTP interface without a lab (Starlette's TestClient): who may look and who may act,
CSRF, the JSON shapes of the CONTRACT, one drill per target, the audit of starts and kills."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from alertdrill.config import load_settings
from alertdrill.console.access import Access, Role, User, is_loopback, load_users
from alertdrill.console.app import create_app
from alertdrill.console.catalog import Entry
from alertdrill.console.guard import COOKIE
from alertdrill.console.runs import RunManager, SharedEnvironment
from alertdrill.console.state import Console
from alertdrill.drill.environment import Environment
from alertdrill.drill.plan import DrillPlan
from alertdrill.errors import ConfigError
from alertdrill.testing import Project, copy_project
from tests.conftest import REPO, TEST_FAULTS

BASE = "http://127.0.0.1:9097"
TOKENS = {"vera": "viewer-token-0123456789", "rudi": "runner-token-0123456789", "quinn": "qa-token-0123456789abc"}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return copy_project(REPO, tmp_path / "project", TEST_FAULTS)


class Held:
    """Stands in for the plan: the drill stays running until released, then ends as an error."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __call__(self, _entry: Entry) -> DrillPlan:
        assert self.release.wait(30), "the test never released the drill"
        raise ConfigError("released by the test")


def client(project: Project, access: Access, held: Held) -> TestClient:
    settings = load_settings(project.config_path)
    console = Console(settings, access, RunManager(settings, plan_for=held))
    return TestClient(create_app(console), base_url=BASE)


@pytest.fixture
def held() -> Iterator[Held]:
    holder = Held()
    yield holder
    holder.release.set()


def users() -> Access:
    roles = {"vera": Role.VIEWER, "rudi": Role.RUNNER, "quinn": Role.QA}
    return Access(tuple(User(n, roles[n], t) for n, t in TOKENS.items()), open_view=False)


def bearer(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[name]}"}


def first_drill(web: TestClient, who: str = "vera") -> dict[str, object]:
    drills = web.get("/api/drills", headers=bearer(who) if who else {}).json()
    return next(d for d in drills if d["fault"] == "payments-api-down")


def test_the_drill_list_has_the_contract_shape(project: Project, held: Held) -> None:
    web = client(project, users(), held)
    drills = web.get("/api/drills", headers=bearer("vera")).json()
    assert {d["name"] for d in drills} >= {"Killing the payments API pages payments on-call"}
    for drill in drills:
        assert {"id", "name", "feature", "alert", "contact_group", "fault", "last_status"} <= set(drill)
        assert drill["last_status"] is None  # never run in this copy
    payments = first_drill(web)
    assert payments["feature"] == "drills/payments.feature" and payments["contact_group"] == "payments-oncall"
    assert payments["next_run"], "the weekly-payments schedule runs it"


def test_with_a_users_file_every_request_needs_a_token(project: Project, held: Held) -> None:
    web = client(project, users(), held)
    assert web.get("/api/drills").status_code == 401
    assert web.get("/api/drills", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
    page = web.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"


def test_a_viewer_cannot_start_or_stop_a_drill(project: Project, held: Held) -> None:
    web = client(project, users(), held)
    drill = first_drill(web)
    refused = web.post("/api/runs", json={"drill": drill["id"]}, headers=bearer("vera"))
    assert refused.status_code == 403 and "viewer" in refused.json()["error"]
    run = web.post("/api/runs", json={"drill": drill["id"]}, headers=bearer("rudi")).json()["run"]
    assert web.post(f"/api/runs/{run}/abort", headers=bearer("vera")).status_code == 403
    assert web.get(f"/api/runs/{run}", headers=bearer("vera")).json() == {"status": "running", "scorecard": None}


def test_start_abort_and_the_audit_file(project: Project, held: Held) -> None:
    web = client(project, users(), held)
    drill = first_drill(web, "rudi")
    started = web.post("/api/runs", json={"drill": drill["id"]}, headers=bearer("rudi"))
    assert started.status_code == 202 and set(started.json()) == {"run"}
    run = started.json()["run"]
    again = web.post("/api/runs", json={"drill": drill["id"]}, headers=bearer("quinn"))
    assert again.status_code == 409 and "one drill per target" in again.json()["error"]
    assert web.post(f"/api/runs/{run}/abort", headers=bearer("quinn")).status_code == 202
    held.release.set()
    events = web.get(f"/api/runs/{run}/events", headers=bearer("vera"))
    assert events.headers["content-type"].startswith("text/event-stream")
    assert "event: status" in events.text
    answer = web.get(f"/api/runs/{run}", headers=bearer("vera")).json()
    assert answer["status"] == "error" and "released by the test" in answer["error"]
    audit = [json.loads(line) for line in (project.root / "reports" / "console-audit.jsonl").read_text().splitlines()]
    assert [(a["action"], a["by"], a["run"]) for a in audit] == [("start", "rudi", run), ("kill", "quinn", run)]
    assert all(a["at"].endswith("Z") for a in audit)


def test_bad_requests_answer_in_json(project: Project, held: Held) -> None:
    web = client(project, users(), held)
    assert web.get("/", headers=bearer("vera")).headers["x-frame-options"] == "DENY"
    assert web.post("/api/runs", json={"drill": "nope"}, headers=bearer("rudi")).status_code == 404
    assert web.post("/api/runs", content=b"[1]", headers=bearer("rudi")).status_code == 400
    assert web.get("/api/runs/2026-01-01T00-00-00Z-beef", headers=bearer("rudi")).status_code == 404


def test_without_users_file_anyone_on_loopback_looks_and_only_the_token_acts(project: Project, held: Held) -> None:
    access = Access.one_time()
    web = client(project, access, held)
    drill = first_drill(web, "")
    assert web.get("/").status_code == 200
    assert web.post("/api/runs", json={"drill": drill["id"]}).status_code == 401
    token = access.users[0].token
    started = web.post("/api/runs", json={"drill": drill["id"]}, headers={"Authorization": f"Bearer {token}"})
    assert started.status_code == 202


def login(web: TestClient, token: str) -> str:
    """Open the printed URL: the token becomes a cookie; the page carries the form token."""
    landed = web.get(f"/?token={token}", follow_redirects=False)
    assert landed.status_code == 303 and landed.headers["location"] == "/"
    assert COOKIE in landed.headers["set-cookie"] and "httponly" in landed.headers["set-cookie"].lower()
    web.cookies.set(COOKIE, token)
    return web.get("/").text


def test_a_browser_session_needs_the_form_token_and_the_same_origin(project: Project, held: Held) -> None:
    access = Access.one_time()
    web = client(project, access, held)
    drill = first_drill(web, "")
    login(web, access.users[0].token)
    plan = web.get(f"/drills/{drill['id']}").text
    assert "Inject the fault and start the drill" in plan
    csrf = access.csrf(access.users[0].token)
    assert f'value="{csrf}"' in plan
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    forged = web.post(
        f"/drills/{drill['id']}/run", content=f"csrf={csrf}", headers={**form, "Origin": "http://evil.example"}
    )
    assert forged.status_code == 403
    no_token = web.post(f"/drills/{drill['id']}/run", content="csrf=x", headers={**form, "Origin": BASE})
    assert no_token.status_code == 403
    started = web.post(
        f"/drills/{drill['id']}/run", content=f"csrf={csrf}", headers={**form, "Origin": BASE}, follow_redirects=False
    )
    assert started.status_code == 303 and started.headers["location"].startswith("/runs/")
    live = web.get(started.headers["location"]).text
    assert 'id="abort"' in live and "running" in live


def test_the_plan_is_shown_before_anything_starts(project: Project, held: Held) -> None:
    web = client(project, users(), held)
    drill = first_drill(web)
    page = web.get(f"/drills/{drill['id']}", headers=bearer("vera")).text
    assert "payments-api-down" in page and "service:payments-api" in page  # fault and target
    assert "alert" in page and "60 s" in page  # budgets
    assert "up{job=&#34;payments-api&#34;} == 0" in page or 'up{job="payments-api"}' in page  # a runbook step
    assert "only runner and qa may start drills" in page
    assert not (project.root / "reports" / "console-audit.jsonl").exists()


def test_the_surprise_audit_log_is_for_qa_only(project: Project, held: Held) -> None:
    audit = project.root / ".alertdrill" / "surprise" / "audit.jsonl"
    audit.parent.mkdir(parents=True)
    audit.write_text(json.dumps({"event": "picked", "drill": "Secret drill", "moment": "2026-12-01T10:00:00+01:00"}))
    web = client(project, users(), held)
    assert "Secret drill" not in web.get("/history", headers=bearer("rudi")).text
    assert "Secret drill" in web.get("/history", headers=bearer("quinn")).text


def test_downloads_stay_inside_the_report_folder(project: Project, held: Held) -> None:
    run = project.root / "reports" / "2026-01-01T00-00-00Z-beef"
    run.mkdir(parents=True)
    (run / "junit.xml").write_text("<testsuites/>")
    (project.root / "secret.txt").write_text("no")
    web = client(project, users(), held)
    got = web.get(f"/reports/{run.name}/junit.xml", headers=bearer("vera"))
    assert got.status_code == 200 and got.text == "<testsuites/>" and "attachment" in got.headers["content-disposition"]
    assert web.get("/reports/..%2F..%2Fsecret.txt/junit.xml", headers=bearer("vera")).status_code == 404
    assert web.get(f"/reports/{run.name}/secret.txt", headers=bearer("vera")).status_code == 404


def test_a_feature_file_broken_while_serving_hides_only_its_own_drills(project: Project, held: Held) -> None:
    web = client(project, users(), held)
    (project.root / "drills" / "broken.feature").write_text("Feature: x\n  Scenario: y\n    When nonsense\n")
    answer = web.get("/api/drills", headers=bearer("vera"))
    assert answer.status_code == 200 and first_drill(web)["feature"] == "drills/payments.feature"
    assert not [d for d in answer.json() if "broken" in str(d["feature"])]
    page = web.get("/", headers=bearer("vera")).text
    assert 'id="problems"' in page and "broken.feature:3" in page and "Killing the payments API" in page


def test_the_users_file_is_checked_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "alice.token").write_text("alice-token-0123456789\n")
    good = tmp_path / "users.yml"
    good.write_text(yaml.safe_dump({"alice": {"token_file": "alice.token", "role": "runner"}}))
    assert load_users(good) == (User("alice", Role.RUNNER, "alice-token-0123456789"),)
    bad = tmp_path / "bad.yml"
    bad.write_text("alice: {token_file: alice.token, role: runner}\nbob: {token: short, role: viewer}\n")
    with pytest.raises(ConfigError, match="shorter than 16") as problem:
        load_users(bad)
    assert problem.value.line == 2
    bad.write_text("carol: {token: carol-token-0123456789, role: admin}\n")
    with pytest.raises(ConfigError, match="viewer, runner or qa"):
        load_users(bad)


def test_off_loopback_needs_a_users_file(project: Project) -> None:
    assert is_loopback("127.0.0.1:9097") and is_loopback("[::1]:9097") and is_loopback("localhost:1")
    assert not is_loopback("0.0.0.0:9097")
    settings = load_settings(project.config_path).with_overrides(serve_listen="0.0.0.0:9097")
    with pytest.raises(ConfigError, match="off loopback"):
        Access.for_settings(settings)


def test_the_event_stream_sends_every_event_then_the_status(project: Project) -> None:
    import asyncio

    from alertdrill.console.api import stream
    from alertdrill.console.catalog import load_catalog
    from alertdrill.console.runs import ConsoleRun
    from alertdrill.score.events import EventName, Timeline

    entry = load_catalog(load_settings(project.config_path))[0]
    run = ConsoleRun("2026-01-01T00-00-00Z-beef", entry, "rudi")
    timeline = Timeline()
    run.attach(None, timeline)  # type: ignore[arg-type]  # the planned drill is not looked at
    timeline.record(EventName.FAULT_INJECTED, 100.0, fault="noop")
    timeline.record(EventName.FIRING, 103.5, alert="PaymentsApiDown")
    run.say("a progress line")
    run.finish("passed")

    async def collect() -> list[str]:
        return [chunk async for chunk in stream(run)]

    chunks = asyncio.run(collect())
    events = [json.loads(c.split("data: ", 1)[1]) for c in chunks if c.startswith("event: drill_event")]
    assert [(e["name"], e["t_s"], e["details"]) for e in events] == [
        ("fault_injected", 0.0, {"fault": "noop"}),
        ("alert_firing", 3.5, {"alert": "PaymentsApiDown"}),
    ]
    assert chunks[-2] == 'event: log\ndata: "a progress line"\n\n'
    assert json.loads(chunks[-1].split("data: ", 1)[1]) == {"status": "passed", "error": ""}


def test_serve_prints_the_token_url_and_refuses_an_open_address(project: Project) -> None:
    import signal
    import subprocess
    import sys

    from alertdrill.polling import poll_until
    from alertdrill.processes import free_port
    from tests.conftest import alertdrill

    refused = alertdrill("serve", "--config", str(project.config_path), "--listen", f"0.0.0.0:{free_port()}")
    assert refused.returncode == 2 and "off loopback" in refused.stderr and len(refused.stderr.splitlines()) == 1
    port = free_port()
    argv = [sys.executable, "-m", "alertdrill", "serve", "--config", str(project.config_path), "--listen"]
    child = subprocess.Popen([*argv, f"127.0.0.1:{port}"], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.startswith(f"alertdrill console: http://127.0.0.1:{port}/?token=")
        token = first.strip().rsplit("=", 1)[1]
        assert poll_until(lambda: status_of(port, "/api/drills", token) == 200, 30, 0.05)
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=30)
    assert child.returncode == 0


def status_of(port: int, path: str, token: str) -> int:
    """Plain HTTP against the real server (0 while nothing answers)."""
    import requests

    try:
        headers = {"Authorization": f"Bearer {token}"}
        return requests.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=5).status_code
    except requests.ConnectionError:
        return 0


def test_a_drill_of_another_process_holds_its_target(project: Project, held: Held) -> None:
    import subprocess
    import sys

    from alertdrill.faults.ledger import Ledger
    from alertdrill.processes import start_time

    settings = load_settings(project.config_path)
    other = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        ledger = Ledger(settings.state_dir / "ledger")
        ledger.record("someone else's drill", settings.faults["payments-api-down"], settings.config_path)
        path = next(ledger.folder.glob("*.json"))  # as that other process would have written it
        path.write_text(
            json.dumps(json.loads(path.read_text()) | {"pid": other.pid, "owner_start": start_time(other.pid)})
        )
        web = client(project, users(), held)
        busy = web.post("/api/runs", json={"drill": first_drill(web)["id"]}, headers=bearer("rudi"))
        assert busy.status_code == 409 and "someone else's drill" in busy.json()["error"]
    finally:
        other.communicate(timeout=10)


def test_a_drill_of_the_console_is_no_orphan_for_the_next_one(project: Project, held: Held) -> None:
    from alertdrill.console.runs import ConsoleRun, SharedEnvironment
    from alertdrill.faults.ledger import Ledger

    settings = load_settings(project.config_path)
    manager = RunManager(settings, plan_for=held)
    entry = next(e for e in Console(settings, users(), manager).catalog() if e.spec.fault == "payments-api-down")
    first = manager.start(entry, "rudi")  # held: it stays running
    Ledger(settings.state_dir / "ledger").record("the first drill", settings.faults["marker"], settings.config_path)
    second = ConsoleRun("2026-01-01T00-00-00Z-beef", entry, "rudi")
    env = SharedEnvironment(settings, alone=lambda: not manager.others(second))
    assert env.revert_orphans() == [] and len(env.ledger.entries()) == 1  # the first drill's fault stays
    held.release.set()
    assert first.thread is not None
    first.thread.join(timeout=30)
    assert [outcome for _, outcome in env.revert_orphans()] == ["reverted"]  # alone: a leftover is an orphan


def test_no_lab_reload_moves_the_alerts_of_a_console_drill_in_flight(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    reloads: list[str] = []

    def fresh(_env: Environment, _alerts: list[str]) -> bool:
        reloads.append("label")
        return True

    def changed(_env: Environment) -> int:
        reloads.append("files")
        return 7

    def group(_env: Environment, alert: str, _also: tuple[str, ...] = ()) -> dict[str, str]:
        reloads.append("group")
        return {"drill_run": "r2"}

    monkeypatch.setattr(Environment, "fresh_run", fresh)
    monkeypatch.setattr(Environment, "reload_changed", changed)
    monkeypatch.setattr(Environment, "fresh_group", group)
    settings = load_settings(project.config_path)
    others_running = [True]
    env = SharedEnvironment(settings, alone=lambda: not others_running[0])
    assert env.fresh_run(["PaymentsApiDown"]) is False and env.reload_changed() is None
    assert env.fresh_group("PaymentsApiDown") is None and reloads == []
    others_running[0] = False
    assert env.fresh_run(["PaymentsApiDown"]) is True and env.reload_changed() == 7
    assert env.fresh_group("PaymentsApiDown") == {"drill_run": "r2"}
    assert reloads == ["label", "files", "group"]
