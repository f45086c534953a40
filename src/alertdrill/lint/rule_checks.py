"""Alerting rules: valid (promtool where installed), and each alert carries what routing and people need."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from alertdrill.lint.findings import ERROR, Finding
from alertdrill.lint.repository import Repository

PROMTOOL_TIMEOUT_S = 30
_PROMTOOL_LINE = re.compile(r"^(?P<file>[^:]+): (?:(?P<line>\d+):\d+: )?(?P<message>.+)$")


def promtool_findings(repo: Repository, paths: list[Path]) -> list[Finding]:
    """`promtool check rules`, one finding per problem it prints; nothing when promtool is missing."""
    promtool = shutil.which("promtool")
    if promtool is None or not paths:
        return []
    found = []
    for path in paths:
        done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True,
                              timeout=PROMTOOL_TIMEOUT_S, check=False)
        if done.returncode == 0:
            continue
        matches = [m for line in done.stderr.splitlines() if (m := _PROMTOOL_LINE.match(line.strip()))]
        problems = [(int(m.group("line") or 1), m.group("message")) for m in matches]
        for line, message in problems or [(1, done.stderr.strip() or "promtool rejected the file")]:
            found.append(Finding("rules/invalid", ERROR, repo.show(path), line, f"promtool: {message}",
                                 "correct the rule so that `promtool check rules` accepts it"))
    return found


def rule_findings(repo: Repository) -> list[Finding]:
    existing = [p for p in repo.settings.rules if p.exists()]
    found = promtool_findings(repo, existing)
    rejected = {f.path for f in found}
    config = repo.show(repo.settings.config_path)
    for path in repo.missing_rule_files:
        found.append(Finding("rules/missing-file", ERROR, config, 1, f"rule file {repo.show(path)} does not exist",
                             "fix the `rules:` list in the configuration"))
    for problem in repo.broken:
        if problem.path is not None and repo.show(problem.path) in rejected:
            continue  # promtool already said it, with its own words
        kind = "drills/invalid" if str(problem.path).endswith(".feature") else "files/unreadable"
        found.append(Finding(kind, ERROR, repo.show(problem.path or config), problem.line or 1,
                             problem.message, problem.fix or "correct the file"))
    routing = repo.routes.routing_labels() - {"severity"} if repo.routes else set()
    for rule in repo.rules:
        where = repo.show(rule.path)
        if not rule.annotations.get("runbook_url"):
            found.append(Finding("rules/runbook-url", ERROR, where, rule.line,
                                 f"{rule.name} has no runbook_url annotation",
                                 f"add `runbook_url: .../runbooks/<name>.md` under {rule.name}'s annotations",
                                 alert=rule.name))
        if not rule.labels.get("severity"):
            found.append(Finding("rules/severity", ERROR, where, rule.line, f"{rule.name} has no severity label",
                                 "add e.g. `severity: page` under its labels", alert=rule.name))
        if routing and not routing & set(rule.labels):
            found.append(Finding("rules/routing-label", ERROR, where, rule.line,
                                 f"{rule.name} carries none of the labels the routes match on "
                                 f"({', '.join(sorted(routing))}), so it only reaches the default receiver",
                                 f"add e.g. `{sorted(routing)[0]}: <team>` under its labels", alert=rule.name))
    return found
