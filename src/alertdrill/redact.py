"""The one redaction: what alertdrill prints, logs or records never carries a secret it was given.

`redact(text)` works on a URL or on any text that contains URLs or headers:
- URL userinfo passwords: `https://drill:hunter2@prom/` -> `https://drill:****@prom/`
- secret query values (`password=`, `token=`, `apikey=`, `access_token=`, `secret=`, ...): value -> `****`
- `Authorization:` (and `Proxy-Authorization:`) header values, and `Bearer`/`Basic` credentials: -> `****`

`redact(url, hide_path=True)` also drops the userinfo and replaces path and query with `/****`: for
webhook URLs, whose path is often the secret itself.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MASK = "****"
SECRET_KEYS = (
    "password",
    "passwd",
    "pass",
    "pwd",
    "token",
    "access_token",
    "auth_token",
    "apikey",
    "api_key",
    "api-key",
    "key",
    "secret",
    "client_secret",
    "signature",
    "sig",
    "credentials",
)

_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]{0,30})://([^\s/?#\"'<>]*)@")  # up to the last @: passwords hold @
_QUERY = re.compile(r"([?&;](?:" + "|".join(re.escape(k) for k in SECRET_KEYS) + r")=)([^&;#\s\"'<>]*)", re.IGNORECASE)
_HEADER = re.compile(r"\b((?:proxy-)?authorization\s*[:=]\s*)(?:\"[^\"]*\"|'[^']*'|[^\r\n,;}\"']*)", re.IGNORECASE)
_SCHEME = re.compile(r"\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)


def _userinfo(match: re.Match[str]) -> str:
    scheme, info = match.group(1), match.group(2)
    user, has_password, _ = info.partition(":")
    return f"{scheme}://{user}:{MASK}@" if has_password else f"{scheme}://{info}@"


def _hide_path(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    rest = "/" + MASK if (parts.path.strip("/") or parts.query or parts.fragment) else ""
    return f"{parts.scheme}://{host}{rest}"


def redact(text: str, *, hide_path: bool = False) -> str:
    """`text` with passwords, tokens and credentials replaced by `****` (see the module's doc)."""
    if hide_path and "://" in text and not any(ch.isspace() for ch in text.strip()):
        return _hide_path(text.strip())
    text = _URL.sub(_userinfo, text)
    text = _QUERY.sub(lambda m: m.group(1) + MASK, text)
    text = _HEADER.sub(lambda m: m.group(1) + MASK, text)
    return _SCHEME.sub(lambda m: f"{m.group(1)} {MASK}", text)
