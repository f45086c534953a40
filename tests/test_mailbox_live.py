"""Reading a contact group's mailbox back from a real IMAP server (Dovecot), mail sent through a real
SMTP server (msmtpd): only messages that arrived after the reader started, timed by INTERNALDATE."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from alertdrill.catalog.mailbox import Mailbox
from alertdrill.errors import UnreachableError
from alertdrill.observe.email import mailed_alerts
from alertdrill.observe.mailbox import MailboxMessage, MailboxReader
from alertdrill.polling import poll_until
from tests.mailservers import MailServers, missing, running_mail_servers

ALERT_HTML = """<html><body><table><tr><td>[1] Firing</td></tr>
<tr><td>Labels</td></tr><tr><td>alertname = CheckoutApiErrors<br />drill_run = {run}<br /></td></tr>
<tr><td>Annotations</td></tr><tr><td>runbook_url = https://example.invalid/r.md<br /></td></tr>
</table></body></html>"""


@pytest.fixture
def servers() -> Iterator[MailServers]:
    absent = missing()
    if absent:
        pytest.fail(absent, pytrace=False)
    with running_mail_servers() as found:
        yield found


def send(servers: MailServers, subject: str, html: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "am@example.invalid", servers.user, subject
    message.set_content("see the HTML part")
    message.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", servers.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def box(servers: MailServers, password: str = "") -> Mailbox:
    return Mailbox(False, "127.0.0.1", servers.imap_port, servers.user, "INBOX", password or servers.password)


def wait_for_messages(reader: MailboxReader, count: int) -> list[MailboxMessage]:
    found: list[MailboxMessage] = []

    def enough() -> bool:
        found.extend(reader.new_messages())
        return len(found) >= count

    poll_until(enough, 10, 0.1)
    return found


def test_only_messages_after_the_start_are_read_with_their_arrival(servers: MailServers) -> None:
    send(servers, "older", ALERT_HTML.format(run="old"))
    reader = MailboxReader(box(servers), "storefront-oncall", "storefront-oncall")
    assert poll_until(lambda: reader.start()._next_uid == 2, 10, 0.1)  # the older message was stored first
    before = time.time()
    send(servers, "[FIRING:1] CheckoutApiErrors", ALERT_HTML.format(run="r-42"))
    try:
        found = wait_for_messages(reader, 1)
    finally:
        reader.close()
    assert [m.subject for m in found] == ["[FIRING:1] CheckoutApiErrors"], servers.dovecot_log[-2000:]
    message = found[0]
    assert before - 1 <= message.arrived_at <= time.time() and message.to == servers.user
    (alert,) = mailed_alerts(message.body)
    assert (alert.status, alert.labels["drill_run"]) == ("firing", "r-42")
    assert reader.new_messages() == []  # each message once


def test_a_wrong_password_is_an_unreachable_mailbox_that_does_not_show_it(servers: MailServers) -> None:
    reader = MailboxReader(box(servers, password="wrong-Pw-77"), "g", "r")
    with pytest.raises(UnreachableError) as caught:
        reader.start()
    assert "wrong-Pw-77" not in str(caught.value) and f"{servers.imap_port}/INBOX" in str(caught.value)
