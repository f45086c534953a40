"""Preflight: the lint findings that stop a drill before its fault is injected."""

from __future__ import annotations

from collections.abc import Iterable

from alertdrill.config import Settings
from alertdrill.lint.findings import ERROR, Finding
from alertdrill.lint.report import lint
from alertdrill.lint.repository import drill_key
from alertdrill.spec.model import DrillSpec


def preflight(settings: Settings, drills: Iterable[DrillSpec]) -> dict[str, list[Finding]]:
    """drill key -> its blocking findings (only drills that have some): every lint error about the drill,
    the alert it drills or the contact group it expects (the same as `alertdrill lint` says for it)."""
    chosen = list(drills)
    wanted = {drill_key(d) for d in chosen}
    blocked: dict[str, list[Finding]] = {}
    if not wanted:
        return blocked
    by_alert: dict[str, list[str]] = {}
    by_group: dict[str, list[str]] = {}
    for drill in chosen:
        if drill.alert:
            by_alert.setdefault(drill.alert, []).append(drill_key(drill))
        if drill.contact_group:
            by_group.setdefault(drill.contact_group, []).append(drill_key(drill))
    for finding in lint(settings, drills=chosen).findings:
        if finding.severity != ERROR:
            continue
        # A finding about the drill itself, the alert it drills (its rule, route, runbook link, budget)
        # or the contact group it expects.
        keys = (
            [finding.drill]
            if finding.drill in wanted
            else by_alert.get(finding.alert or "", []) + by_group.get(finding.contact_group or "", [])
        )
        for key in keys:
            if finding not in blocked.get(key, []):
                blocked.setdefault(key, []).append(finding)
    return blocked
