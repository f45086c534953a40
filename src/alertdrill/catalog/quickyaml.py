"""Rule files read at libyaml's speed, with the strict reader's answers.

A public rule collection is a hundred files and thousands of lines; PyYAML's pure-Python scanner takes
seconds over it. An ordinary file (no aliases, nesting within bounds, no duplicate keys, one document)
is read here with libyaml (C); anything unusual, and every error, goes to `yamlfile.load_yaml`, so the
strictness and the messages stay those of the one strict reader.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from alertdrill.yamlfile import MAX_BYTES, MAX_DEPTH, Key, YamlDoc, load_yaml

_FAST: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def _ordinary(text: str) -> bool:
    """No alias and no nesting deeper than the strict reader allows (libyaml's event stream, no recursion)."""
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


def _lines(node: yaml.Node, lines: dict[Key, int]) -> bool:
    """The line of every key and item (as `yamlfile` records them); False at a duplicate key."""
    stack: list[tuple[yaml.Node, Key]] = [(node, ())]
    while stack:
        current, path = stack.pop()
        lines.setdefault(path, current.start_mark.line + 1)
        if isinstance(current, yaml.MappingNode):
            seen: set[tuple[str, object]] = set()
            for key_node, value_node in current.value:
                ident = (key_node.tag, key_node.value)
                if ident in seen:
                    return False
                seen.add(ident)
                key = (*path, str(key_node.value))
                lines[key] = key_node.start_mark.line + 1
                stack.append((value_node, key))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(current.value))
    return True


def _quick(path: Path) -> YamlDoc | None:
    raw = path.read_bytes()
    if len(raw) > MAX_BYTES:
        return None
    text = raw.decode("utf-8-sig")
    if not _ordinary(text):
        return None
    assert _FAST is not None
    loader = _FAST(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(path, None, {})
        lines: dict[Key, int] = {}
        if not isinstance(node, yaml.MappingNode) or not _lines(node, lines):
            return None
        return YamlDoc(path, loader.construct_document(node), lines)
    finally:
        loader.dispose()


def load_yaml_quickly(path: Path, *, what: str = "file") -> YamlDoc:
    """`load_yaml(path)`'s document and lines; libyaml for ordinary files, the strict reader otherwise."""
    if _FAST is not None:
        try:
            found = _quick(path)
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, OverflowError, TypeError,
                RecursionError):
            found = None
        if found is not None:
            return found
    return load_yaml(path, what=what)
