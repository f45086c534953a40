"""The sink's SMTP side is authenticated like its webhooks: SMTP AUTH as `alertdrill` with the per-run
secret; a message without it is refused (530), recorded as such, and never counts as a delivery."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml

from alertdrill.config import load_settings
from alertdrill.lab.configs import alertmanager_config
from alertdrill.observe.watch import Watch, WatchTarget
from alertdrill.processes import free_port
from alertdrill.score.events import Timeline
from alertdrill.sink.arrivals import Arrivals
from alertdrill.sink.auth import WebhookAuth, generate, read_secret
from alertdrill.sink.smtp import SMTP_PATH, start_smtp

REPO = Path(__file__).resolve().parents[1]
SECRET = b"smtp-secret-for-tests-0123456789"
T0 = 1_800_000_000.0
BODY = (
    "<html><body>[1] Firing<br>Labels<br>alertname = A<br>Annotations<br>runbook_url = https://x/r.md<br></body></html>"
)


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "am@example.invalid", "oncall@example.invalid", "[FIRING:1] A"
    mail.set_content(BODY, subtype="html")
    return mail


def smtp_sink(auth: WebhookAuth, host: str = "127.0.0.1") -> Iterator[tuple[str, int, Arrivals]]:
    arrivals, port = Arrivals(), free_port()
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    controller = start_smtp(listen, arrivals, auth)
    try:
        yield host, port, arrivals
    finally:
        controller.stop()


@pytest.fixture
def guarded() -> Iterator[tuple[str, int, Arrivals]]:
    yield from smtp_sink(WebhookAuth(SECRET))


def send(host: str, port: int, login: tuple[str, str] | None = None) -> None:
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        if login is not None:
            smtp.login(*login)
        smtp.send_message(message())


def test_a_message_with_the_secret_is_stored_authenticated(guarded: tuple[str, int, Arrivals]) -> None:
    host, port, arrivals = guarded
    send(host, port, ("alertdrill", SECRET.decode()))
    (item,), _ = arrivals.after(0, 0)
    assert (item["path"], item["authenticated"], item.get("rejected")) == (SMTP_PATH, True, None)


def test_a_message_without_auth_is_refused_and_recorded_as_forged(guarded: tuple[str, int, Arrivals]) -> None:
    host, port, arrivals = guarded
    with pytest.raises(smtplib.SMTPDataError) as caught:
        send(host, port)
    assert caught.value.smtp_code == 530
    (item,), _ = arrivals.after(0, 0)
    assert (item["authenticated"], item["rejected"]) == (False, 530)


@pytest.mark.parametrize("login", [("alertdrill", "wrong"), ("someone", SECRET.decode())])
def test_a_wrong_login_is_refused(guarded: tuple[str, int, Arrivals], login: tuple[str, str]) -> None:
    host, port, arrivals = guarded
    with pytest.raises(smtplib.SMTPAuthenticationError):
        send(host, port, login)
    assert arrivals.after(0, 0)[0] == []


def test_without_a_secret_messages_are_stored_but_unauthenticated() -> None:
    for host, port, arrivals in smtp_sink(WebhookAuth()):
        send(host, port)
        (item,), _ = arrivals.after(0, 0)
        assert (item["authenticated"], item.get("rejected")) == (False, None)


def test_the_smtp_side_listens_on_ipv6_loopback() -> None:
    for host, port, arrivals in smtp_sink(WebhookAuth(SECRET), "::1"):
        send(host, port, ("alertdrill", SECRET.decode()))
        (item,), _ = arrivals.after(0, 0)
        assert item["authenticated"] is True


def test_the_observer_keeps_an_unauthenticated_email_apart() -> None:
    timeline = Timeline()
    watch = Watch(WatchTarget("A", T0, lambda r: "team"), timeline, None, None, None)  # type: ignore[arg-type]
    payload = {"rcpt_tos": ["oncall@example.invalid"], "html": BODY}
    watch._mail({"path": SMTP_PATH, "authenticated": False, "rejected": 530}, payload, T0 + 1)
    watch._mail({"path": SMTP_PATH, "authenticated": True}, payload, T0 + 2)
    forged, real = timeline.events()
    assert (forged.detail("authenticated"), forged.detail("rejected"), forged.detail("runbook_url")) == (
        "false",
        "530",
        "",
    )
    assert (real.detail("authenticated"), real.detail("runbook_url")) == ("true", "https://x/r.md")


def test_the_lab_config_authenticates_email_to_the_sink_with_the_secret_file(tmp_path: Path) -> None:
    settings = load_settings(REPO / "alertdrill.yml")
    secret_file = generate(tmp_path / "sink.secret")
    text = yaml.safe_dump(alertmanager_config(settings, secret_file))
    mails = [m for r in yaml.safe_load(text)["receivers"] for m in r.get("email_configs") or []]
    assert mails and all(
        (m["smarthost"], m["auth_username"], m["auth_password_file"])
        == (settings.sink_smtp, "alertdrill", str(secret_file))
        for m in mails
    )
    assert read_secret(secret_file).decode() not in text
