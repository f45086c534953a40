"""The mission as a policy: `mission: {alert: 1 minute, locate: 5 minutes, recover: 10 minutes}`.

Read from the configuration file (defaults 1-5-10 when absent). Two kinds of finding, both warnings:
a drill step whose own budget is looser than the mission's phase of the same name (`fires within` ->
alert, `locates the fault` -> locate, `recovers` -> recover); and, as ONE summary, the alerts whose
path can never notify within the mission's alert time (people are alerted when notified: the floor,
for + group_wait of each receiver's own route, is above it). A drill's own infeasible budget stays
an error of `budgets` (preflight stops that drill).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from alertdrill.config import Settings
from alertdrill.durations import parse_duration
from alertdrill.errors import ConfigError
from alertdrill.lint.budgets import rule_paths
from alertdrill.lint.findings import ERROR, WARNING, Finding
from alertdrill.lint.repository import Repository
from alertdrill.spec.model import AlertFires, AlertsFire, LocatesFault, Recovers
from alertdrill.yamlfile import load_yaml

PHASES = ("alert", "locate", "recover")
DEFAULTS = {"alert": 60.0, "locate": 300.0, "recover": 600.0}


@dataclass(frozen=True)
class Mission:
    alert_s: float = DEFAULTS["alert"]
    locate_s: float = DEFAULTS["locate"]
    recover_s: float = DEFAULTS["recover"]
    line: int = 1  # of `mission:` in the configuration (1 when it is not there)

    def budget(self, phase: str) -> float:
        return {"alert": self.alert_s, "locate": self.locate_s, "recover": self.recover_s}[phase]

    def to_dict(self) -> dict[str, float]:
        return {f"{phase}_s": self.budget(phase) for phase in PHASES}


def said(seconds: float) -> str:
    """`1 minute`, `90 seconds`, `10 minutes`, `1 hour`: a budget the way people write it."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds / size
            return f"{count:g} {unit}{'s' if count != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"


def load_mission(settings: Settings) -> tuple[Mission, list[Finding]]:
    """The configured mission (defaults for what is absent) and the problems of its `mission:` key."""
    path = settings.config_path
    try:
        doc = load_yaml(path, what="configuration file") if path.is_file() else None
    except ConfigError:
        return Mission(), []  # the configuration's own reader reports it
    raw = doc.data.get("mission") if doc is not None and isinstance(doc.data, Mapping) else None
    if doc is None or raw is None:
        return Mission(), []
    shown, line = path.name, doc.line("mission")
    if not isinstance(raw, Mapping):
        return Mission(line=line), [
            Finding(
                "mission/invalid",
                ERROR,
                shown,
                line,
                "mission must be a mapping",
                "e.g. mission: {alert: 1 minute, locate: 5 minutes, recover: 10 minutes}",
            )
        ]
    values, found = dict(DEFAULTS), []
    for key, value in raw.items():
        if key not in DEFAULTS:
            found.append(
                Finding(
                    "mission/invalid",
                    ERROR,
                    shown,
                    doc.line("mission", str(key)),
                    f"mission has no phase {key!r}",
                    f"use {', '.join(PHASES)}",
                )
            )
            continue
        try:
            values[key] = parse_duration(str(value))
        except ValueError as exc:
            found.append(
                Finding(
                    "mission/invalid",
                    ERROR,
                    shown,
                    doc.line("mission", key),
                    f"mission.{key}: {exc}",
                    f"e.g. {key}: {said(DEFAULTS[key])}",
                )
            )
    return Mission(values["alert"], values["locate"], values["recover"], line), found


def _phase(step: object) -> str | None:
    """The mission phase a step's budget is held to: by phase name (the notify step is not a mission phase)."""
    if isinstance(step, AlertFires | AlertsFire):
        return "alert"
    return "locate" if isinstance(step, LocatesFault) else "recover" if isinstance(step, Recovers) else None


def drill_budget_findings(repo: Repository, mission: Mission) -> list[Finding]:
    """A drill that allows more than the mission: a warning (the drill still runs)."""
    found = []
    for drill in repo.drills:
        for step in drill.steps:
            phase = _phase(step)
            budget = getattr(step, "budget_s", None)
            if phase is None or budget is None or budget <= mission.budget(phase):
                continue
            found.append(
                Finding(
                    "mission/looser-budget",
                    WARNING,
                    drill.feature,
                    getattr(step, "line", 1),
                    f"the drill allows {said(budget)} to {phase}, more than the mission's "
                    f"{said(mission.budget(phase))}",
                    f"tighten the step to {said(mission.budget(phase))}, or change `mission:` in "
                    f"{repo.show(repo.settings.config_path)}",
                    alert=drill.alert,
                )
            )
    return found


def unreachable(repo: Repository, mission: Mission) -> dict[str, str]:
    """Alert -> why it can never notify within the mission (its floor per late receiver)."""
    late: dict[str, str] = {}
    for rule in repo.rules:
        paths = rule_paths(repo, rule)
        slow = [p for p in paths if p.notify_floor_s > mission.alert_s]
        if slow and rule.name not in late:
            receivers = "" if len(slow) == len(paths) else f" via {', '.join(p.receiver for p in slow)}"
            late[rule.name] = f"{rule.name}{receivers} ({max(p.notify_floor_s for p in slow):g} s)"
    return late


def mission_findings(repo: Repository, mission: Mission) -> list[Finding]:
    found = drill_budget_findings(repo, mission)
    late = unreachable(repo, mission)
    if late:
        found.append(
            Finding(
                "mission/unreachable",
                WARNING,
                repo.show(repo.settings.config_path),
                mission.line,
                f"{len(late)} of {len({r.name for r in repo.rules})} alerts can never notify within the mission's "
                f"{said(mission.alert_s)} (floor = for + group_wait above it): {', '.join(late.values())}",
                "shorten `for` or group_wait where the mission applies (a drill profile may copy rules with a "
                "shorter `for`), or set `mission:` to what these alerts promise",
            )
        )
    return found
