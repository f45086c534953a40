"""Markdown runbooks: YAML front matter, `## Diagnose` / `## Remediate` sections, fenced steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

EXECUTABLE = ("promql", "sh")
SECTIONS = ("diagnose", "remediate")


@dataclass(frozen=True)
class RunbookStep:
    section: str  # "diagnose" or "remediate"
    language: str  # "promql" or "sh"
    code: str
    line: int  # of the step's first line of code


@dataclass(frozen=True)
class Runbook:
    path: Path
    title: str
    alerts: tuple[str, ...] = ()
    contact_group: str | None = None
    sections: tuple[str, ...] = ()
    steps: tuple[RunbookStep, ...] = field(default_factory=tuple)

    def has_section(self, name: str) -> bool:
        return name in self.sections

    def steps_in(self, section: str) -> list[RunbookStep]:
        return [s for s in self.steps if s.section == section]


def _front_matter(text: str) -> tuple[dict[str, object], str, int]:
    """(front matter, body, line offset of the body)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return {}, text, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            meta = yaml.safe_load("".join(lines[1:end])) or {}
            return (meta if isinstance(meta, dict) else {}), "".join(lines[end + 1:]), end + 1
    return {}, text, 0


def parse_runbook(path: Path) -> Runbook:
    meta, body, offset = _front_matter(path.read_text(encoding="utf-8"))
    title, sections, steps, current = path.stem, [], [], ""
    tokens = MarkdownIt("commonmark").parse(body)
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            text = tokens[index + 1].content.strip()
            if token.tag == "h1" and title == path.stem:
                title = text
            elif token.tag == "h2":
                current = text.lower()
                sections.append(current)
        elif token.type == "fence" and current in SECTIONS and token.info.strip() in EXECUTABLE:
            line = offset + (token.map[0] if token.map else 0) + 2  # the first line of code, not the fence
            steps.append(RunbookStep(current, token.info.strip(), token.content.strip(), line))
    alerts = meta.get("alerts") or []
    group = meta.get("contact_group")
    return Runbook(path, title, tuple(map(str, alerts if isinstance(alerts, list) else [alerts])),
                   str(group) if group else None, tuple(sections), tuple(steps))


def runbook_problem(runbooks_dir: Path, root: Path, reference: str) -> str | None:
    """What is wrong with the runbook a drill names (`runbooks/x.md` or `x.md`), or None."""
    folder = runbooks_dir.resolve()
    candidates = [(root / reference).resolve(), (folder / reference).resolve()]
    found = next((p for p in candidates if p.is_file() and folder in p.parents), None)
    if found is None:
        return f"{reference} is not a runbook under {folder.name}/: create it or fix the link"
    if not parse_runbook(found).has_section("diagnose"):
        return f"{reference} has no `## Diagnose` section: add one with the steps that locate the fault"
    return None
