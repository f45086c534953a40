"""Runbook links that are web pages: fetched (bounded) when their host is loopback or allowed."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

import requests

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
TIMEOUT_S = 5.0
MAX_REDIRECTS = 5


def checkable(url: str, hosts: Iterable[str]) -> bool:
    """Only http(s) links to loopback or to a host listed in `runbook_hosts` are fetched."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (parts.hostname in LOOPBACK or parts.hostname in set(hosts))


def link_problem(url: str, hosts: Iterable[str], timeout_s: float = TIMEOUT_S) -> str | None:
    """None when the page answers 200 (following redirects among allowed hosts), else what went wrong.

    Links that are not checkable are not fetched and have no problem here; the file check still applies.
    """
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
