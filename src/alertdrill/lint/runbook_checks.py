"""Runbooks: every alert's link resolves, every runbook can locate a fault, and drills name real ones."""

from __future__ import annotations

from pathlib import Path

from alertdrill.catalog.links import expand
from alertdrill.catalog.rules import AlertRule
from alertdrill.catalog.runbooks import find_runbook, runbook_for_url, runbook_index
from alertdrill.lint.findings import ERROR, INFO, WARNING, Finding
from alertdrill.lint.repository import Repository, drill_key
from alertdrill.spec.model import LinksRunbook


def link_finding(repo: Repository, rule: AlertRule, index: list[tuple[str, Path]]) -> Finding | None:
    """The problem of a rule's runbook_url, if any. A templated link is expanded with the rule's own labels;
    one that depends on a label only the series carries is said (info), never called broken."""
    folder = repo.settings.runbooks
    url = rule.annotations.get("runbook_url")
    if not url or folder is None:
        return None
    where, shown = repo.show(rule.path), f"{repo.show(folder)}/"
    link = expand(url, repo.template_labels(rule))
    if not link.complete:
        depends = (
            f"label{'s' if len(link.missing) > 1 else ''} {', '.join(link.missing)}"
            if link.missing
            else "values known only when it fires"
        )
        return Finding(
            "runbooks/templated-link",
            INFO,
            where,
            rule.line,
            f"{rule.name}'s runbook_url {url} depends on {depends}: checked when a drill delivers it",
            "nothing to do; a drill's `the notification links the runbook` step checks the link",
            alert=rule.name,
        )
    if runbook_for_url(folder, link.text, index) is not None:
        return None
    if link.text == url:
        return Finding(
            "runbooks/unresolved-link",
            ERROR,
            where,
            rule.line,
            f"{rule.name}'s runbook_url {url} matches no runbook under {shown}",
            "write the runbook, or point the link at an existing one",
            alert=rule.name,
        )
    return Finding(
        "runbooks/unresolved-link",
        WARNING,
        where,
        rule.line,
        f"{rule.name}'s runbook_url {url} is {link.text} with the rule's labels, which matches no "
        f"runbook under {shown}",
        "write the runbook, or fix the link or the label",
        alert=rule.name,
    )


def runbook_findings(repo: Repository) -> list[Finding]:
    folder = repo.settings.runbooks
    if folder is None:
        return []
    index = runbook_index(folder) if folder.is_dir() else []
    found = [f for rule in repo.rules if (f := link_finding(repo, rule, index)) is not None]
    for book in repo.runbooks:
        if not book.has_section("diagnose"):
            found.append(
                Finding(
                    "runbooks/no-diagnose",
                    ERROR,
                    repo.show(book.path),
                    1,
                    f"{repo.show(book.path)} has no `## Diagnose` section",
                    "add `## Diagnose` with ```promql or ```sh steps that locate the fault",
                )
            )
    for drill in repo.drills:
        for step in drill.steps:
            if isinstance(step, LinksRunbook) and find_runbook(folder, repo.settings.root, step.runbook) is None:
                found.append(
                    Finding(
                        "drills/runbook-missing",
                        ERROR,
                        drill.feature,
                        step.line,
                        f"the drill expects runbook {step.runbook}, which is not under {repo.show(folder)}/",
                        "write it or fix the drill",
                        alert=drill.alert,
                        drill=drill_key(drill),
                    )
                )
    return found


def unlinked_runbooks(repo: Repository) -> list[str]:
    """Runbooks no alert links to (listed for people; not a finding)."""
    folder = repo.settings.runbooks
    if folder is None:
        return []
    index = runbook_index(folder) if folder.is_dir() else []
    linked = {
        runbook_for_url(folder, expand(r.annotations.get("runbook_url", ""), repo.template_labels(r)).text, index)
        for r in repo.rules
    }
    resolved = {p.resolve() for p in linked if p}
    return [repo.show(b.path) for b in repo.runbooks if b.path.resolve() not in resolved]
