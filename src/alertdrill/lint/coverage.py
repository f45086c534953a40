"""Drill coverage: which alerts no drill exercises, overall and per contact group (team)."""

from __future__ import annotations

from dataclasses import dataclass, field

from alertdrill.lint.repository import Repository
from alertdrill.lint.routing_checks import reached


@dataclass(frozen=True)
class Coverage:
    alerts: int
    drilled: int
    undrilled: list[str]
    per_team: dict[str, tuple[int, int]] = field(default_factory=dict)  # contact group -> (drilled, alerts)

    @property
    def percent(self) -> float:
        return round(100.0 * self.drilled / self.alerts, 1) if self.alerts else 100.0

    def to_dict(self) -> dict[str, object]:
        return {
            "alerts": self.alerts,
            "drilled": self.drilled,
            "percent": self.percent,
            "undrilled": self.undrilled,
            "per_team": {
                team: {"drilled": d, "alerts": a, "percent": round(100.0 * d / a, 1)}
                for team, (d, a) in self.per_team.items()
            },
        }


def coverage(repo: Repository) -> Coverage:
    drilled = {alert for d in repo.drills for alert in d.named_alerts}
    names = [r.name for r in repo.rules]
    per_team: dict[str, tuple[int, int]] = {}
    for name in names:
        teams = {repo.groups.group_of(r) if repo.groups else None for r in reached(repo, name)} - {None}
        for team in sorted(t for t in teams if t) or ["(no contact group)"]:
            done, total = per_team.get(team, (0, 0))
            per_team[team] = (done + (name in drilled), total + 1)
    return Coverage(
        len(names),
        sum(n in drilled for n in names),
        [n for n in names if n not in drilled],
        dict(sorted(per_team.items())),
    )
