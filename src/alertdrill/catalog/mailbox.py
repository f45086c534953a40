"""A contact group's IMAP mailbox (`imap:` in contact-groups.yml): where the drill reads its email back.

    storefront-oncall:
      receiver: storefront-oncall
      imap: imaps://oncall%40example.com@mail.example.com:993/INBOX
      password_file: secrets/oncall-imap.pw      # relative to the contact groups file; or in the URL

`imaps://` is IMAP over TLS (port 993 by default); plain `imap://` (port 143) sends the password in
clear, so it is accepted only for a loopback host. The folder is the URL path (default INBOX). The
password comes from exactly one place; `shown` is the URL without it, for every message and report.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

from alertdrill.redact import redact

PORTS = {"imap": 143, "imaps": 993}
MAX_PASSWORD_FILE = 4096


@dataclass(frozen=True)
class Mailbox:
    tls: bool
    host: str
    port: int
    user: str
    folder: str = "INBOX"
    password: str = field(default="", repr=False)  # never shown: see `shown`

    @property
    def shown(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "imaps" if self.tls else "imap"
        return f"{scheme}://{self.user}@{host}:{self.port}/{self.folder}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_mailbox(url: object, password_file: object, base: Path) -> Mailbox:
    """The mailbox `url` names, its password from the URL or `password_file` (relative to `base`).
    Raises ValueError with a message that shows no secret."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError("imap must be a URL such as imaps://user@host/INBOX")
    parts = _split(url)
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if not user:
        raise ValueError(f"imap URL {redact(url)} names no user (imaps://USER@host/INBOX)")
    host = parts.hostname or ""
    if parts.scheme == "imap" and not is_loopback(host):
        raise ValueError(f"imap URL {redact(url)} would send the password in clear to {host}: use imaps://")
    if password_file is not None:
        if password:
            raise ValueError(f"imap URL {redact(url)} has a password and password_file is set: keep one")
        password = read_password(password_file, base)
    if not password:
        raise ValueError(f"imap URL {redact(url)} has no password: add password_file")
    return Mailbox(parts.scheme == "imaps", host, _port(parts, url), user, _folder(parts, url), password)


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError when out of range or not a number)
    except ValueError:
        raise ValueError(f"imap URL {redact(url)} is not a valid URL (bad port?)") from None
    if parts.scheme not in PORTS:
        raise ValueError(f"imap URL {redact(url)} must start with imaps:// or imap://")
    if not parts.hostname:
        raise ValueError(f"imap URL {redact(url)} names no host")
    if parts.query or parts.fragment:
        raise ValueError(f"imap URL {redact(url)} must have no ?query or #fragment")
    return parts


def _port(parts: SplitResult, url: str) -> int:
    port = parts.port if parts.port is not None else PORTS[parts.scheme]
    if not 1 <= port <= 65535:
        raise ValueError(f"imap URL {redact(url)}: port must be 1..65535")
    return port


def _folder(parts: SplitResult, url: str) -> str:
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    if any(c in folder for c in '"\\\r\n\0*%') or len(folder) > 200:
        raise ValueError(f"imap URL {redact(url)}: the folder must be a plain mailbox name such as INBOX")
    return folder


def read_password(password_file: object, base: Path) -> str:
    if not isinstance(password_file, str) or not password_file.strip():
        raise ValueError("password_file must be a path to a file that holds the IMAP password")
    path = base / password_file
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PASSWORD_FILE + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"password_file {path} cannot be read: {type(exc).__name__}") from None
    if len(raw) > MAX_PASSWORD_FILE or not text.strip():
        raise ValueError(f"password_file {path} must hold one password (a short, non-empty file)")
    return text.strip("\r\n")
