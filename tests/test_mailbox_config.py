"""`imap:` in contact-groups.yml: strict parsing, the password from one place, never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.catalog.mailbox import Mailbox, parse_mailbox
from alertdrill.errors import ConfigError


def test_a_url_with_a_password_file(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("s3cr3t-Pw\n")
    box = parse_mailbox("imaps://oncall%40example.com@mail.example.com/Alerts", "pw", tmp_path)
    assert box == Mailbox(True, "mail.example.com", 993, "oncall@example.com", "Alerts", "s3cr3t-Pw")
    assert box.shown == "imaps://oncall@example.com@mail.example.com:993/Alerts"
    assert "s3cr3t" not in repr(box)


def test_plain_imap_with_the_password_in_the_url_on_loopback() -> None:
    box = parse_mailbox("imap://drill:pa%3Ass@[::1]:1143", None, Path("."))
    assert (box.tls, box.host, box.port, box.user, box.folder, box.password) == (
        False,
        "::1",
        1143,
        "drill",
        "INBOX",
        "pa:ss",
    )
    assert box.shown == "imap://drill@[::1]:1143/INBOX"


@pytest.mark.parametrize(
    ("url", "password_file", "expected"),
    [
        ("pop3://u:hunter2@host/", None, "must start with imaps:// or imap://"),
        ("imaps://host/INBOX", "pw", "names no user"),
        ("imaps://u@/INBOX", "pw", "names no host"),
        ("imaps://u@host:99999/INBOX", "pw", "not a valid URL"),
        ("imaps://u@host:0/INBOX", "pw", "port must be 1..65535"),
        ("imaps://u:hunter2@host/INBOX?x=1", None, "no ?query"),
        ("imaps://u@host/IN%22BOX", "pw", "plain mailbox name"),
        ("imap://u:hunter2@mail.example.com/INBOX", None, "in clear to mail.example.com"),
        ("imaps://u:hunter2@host/INBOX", "pw", "keep one"),
        ("imaps://u@host/INBOX", None, "has no password"),
        ("imaps://u@host/INBOX", "absent.pw", "cannot be read"),
        ("imaps://u@host/INBOX", "empty.pw", "must hold one password"),
        (42, None, "must be a URL"),
    ],
)
def test_bad_mailboxes_are_refused_without_showing_the_password(
    tmp_path: Path, url: object, password_file: str | None, expected: str
) -> None:
    (tmp_path / "pw").write_text("hunter2")
    (tmp_path / "empty.pw").write_text("\n")
    with pytest.raises(ValueError) as caught:
        parse_mailbox(url, password_file, tmp_path)
    assert expected in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_contact_groups_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "contact-groups.yml"
    path.write_text("a:\n  receiver: a\nb:\n  receiver: b\n  imap: imap://u:hunter2@mail.example.com/\n")
    with pytest.raises(ConfigError) as caught:
        ContactGroups.load(path)
    message = str(caught.value)
    assert "contact-groups.yml:5" in message and "in clear" in message and "hunter2" not in message


def test_password_file_is_relative_to_the_contact_groups_file(tmp_path: Path) -> None:
    (tmp_path / "notifiers").mkdir()
    (tmp_path / "notifiers" / "imap.pw").write_text("pw-1")
    path = tmp_path / "notifiers" / "contact-groups.yml"
    path.write_text("a:\n  receiver: a\n  imap: imap://u@127.0.0.1:1143/\n  password_file: imap.pw\n")
    group = ContactGroups.load(path).groups["a"]
    assert group.imap is not None and group.imap.password == "pw-1"


def test_password_file_alone_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "contact-groups.yml"
    path.write_text("a:\n  receiver: a\n  password_file: x\n")
    with pytest.raises(ConfigError, match="password_file without imap"):
        ContactGroups.load(path)
