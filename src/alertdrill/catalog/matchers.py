"""Label matchers as Alertmanager and PromQL write them: `team="payments"`, `severity=~"page|critical"`.

Label names may be quoted (`"my.label"="x"`: UTF-8 names, Prometheus 3.0 and Alertmanager 0.27's
matcher parser) or bare; regexes are anchored, as both products anchor them; a missing label is "".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

OPS = ("=~", "!~", "!=", "=")
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_MATCHER = re.compile(rf"\s*({_QUOTED}|[^\s{{}}!=~,\"']+)\s*(=~|!~|!=|=)\s*({_QUOTED}|[^,]*?)\s*(?:,|$)")
_UNESCAPE = {'\\"': '"', "\\'": "'", "\\\\": "\\", "\\n": "\n"}


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
        return f'{quote_name(self.name)}{self.op}"{escape(self.value)}"'


def unquote(text: str) -> str:
    """A quoted string's value (either quote, or PromQL's raw backticks), escapes resolved; bare text as it is."""
    if len(text) >= 2 and text[0] == text[-1] == "`":
        return text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return re.sub(r"\\[\"'\\n]", lambda m: _UNESCAPE[m.group(0)], text[1:-1])
    return text


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def quote_name(name: str) -> str:
    """A label name as written: bare when it is a classic name, quoted otherwise (UTF-8 names)."""
    return name if re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", name) else f'"{escape(name)}"'


def parse_matchers(text: str) -> list[Matcher]:
    """`{a="1", b=~"x|y"}`, `a=1` or `{"my.label"="x"}` -> matchers; ValueError with a reason otherwise."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    found, pos = [], 0
    while pos < len(body.rstrip()):
        match = _MATCHER.match(body, pos)
        if not match or match.end() == pos:
            raise ValueError(f'{text!r} is not a matcher (write e.g. team="payments" or severity=~"page|critical")')
        name, op, value = match.groups()
        value = unquote(value)
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{text!r}: invalid regex ({exc})") from None
        found.append(Matcher(unquote(name), op, value))
        pos = match.end()
    return found
