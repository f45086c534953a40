"""Alertmanager's inhibit rules (`inhibit_rules:`), parsed and evaluated as Alertmanager does
(`inhibit/inhibit.go`).

A target alert (one matching a rule's target matchers) is inhibited by an unresolved source alert
(matching the rule's source matchers) that carries the same values of the rule's `equal` labels (a
missing label is ""). When the target matches the source matchers too, a source that also matches the
target matchers does not inhibit it (a rule never lets two-sided alerts inhibit each other). Rules are
tried in order; the first that inhibits names the cause. Legacy `source_match`/`source_match_re` and
`target_match`/`target_match_re` maps are read as `=` / `=~` matchers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alertdrill.catalog.matchers import Matcher, parse_matchers


@dataclass(frozen=True)
class InhibitRule:
    index: int  # its place in `inhibit_rules` (what `inhibit_rules[i]` names)
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...] = ()
    line: int = 0
    name: str = ""

    def targets(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.target)

    def sources(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.source)

    def equal_in(self, source: Mapping[str, str], target: Mapping[str, str]) -> bool:
        return all(source.get(name, "") == target.get(name, "") for name in self.equal)

    def inhibits(self, source: Mapping[str, str], target: Mapping[str, str]) -> bool:
        """Would `source` (unresolved) inhibit `target` through this rule?"""
        if not (self.targets(target) and self.sources(source) and self.equal_in(source, target)):
            return False
        return not (self.sources(target) and self.targets(source))

    def __str__(self) -> str:
        named = f" ({self.name})" if self.name else ""
        return f"inhibit_rules[{self.index}]{named}"


@dataclass(frozen=True)
class ActiveAlert:
    labels: Mapping[str, str]
    resolved: bool = False  # its endsAt has passed: it inhibits nothing

    def describe(self) -> str:
        return describe(self.labels)


def describe(labels: Mapping[str, str]) -> str:
    """`NodeDown{cluster="eu-1", severity="critical"}`: an alert's name and its other labels."""
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "alertname")
    return f"{labels.get('alertname', '?')}{{{rest}}}"


@dataclass(frozen=True)
class Inhibition:
    rule: InhibitRule
    source: ActiveAlert

    def __str__(self) -> str:
        return f"inhibited by {self.source.describe()} through {self.rule}"


def inhibition(
    rules: Sequence[InhibitRule], target: Mapping[str, str], alerts: Sequence[ActiveAlert]
) -> Inhibition | None:
    """The first rule and source alert that inhibit `target` among `alerts`, or None."""
    for rule in rules:
        if not rule.targets(target):
            continue
        for alert in alerts:
            if not alert.resolved and dict(alert.labels) != dict(target) and rule.inhibits(alert.labels, target):
                return Inhibition(rule, alert)
    return None


def explain(rules: Sequence[InhibitRule], target: Mapping[str, str], source: Mapping[str, str]) -> InhibitRule | None:
    """Which rule lets `source` inhibit `target` (Alertmanager reports only the source's fingerprint)."""
    return next((rule for rule in rules if rule.inhibits(source, target)), None)


def _pairs(raw: object) -> list[tuple[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise ValueError("source_match / target_match must map label names to values")
    return [(str(k), str(v)) for k, v in raw.items()]


def _matchers(raw: Mapping[str, object], side: str) -> tuple[Matcher, ...]:
    found = [Matcher(k, "=", v) for k, v in _pairs(raw.get(f"{side}_match"))]
    found += [Matcher(k, "=~", v) for k, v in _pairs(raw.get(f"{side}_match_re"))]
    texts = raw.get(f"{side}_matchers") or []
    for text in texts if isinstance(texts, list) else [texts]:
        found += parse_matchers(str(text))
    return tuple(found)


def parse_rule(index: int, raw: object, line: int = 0) -> InhibitRule:
    """One entry of `inhibit_rules`; ValueError names what is wrong."""
    if not isinstance(raw, Mapping):
        raise ValueError("an inhibit rule must be a mapping")
    equal = raw.get("equal") or []
    if not isinstance(equal, list):
        raise ValueError("equal must be a list of label names")
    return InhibitRule(
        index,
        _matchers(raw, "source"),
        _matchers(raw, "target"),
        tuple(str(name) for name in equal),
        line,
        str(raw.get("name") or ""),
    )
