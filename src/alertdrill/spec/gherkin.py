"""Feature files -> scenarios with their steps and lines, through the official Gherkin parser.

Parsed once per file per run. Outlines are expanded (one scenario per example row, as Cucumber's
pickles). Strict where a loose reading would silently change a drill: an empty file, a line inside a
scenario that is not a step (a misspelled `Gven` would otherwise become description text), a stray
`Feature:` line, two scenarios with one name, and `Examples` under a scenario without placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from gherkin.errors import CompositeParserException, ParserError
from gherkin.parser import Parser
from gherkin.pickles.compiler import Compiler

from alertdrill.errors import SpecError

KEYWORD_OF_TYPE = {"Context": "given", "Action": "when", "Outcome": "then"}
MAX_BYTES = 1_000_000  # a feature file is prose; a bigger one is a mistake
MAX_LINE = 2_000  # characters: a step is one sentence
PLACEHOLDER = re.compile(r"<[^<>]+>")
GHERKIN_HELP = "see https://cucumber.io/docs/gherkin/reference/"

Node = Mapping[str, Any]  # the Gherkin parser's JSON-shaped AST, read only in this module


@dataclass(frozen=True)
class ParsedStep:
    keyword: str  # "given", "when", "then" (And/But resolved)
    written: str  # the keyword as written, e.g. "And"
    text: str
    line: int


@dataclass(frozen=True)
class ParsedScenario:
    name: str  # with " [v1, v2]" for an outline's example row
    line: int
    tags: frozenset[str]
    steps: tuple[ParsedStep, ...]


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SpecError(
                f"feature file is larger than {MAX_BYTES // 1000} kB",
                path=path,
                fix="is this the right file? split it into smaller feature files",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read feature file: {exc.strerror or exc}", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            f"feature file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            path=path,
            line=raw[: exc.start].count(b"\n") + 1,
            fix="save it as UTF-8",
        ) from None
    for number, line in enumerate(text.splitlines(), start=1):
        bad = next((ch for ch in line if ord(ch) < 32 and ch != "\t"), None)
        if bad is not None:
            raise SpecError(
                f"control character U+{ord(bad):04X} in a feature file", path=path, line=number, fix="remove it"
            )
        if len(line) > MAX_LINE:
            raise SpecError(
                f"line is longer than {MAX_LINE} characters",
                path=path,
                line=number,
                fix="a step is one sentence: shorten it",
            )
    return text


TOKEN_WORDS = {
    "#FeatureLine": "Feature:",
    "#ScenarioLine": "Scenario:",
    "#StepLine": "a step",
    "#TagLine": "a tag",
    "#Comment": "a comment",
    "#ExamplesLine": "Examples:",
    "#TableRow": "a table row",
    "#BackgroundLine": "Background:",
    "#RuleLine": "Rule:",
    "#DocStringSeparator": 'a """ block',
}
UNEXPECTED = re.compile(r"expected: (?P<expected>.*), got '(?P<got>.*)'")


def _parse_error(path: Path, exc: CompositeParserException | ParserError) -> SpecError:
    errors: Sequence[ParserError] = getattr(exc, "errors", None) or [exc]
    first = errors[0]
    line = (getattr(first, "location", None) or {}).get("line")
    text = (str(first).splitlines() or ["malformed Gherkin"])[0].split("): ", 1)[-1]
    found = UNEXPECTED.search(text)
    if found:
        wanted = [TOKEN_WORDS[t.strip()] for t in found["expected"].split(",") if t.strip() in TOKEN_WORDS]
        text = f"{found['got'].strip()!r} is out of place here (expected {' or '.join(wanted) or 'something else'})"
    return SpecError(f"malformed feature file: {text}", path=path, line=line, fix=GHERKIN_HELP)


def _line(node: Node) -> int:
    location = node.get("location")
    return int(location.get("line", 0)) if isinstance(location, Mapping) else 0


def _scenarios(children: object) -> Iterator[Node]:
    """Scenarios at any depth (features may group them under `Rule:`)."""
    for child in children if isinstance(children, list) else []:
        if "scenario" in child:
            yield child["scenario"]
        elif "rule" in child:
            yield from _scenarios(child["rule"].get("children"))


def _description_problem(path: Path, node: Node, what: str) -> SpecError | None:
    description = str(node.get("description") or "")
    for offset, text in enumerate(description.splitlines(), start=1):
        stripped = text.strip()
        if not stripped:
            continue
        if what == "feature" and not stripped.lower().startswith(("feature:", "scenario", "example")):
            continue  # a feature's description is prose for people
        return SpecError(
            f'"{stripped}" is not a step, a tag or a comment',
            path=path,
            line=_line(node) + offset,
            fix="start it with Given/When/Then/And/But, or remove it (see `alertdrill steps`)",
        )
    return None


def _check_structure(path: Path, feature: Node) -> None:
    problem = _description_problem(path, feature, "feature")
    if problem:
        raise problem
    seen: dict[str, int] = {}
    for scenario in _scenarios(feature.get("children")):
        problem = _description_problem(path, scenario, "scenario")
        if problem:
            raise problem
        name, line = str(scenario.get("name") or "").strip(), _line(scenario)
        if not name:
            raise SpecError("a scenario needs a name", path=path, line=line, fix="write `Scenario: <what it proves>`")
        if name in seen:
            raise SpecError(
                f'two scenarios are named "{name}" (the first at line {seen[name]})',
                path=path,
                line=line,
                fix="give each scenario its own name",
            )
        seen[name] = line
        steps = scenario.get("steps") or []
        texts = [name, *(str(s.get("text", "")) for s in steps if isinstance(s, Mapping))]
        if scenario.get("examples") and not any(PLACEHOLDER.search(t) for t in texts):
            raise SpecError(
                "Examples under a scenario without <placeholders>",
                path=path,
                line=line,
                fix="use <name> placeholders in its steps, or remove the Examples",
            )


def _nodes(feature: Node) -> dict[str, Node]:
    """Every AST node with an id (steps, example rows), by id."""
    found: dict[str, Node] = {}

    def visit(value: object) -> None:
        if isinstance(value, Mapping):
            if "id" in value:
                found[str(value["id"])] = value
            for inner in value.values():
                visit(inner)
        elif isinstance(value, list):
            for inner in value:
                visit(inner)

    visit(feature)
    return found


def _pickle_to_scenario(pickle: Node, nodes: Mapping[str, Node], path: Path) -> ParsedScenario:
    ids = [str(i) for i in pickle.get("astNodeIds") or []]
    scenario, row = nodes[ids[0]], nodes.get(ids[1]) if len(ids) > 1 else None
    suffix = ""
    if row is not None:
        suffix = f" [{', '.join(str(c.get('value', '')) for c in row.get('cells') or [])}]"
    steps = []
    for step in pickle.get("steps") or []:
        source = nodes[str(step["astNodeIds"][0])]
        argument = step.get("argument") or {}
        if argument:  # no drill sentence takes one: a table or a doc string would be silently ignored
            what = "doc string" if "docString" in argument else "data table"
            raise SpecError(
                f'the step "{source.get("keyword", "").strip()} {step.get("text", "")}" takes no {what}',
                path=path,
                line=_line(source) + 1,
                fix=f"remove the {what} below it",
            )
        steps.append(
            ParsedStep(
                KEYWORD_OF_TYPE.get(str(step.get("type")), "given"),
                str(source.get("keyword", "")).strip(),
                str(step["text"]),
                _line(source),
            )
        )
    tags = frozenset(str(t["name"]).lstrip("@") for t in pickle.get("tags") or [])
    return ParsedScenario(str(scenario.get("name", "")).strip() + suffix, _line(scenario), tags, tuple(steps))


def parse_feature(path: Path) -> list[ParsedScenario]:
    """Every scenario of a feature file (outlines expanded), or a `SpecError` with file and line."""
    source = _read(path)
    try:
        document = Parser().parse(source)
    except (CompositeParserException, ParserError) as exc:
        raise _parse_error(path, exc) from None
    feature = cast(Node | None, document.get("feature"))
    if not feature:
        raise SpecError(
            "feature file is empty",
            path=path,
            line=1,
            fix="write `Feature: ...` and a `Scenario:` with Given/When/Then steps",
        )
    _check_structure(path, feature)
    pickles = cast(list[Node], Compiler().compile(cast(Any, {**document, "uri": str(path)})))
    if not pickles:
        raise SpecError(
            "feature file has no Scenario",
            path=path,
            line=_line(feature),
            fix="add a `Scenario:` with Given/When/Then steps",
        )
    nodes = _nodes(feature)
    return [_pickle_to_scenario(p, nodes, path) for p in pickles]
