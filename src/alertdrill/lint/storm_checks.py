"""Lint for storms: configurations where one fault is likely to page many times or many teams.

- `storms/per-instance-grouping`: a route groups by `instance` (or `...`) for an alert whose expression
  selects many series (one per instance): an outage of N instances sends N notifications.
- `storms/no-inhibition`: two alerts watch the same `job`/`instance` with different severities and no
  inhibit rule lets the more severe one quiet the other: one fault pages twice.
- `storms/inhibit-equal-empty`: an inhibit rule with no `equal` labels: any source alert inhibits every
  target alert, whatever service either is about.
"""

from __future__ import annotations

import re
from itertools import combinations

from alertdrill.catalog.rules import AlertRule
from alertdrill.lint.findings import WARNING, Finding
from alertdrill.lint.repository import Repository

PER_INSTANCE = frozenset({"instance", "..."})
_AGGREGATED = re.compile(
    r"\b(sum|min|max|avg|count|group|stddev|stdvar|topk|bottomk|quantile|count_values)\s*"
    r"(?:(by|without)\s*\(([^)]*)\))?\s*\("
)
_SELECTOR = re.compile(r'\b(job|instance)\s*=\s*"([^"]*)"')
_SINGLE = re.compile(r"\b(absent|absent_over_time|scalar|vector)\s*\(")
# Severity names, most severe first (unknown names are compared both ways).
RANKS = {
    name: rank
    for rank, names in enumerate([("critical", "page"), ("error", "high"), ("warning", "ticket")])
    for name in names
} | {"info": 3, "none": 4}


def many_series(expr: str) -> bool:
    """Does the expression (probably) return one series per instance? Not when it pins an instance,
    aggregates away `instance`, or returns a single series (absent, scalar)."""
    if 'instance="' in expr.replace(" ", "") or _SINGLE.search(expr):
        return False
    for found in _AGGREGATED.finditer(expr):
        kind, labels = found.group(2), {x.strip() for x in (found.group(3) or "").split(",")}
        if kind is None or (kind == "by" and "instance" not in labels) or (kind == "without" and "instance" in labels):
            return False
    return True


def storm_findings(repo: Repository) -> list[Finding]:
    return [*_grouping_findings(repo), *summarised(_dependent_findings(repo)), *_equal_findings(repo)]


SUMMARY_OVER = 10  # more uninhibited pairs than this: one warning listing them (a rule set's noise)


def summarised(found: list[Finding]) -> list[Finding]:
    """Up to SUMMARY_OVER warnings as they are; beyond, one warning that names every alert."""
    if len(found) <= SUMMARY_OVER:
        return found
    first = found[0]
    names = ", ".join(sorted(f.alert or "" for f in found))
    message = (
        f"{len(found)} alerts share a job or instance with a more severe alert that no inhibit rule lets "
        f"quiet them (one fault pages twice): {names}"
    )
    fix = "add inhibit rules: a page quiets the warnings of its job (source_matchers severity=page, equal: [job])"
    return [Finding(first.rule, WARNING, first.path, first.line, message, fix)]


def _grouping_findings(repo: Repository) -> list[Finding]:
    if repo.routes is None:
        return []
    found = []
    config = repo.show(repo.routes.path)
    for rule in repo.rules:
        if not many_series(rule.expr):
            continue
        for route in repo.routes.routes_for(rule.routing_labels()):
            split = sorted(PER_INSTANCE & set(route.group_by))
            if not split:
                continue
            found.append(
                Finding(
                    "storms/per-instance-grouping",
                    WARNING,
                    config,
                    route.line,
                    f"the route to {route.receiver} groups by {', '.join(split)} (group_by: "
                    f"[{', '.join(route.group_by)}]) and {rule.name} selects one series per instance "
                    f"({rule.expr.strip()}): an outage of N instances sends N notifications",
                    "group by alertname and job (not instance), or aggregate the rule's expression",
                    alert=rule.name,
                )
            )
    return found


def _selectors(rule: AlertRule) -> set[tuple[str, str]]:
    return set(_SELECTOR.findall(rule.expr))


def _candidate_pairs(rules: list[AlertRule]) -> list[tuple[AlertRule, AlertRule, set[tuple[str, str]]]]:
    """Pairs of rules with different severities that share a job/instance selector, in the rules'
    order; each rule's selectors are read once (a rule set of 1,000 alerts has 500,000 pairs)."""
    rated = [(r, _selectors(r), r.labels.get("severity", "")) for r in rules]
    rated = [(r, sel, sev) for r, sel, sev in rated if sel and sev]
    return [
        (one, other, shared)
        for (one, sel_one, sev_one), (other, sel_other, sev_other) in combinations(rated, 2)
        if sev_one != sev_other and (shared := sel_one & sel_other)
    ]


def _dependent_findings(repo: Repository) -> list[Finding]:
    """One warning per alert that a more severe one watching the same job/instance does not inhibit (the
    first such alert named): pairs grow as the square of a rule set, warnings must not. Without an
    Alertmanager configuration there are no inhibit rules to judge."""
    found: list[Finding] = []
    if repo.routes is None:
        return found
    warned: set[str] = set()
    for one, other, shared in _candidate_pairs(repo.rules):
        if one.name in warned and other.name in warned:
            continue
        source, target = _order(one, other)
        pairs = [(source, target)] if _ranked(one, other) else [(one, other), (other, one)]
        if any(_inhibited(repo, s, t) for s, t in pairs):
            continue
        if target.name in warned:
            continue
        warned.add(target.name)
        where = ", ".join(f'{k}="{v}"' for k, v in sorted(shared))
        found.append(
            Finding(
                "storms/no-inhibition",
                WARNING,
                repo.show(target.path),
                target.line,
                f"{target.name} (severity {target.labels['severity']}) and {source.name} (severity "
                f"{source.labels['severity']}) watch the same {where}, and no inhibit rule lets {source.name} "
                f"quiet {target.name}: one fault pages twice",
                f'add an inhibit rule: source_matchers: [alertname="{source.name}"], target_matchers: '
                f'[alertname="{target.name}"], equal: [{", ".join(sorted({k for k, _ in shared}))}]',
                alert=target.name,
            )
        )
    return found


def _ranked(one: AlertRule, other: AlertRule) -> bool:
    return one.labels.get("severity", "") in RANKS and other.labels.get("severity", "") in RANKS


def _order(one: AlertRule, other: AlertRule) -> tuple[AlertRule, AlertRule]:
    """(more severe, less severe); as written when a severity is unknown."""
    rank = RANKS.get(one.labels.get("severity", ""), 99), RANKS.get(other.labels.get("severity", ""), 99)
    return (other, one) if rank[1] < rank[0] else (one, other)


def _inhibited(repo: Repository, source: AlertRule, target: AlertRule) -> bool:
    return any(r.inhibits(source.routing_labels(), target.routing_labels()) for r in repo.inhibit_rules)


def _equal_findings(repo: Repository) -> list[Finding]:
    if repo.routes is None:
        return []
    config = repo.show(repo.routes.path)
    return [
        Finding(
            "storms/inhibit-equal-empty",
            WARNING,
            config,
            rule.line,
            "this inhibit rule has no `equal` labels: any alert matching its source inhibits every alert "
            "matching its target, whichever service either is about",
            "add `equal:` with the labels both alerts share (e.g. [job, instance] or [cluster])",
        )
        for rule in repo.inhibit_rules
        if not rule.equal
    ]
