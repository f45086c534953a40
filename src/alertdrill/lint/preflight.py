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
    wanted = {drill_key(d) for d in drills}
    features = {settings.root / d.feature for d in drills} if wanted else set()
    blocked: dict[str, list[Finding]] = {}
    for finding in lint(settings, sorted(features)).findings:
        if finding.severity == ERROR and finding.drill in wanted:
            blocked.setdefault(finding.drill, []).append(finding)
    return blocked
