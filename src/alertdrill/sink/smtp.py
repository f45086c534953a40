"""The email sink: an SMTP server (aiosmtpd) that Alertmanager's `email_configs` deliver to in the lab.

Each message is stored like a webhook, at path `/smtp`, timestamped on receipt: sender, recipients,
subject, and the text and HTML bodies, so a drill can assert an email reached a contact group.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from alertdrill.sink.arrivals import Arrivals

SMTP_PATH = "/smtp"
MAX_MESSAGE = 4 * 1024 * 1024


def _bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return (text.get_content() if text else ""), (html.get_content() if html else "")


class MailHandler:
    def __init__(self, arrivals: Arrivals) -> None:
        self.arrivals = arrivals

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        text, html = _bodies(message)
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
        )
        return "250 Message accepted for delivery"


def start_smtp(listen: str, arrivals: Arrivals) -> Controller:
    host, _, port = listen.rpartition(":")
    controller = Controller(
        MailHandler(arrivals), hostname=host or "127.0.0.1", port=int(port), data_size_limit=MAX_MESSAGE
    )  # a bigger message is refused (552), never stored
    controller.start()
    return controller
