"""Alertmanager's label matchers: `name="value"`, `!=`, `=~`, `!~` (regexes anchored; a missing label is "")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

OPS = ("=~", "!~", "!=", "=")
_MATCHER = re.compile(r'\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^,]*?)\s*(?:,|$)')
_UNESCAPE = {'\\"': '"', "\\\\": "\\", "\\n": "\n"}


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op in ("=", "!="):
            return (actual == self.value) == (self.op == "=")
        return (re.fullmatch(f"(?:{self.value})", actual) is not None) == (self.op == "=~")

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


def parse_matchers(text: str) -> list[Matcher]:
    """`{a="1", b=~"x|y"}` or `a=1` -> matchers; ValueError with a readable reason otherwise."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    found, pos = [], 0
    while pos < len(body.rstrip()):
        match = _MATCHER.match(body, pos)
        if not match or match.end() == pos:
            raise ValueError(f'{text!r} is not a matcher (write e.g. team="payments" or severity=~"page|critical")')
        name, op, value = match.groups()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r'\\["\\n]', lambda m: _UNESCAPE[m.group(0)], value[1:-1])
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{text!r}: invalid regex ({exc})") from None
        found.append(Matcher(name, op, value))
        pos = match.end()
    return found
