"""All checks over one repository: findings (sorted, each once), routes, budgets, coverage; text and JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from alertdrill.config import Settings
from alertdrill.lint.budgets import AlertPath, alert_paths, budget_findings
from alertdrill.lint.coverage import Coverage, coverage
from alertdrill.lint.findings import Finding
from alertdrill.lint.repository import Repository
from alertdrill.lint.routing_checks import drill_findings, reached, routing_findings
from alertdrill.lint.rule_checks import rule_findings
from alertdrill.lint.runbook_checks import runbook_findings, unlinked_runbooks
from alertdrill.spec.model import DrillSpec


@dataclass(frozen=True)
class LintReport:
    config: str
    drills: int
    findings: list[Finding]
    routes: dict[str, list[str]]  # alert -> receivers
    paths: dict[str, AlertPath]
    coverage: Coverage
    unlinked_runbooks: list[str]

    @property
    def clean(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, object]:
        return {"config": self.config, "drills": self.drills, "clean": self.clean,
                "findings": [asdict(f) for f in self.findings], "routes": self.routes,
                "budgets": {name: path.to_dict() for name, path in self.paths.items()},
                "coverage": self.coverage.to_dict(), "unlinked_runbooks": self.unlinked_runbooks}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        lines = [f.one_line() for f in self.findings]
        if self.routes:
            lines += ["", "Routes (from the rules' labels):"]
            lines += [f"  {alert} -> {', '.join(receivers) or '-'}" for alert, receivers in self.routes.items()]
        if self.paths:
            lines += ["", "Alert path budgets (fault -> notification, fresh group):"]
            lines += [f"  {name}: {path.arithmetic()}" for name, path in self.paths.items()]
        cov = self.coverage
        lines += ["", f"Drill coverage: {cov.drilled} of {cov.alerts} alerts ({cov.percent:g}%)"]
        lines += [f"  {team}: {done} of {total}" for team, (done, total) in cov.per_team.items()]
        if cov.undrilled:
            lines.append(f"  no drill exercises: {', '.join(cov.undrilled)}")
        if self.unlinked_runbooks:
            lines += ["", f"Runbooks no alert links to: {', '.join(self.unlinked_runbooks)}"]
        count = len(self.findings)
        lines += ["", f"{self.drills} drill(s) checked against {self.config}; {count or 'no'} finding(s)"]
        return "\n".join(lines).lstrip("\n")


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: dict[tuple[str, str, int, str], Finding] = {}
    for finding in findings:
        seen.setdefault((finding.rule, finding.path, finding.line, finding.message), finding)
    return sorted(seen.values(), key=lambda f: (f.path, f.line, f.rule))


def lint(settings: Settings, drill_paths: Iterable[Path] | None = None,
         drills: Sequence[DrillSpec] | None = None) -> LintReport:
    repo = Repository.load(settings, drill_paths, drills)
    paths = alert_paths(repo)
    findings = _dedupe([*rule_findings(repo), *routing_findings(repo), *drill_findings(repo),
                        *runbook_findings(repo), *budget_findings(repo, paths)])
    return LintReport(repo.show(settings.config_path), len(repo.drills), findings,
                      {r.name: reached(repo, r.name) for r in repo.rules}, paths, coverage(repo),
                      unlinked_runbooks(repo))
