"""Rule files read at libyaml's speed, with the strict reader's answers.

A public rule collection is a hundred files and thousands of lines; PyYAML's pure-Python scanner takes
seconds over it. An ordinary file (no aliases, nesting within bounds, no duplicate keys, one document)
is read here with libyaml (C); anything unusual, and every error, goes to `yamlfile.load_yaml`, so the
strictness and the messages stay those of the one strict reader.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from alertdrill.yamlfile import MAX_BYTES, MAX_DEPTH, MERGE_TAG, Key, YamlDoc, load_yaml

_FAST: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)
_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


def _libyaml_limits_nesting() -> bool:
    """libyaml from 0.2.6 refuses nesting deeper than 1000 itself: its recursive composer cannot overflow."""
    try:
        from yaml import _yaml

        return bool(_yaml.get_version() >= (0, 2, 6))
    except (ImportError, AttributeError):
        return False


_SAFE_DEPTH = _FAST is not None and _libyaml_limits_nesting()


def _ordinary(text: str) -> bool:
    """No alias and no nesting deeper than the strict reader allows (libyaml's event stream, no recursion);
    needed only before a libyaml that does not limit nesting itself."""
    depth = 0
    assert _FAST is not None
    for event in yaml.parse(text, Loader=_FAST):
        if isinstance(event, yaml.AliasEvent):
            return False
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return True


class _Unusual(Exception):
    """Something the strict reader should judge (a duplicate key, a merge key, a custom tag)."""


def _build(node: yaml.Node, path: Key, lines: dict[Key, int], loader: yaml.CSafeLoader, seen: set[int]) -> object:
    """The node's value (as SafeLoader constructs it) and the line of every key and item (as `yamlfile`
    records them). Plain strings, the bulk of a rule file, are taken as they are. A collection met twice
    (an alias) or nested deeper than `MAX_DEPTH` is left to the strict reader."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        return node.value if node.tag == _STR else loader.construct_object(node)
    if id(node) in seen or len(path) > MAX_DEPTH:
        raise _Unusual
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
        return [_build(item, (*path, index), lines, loader, seen) for index, item in enumerate(node.value)]
    if not isinstance(node, yaml.MappingNode) or node.tag != _MAP:
        raise _Unusual
    data: dict[object, object] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == MERGE_TAG:
            raise _Unusual
        key = key_node.value if key_node.tag == _STR else loader.construct_object(key_node)
        if key in data:
            raise _Unusual
        where = (*path, str(key_node.value))
        lines[where] = key_node.start_mark.line + 1
        data[key] = _build(value_node, where, lines, loader, seen)
    return data


def _quick(path: Path) -> YamlDoc | None:
    raw = path.read_bytes()
    if len(raw) > MAX_BYTES:
        return None
    text = raw.decode("utf-8-sig")
    if not _SAFE_DEPTH and not _ordinary(text):
        return None
    assert _FAST is not None
    loader = _FAST(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(path, None, {})
        if not isinstance(node, yaml.MappingNode):
            return None
        lines: dict[Key, int] = {}
        return YamlDoc(path, _build(node, (), lines, loader, set()), lines)
    except _Unusual:
        return None
    finally:
        loader.dispose()


def load_yaml_quickly(path: Path, *, what: str = "file") -> YamlDoc:
    """`load_yaml(path)`'s document and lines; libyaml for ordinary files, the strict reader otherwise."""
    if _FAST is not None:
        try:
            found = _quick(path)
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, OverflowError, TypeError, RecursionError):
            found = None
        if found is not None:
            return found
    return load_yaml(path, what=what)
