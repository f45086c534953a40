"""Runbook links: templated ones expanded where the labels are known; web pages fetched (bounded) when
their host is loopback or allowed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
TIMEOUT_S = 5.0
MAX_REDIRECTS = 5
# `{{ $labels.x }}`, `{{ .Labels.x }}`, with `{{-`/`-}}` trimming and `$labels.x` written `index $labels "x"`.
_LABEL = re.compile(
    r"\{\{-?\s*(?:(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)"
    r'|index\s+(?:\$labels|\.Labels)\s+"([A-Za-z_][A-Za-z0-9_]*)")\s*-?\}\}'
)
_ANY = re.compile(r"\{\{.*?\}\}", re.DOTALL)


@dataclass(frozen=True)
class Expanded:
    text: str  # the link with every label that is known filled in
    missing: tuple[str, ...] = ()  # labels the link depends on that are not known here
    opaque: bool = False  # other template actions (`{{ $value }}`, `{{ $externalLabels.x }}`, pipelines...)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.opaque


def expand(template: str, labels: Mapping[str, str]) -> Expanded:
    """`template` with `{{ $labels.x }}` / `{{ .Labels.x }}` replaced by known label values.

    Lint passes the rule's own static labels. Note: Prometheus (checked with 2.42) expands annotation
    templates from the *series'* labels, so a rule label the series lacks renders empty when it fires;
    the drill step `the notification links the runbook` sees the link as delivered."""
    missing: list[str] = []

    def fill(found: re.Match[str]) -> str:
        name = found.group(1) or found.group(2)
        value = labels.get(name)
        if value is None or "{{" in value:
            missing.append(name)
            return found.group(0)
        return value

    text = _LABEL.sub(fill, template)
    opaque = any(not _LABEL.fullmatch(action) for action in _ANY.findall(text))
    return Expanded(text, tuple(dict.fromkeys(missing)), opaque)


def checkable(url: str, hosts: Iterable[str]) -> bool:
    """Only http(s) links to loopback or to a host listed in `runbook_hosts` are fetched."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (parts.hostname in LOOPBACK or parts.hostname in set(hosts))


def link_problem(url: str, hosts: Iterable[str], timeout_s: float = TIMEOUT_S) -> str | None:
    """None when the page answers 200 (following redirects among allowed hosts), else what went wrong.

    Links that are not checkable are not fetched and have no problem here; the file check still applies.
    """
    if "{{" in url:
        return None  # a template (Alertmanager delivers it expanded): nothing to fetch
    allowed = tuple(hosts)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        if not checkable(current, allowed):
            return None if current == url else f"{url} redirects to {current}, a host not in runbook_hosts"
        try:
            answer = requests.get(current, timeout=timeout_s, allow_redirects=False)
        except requests.RequestException as exc:
            return f"GET {url} failed ({type(exc).__name__}); expected an answer 200 within {timeout_s:g} s"
        if answer.is_redirect and "location" in answer.headers:
            current = urljoin(current, answer.headers["location"])
            continue
        if answer.status_code != 200:
            return f"GET {url} answered {answer.status_code}; expected 200"
        return None
    return f"GET {url} redirected more than {MAX_REDIRECTS} times; expected 200"
