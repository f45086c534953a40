"""Read a contact group's IMAP mailbox back: the messages that arrived since the drill began.

The folder is opened read-only (EXAMINE, BODY.PEEK: nothing is marked seen or moved). `start` notes
UIDNEXT, so only messages delivered after it count; each `new_messages` call returns the ones not
returned before, with their arrival time: the server's INTERNALDATE (when it stored the message).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import imaplib
import re
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

from alertdrill.catalog.mailbox import Mailbox
from alertdrill.errors import UnreachableError

TIMEOUT_S = 10.0
MAX_MESSAGE = 4 * 1024 * 1024  # like the sink's SMTP side: bigger messages are not read
MAX_PER_POLL = 50
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_UID = re.compile(rb"UID (\d+)")


@dataclass(frozen=True)
class MailboxMessage:
    uid: int
    arrived_at: float  # epoch seconds; INTERNALDATE has a resolution of one second
    arrived: str  # INTERNALDATE as the server said it
    subject: str
    to: str
    body: str  # the HTML body, else the text body


def parse_internaldate(value: str) -> float:
    """`01-Dec-2026 03:53:08 +0000` (RFC 3501 date-time) -> epoch seconds."""
    day, clock, zone = value.strip().split(" ")
    return parsedate_to_datetime(f"{day.replace('-', ' ')} {clock} {zone}").timestamp()


def _body(raw: bytes) -> tuple[str, str, str]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("html", "plain"))
    return str(message.get("subject", "")), str(message.get("to", "")), part.get_content() if part else ""


@dataclass
class MailboxReader:
    mailbox: Mailbox
    group: str  # the contact group whose mailbox it is
    receiver: str
    timeout_s: float = TIMEOUT_S
    _conn: imaplib.IMAP4 | None = None
    _next_uid: int = 0
    _skipped: set[int] = field(default_factory=set)

    @property
    def started(self) -> bool:
        return self._next_uid > 0

    def start(self) -> MailboxReader:
        """Connect and note where new messages begin (UIDNEXT); UnreachableError when it cannot."""
        try:
            typ, data = self._connection().status(_quoted(self.mailbox.folder), "(UIDNEXT)")
        except (imaplib.IMAP4.error, OSError, EOFError) as exc:
            self.close()
            raise UnreachableError(f"IMAP {self.mailbox.shown}: {type(exc).__name__}: {str(exc)[:200]}") from None
        found = re.search(rb"UIDNEXT (\d+)", data[0] if typ == "OK" and data and isinstance(data[0], bytes) else b"")
        if found is None:
            raise UnreachableError(f"IMAP {self.mailbox.shown}: STATUS gave no UIDNEXT")
        self._next_uid = int(found.group(1))
        return self

    def new_messages(self) -> list[MailboxMessage]:
        """Messages that arrived since `start` (or the last call). Errors raise UnreachableError and drop
        the connection; the next call reconnects."""
        try:
            return self._fetch_new()
        except (imaplib.IMAP4.error, OSError, ValueError, EOFError) as exc:
            self.close()
            raise UnreachableError(f"IMAP {self.mailbox.shown}: {type(exc).__name__}: {str(exc)[:200]}") from None

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(imaplib.IMAP4.error, OSError, EOFError):
                conn.logout()

    def _connection(self) -> imaplib.IMAP4:
        if self._conn is not None:
            return self._conn
        box = self.mailbox
        try:
            if box.tls:
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    box.host, box.port, ssl_context=ssl.create_default_context(), timeout=self.timeout_s
                )
            else:
                conn = imaplib.IMAP4(box.host, box.port, timeout=self.timeout_s)
            conn.login(box.user, box.password)
            typ, _ = conn.select(_quoted(box.folder), readonly=True)
        except (imaplib.IMAP4.error, OSError, EOFError) as exc:
            raise UnreachableError(f"IMAP {box.shown}: {type(exc).__name__}: {str(exc)[:200]}") from None
        if typ != "OK":
            conn.logout()
            raise UnreachableError(f"IMAP {box.shown}: the folder cannot be opened")
        self._conn = conn
        return conn

    def _fetch_new(self) -> list[MailboxMessage]:
        conn = self._connection()
        conn.noop()  # lets the server tell a read-only session about new messages
        typ, data = conn.uid("SEARCH", f"UID {self._next_uid}:*")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) >= self._next_uid) if typ == "OK" else []
        found = []
        for uid in [u for u in uids if u not in self._skipped][:MAX_PER_POLL]:
            message = self._fetch(conn, uid)
            if message is not None:
                found.append(message)
            self._next_uid = max(self._next_uid, uid + 1)
        return found

    def _fetch(self, conn: imaplib.IMAP4, uid: int) -> MailboxMessage | None:
        typ, data = conn.uid("FETCH", str(uid), "(INTERNALDATE RFC822.SIZE)")
        head = data[0] if typ == "OK" and data and isinstance(data[0], bytes) else b""
        date, size = _INTERNALDATE.search(head), _SIZE.search(head)
        if date is None or size is None or int(size.group(1)) > MAX_MESSAGE:
            self._skipped.add(uid)
            return None
        typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
        raw = next((item[1] for item in data if isinstance(item, tuple)), b"") if typ == "OK" else b""
        subject, to, body = _body(raw)
        arrived = date.group(1).decode()
        return MailboxMessage(uid, parse_internaldate(arrived), arrived, subject, to, body)


def _quoted(folder: str) -> str:
    return f'"{folder}"'


def seen_at(message: MailboxMessage) -> float:
    """The latest moment the message can have arrived (a timing that never flatters the drill):
    INTERNALDATE counts whole seconds, so the arrival is in [date, date + 1 s), and it is not later than now."""
    return min(message.arrived_at + 1.0, time.time())
