"""The drill vocabulary: one table of step phrases.

The compiler (`spec.features`) reads every step through `PHRASES`; the runner performs the compiled
steps, so what preflight accepts and what runs cannot drift apart.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from parse import Parser
from parse import compile as compile_format

from alertdrill.durations import parse_duration
from alertdrill.spec.model import (
    AlertFires,
    AlertInhibited,
    AlertsFire,
    AtMostNotifications,
    InjectFault,
    LinksRunbook,
    LocatesFault,
    NoOtherAlert,
    OnlyContactGroup,
    QuietStart,
    ReachesContactGroup,
    Recovers,
    ResolvesAfterRevert,
    SteadyState,
    Step,
)


@dataclass(frozen=True)
class Phrase:
    keyword: str  # "given", "when" or "then"
    pattern: str  # a `parse` format; {budget} is a duration
    build: Callable[[Mapping[str, object], int], Step]
    example: str

    @property
    def parser(self) -> Parser:
        return compile_format(self.pattern)

    def arguments(self, text: str) -> dict[str, object] | None:
        """The phrase's parameters when `text` is this phrase, else None."""
        found = self.parser.parse(text)
        return dict(found.named) if found is not None and not isinstance(found, Parser) else None


def _budget(args: Mapping[str, object]) -> float:
    return parse_duration(str(args["budget"]))


CHANNELS = {"": "", "by email": "email", "by webhook": "webhook"}


def _channel(args: Mapping[str, object]) -> str:
    """`... "group" within` (any), `... "group" by email within`, `... "group" by webhook within`."""
    said = " ".join(str(args["channel"]).split())
    if said not in CHANNELS:
        raise ValueError(f'"{said}" is not a way to be reached: write "by email", "by webhook" or nothing')
    return CHANNELS[said]


def _alerts(args: Mapping[str, object]) -> tuple[str, ...]:
    """`"NodeDown", "NodeExporterDown"` (commas, or `and` before the last) -> the names, at least two."""
    written = str(args["alerts"])
    names = tuple(QUOTED.findall(written))
    rest = QUOTED.sub("", written).replace(",", " ").split()
    if len(names) < 2 or any(word != "and" for word in rest):
        raise ValueError(f'{written} is not a list of alert names: write "A", "B" (each quoted, separated by commas)')
    if len(set(names)) != len(names):
        raise ValueError(f"{written} names an alert twice")
    return names


def _count(args: Mapping[str, object]) -> int:
    count = int(str(args["count"]))
    if count < 0:
        raise ValueError(f"at most {count} notifications: the count must be 0 or more")
    return count


PHRASES: tuple[Phrase, ...] = (
    Phrase(
        "given",
        'the service "{service}" is healthy',
        lambda a, line: SteadyState(str(a["service"]), line),
        'the service "payments-api" is healthy',
    ),
    Phrase(
        "when",
        'the fault "{fault}" is injected',
        lambda a, line: InjectFault(str(a["fault"]), line),
        'the fault "payments-api-down" is injected',
    ),
    Phrase(
        "then",
        'the alert "{alert}" fires within {budget}',
        lambda a, line: AlertFires(str(a["alert"]), _budget(a), line),
        'the alert "PaymentsApiDown" fires within 1 minute',
    ),
    Phrase(
        "then",
        'the alert reaches the contact group "{group}"{channel}within {budget}',
        lambda a, line: ReachesContactGroup(str(a["group"]), _budget(a), line, _channel(a)),
        'the alert reaches the contact group "payments-oncall" within 1 minute',
    ),
    Phrase(
        "then",
        'the notification links the runbook "{runbook}"',
        lambda a, line: LinksRunbook(str(a["runbook"]), line),
        'the notification links the runbook "runbooks/payments-api-down.md"',
    ),
    Phrase(
        "then",
        "the runbook locates the fault within {budget}",
        lambda a, line: LocatesFault(_budget(a), line),
        "the runbook locates the fault within 5 minutes",
    ),
    Phrase(
        "then",
        "the service recovers within {budget}",
        lambda a, line: Recovers(_budget(a), line),
        "the service recovers within 10 minutes",
    ),
    Phrase(
        "given",
        "no alert is firing",
        lambda a, line: QuietStart(line),
        "no alert is firing",
    ),
    Phrase(
        "then",
        "the alerts {alerts} fire within {budget}",
        lambda a, line: AlertsFire(_alerts(a), _budget(a), line),
        'the alerts "NodeDown", "NodeExporterDown" fire within 1 minute',
    ),
    Phrase(
        "then",
        'only the contact group "{group}" is notified',
        lambda a, line: OnlyContactGroup(str(a["group"]), line),
        'only the contact group "payments-oncall" is notified',
    ),
    Phrase(
        "then",
        "no other alert fires",
        lambda a, line: NoOtherAlert(line),
        "no other alert fires",
    ),
    Phrase(
        "then",
        'the alert "{alert}" is inhibited',
        lambda a, line: AlertInhibited(str(a["alert"]), line),
        'the alert "PaymentsLatencyHigh" is inhibited',
    ),
    Phrase(
        "then",
        'at most {count:d} notifications reach the contact group "{group}"',
        lambda a, line: AtMostNotifications(_count(a), str(a["group"]), line),
        'at most 2 notifications reach the contact group "payments-oncall"',
    ),
    Phrase(
        "then",
        'at most {count:d} notification reaches the contact group "{group}"',
        lambda a, line: AtMostNotifications(_count(a), str(a["group"]), line),
        'at most 1 notification reaches the contact group "payments-oncall"',
    ),
    Phrase(
        "then",
        "the alert resolves within {budget} of the fault being reverted",
        lambda a, line: ResolvesAfterRevert(_budget(a), line),
        "the alert resolves within 2 minutes of the fault being reverted",
    ),
)


def match(keyword: str, text: str) -> tuple[Phrase, dict[str, object]] | None:
    for phrase in PHRASES:
        if phrase.keyword == keyword and (args := phrase.arguments(text)) is not None:
            return phrase, args
    return None


QUOTED = re.compile(r'"([^"]*)"')
PLACEHOLDER = re.compile(r"\{(\w+)\}")
WITHIN = re.compile(r"\bwithin\s+(.+?)(?:\s+of the fault being reverted)?\s*$")


def _in_their_words(phrase: Phrase, text: str) -> str:
    """The phrase filled with the values the person wrote (their names, their duration), not the example's."""
    theirs = iter(QUOTED.findall(text))
    example = iter(QUOTED.findall(phrase.example))
    budget = WITHIN.search(text) or WITHIN.search(phrase.example)

    def fill(found: re.Match[str]) -> str:
        if found[1] == "budget":
            return budget[1] if budget else "1 minute"
        if found[1] == "channel":
            return " "
        return next(theirs, None) or next(example, found[0])

    return f"{phrase.keyword.capitalize()} {PLACEHOLDER.sub(fill, phrase.pattern)}"


def closest(text: str) -> str | None:
    """The known phrase most like `text`, for "did you mean" messages, in the writer's own values."""
    shapes = {QUOTED.sub('""', p.example): p for p in PHRASES}
    found = difflib.get_close_matches(QUOTED.sub('""', text), list(shapes), n=1, cutoff=0.4)
    return _in_their_words(shapes[found[0]], text) if found else None


def keyword_of(text: str) -> str | None:
    """The keyword a phrase needs, when `text` matches a phrase under another keyword."""
    return next((p.keyword for p in PHRASES if p.arguments(text) is not None), None)
