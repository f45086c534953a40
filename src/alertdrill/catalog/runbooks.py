"""Markdown runbooks: YAML front matter, `## Diagnose` / `## Remediate` sections, fenced steps."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

from alertdrill.errors import ConfigError, SpecError
from alertdrill.yamlfile import parse_yaml

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


MAX_BYTES = 2_000_000  # a runbook is prose for people; a bigger file is a mistake
FRONT_MATTER_KEYS = ("alerts", "contact_group")


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SpecError(
                f"runbook is larger than {MAX_BYTES // 1_000_000} MB",
                path=path,
                fix="is this the right file? keep runbooks short",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read runbook: {exc.strerror or exc}", path=path) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(
            f"runbook is not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            path=path,
            line=raw[: exc.start].count(b"\n") + 1,
            fix="save it as UTF-8",
        ) from None


def _front_matter(path: Path, text: str) -> tuple[dict[str, object], str, int]:
    """(front matter, body, line offset of the body); a broken front matter is a SpecError at its line.
    The front matter is read as strictly as every other YAML file (duplicate keys, aliases, tabs)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return {}, text, 0
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise SpecError(
            "the front matter opened here is never closed", path=path, line=1, fix="end it with a line `---`"
        )
    try:
        doc = parse_yaml("\n" + "".join(lines[1:end]), path, what="front matter")  # line numbers: the file's
    except ConfigError as exc:
        message = exc.message.removeprefix("invalid YAML: ")
        message = (
            f"front matter is not valid YAML ({message})"
            if message != exc.message
            else message
            if message.startswith("front matter")
            else f"front matter: {message}"
        )
        raise SpecError(
            message, path=path, line=exc.line or 2, fix=exc.fix or "e.g. alerts: [PaymentsApiDown]"
        ) from None
    meta = dict(doc.data) if isinstance(doc.data, dict) else {}
    for key in meta:
        near = difflib.get_close_matches(str(key), FRONT_MATTER_KEYS, n=1, cutoff=0.75)
        if str(key) not in FRONT_MATTER_KEYS and near:
            raise SpecError(
                f"front matter key {str(key)!r} is not known",
                path=path,
                line=doc.line(str(key)),
                fix=f"did you mean `{near[0]}`?",
            )
    alerts = meta.get("alerts", [])
    names = alerts if isinstance(alerts, list) else [alerts]
    if not all(isinstance(name, str) and name.strip() for name in names):
        raise SpecError(
            f"front matter `alerts` must be a list of alert names, not {_short(alerts)}",
            path=path,
            line=doc.line("alerts"),
            fix="e.g. alerts: [PaymentsApiDown]",
        )
    group = meta.get("contact_group")
    if group is not None and not (isinstance(group, str) and group.strip()):
        raise SpecError(
            f"front matter `contact_group` must be a contact group's name, not {_short(group)}",
            path=path,
            line=doc.line("contact_group"),
            fix="e.g. contact_group: payments-oncall",
        )
    return meta, "".join(lines[end + 1 :]), end + 1


def _short(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def parse_runbook(path: Path) -> Runbook:
    meta, body, offset = _front_matter(path, _read(path))
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
    return Runbook(
        path,
        title,
        tuple(map(str, alerts if isinstance(alerts, list) else [alerts])),
        str(group) if group else None,
        tuple(sections),
        tuple(steps),
    )


def load_runbooks(runbooks_dir: Path | None) -> list[Runbook]:
    """Every runbook of the folder, parsed (a broken one is a SpecError naming its file and line)."""
    if runbooks_dir is None or not runbooks_dir.is_dir():
        return []
    return [parse_runbook(path) for path in sorted(runbooks_dir.rglob("*.md"))]


def find_runbook(runbooks_dir: Path, root: Path, reference: str) -> Path | None:
    """The runbook file a drill names (`runbooks/x.md` or `x.md`), inside the runbooks folder, or None."""
    folder = runbooks_dir.resolve()
    candidates = [(root / reference).resolve(), (folder / reference).resolve()]
    return next((p for p in candidates if p.is_file() and folder in p.parents), None)


def runbook_index(runbooks_dir: Path) -> list[tuple[str, Path]]:
    """(path relative to the folder, file) of every runbook: list once, match many links against it."""
    folder = runbooks_dir.resolve()
    return [(p.relative_to(folder).as_posix(), p) for p in sorted(folder.rglob("*.md"))]


def runbook_for_url(runbooks_dir: Path, url: str, index: list[tuple[str, Path]] | None = None) -> Path | None:
    """The runbook a link points at: the longest runbook path (relative to the folder) the URL ends with."""
    path = urlsplit(url).path or url
    matches = [
        (relative, p)
        for relative, p in (runbook_index(runbooks_dir) if index is None else index)
        if path.endswith("/" + relative) or path == relative
    ]
    return max(matches, key=lambda m: m[0].count("/"), default=(None, None))[1]


def runbook_problem(runbooks_dir: Path, root: Path, reference: str) -> str | None:
    """What is wrong with the runbook a drill names (`runbooks/x.md` or `x.md`), or None."""
    found = find_runbook(runbooks_dir, root, reference)
    if found is None:
        return f"{reference} is not a runbook under {runbooks_dir.name}/: create it or fix the link"
    try:
        book = parse_runbook(found)
    except SpecError as exc:
        return exc.one_line()
    if not book.has_section("diagnose"):
        return f"{reference} has no `## Diagnose` section: add one with the steps that locate the fault"
    return None
