"""The shape of a PromQL expression: just enough to know which labels its result carries.

A small recursive-descent parser over PromQL's grammar (Prometheus 2.x and 3.x, quoted UTF-8 names
included): selectors with their matchers and source text, aggregations with `by`/`without`, function
calls, binary operators with `on`/`ignoring`/`group_left`/`group_right`, and number and string
literals. Ranges, subqueries, `offset` and `@` are read and dropped (they change no label). promtool
judges syntax; an expression this parser cannot follow raises `ValueError` and the caller knows less.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alertdrill.catalog.matchers import Matcher, unquote

AGGREGATIONS = frozenset(
    {"sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk", "count_values"}
    | {"quantile", "limitk", "limit_ratio"}
)
PRECEDENCE = {"or": 1, "and": 2, "unless": 2, "==": 3, "!=": 3, "<=": 3, "<": 3, ">=": 3, ">": 3}
PRECEDENCE |= {"+": 4, "-": 4, "*": 5, "/": 5, "%": 5, "atan2": 5, "^": 6}
_TOKEN = re.compile(
    r"""(?P<space>\s+|\#[^\n]*)
    |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
    |(?P<range>\[[^\]]*\])
    |(?P<number>0[xX][0-9a-fA-F]+|(?:\d+(?:ms|[smhdwy]))+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<name>[a-zA-Z_:][a-zA-Z0-9_:.]*)
    |(?P<op>==|!=|>=|<=|=~|!~|[-+*/%^<>=(){},@])""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Selector:
    matchers: tuple[Matcher, ...]
    text: str  # as written, to ask a running Prometheus for its series

    @property
    def metric(self) -> str:
        return next((m.value for m in self.matchers if m.name == "__name__" and m.op == "="), "")


@dataclass(frozen=True)
class Literal:
    text: str | None = None  # a string literal's value; None for a number


@dataclass(frozen=True)
class Aggregation:
    op: str
    grouping: tuple[str, ...] | None  # None: no clause
    without: bool
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Binary:
    op: str
    lhs: Node
    rhs: Node
    matching: tuple[str, ...] | None = None  # on(...) / ignoring(...) labels
    on: bool = False
    card: str = "one"  # one, left (group_left), right (group_right)
    include: tuple[str, ...] = ()  # labels copied from the "one" side


Node = Selector | Literal | Aggregation | Call | Binary


def tokens(text: str) -> list[tuple[str, str, int]]:
    found, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"unexpected {text[pos : pos + 10]!r} at {pos}")
        kind = match.lastgroup or ""
        if kind != "space":
            found.append((kind, match.group(0), pos))
        pos = match.end()
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.items, self.at = text, tokens(text), 0

    def peek(self, ahead: int = 0) -> tuple[str, str, int]:
        index = self.at + ahead
        return self.items[index] if index < len(self.items) else ("end", "", len(self.text))

    def take(self, value: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if value is not None and token[1].lower() != value:
            raise ValueError(f"expected {value!r} at {token[2]}, found {token[1]!r}")
        self.at += 1
        return token

    def expression(self, floor: int = 0) -> Node:
        left = self.unary()
        while True:
            op = self.peek()[1].lower()
            power = PRECEDENCE.get(op) if self.peek()[0] in ("op", "name") else None
            if power is None or power < floor:
                return left
            self.take()
            left = self.binary(op, left, power)

    def binary(self, op: str, left: Node, power: int) -> Binary:
        if self.peek()[1].lower() == "bool":
            self.take()
        matching: tuple[str, ...] | None = None
        on, card, include = False, "one", tuple[str, ...]()
        if self.peek()[1].lower() in ("on", "ignoring"):
            on = self.take()[1].lower() == "on"
            matching = self.labels()
        if self.peek()[1].lower() in ("group_left", "group_right"):
            card = "left" if self.take()[1].lower() == "group_left" else "right"
            include = self.labels() if self.peek()[1] == "(" else ()
        right = self.expression(power + (op != "^"))
        return Binary(op, left, right, matching, on, card, include)

    def unary(self) -> Node:
        if self.peek()[1] in ("-", "+"):
            self.take()
            return self.unary()
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        while True:
            kind, value, _ = self.peek()
            if kind == "range":
                self.take()
            elif value.lower() == "offset":
                self.take()
                if self.peek()[1] == "-":
                    self.take()
                self.take()
            elif value == "@":
                self.take()
                self.take()
                if self.peek()[1] == "(":
                    self.take("(")
                    self.take(")")
            else:
                return node

    def primary(self) -> Node:
        kind, value, start = self.peek()
        if value == "(":
            self.take()
            inner = self.expression()
            self.take(")")
            return inner
        if kind in ("number", "string") or value.lower() in ("inf", "nan"):
            self.take()
            return Literal(unquote(value) if kind == "string" else None)
        if value == "{":
            return self.selector("", start)
        if kind != "name":
            raise ValueError(f"unexpected {value!r} at {start}")
        self.take()
        following = self.peek()[1].lower()
        if value.lower() in AGGREGATIONS and following in ("(", "by", "without"):
            return self.aggregation(value.lower())
        if following == "(":
            return Call(value, self.arguments())
        return self.selector(value, start)

    def aggregation(self, op: str) -> Aggregation:
        grouping, without = None, False
        if self.peek()[1].lower() in ("by", "without"):
            without, grouping = self.take()[1].lower() == "without", self.labels()
        args = self.arguments()
        if self.peek()[1].lower() in ("by", "without"):
            without, grouping = self.take()[1].lower() == "without", self.labels()
        return Aggregation(op, grouping, without, args)

    def arguments(self) -> tuple[Node, ...]:
        self.take("(")
        args: list[Node] = []
        while self.peek()[1] != ")":
            args.append(self.expression())
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        return tuple(args)

    def labels(self) -> tuple[str, ...]:
        self.take("(")
        names: list[str] = []
        while self.peek()[1] != ")":
            kind, value, _ = self.take()
            if kind in ("name", "string"):
                names.append(unquote(value))
        self.take(")")
        return tuple(names)

    def selector(self, name: str, start: int) -> Selector:
        matchers = [Matcher("__name__", "=", name)] if name else []
        end = start + len(name)
        if self.peek()[1] == "{":
            self.take()
            while self.peek()[1] != "}":
                matchers.append(self.matcher())
                if self.peek()[1] == ",":
                    self.take()
            end = self.take("}")[2] + 1
        return Selector(tuple(matchers), self.text[start:end])

    def matcher(self) -> Matcher:
        kind, value, at = self.take()
        if kind not in ("name", "string"):
            raise ValueError(f"unexpected {value!r} at {at} in a selector")
        if kind == "string" and self.peek()[1] in (",", "}"):
            return Matcher("__name__", "=", unquote(value))  # {"my.metric", ...}: a quoted metric name
        op = self.take()[1]
        if op not in ("=", "!=", "=~", "!~"):
            raise ValueError(f"unexpected {op!r} in a selector")
        return Matcher(unquote(value), op, unquote(self.take()[1]))


def parse(text: str) -> Node:
    """The expression's tree; ValueError when it is not PromQL this parser follows."""
    parser = _Parser(text)
    node = parser.expression()
    if parser.peek()[0] != "end":
        raise ValueError(f"unexpected {parser.peek()[1]!r} at {parser.peek()[2]}")
    return node


def selectors(node: Node) -> list[Selector]:
    """Every selector of the expression, left to right."""
    if isinstance(node, Selector):
        return [node]
    if isinstance(node, Binary):
        return selectors(node.lhs) + selectors(node.rhs)
    if isinstance(node, Aggregation | Call):
        return [s for arg in node.args for s in selectors(arg)]
    return []
