"""The sink's per-run secret: webhook deliveries count only when they carry it.

The lab writes a fresh secret to a file of its own (`<lab dir>/sink.secret`, mode 0600) at every
`lab up`, points Alertmanager's webhook configs at it (`http_config.authorization.credentials_file`)
and starts the sink with the file's path (`--secret-file`, or `ALERTDRILL_SINK_SECRET_FILE`), never the
secret itself, so `ps` shows only a path. The sink then answers 401 to every Alertmanager notification
(a payload with `alerts`, `receiver` or `groupKey`: the only kind the harness could count) whose
`Authorization` is not `Bearer <secret>` (compared in constant time). Anything else posted to it (an
Apprise page to a person), and everything posted to a sink without a secret, is stored marked
`authenticated: false`, which the harness never counts as a delivery.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from pathlib import Path

from alertdrill.errors import ConfigError

ENV_FILE = "ALERTDRILL_SINK_SECRET_FILE"  # the sink's secret file when `--secret-file` is not given
FILE_NAME = "sink.secret"
MAX_SECRET = 4096


class SecretError(ConfigError):
    """A secret file that cannot be used; the message names the file, never its content."""


def generate(path: Path) -> Path:
    """A new random secret in `path`, readable by its owner only (mode 0600, also when it existed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (secrets.token_urlsafe(32) + "\n").encode())
    finally:
        os.close(fd)
    tmp.replace(path)
    return path


def read_secret(path: Path) -> bytes:
    """The secret in `path` (surrounding whitespace dropped), as Alertmanager's `credentials_file` reads it."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()[: MAX_SECRET + 1]
    except OSError as exc:
        raise SecretError(f"cannot read the sink's secret file {path}: {exc.strerror or type(exc).__name__}") from None
    secret = data.strip()
    if not secret or len(secret) > MAX_SECRET:
        raise SecretError(f"the sink's secret file {path} is empty or longer than {MAX_SECRET} bytes")
    if any(ch in secret for ch in b" \t\r\n"):
        raise SecretError(f"the sink's secret file {path} must hold one token on one line")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretError(f"the sink's secret file {path} is readable by others: chmod 600 {path}")
    return secret


NOTIFICATION_KEYS = ("alerts", "receiver", "groupKey")


def claims_delivery(payload: object) -> bool:
    """Whether a payload looks like an Alertmanager notification (so it needs the secret)."""
    return isinstance(payload, dict) and any(key in payload for key in NOTIFICATION_KEYS)


class WebhookAuth:
    """Whether a webhook request carries the secret (`Authorization: Bearer <secret>`)."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or None

    @property
    def configured(self) -> bool:
        return self._secret is not None

    def allows(self, authorization: str | None) -> bool:
        """True when the header carries the secret; always False without a configured secret."""
        if self._secret is None or not authorization:
            return False
        scheme, _, token = authorization.strip().partition(" ")
        presented = token.strip().encode("utf-8", "replace")
        good_scheme = scheme.lower() == "bearer"
        return hmac.compare_digest(presented, self._secret) and good_scheme

    @classmethod
    def from_file(cls, path: str | Path | None) -> WebhookAuth:
        return cls(read_secret(Path(path))) if path else cls()
