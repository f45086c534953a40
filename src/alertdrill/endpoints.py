"""Where alertdrill reaches Prometheus, each Alertmanager and a Pushgateway, and how: an `Endpoint` is a
URL plus an HTTP client configuration in the shape of Prometheus's `http_config`:

    prometheus:
      url: https://prom.example.internal/prom          # path prefixes allowed; user:pass@ in the URL works too
      basic_auth: {username: drill, password_file: secrets/prom.pw}    # or password:
      authorization: {type: Bearer, credentials_file: secrets/token}   # or credentials:
      tls_config: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem, server_name: prom, insecure_skip_verify: false}
      proxy_url: http://proxy:3128
      headers: {X-Scope-OrgID: team-a}

`parse_endpoint` checks a configured value (unknown keys, both a secret and its file, unreadable files, a
bad URL) and raises `EndpointProblem` naming the key path, which the caller turns into a file:line error.
`Endpoint.session()` builds the one configured `requests.Session` every call to that system goes through.
Secrets (passwords, tokens, file contents) are never in a repr or a message: `Endpoint.scrub`.

Limits: `server_name` sets both the TLS SNI name and the name the certificate is checked against; with
`proxy_url` on an https URL the proxy is tunnelled (CONNECT) and the same applies. Secret files are read
when a session is built (at the start of each client), not per request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from alertdrill.errors import ConfigError
from alertdrill.redact import MASK, redact

ENDPOINT_KEYS = frozenset({"url", "basic_auth", "authorization", "tls_config", "proxy_url", "headers"})
BASIC_AUTH_KEYS = frozenset({"username", "password", "password_file"})
AUTHORIZATION_KEYS = frozenset({"type", "credentials", "credentials_file"})
TLS_KEYS = frozenset({"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"})
RESERVED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "host", "content-length", "content-type", "connection"}
    | {"transfer-encoding"}
)
Keys = tuple[str | int, ...]  # where in the endpoint's YAML: ("tls_config", "ca_file"), (1, "url") in a list
SECRET_HEADER = re.compile(r"auth|token|key|secret|password|cookie|session", re.IGNORECASE)
MIN_SCRUBBED = 3  # shorter "secrets" would turn every message into asterisks (and protect nothing)
TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP header name (RFC 9110 token)


class EndpointProblem(ValueError):
    """A configured endpoint is wrong: `keys` is the path to the bad value inside the endpoint."""

    def __init__(self, message: str, keys: Keys = (), fix: str = "") -> None:
        super().__init__(message)
        self.message, self.keys, self.fix = message, keys, fix


@dataclass(frozen=True)
class Secret:
    """A password or token: given inline, or a file read when a session is built (whitespace trimmed)."""

    value: str = field(default="", repr=False)
    file: Path | None = None

    def read(self, where: str = "") -> str:
        if self.file is None:
            return self.value
        try:
            return self.file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise ConfigError(f"cannot read {self.file}: {reason}", fix=f"fix the file named at {where}") from None


@dataclass(frozen=True)
class BasicAuth:
    username: str
    password: Secret = field(default_factory=Secret)


@dataclass(frozen=True)
class Authorization:
    credentials: Secret
    type: str = "Bearer"


@dataclass(frozen=True)
class TlsConfig:
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    server_name: str = ""
    insecure_skip_verify: bool = False

    @property
    def verify(self) -> bool | str:
        if self.insecure_skip_verify:
            return False
        return str(self.ca_file) if self.ca_file is not None else True

    @property
    def cert(self) -> tuple[str, str] | None:
        return (str(self.cert_file), str(self.key_file)) if self.cert_file and self.key_file else None


@dataclass(frozen=True)
class Endpoint:
    """A URL (a base URL: path prefix allowed) and how to reach it. `source` is its file:line, for messages."""

    url: str
    basic_auth: BasicAuth | None = None
    authorization: Authorization | None = None
    tls: TlsConfig = field(default_factory=TlsConfig)
    proxy_url: str = ""
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    source: str = ""

    @property
    def shown(self) -> str:
        """The URL for people: no password, no token."""
        return redact(self.url)

    def at(self, path: str) -> str:
        """The URL of `path` under this endpoint's path prefix (a query in the base URL is kept)."""
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + path.lstrip("/")))

    def with_url(self, url: str) -> Endpoint:
        """The same client configuration for another URL (`--prometheus` replaces only the URL)."""
        return replace(self, url=url.rstrip("/"))

    def secrets(self) -> tuple[str, ...]:
        """Every secret this endpoint sends (inline or read from files), to keep out of messages."""
        found = [v for name, v in self.headers if SECRET_HEADER.search(name)]
        for secret in (
            self.basic_auth.password if self.basic_auth else None,
            self.authorization.credentials if self.authorization else None,
        ):
            if secret is not None:
                try:
                    found.append(secret.read(self.source))
                except ConfigError:
                    continue
        return tuple(s for s in found if len(s) >= MIN_SCRUBBED)

    def scrub(self, text: str) -> str:
        """`text` with this endpoint's secrets (and any URL password or token) replaced by `****`."""
        for secret in sorted(self.secrets(), key=len, reverse=True):
            text = text.replace(secret, MASK)
        return redact(text)

    def session(self) -> requests.Session:
        """A session configured as the endpoint says: auth, TLS (CA, client cert, server name), proxy, headers."""
        session = requests.Session()
        if self.basic_auth is not None:
            session.auth = (self.basic_auth.username, self.basic_auth.password.read(self.source))
        elif self.authorization is not None:
            credentials = self.authorization.credentials.read(self.source)
            session.auth = _HeaderAuth(f"{self.authorization.type} {credentials}")
        session.headers.update(dict(self.headers))
        adapter = _EndpointAdapter(self.tls, self.proxy_url)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.verify, session.cert = self.tls.verify, self.tls.cert
        if self.proxy_url:
            session.proxies = {"http": self.proxy_url, "https": self.proxy_url}
        return session


class _HeaderAuth(requests.auth.AuthBase):
    """`Authorization: <type> <credentials>` on every request (set as auth, so netrc never replaces it)."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "_HeaderAuth(****)"


class _EndpointAdapter(HTTPAdapter):
    """Applies the endpoint's TLS settings and proxy whatever the environment says (requests lets
    REQUESTS_CA_BUNDLE and HTTP(S)_PROXY override a session's own settings), and its server name."""

    def __init__(self, tls: TlsConfig, proxy_url: str) -> None:
        self._tls, self._proxy_url = tls, proxy_url
        super().__init__(max_retries=0)

    def _names(self) -> dict[str, Any]:
        name = self._tls.server_name
        return {"server_hostname": name, "assert_hostname": name} if name else {}

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(self._names())
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return super().proxy_manager_for(proxy, **proxy_kwargs, **self._names())

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["verify"], kwargs["cert"] = self._tls.verify, self._tls.cert
        if self._proxy_url:
            kwargs["proxies"] = {"http": self._proxy_url, "https": self._proxy_url}
        return super().send(request, **kwargs)


def as_endpoint(target: Endpoint | str) -> Endpoint:
    return target if isinstance(target, Endpoint) else Endpoint(target.rstrip("/"))


def _kind(value: object) -> str:
    """A value's kind for a message: never the value itself (it may be a secret)."""
    kinds = {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "a mapping"}
    return "nothing" if value is None else kinds.get(type(value), type(value).__name__)


def check_url(value: object, keys: Keys = (), schemes: tuple[str, ...] = ("http", "https")) -> str:
    """A base URL: http(s), a host, an optional port and path prefix (a query is kept, a fragment is not)."""
    text = value.strip().rstrip("/") if isinstance(value, str) else ""
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError when the port is not a number from 0 to 65535
        ok = parts.scheme in schemes and bool(parts.hostname) and not parts.fragment
    except ValueError:
        ok = False
    if not ok:
        shown = repr(redact(text))[:80] if isinstance(value, str) else _kind(value)
        kind = "an http(s)" if schemes == ("http", "https") else f"a {'/'.join(schemes)}"
        raise EndpointProblem(f"{shown} is not {kind} URL", keys, "e.g. http://127.0.0.1:9090 or https://host/prefix")
    return text


def _mapping(value: object, keys: Keys, known: frozenset[str]) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise EndpointProblem(f"must be a mapping, not {_kind(value)}", keys, f"known keys: {', '.join(sorted(known))}")
    for key in value:
        if str(key) not in known:
            name = ".".join(str(k) for k in (*keys, key))
            raise EndpointProblem(f"unknown key {name!r}", (*keys, str(key)), f"known keys: {', '.join(sorted(known))}")
    return value


def _text(raw: Mapping[str, object], key: str, keys: Keys, *, required: bool = False) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise EndpointProblem(f"must be a non-empty string, not {_kind(value)}", (*keys, key), f"e.g. {key}: ...")
    return value


def _file(raw: Mapping[str, object], key: str, keys: Keys, root: Path) -> Path | None:
    name = _text(raw, key, keys)
    if not name:
        return None
    path = (root / name).absolute()
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise EndpointProblem(
            f"cannot read {path}: {exc.strerror or type(exc).__name__}",
            (*keys, key),
            "paths are relative to the configuration file's folder",
        ) from None
    return path


def _secret(raw: Mapping[str, object], key: str, keys: Keys, root: Path) -> Secret | None:
    if key in raw and f"{key}_file" in raw:
        raise EndpointProblem(f"both {key} and {key}_file are given", (*keys, key), f"keep one of {key}, {key}_file")
    if f"{key}_file" in raw:
        path = _file(raw, f"{key}_file", keys, root)
        return Secret(file=path) if path is not None else None
    if key in raw:
        value = raw[key]
        if not isinstance(value, str):
            raise EndpointProblem(f"must be a string, not {_kind(value)}", (*keys, key), "quote it")
        return Secret(value)
    return None


def _basic_auth(value: object, root: Path) -> BasicAuth:
    keys = ("basic_auth",)
    raw = _mapping(value, keys, BASIC_AUTH_KEYS)
    return BasicAuth(_text(raw, "username", keys, required=True), _secret(raw, "password", keys, root) or Secret())


def _authorization(value: object, root: Path) -> Authorization:
    keys = ("authorization",)
    raw = _mapping(value, keys, AUTHORIZATION_KEYS)
    kind = _text(raw, "type", keys) or "Bearer"
    if kind.lower() == "basic" or not TOKEN.match(kind):
        raise EndpointProblem(f"type {kind!r} cannot be used here", (*keys, "type"), "use basic_auth: for Basic")
    credentials = _secret(raw, "credentials", keys, root)
    if credentials is None:
        raise EndpointProblem("needs credentials or credentials_file", keys, "e.g. credentials_file: secrets/token")
    return Authorization(credentials, kind)


def _tls(value: object, root: Path) -> TlsConfig:
    keys = ("tls_config",)
    raw = _mapping(value, keys, TLS_KEYS)
    skip = raw.get("insecure_skip_verify", False)
    if not isinstance(skip, bool):
        raise EndpointProblem(f"must be true or false, not {_kind(skip)}", (*keys, "insecure_skip_verify"))
    tls = TlsConfig(
        _file(raw, "ca_file", keys, root),
        _file(raw, "cert_file", keys, root),
        _file(raw, "key_file", keys, root),
        _text(raw, "server_name", keys),
        skip,
    )
    if (tls.cert_file is None) != (tls.key_file is None):
        raise EndpointProblem("cert_file and key_file go together", keys, "give both, or neither")
    return tls


def _headers(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        raise EndpointProblem(f"must be a mapping, not {_kind(value)}", ("headers",), "e.g. {X-Scope-OrgID: team-a}")
    found = []
    for name, text in value.items():
        keys = ("headers", str(name))
        if not TOKEN.match(str(name)) or str(name).lower() in RESERVED_HEADERS:
            raise EndpointProblem(f"{str(name)!r} cannot be set here", keys, "use basic_auth: or authorization:")
        if not isinstance(text, str) or "\n" in text or "\r" in text:
            raise EndpointProblem(f"must be one line of text, not {_kind(text)}", keys, "quote it")
        found.append((str(name), text))
    return tuple(found)


def parse_endpoint(value: object, root: Path, source: str = "") -> Endpoint:
    """A URL string, or a mapping in the shape of `http_config` (paths relative to `root`)."""
    if isinstance(value, str):
        return Endpoint(check_url(value), source=source)
    if not isinstance(value, Mapping):
        raise EndpointProblem(f"must be an http(s) URL or a mapping with url:, not {_kind(value)}", (), "e.g. URL")
    raw = _mapping(value, (), ENDPOINT_KEYS)
    if "url" not in raw:
        raise EndpointProblem("needs url:", (), "e.g. url: https://prometheus.example.internal")
    url = check_url(raw["url"], ("url",))
    if "basic_auth" in raw and "authorization" in raw:
        raise EndpointProblem("both basic_auth and authorization are given", ("authorization",), "keep one")
    if urlsplit(url).username is not None and ("basic_auth" in raw or "authorization" in raw):
        raise EndpointProblem("credentials both in the URL and in basic_auth/authorization", ("url",), "keep one")
    return Endpoint(
        url,
        _basic_auth(raw["basic_auth"], root) if "basic_auth" in raw else None,
        _authorization(raw["authorization"], root) if "authorization" in raw else None,
        _tls(raw["tls_config"], root) if raw.get("tls_config") is not None else TlsConfig(),
        check_url(raw["proxy_url"], ("proxy_url",)) if raw.get("proxy_url") is not None else "",
        _headers(raw["headers"]) if raw.get("headers") is not None else (),
        source,
    )


def parse_endpoints(value: object, root: Path, sources: Sequence[str] = ()) -> tuple[Endpoint, ...]:
    """One endpoint, or a non-empty list of them (an Alertmanager cluster); problems name `[index]` first."""
    if not isinstance(value, list):
        return (parse_endpoint(value, root, sources[0] if sources else ""),)
    if not value:
        raise EndpointProblem("the list is empty", (), "name at least one URL")
    found = []
    for index, item in enumerate(value):
        try:
            found.append(parse_endpoint(item, root, sources[index] if index < len(sources) else ""))
        except EndpointProblem as problem:
            raise EndpointProblem(problem.message, (index, *problem.keys), problem.fix) from None
    return tuple(found)
