"""Routes, receivers and contact groups: every alert reaches a team, every drill's team is the one it reaches."""

from __future__ import annotations

from alertdrill.lint.findings import ERROR, INFO, Finding
from alertdrill.lint.repository import Repository, drill_key
from alertdrill.spec.model import AlertFires, ReachesContactGroup


def synthetic_labels(repo: Repository, fault: str | None) -> dict[str, str] | None:
    """The labels of a synthetic alert a fault posts (its alert needs no rule), else None."""
    config = repo.settings.faults.get(fault or "")
    if config is None or config.type != "synthetic-alert":
        return None
    labels = config.options.get("labels") or {}
    return {**{str(k): str(v) for k, v in dict(labels).items()},  # type: ignore[call-overload]
            "alertname": str(config.options.get("alertname", ""))}


def reached(repo: Repository, alert: str, labels: dict[str, str] | None = None) -> list[str]:
    """Receivers the alert's static labels (or the given ones) reach, each once, in routing order."""
    rule = repo.rule(alert)
    if repo.routes is None or (rule is None and labels is None):
        return []
    chosen = labels if labels is not None else rule.routing_labels()  # type: ignore[union-attr]
    return list(dict.fromkeys(repo.routes.receivers_for(chosen)))


def routing_findings(repo: Repository) -> list[Finding]:
    if repo.routes is None or repo.groups is None:
        return []
    found: list[Finding] = []
    tree, groups = repo.routes, repo.groups
    tree_path = repo.show(tree.path)
    for route in tree.root.walk():
        if route.receiver not in tree.receivers:
            found.append(Finding("routes/unknown-receiver", ERROR, tree_path, route.line,
                                 f"the route sends to receiver {route.receiver!r}, which `receivers:` does not define",
                                 f"define it, or use one of {', '.join(sorted(tree.receivers))}"))
    groups_path = repo.show(groups.path)
    for group in groups.groups.values():
        if group.receiver not in tree.receivers:
            found.append(Finding("contacts/unknown-receiver", ERROR, groups_path, group.line,
                                 f"contact group {group.name!r} names receiver {group.receiver!r}, which "
                                 f"{tree_path} does not define",
                                 f"use one of {', '.join(sorted(tree.receivers))}"))
    for rule in repo.rules:
        for receiver in dict.fromkeys(tree.receivers_for(rule.routing_labels())):
            if groups.group_of(receiver) is None:
                found.append(Finding("contacts/receiver-without-group", ERROR, repo.show(rule.path), rule.line,
                                     f"{rule.name} reaches receiver {receiver!r}, which no contact group claims",
                                     f"add a contact group with `receiver: {receiver}` to {groups_path}",
                                     alert=rule.name))
    return found


def drill_findings(repo: Repository) -> list[Finding]:
    """Problems that make one drill fail before it starts: each stops that drill in preflight."""
    found: list[Finding] = []
    if repo.groups is None:
        return found
    for drill in repo.drills:
        key = drill_key(drill)
        fires = next((s for s in drill.steps if isinstance(s, AlertFires)), None)
        reach = next((s for s in drill.steps if isinstance(s, ReachesContactGroup)), None)
        if fires is None:
            continue
        synthetic = synthetic_labels(repo, drill.fault)
        if repo.rules and repo.rule(fires.alert) is None and synthetic is None:
            found.append(Finding("drills/unknown-alert", ERROR, drill.feature, fires.line,
                                 f"no rule in {', '.join(repo.show(p) for p in repo.settings.rules)} "
                                 f"defines {fires.alert}", "fix the alert name or add the rule",
                                 alert=fires.alert, drill=key))
            continue
        if reach is None or repo.routes is None:
            continue
        receiver = repo.groups.receiver(reach.group)
        if reach.channel == "email" and receiver not in repo.routes.emails.values():
            found.append(Finding("drills/no-email", ERROR, drill.feature, reach.line,
                                 f"the drill expects email, but receiver {receiver} has no email_configs",
                                 f"add email_configs to {receiver} in {repo.show(repo.routes.path)} or drop "
                                 "`by email`", alert=fires.alert, drill=key))
        routed = reached(repo, fires.alert, synthetic)
        rule = repo.rule(fires.alert)
        templated = sorted(set(rule.labels) - set(rule.static_labels())) if rule and synthetic is None else []
        unknown = [name for name in templated if name in repo.routes.routing_labels()]
        if routed and receiver not in routed and unknown:
            found.append(Finding("drills/route-depends-on-labels", INFO, drill.feature, reach.line,
                                 f"{fires.alert}'s route depends on label(s) {', '.join(unknown)}, templated in the "
                                 "rule: known only when it fires, so not judged here",
                                 "nothing to do", alert=fires.alert))
        elif routed and receiver not in routed:
            shown = synthetic if synthetic is not None else rule.routing_labels() if rule else {}
            labels = ", ".join(f"{k}={v}" for k, v in sorted(shown.items()))
            found.append(Finding("drills/wrong-route", ERROR, drill.feature, reach.line,
                                 f"{fires.alert} ({labels}) is routed to {', '.join(routed)}, not to "
                                 f"{receiver} (contact group {reach.group})",
                                 f"fix the route in {repo.show(repo.routes.path)} or the drill's contact group",
                                 alert=fires.alert, drill=key))
    return found
