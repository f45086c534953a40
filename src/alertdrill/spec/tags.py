"""Tag expressions (`--tags 'payments and not slow'`), the same language as pytest's `-m`:
names, `and`, `or`, `not` and parentheses. Parsed once, then matched against each drill's tags."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from alertdrill.errors import ConfigError

TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
Matcher = Callable[[frozenset[str]], bool]


def _either(a: Matcher, b: Matcher) -> Matcher:
    return lambda tags: a(tags) or b(tags)


def _both(a: Matcher, b: Matcher) -> Matcher:
    return lambda tags: a(tags) and b(tags)


@dataclass
class _Parser:
    tokens: list[str]
    expression: str
    at: int = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise self.error("the expression ends too early")
        self.at += 1
        return token

    def error(self, what: str) -> ConfigError:
        return ConfigError(
            f"--tags {self.expression!r}: {what}",
            fix="e.g. --tags 'payments and not slow' (names, and, or, not, parentheses)",
        )

    def any_of(self) -> Matcher:
        left = self.all_of()
        while self.peek() == "or":
            self.take()
            left = _either(left, self.all_of())
        return left

    def all_of(self) -> Matcher:
        left = self.negation()
        while self.peek() == "and":
            self.take()
            left = _both(left, self.negation())
        return left

    def negation(self) -> Matcher:
        token = self.take()
        if token == "not":
            inner = self.negation()
            return lambda tags: not inner(tags)
        if token == "(":
            inner = self.any_of()
            if self.take() != ")":
                raise self.error("a parenthesis is not closed")
            return inner
        if token in ("and", "or", ")"):
            raise self.error(f"unexpected {token!r}")
        name = token.lstrip("@")
        return lambda tags: name in tags


def tag_matcher(expression: str) -> Matcher:
    """A predicate over a drill's tags; the empty expression selects every drill."""
    if not expression.strip():
        return lambda tags: True
    parser = _Parser(TOKEN.findall(expression), expression)
    matcher = parser.any_of()
    if parser.peek() is not None:
        raise parser.error(f"unexpected {parser.peek()!r}")
    return matcher
