"""Runbooks: every alert's link resolves, every runbook can locate a fault, and drills name real ones."""

from __future__ import annotations

from alertdrill.catalog.runbooks import find_runbook, runbook_for_url
from alertdrill.lint.findings import ERROR, Finding
from alertdrill.lint.repository import Repository, drill_key
from alertdrill.spec.model import LinksRunbook


def runbook_findings(repo: Repository) -> list[Finding]:
    folder = repo.settings.runbooks
    if folder is None:
        return []
    found: list[Finding] = []
    for rule in repo.rules:
        url = rule.annotations.get("runbook_url")
        if url and runbook_for_url(folder, url) is None:
            found.append(Finding("runbooks/unresolved-link", ERROR, repo.show(rule.path), rule.line,
                                 f"{rule.name}'s runbook_url {url} matches no runbook under {repo.show(folder)}/",
                                 "write the runbook, or point the link at an existing one", alert=rule.name))
    for book in repo.runbooks:
        if not book.has_section("diagnose"):
            found.append(Finding("runbooks/no-diagnose", ERROR, repo.show(book.path), 1,
                                 f"{repo.show(book.path)} has no `## Diagnose` section",
                                 "add `## Diagnose` with ```promql or ```sh steps that locate the fault"))
    for drill in repo.drills:
        for step in drill.steps:
            if isinstance(step, LinksRunbook) and find_runbook(folder, repo.settings.root, step.runbook) is None:
                found.append(Finding("drills/runbook-missing", ERROR, drill.feature, step.line,
                                     f"the drill expects runbook {step.runbook}, which is not under "
                                     f"{repo.show(folder)}/", "write it or fix the drill",
                                     alert=drill.alert, drill=drill_key(drill)))
    return found


def unlinked_runbooks(repo: Repository) -> list[str]:
    """Runbooks no alert links to (listed for people; not a finding)."""
    folder = repo.settings.runbooks
    if folder is None:
        return []
    linked = {runbook_for_url(folder, r.annotations.get("runbook_url", "")) for r in repo.rules}
    return [repo.show(b.path) for b in repo.runbooks if b.path.resolve() not in {p.resolve() for p in linked if p}]
