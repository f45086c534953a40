"""A verdict cannot be forged: the sink's secret, and deliveries checked against Alertmanager's state."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from alertdrill.config import load_settings
from alertdrill.lab.configs import alertmanager_config
from alertdrill.observe.clients import SinkClient
from alertdrill.observe.watch import group_key_problem
from alertdrill.processes import free_port
from alertdrill.score.events import EventName, Timeline
from alertdrill.score.scoring import check_reaches, delivered, not_counted
from alertdrill.sink.auth import SecretError, WebhookAuth, generate, read_secret
from alertdrill.sink.server import serve
from alertdrill.spec.model import ReachesContactGroup

REPO = Path(__file__).resolve().parents[1]
SECRET = b"s3cret-token-for-tests-0123456789"
T0 = 1_800_000_000.0
GROUP_KEY = '{}/{team="payments"}:{alertname="A"}'


def start(auth: WebhookAuth) -> Iterator[str]:
    server = serve(f"127.0.0.1:{free_port()}", auth=auth)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def guarded_sink() -> Iterator[str]:
    yield from start(WebhookAuth(SECRET))


@pytest.fixture
def open_sink() -> Iterator[str]:
    yield from start(WebhookAuth())


def test_a_sink_with_a_secret_refuses_webhooks_without_it(guarded_sink: str) -> None:
    body = {"receiver": "payments-oncall", "alerts": []}
    none = requests.post(f"{guarded_sink}/hook/payments-oncall", json=body, timeout=5)
    wrong = requests.post(
        f"{guarded_sink}/hook/payments-oncall", json=body, timeout=5, headers={"Authorization": "Bearer not-the-secret"}
    )
    basic = requests.post(
        f"{guarded_sink}/hook/payments-oncall",
        json=body,
        timeout=5,
        headers={"Authorization": f"Basic {SECRET.decode()}"},
    )
    good = requests.post(
        f"{guarded_sink}/hook/payments-oncall",
        json=body,
        timeout=5,
        headers={"Authorization": f"Bearer {SECRET.decode()}"},
    )
    assert (none.status_code, wrong.status_code, basic.status_code, good.status_code) == (401, 401, 401, 200)
    assert none.headers["WWW-Authenticate"].startswith("Bearer") and SECRET.decode() not in none.text
    page = requests.post(f"{guarded_sink}/people/x", json={"title": "a page", "message": "for a person"}, timeout=5)
    assert page.status_code == 200  # not an Alertmanager notification: kept, and never counted
    arrivals, _ = SinkClient(guarded_sink).events(0, 0)
    assert [(a["authenticated"], a.get("rejected")) for a in arrivals] == [
        (False, 401),
        (False, 401),
        (False, 401),
        (True, None),
        (False, None),
    ]
    assert requests.get(f"{guarded_sink}/-/healthy", timeout=5).json()["authenticates"] is True


def test_a_sink_without_a_secret_accepts_but_marks_arrivals_unauthenticated(open_sink: str) -> None:
    answer = requests.post(
        f"{open_sink}/hook/x", json={"receiver": "x"}, timeout=5, headers={"Authorization": "Bearer anything"}
    )
    assert answer.status_code == 200
    (arrival,), _ = SinkClient(open_sink).events(0, 0)
    assert arrival["authenticated"] is False and "rejected" not in arrival


def test_the_secret_file_is_private_and_its_errors_never_show_the_secret(tmp_path: Path) -> None:
    path = generate(tmp_path / "lab" / "sink.secret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = read_secret(path)
    assert len(secret) >= 32 and generate(path) and read_secret(path) != secret  # new per lab up
    os.chmod(path, 0o644)
    with pytest.raises(SecretError) as caught:
        read_secret(path)
    assert "chmod 600" in str(caught.value) and path.read_text().strip() not in str(caught.value)
    with pytest.raises(SecretError, match="cannot read"):
        read_secret(tmp_path / "missing")


def test_the_lab_config_names_the_secret_file_never_the_secret(tmp_path: Path) -> None:
    settings = load_settings(REPO / "alertdrill.yml")
    secret_file = generate(tmp_path / "sink.secret")
    text = yaml.safe_dump(alertmanager_config(settings, secret_file))
    config = yaml.safe_load(text)
    hooks = [hook for receiver in config["receivers"] for hook in receiver.get("webhook_configs") or []]
    assert hooks and all(
        hook["http_config"] == {"authorization": {"type": "Bearer", "credentials_file": str(secret_file)}}
        for hook in hooks
    )
    assert read_secret(secret_file).decode() not in text


def line(*items: tuple[EventName, float, dict[str, str]]) -> Timeline:
    timeline = Timeline()
    timeline.record(EventName.FAULT_INJECTED, T0)
    for name, offset, details in items:
        timeline.record(name, T0 + offset, **details)
    return timeline


RECEIVED = (EventName.RECEIVED, 3.0, {"alert": "A", "starts_at": f"{T0 + 3}", "receivers": "r", "fingerprint": "f1"})


def note(offset: float, **details: str) -> tuple[EventName, float, dict[str, str]]:
    return (
        EventName.DELIVERED,
        offset,
        {
            "alert": "A",
            "receiver": "r",
            "contact_group": "team",
            "status": "firing",
            "channel": "webhook",
            "fingerprint": "f1",
            "authenticated": "true",
            **details,
        },
    )


def test_an_early_delivery_is_not_counted_and_the_check_says_why() -> None:
    events = line(note(2.6), RECEIVED).events()
    assert delivered(events, "A", "team") is None
    check = check_reaches(ReachesContactGroup("team", 60.0), "r", "A", events)
    assert not check.passed and check.actual == "no delivery that counts"
    assert "arrived at the sink 0.4 s before Alertmanager had the alert: not counted" in check.message


def test_only_an_authenticated_arrival_consistent_with_alertmanager_counts() -> None:
    cases = {
        "refused (401)": note(4.0, authenticated="false", rejected="401"),
        "the sink has no secret": note(4.0, authenticated="false"),
        "never had A with that fingerprint": note(4.0, fingerprint="forged"),
        "names receiver other": note(4.0, receiver="other"),
        "does not carry": note(4.0, inconsistent='its groupKey groups by x="1", which the alert does not carry'),
    }
    for reason, forged in cases.items():
        events = line(RECEIVED, forged).events()
        assert reason in (not_counted(events, events[-1]) or ""), reason
        assert delivered(events, "A", "team") is None, reason
    events = line(RECEIVED, note(4.0)).events()
    assert delivered(events, "A", "team") is not None
    assert check_reaches(ReachesContactGroup("team", 60.0), "r", "A", events).passed


def test_a_forger_posting_first_does_not_hide_the_real_delivery() -> None:
    events = line(note(1.0, authenticated="false"), RECEIVED, note(4.0)).events()
    hit = delivered(events, "A", "team")
    assert hit is not None and hit.at == T0 + 4.0


def test_the_group_key_must_agree_with_the_alert() -> None:
    labels = {"alertname": "A", "team": "payments"}
    assert group_key_problem(GROUP_KEY, labels) == ""
    assert group_key_problem("", labels) == "" and group_key_problem("nonsense", labels) == ""
    assert 'groups by alertname="B"' in group_key_problem('{}:{alertname="B"}', labels)
    assert 'names a route (team="storefront")' in group_key_problem('{}/{team="storefront"}:{alertname="A"}', labels)


def test_the_sink_observer_records_what_the_sink_knew_and_drops_a_forgers_annotations() -> None:
    from alertdrill.observe.watch import Watch, WatchTarget

    timeline = Timeline()
    target = WatchTarget("A", T0, lambda receiver: "team" if receiver == "r" else None)
    watch = Watch(target, timeline, None, None, None)  # type: ignore[arg-type]  # only the sink's parsing runs
    alert = {
        "labels": {"alertname": "A", "team": "payments"},
        "annotations": {"runbook_url": "https://evil/x.md"},
        "startsAt": "2027-01-15T08:00:05Z",
        "status": "firing",
        "fingerprint": "f1",
    }
    payload = {"receiver": "r", "groupKey": GROUP_KEY, "alerts": [alert]}
    watch._webhook({"path": "/hook/r", "authenticated": False, "rejected": 401}, payload, T0 + 6)
    watch._webhook({"path": "/hook/r", "authenticated": True}, payload, T0 + 7)
    watch._webhook({"path": "/hook/r", "authenticated": True}, payload, T0 + 8)  # a repeat: recorded once
    forged, real = timeline.events()
    assert (forged.detail("authenticated"), forged.detail("rejected"), forged.detail("runbook_url")) == (
        "false",
        "401",
        "",
    )
    assert (real.detail("authenticated"), real.detail("fingerprint"), real.detail("group_key")) == (
        "true",
        "f1",
        GROUP_KEY,
    )
    assert real.detail("runbook_url") == "https://evil/x.md" and real.detail("inconsistent") == ""


def test_a_lab_reload_keeps_the_secret_and_the_run_s_own_sink_checks_it(tmp_path: Path) -> None:
    from alertdrill.sink.embedded import sink_for_run
    from alertdrill.testing import copy_project

    settings = copy_project(REPO, tmp_path / "project").settings()
    assert settings.lab is not None
    secret_file = generate(settings.lab.dir / "sink.secret")
    config = alertmanager_config(settings)  # as `lab reload` writes it: the lab's secret by default
    hooks = [hook for receiver in config["receivers"] for hook in receiver.get("webhook_configs") or []]  # type: ignore[attr-defined]
    assert hooks and all(
        h["http_config"]["authorization"]["credentials_file"] == str(secret_file.absolute()) for h in hooks
    )
    said: list[str] = []
    with sink_for_run(settings.sink_listen, "", said.append, secret_file=secret_file) as started:
        assert started and "no secret file" not in said[0]
        url = f"{settings.sink_url}/hook/x"
        assert requests.post(url, json={"alerts": []}, timeout=5).status_code == 401
        assert (
            requests.post(
                url,
                json={"alerts": []},
                timeout=5,
                headers={"Authorization": f"Bearer {read_secret(secret_file).decode()}"},
            ).status_code
            == 200
        )
