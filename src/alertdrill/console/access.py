"""Who may do what in the console. Loopback with no users file: one token, printed at start (as
Jupyter does), needed for every state-changing request. A users file maps names to a token (or a
token file) and a role; then every request needs a token, and a non-loopback address needs the file."""

from __future__ import annotations

import getpass
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from alertdrill.config import Settings
from alertdrill.errors import ConfigError
from alertdrill.yamlfile import YamlDoc, load_yaml

MIN_TOKEN = 16  # characters: a shorter token is guessable
USER_KEYS = frozenset({"token", "token_file", "role"})


class Role(StrEnum):
    VIEWER = "viewer"  # sees everything but the surprise audit log
    RUNNER = "runner"  # also starts and stops drills
    QA = "qa"  # also reads the surprise audit log

    @property
    def may_run(self) -> bool:
        return self in (Role.RUNNER, Role.QA)


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    token: str = field(repr=False)


@dataclass(frozen=True)
class Access:
    users: tuple[User, ...]
    open_view: bool  # no users file: anyone who reaches the loopback address may look
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    @classmethod
    def one_time(cls) -> Access:
        """No users file: one token for this server's life, held by whoever started it (role qa)."""
        return cls((User(getpass.getuser() or "owner", Role.QA, secrets.token_urlsafe(24)),), open_view=True)

    @classmethod
    def for_settings(cls, settings: Settings) -> Access:
        listen = settings.serve_listen
        if settings.serve_users_file is None:
            if not is_loopback(listen):
                raise ConfigError(
                    f"the console would listen on {listen}, off loopback, without users",
                    path=settings.config_path,
                    fix="add serve: {users_file: console-users.yml} (names: token_file, role), or listen on 127.0.0.1",
                )
            return cls.one_time()
        return cls(load_users(settings.serve_users_file), open_view=False)

    def user(self, token: str) -> User | None:
        found = None
        for user in self.users:  # every token compared, in constant time each
            if hmac.compare_digest(user.token.encode(), token.encode()):
                found = user
        return found

    def csrf(self, token: str) -> str:
        """The form token of a session: bound to its login token, useless on its own."""
        return hmac.new(self.secret, token.encode(), hashlib.sha256).hexdigest()[:32]


def is_loopback(listen: str) -> bool:
    host = listen.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_users(path: Path) -> tuple[User, ...]:
    doc = load_yaml(path, what="users file")
    if not isinstance(doc.data, Mapping) or not doc.data:
        raise doc.error("the users file must map names to {token_file, role}", fix="e.g. alice: {token_file: ...}")
    return tuple(_user(doc, str(name), body) for name, body in doc.data.items())


def _user(doc: YamlDoc, name: str, body: object) -> User:
    example = f"{name}: {{token_file: secrets/{name}.token, role: runner}}"
    if not isinstance(body, Mapping) or set(body) - USER_KEYS:
        raise doc.error(f"user {name!r}: only token or token_file, and role", name, fix=f"e.g. {example}")
    try:
        role = Role(str(body.get("role", "")))
    except ValueError:
        raise doc.error(f"user {name!r}: role must be viewer, runner or qa", name, fix=f"e.g. {example}") from None
    token = _token(doc, name, body)
    if len(token) < MIN_TOKEN:
        raise doc.error(
            f"user {name!r}: the token is shorter than {MIN_TOKEN} characters",
            name,
            fix="e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(24))'",
        )
    return User(name, role, token)


def _token(doc: YamlDoc, name: str, body: Mapping[str, object]) -> str:
    if ("token" in body) == ("token_file" in body):
        raise doc.error(
            f"user {name!r}: give one of token or token_file", name, fix=f"e.g. {name}: {{token_file: ...}}"
        )
    if "token" in body:
        return str(body["token"]).strip()
    path = doc.path.parent / str(body["token_file"])
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise doc.error(
            f"user {name!r}: token_file {path} cannot be read ({exc.strerror})", name, "token_file"
        ) from None
