"""YAML files read with line numbers kept, so every error can name `file:line`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from alertdrill.errors import ConfigError

Key = tuple[str | int, ...]


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


def load_yaml(path: Path, *, what: str = "file") -> YamlDoc:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} not found", path=path, fix="create it or fix the path that names it") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror}", path=path) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", path=path, line=line,
                          fix="check indentation and quoting") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path=path) from None
    lines: dict[Key, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return YamlDoc(path, data, lines)
