"""All checks over one repository: findings (sorted, each once), routes, budgets, coverage; text and JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from alertdrill.config import Settings
from alertdrill.lint.budgets import AlertPath, alert_paths, budget_findings
from alertdrill.lint.coverage import Coverage, coverage
from alertdrill.lint.findings import INFO, Finding
from alertdrill.lint.mission import Mission, load_mission, mission_findings
from alertdrill.lint.repository import Repository
from alertdrill.lint.routing_checks import drill_findings, reached, route_of, routing_findings
from alertdrill.lint.rule_checks import rule_findings
from alertdrill.lint.runbook_checks import runbook_findings, unlinked_runbooks
from alertdrill.lint.storm_checks import storm_findings
from alertdrill.lint.suppression_checks import suppression_findings
from alertdrill.spec.model import DrillSpec


@dataclass(frozen=True)
class LintReport:
    config: str
    drills: int
    findings: list[Finding]
    routes: dict[str, list[str]]  # alert -> receivers
    paths: dict[str, list[AlertPath]]  # alert -> one path per receiver, each with its route's timers
    coverage: Coverage
    unlinked_runbooks: list[str]
    mission: Mission = field(default_factory=Mission)
    rule_counts: tuple[int, int, int] = (0, 0, 0)  # rule files read, alerting rules, recording rules
    route_depends: dict[str, list[str]] = field(default_factory=dict)  # alert -> labels not known that its route needs

    @property
    def clean(self) -> bool:
        """No error and no warning (info findings are for people and never fail lint)."""
        return all(f.severity == INFO for f in self.findings)

    def to_dict(self) -> dict[str, object]:
        return {
            "config": self.config,
            "drills": self.drills,
            "clean": self.clean,
            "findings": [asdict(f) for f in self.findings],
            "routes": self.routes,
            "route_depends": self.route_depends,
            "budgets": {
                name: {**paths[0].to_dict(), "receivers": {p.receiver: p.to_dict() for p in paths}}
                for name, paths in self.paths.items()
            },
            "coverage": self.coverage.to_dict(),
            "unlinked_runbooks": self.unlinked_runbooks,
            "mission": self.mission.to_dict(),
            "rules": dict(zip(("files", "alerts", "records"), self.rule_counts, strict=True)),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def _depends(self, alert: str) -> str:
        names = self.route_depends.get(alert)
        return f" (depends on label{'s' if len(names) > 1 else ''} {', '.join(names)})" if names else ""

    def to_text(self) -> str:
        lines = [f.one_line() for f in self.findings]
        if self.routes:
            lines += ["", "Routes (from the alerts' labels: rule, scrape targets, external labels):"]
            lines += [
                f"  {alert} -> {', '.join(receivers) or '-'}{self._depends(alert)}"
                for alert, receivers in self.routes.items()
            ]
        if self.paths:
            lines += ["", "Alert path budgets (fault -> notification, fresh group):"]
            lines += [
                f"  {name}{f' -> {path.receiver}' if len(paths) > 1 else ''}: {path.arithmetic()}"
                for name, paths in self.paths.items()
                for path in paths
            ]
        files, alerts, records = self.rule_counts
        lines += [
            "",
            f"Rules read: {alerts} alerting and {records} recording rules in {files} file(s); mission: "
            f"alert {self.mission.alert_s:g} s, locate {self.mission.locate_s:g} s, "
            f"recover {self.mission.recover_s:g} s",
        ]
        cov = self.coverage
        lines += ["", f"Drill coverage: {cov.drilled} of {cov.alerts} alerts ({cov.percent:g}%)"]
        lines += [f"  {team}: {done} of {total}" for team, (done, total) in cov.per_team.items()]
        if cov.undrilled:
            lines.append(f"  no drill exercises: {', '.join(cov.undrilled)}")
        if self.unlinked_runbooks:
            lines += ["", f"Runbooks no alert links to: {', '.join(self.unlinked_runbooks)}"]
        count = len(self.findings)
        info = sum(f.severity == INFO for f in self.findings)
        said = f" ({info} for information only)" if info else ""
        lines += ["", f"{self.drills} drill(s) checked against {self.config}; {count or 'no'} finding(s){said}"]
        return "\n".join(lines).lstrip("\n")


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: dict[tuple[str, str, int, str], Finding] = {}
    for finding in findings:
        seen.setdefault((finding.rule, finding.path, finding.line, finding.message), finding)
    return sorted(seen.values(), key=lambda f: (f.path, f.line, f.rule))


def lint(
    settings: Settings, drill_paths: Iterable[Path] | None = None, drills: Sequence[DrillSpec] | None = None
) -> LintReport:
    repo = Repository.load(settings, drill_paths, drills)
    mission, invalid = load_mission(settings)
    findings = _dedupe(
        [
            *rule_findings(repo),
            *routing_findings(repo),
            *drill_findings(repo),
            *runbook_findings(repo),
            *budget_findings(repo),
            *suppression_findings(repo),
            *invalid,
            *mission_findings(repo, mission),
            *storm_findings(repo),
        ]
    )
    files = len(settings.rules) - len(repo.missing_rule_files)
    return LintReport(
        repo.show(settings.config_path),
        len(repo.drills),
        findings,
        {r.name: reached(repo, r.name) for r in repo.rules},
        alert_paths(repo),
        coverage(repo),
        unlinked_runbooks(repo),
        mission,
        (files, len(repo.rules), repo.records),
        _route_depends(repo),
    )


def _route_depends(repo: Repository) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for rule in repo.rules:
        if rule.name not in found and repo.rule(rule.name) is rule and (depends := route_of(repo, rule)[1]):
            found[rule.name] = list(depends)
    return found
