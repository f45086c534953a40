"""Preflight: the lint findings that stop a drill before its fault is injected."""

from __future__ import annotations

from collections.abc import Iterable

from alertdrill.config import Settings
from alertdrill.lint.findings import ERROR, Finding
from alertdrill.lint.report import lint
from alertdrill.lint.repository import drill_key
from alertdrill.spec.model import DrillSpec


def preflight(settings: Settings, drills: Iterable[DrillSpec]) -> dict[str, list[Finding]]:
    """drill key -> its blocking findings (only drills that have some)."""
    chosen = list(drills)
    wanted = {drill_key(d) for d in chosen}
    blocked: dict[str, list[Finding]] = {}
    if not wanted:
        return blocked
    for finding in lint(settings, drills=chosen).findings:
        if finding.severity == ERROR and finding.drill in wanted:
            blocked.setdefault(finding.drill, []).append(finding)
    return blocked
