"""YAML files read strictly, with line numbers kept, so every error can name `file:line`.

Strict means: UTF-8 only; a duplicate key is an error (at the second key's line); aliases may not
expand a document by more than `ALIAS_BUDGET` nodes (a "billion laughs" is refused in milliseconds)
nor refer to themselves; the top level is a mapping (or empty); no value the loader cannot build
(an impossible date, a 5000-digit number) escapes as anything but a one-line `ConfigError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from alertdrill.errors import ConfigError

Key = tuple[str | int, ...]

MAX_BYTES = 16 * 1024 * 1024  # far above any real configuration or rule file
ALIAS_BUDGET = 10_000  # nodes that aliases may add to a document when expanded
MAX_DEPTH = 100  # nesting; PyYAML itself recurses, so a deeper file would end in RecursionError
MERGE_TAG = "tag:yaml.org,2002:merge"
UNREADABLE = "cannot read this value"


def _walk(node: yaml.Node, path: Key, lines: dict[Key, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            _walk(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


@dataclass(frozen=True)
class YamlDoc:
    path: Path
    data: object
    lines: dict[Key, int] = field(default_factory=dict)

    def line(self, *keys: str | int) -> int:
        """Line of the deepest known key along `keys` (1 when nothing matches)."""
        for end in range(len(keys), -1, -1):
            if keys[:end] in self.lines:
                return self.lines[keys[:end]]
        return 1

    def error(self, message: str, *keys: str | int, fix: str = "") -> ConfigError:
        return ConfigError(message, path=self.path, line=self.line(*keys), fix=fix)


class _Problem(Exception):
    """A strictness rule broken at a node: message, line, fix."""

    def __init__(self, message: str, node: yaml.Node, fix: str) -> None:
        super().__init__(message)
        self.message, self.line, self.fix = message, node.start_mark.line + 1, fix


class _Constructing:
    """Constructor errors (an impossible date, a huge number) carry the node's position."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> object:
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except (ValueError, OverflowError, TypeError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{UNREADABLE} ({_one_line(str(exc))[:120]})", node.start_mark
            ) from None


class _StrictLoader(_Constructing, yaml.SafeLoader):
    """SafeLoader that stops at `MAX_DEPTH` and whose constructor errors carry the node's position."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# libyaml composes ten times faster than PyYAML; its depth is bounded by `_depth_first_pass` beforehand.
_FastLoader: type | None = (
    type("_FastLoader", (_Constructing, yaml.CSafeLoader), {}) if hasattr(yaml, "CSafeLoader") else None
)


def _short(text: object) -> str:
    shown = repr(text)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _check_keys(node: yaml.MappingNode) -> None:
    seen: dict[tuple[str, object], int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == MERGE_TAG:
            continue
        ident = (key_node.tag, key_node.value)
        if ident in seen:
            raise _Problem(
                f"duplicate key {_short(key_node.value)} (first at line {seen[ident]})",
                key_node,
                "remove one of them: YAML keeps only the last, silently",
            )
        seen[ident] = key_node.start_mark.line + 1


def _check(node: yaml.Node) -> None:
    """Duplicate keys, self-referring aliases, depth and alias expansion, in time linear in the file."""
    sizes: dict[int, int] = {}  # expanded node count per node (aliases share node objects)
    distinct = 0

    def size(current: yaml.Node, depth: int, open_nodes: set[int]) -> int:
        nonlocal distinct
        ident = id(current)
        if ident in sizes:
            return sizes[ident]
        if ident in open_nodes:
            raise _Problem("an alias refers to the node that contains it", current, "remove the recursive alias")
        if depth > MAX_DEPTH:
            raise _Problem(f"nested deeper than {MAX_DEPTH} levels", current, "flatten the document")
        distinct += 1
        total = 1
        if isinstance(current, yaml.MappingNode | yaml.SequenceNode):
            if isinstance(current, yaml.MappingNode):
                _check_keys(current)
            open_nodes.add(ident)
            children = (
                [n for pair in current.value for n in pair]
                if isinstance(current, yaml.MappingNode)
                else list(current.value)
            )
            for child in children:
                total += size(child, depth + 1, open_nodes)
                if total - distinct > ALIAS_BUDGET:
                    raise _Problem(
                        f"aliases expand the document by more than {ALIAS_BUDGET} nodes",
                        child,
                        "write the values out instead of nesting aliases (a 'billion laughs' file?)",
                    )
            open_nodes.discard(ident)
        sizes[ident] = total
        return total

    size(node, 0, set())


def _decode(raw: bytes, path: Path, what: str) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{what} is not UTF-8 text (byte 0x{raw[exc.start]:02x})", path=path, line=line, fix="save it as UTF-8"
        ) from None
    return text


def _read(path: Path, what: str) -> str:
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{what} not found", path=path, fix="create it or fix the path that names it") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror or exc}", path=path) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(
            f"{what} is larger than {MAX_BYTES // (1024 * 1024)} MB", path=path, fix="is this the right file?"
        )
    return _decode(raw, path, what)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _yaml_error(exc: yaml.YAMLError, path: Path, text: str) -> ConfigError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = _one_line(exc.problem or exc.context or "invalid YAML")
        if "'\\t'" in problem or "\t" in _line_of(text, line):
            return ConfigError(
                f"invalid YAML: {problem}",
                path=path,
                line=line,
                fix="YAML does not allow tabs for indentation: indent with spaces",
            )
        if problem.startswith(UNREADABLE):
            return ConfigError(
                f"invalid YAML: {problem}", path=path, line=line, fix="quote it if it is meant as text, else correct it"
            )
        if "another document" in problem:
            return ConfigError(
                f"invalid YAML: {problem}", path=path, line=line, fix="one document per file: remove the extra `---`"
            )
        if "nested deeper" in problem or "nesting depth" in problem:
            return ConfigError(f"invalid YAML: {problem}", path=path, line=line, fix="flatten the document")
        return ConfigError(f"invalid YAML: {problem}", path=path, line=line, fix="check indentation and quoting")
    if isinstance(exc, yaml.reader.ReaderError):
        line = text[: exc.position].count("\n") + 1
        code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
        return ConfigError(
            f"invalid YAML: control character U+{code:04X} is not allowed",
            path=path,
            line=line,
            fix='remove it, or quote it as an escape such as "\\x07"',
        )
    return ConfigError(f"invalid YAML: {_one_line(str(exc))}", path=path)


def _line_of(text: str, line: int | None) -> str:
    lines = text.splitlines()
    return lines[line - 1] if line and 0 < line <= len(lines) else ""


def _depth_first_pass(text: str, path: Path) -> None:
    """Refuse deep nesting with libyaml's fast parser first: PyYAML's scanner is quadratic in it."""
    parser = getattr(yaml, "CSafeLoader", None)
    if parser is None:
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=parser):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ConfigError(
                        f"invalid YAML: nested deeper than {MAX_DEPTH} levels",
                        path=path,
                        line=event.start_mark.line + 1 if event.start_mark else None,
                        fix="flatten the document",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, path, text) from None


def _compose(text: str, path: Path) -> tuple[yaml.Node | None, object]:
    _depth_first_pass(text, path)
    loader: yaml.SafeLoader | None = None
    try:
        loader = (_FastLoader or _StrictLoader)(text)
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check(node)
        return node, loader.construct_document(node)
    except _Problem as problem:
        raise ConfigError(problem.message, path=path, line=problem.line, fix=problem.fix) from None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, path, text) from None
    except RecursionError:
        raise ConfigError(
            f"invalid YAML: nested deeper than {MAX_DEPTH} levels", path=path, fix="flatten the document"
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


def load_yaml(path: Path, *, what: str = "file") -> YamlDoc:
    """The document (a mapping, or None when empty) with the line of every key; else one ConfigError."""
    return parse_yaml(_read(path, what), path, what=what)


def parse_yaml(text: str, path: Path, *, what: str = "file") -> YamlDoc:
    """`load_yaml` for text already read (e.g. a Markdown file's front matter, padded with blank lines
    so that line numbers are the file's): the same strictness, the same one-line `ConfigError`."""
    node, data = _compose(text, path)
    if node is not None and not isinstance(node, yaml.MappingNode):
        kind = "a list" if isinstance(node, yaml.SequenceNode) else f"the single value {_short(data)}"
        raise ConfigError(
            f"{what} must be a mapping of `key: value` lines, not {kind}",
            path=path,
            line=node.start_mark.line + 1,
            fix="start with a top-level key",
        )
    lines: dict[Key, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return YamlDoc(path, data, lines)
