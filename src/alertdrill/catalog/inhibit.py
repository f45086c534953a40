"""Alertmanager inhibit rules, read with their lines (for lint's storm checks)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from alertdrill.catalog.routes import Matcher, parse_matchers
from alertdrill.yamlfile import YamlDoc, load_yaml


@dataclass(frozen=True)
class InhibitRule:
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]
    line: int

    def inhibits(self, source: Mapping[str, str], target: Mapping[str, str]) -> bool:
        """Would an alert with labels `source` inhibit one with labels `target` (when `equal` agrees)?"""
        return all(m.matches(source) for m in self.source) and all(m.matches(target) for m in self.target)


def _matchers(doc: YamlDoc, raw: Mapping[str, object], side: str, keys: tuple[str | int, ...]) -> tuple[Matcher, ...]:
    """`<side>_matchers` plus the legacy `<side>_match` / `<side>_match_re`."""
    found: list[Matcher] = []
    legacy = (("match", "="), ("match_re", "=~"))
    for suffix, op in legacy:
        values = raw.get(f"{side}_{suffix}") or {}
        if isinstance(values, Mapping):
            found += [Matcher(str(k), op, str(v)) for k, v in values.items()]
    texts = raw.get(f"{side}_matchers") or []
    for index, text in enumerate(texts if isinstance(texts, list) else []):
        try:
            found += parse_matchers(str(text))
        except ValueError as exc:
            raise doc.error(str(exc), *keys, f"{side}_matchers", index) from None
    return tuple(found)


def load_inhibit_rules(path: Path) -> list[InhibitRule]:
    doc = load_yaml(path, what="Alertmanager configuration")
    data = doc.data if isinstance(doc.data, Mapping) else {}
    rules = data.get("inhibit_rules") or []
    found = []
    for index, raw in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(raw, Mapping):
            continue
        keys = ("inhibit_rules", index)
        equal = raw.get("equal") or []
        found.append(
            InhibitRule(
                _matchers(doc, raw, "source", keys),
                _matchers(doc, raw, "target", keys),
                tuple(str(e) for e in equal) if isinstance(equal, list) else (),
                doc.line(*keys),
            )
        )
    return found
