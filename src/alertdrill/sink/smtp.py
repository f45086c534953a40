"""The email sink: an SMTP server (aiosmtpd) that Alertmanager's `email_configs` deliver to in the lab.

Each message is stored like a webhook, at path `/smtp`, timestamped on receipt: sender, recipients,
subject, and the text and HTML bodies, so a drill can assert an email reached a contact group.

Authenticated like webhooks: with a sink secret, a message counts only after SMTP AUTH PLAIN as user
`alertdrill` with the secret as password (Alertmanager: `auth_username: alertdrill`, `auth_password_file:
<the secret file>`; plain-text AUTH is for loopback only, by Alertmanager's own rule).
A message sent without it is answered 530, and stored marked `rejected: 530`, `authenticated: false`;
without a secret every message is stored `authenticated: false`. The harness counts neither.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from alertdrill.sink.arrivals import Arrivals
from alertdrill.sink.auth import WebhookAuth

SMTP_PATH = "/smtp"
SMTP_USER = "alertdrill"  # the user name Alertmanager's email_configs authenticate with
MAX_MESSAGE = 4 * 1024 * 1024
IDLE_S = 30.0  # a connection that says nothing this long is closed


def _bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return (text.get_content() if text else ""), (html.get_content() if html else "")


class MailHandler:
    def __init__(self, arrivals: Arrivals, auth: WebhookAuth | None = None) -> None:
        self.arrivals = arrivals
        self.auth = auth or WebhookAuth()

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        """SMTP AUTH PLAIN: user `alertdrill`, the sink's secret as password."""
        if not isinstance(data, LoginPassword) or data.login != SMTP_USER.encode():
            return AuthResult(success=False, handled=False)
        password = data.password.decode("utf-8", "replace")
        return AuthResult(success=self.auth.allows(f"Bearer {password}"), handled=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        text, html = _bodies(message)
        authenticated = bool(getattr(session, "authenticated", False)) and self.auth.configured
        refused = self.auth.configured and not authenticated
        facts: dict[str, object] = {"authenticated": authenticated} | ({"rejected": 530} if refused else {})
        self.arrivals.add(
            SMTP_PATH,
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "subject": str(message.get("subject", "")),
                "text": text,
                "html": html,
            },
            size=len(envelope.content or b""),
            **facts,
        )
        if refused:
            return "530 5.7.0 Authentication required: SMTP AUTH as alertdrill with the sink's secret"
        return "250 Message accepted for delivery"


def start_smtp(listen: str, arrivals: Arrivals, auth: WebhookAuth | None = None) -> Controller:
    """The SMTP side on `listen` (`host:port`, `[::1]:port`); bigger messages than MAX_MESSAGE are refused
    (552), never stored."""
    host, _, port = listen.rpartition(":")
    handler = MailHandler(arrivals, auth)
    controller = Controller(
        handler,
        hostname=host.strip("[]") or "127.0.0.1",
        port=int(port),
        data_size_limit=MAX_MESSAGE,
        authenticator=handler.authenticate,
        auth_require_tls=False,  # loopback, like Alertmanager's own rule for plain-text AUTH
        auth_exclude_mechanism=["LOGIN"],  # its challenges ("User Name") are not the ones Alertmanager expects
        timeout=IDLE_S,
    )
    controller.start()
    return controller
