"""Prometheus relabelling (`relabel_configs`, `metric_relabel_configs`, `alert_relabel_configs`) followed
over partial knowledge: where every label a step reads is known, the step is computed as Prometheus
does (anchored RE2-style regex, Go's `$1`/`${name}` expansion, an empty result removes the label);
where one is not, the label the step writes becomes "not known here" instead of a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alertdrill.catalog.label_flow import Labels

_EXPAND = re.compile(r"\$(\$|\{(\w+)\}|(\w+))")
LABEL_ACTIONS = frozenset({"labeldrop", "labelkeep", "labelmap"})


@dataclass(frozen=True)
class Relabel:
    action: str = "replace"
    source_labels: tuple[str, ...] = ()
    separator: str = ";"
    regex: str = "(.*)"
    replacement: str = "$1"
    target_label: str = ""
    where: str = ""  # file:line, for messages

    @classmethod
    def read(cls, raw: Mapping[str, object], where: str) -> Relabel:
        sources = raw.get("source_labels") or []
        return cls(
            str(raw.get("action") or "replace").lower(),
            tuple(map(str, sources if isinstance(sources, list) else [])),
            str(raw.get("separator", ";")),
            str(raw.get("regex", "(.*)")),
            str(raw.get("replacement", "$1")),
            str(raw.get("target_label") or ""),
            where,
        )

    def compiled(self) -> re.Pattern[str] | None:
        try:
            return re.compile(f"(?:{self.regex})", re.DOTALL)
        except re.error:
            return None


def expand(template: str, found: re.Match[str]) -> str:
    """Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; an unknown group is empty."""

    def one(ref: re.Match[str]) -> str:
        if ref.group(1) == "$":
            return "$"
        name = ref.group(2) or ref.group(3)
        try:
            return found.group(int(name) if name.isdigit() else name) or ""
        except IndexError:  # no such group
            return ""

    return _EXPAND.sub(one, template)


def _joined(labels: Labels, step: Relabel) -> str | None:
    values = [labels.value(name) for name in step.source_labels]
    return None if any(v is None for v in values) else step.separator.join(v or "" for v in values)


def apply(labels: Labels, steps: Sequence[Relabel]) -> Labels | None:
    """The labels after `steps`; None when a step surely drops the target (or series, or alert)."""
    current: Labels | None = labels
    for step in steps:
        if current is None:
            return None
        current = _step(current, step)
    return current


def _step(labels: Labels, step: Relabel) -> Labels | None:
    pattern = step.compiled()
    if step.action in LABEL_ACTIONS:
        return _names(labels, step, pattern)
    value = _joined(labels, step)
    doubt = f"relabelling at {step.where}"
    if step.action in ("keep", "drop"):
        if value is None or pattern is None:
            return labels  # perhaps kept: what it keeps is the same either way
        kept = (pattern.fullmatch(value) is not None) == (step.action == "keep")
        return labels if kept else None
    if step.action not in ("replace", "lowercase", "uppercase", "hashmod") or not step.target_label:
        return labels  # keepequal, dropequal and the like: kept as they are
    if "$" in step.target_label and step.action == "replace":
        return Labels(labels.known, labels.unknown, True, labels.dropped, labels.sources)  # a name not known here
    if value is None or pattern is None or step.action == "hashmod":
        return labels.with_unknown([step.target_label], doubt)
    if step.action != "replace":
        changed = value.lower() if step.action == "lowercase" else value.upper()
        return labels.setting(step.target_label, changed, doubt)
    found = pattern.fullmatch(value)
    if found is None:
        return labels
    result = expand(step.replacement, found)
    return labels.setting(step.target_label, result, doubt)


def _names(labels: Labels, step: Relabel, pattern: re.Pattern[str] | None) -> Labels:
    if pattern is None:
        return labels
    names = [*labels.known, *labels.unknown]
    if step.action == "labeldrop":
        return labels.without(n for n in names if pattern.fullmatch(n))
    if step.action == "labelkeep":
        return labels.without(n for n in names if not pattern.fullmatch(n))
    doubt = f"labelmap at {step.where}"
    for name in names:
        found = pattern.fullmatch(name)
        if found is not None:
            target = expand(step.replacement, found)
            labels = labels.setting(target, labels.value(name), doubt)
    return labels
