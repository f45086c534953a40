"""Routes, receivers and contact groups: every alert reaches a team, every drill's team is the one it reaches."""

from __future__ import annotations

from functools import partial

from alertdrill.catalog.rules import AlertRule
from alertdrill.lint.findings import ERROR, WARNING, Finding
from alertdrill.lint.repository import Repository, drill_key
from alertdrill.spec.model import AlertFires, AlertInhibited, AlertsFire, DrillSpec, ReachesContactGroup


def synthetic_labels(repo: Repository, fault: str | None) -> dict[str, str] | None:
    """The labels of a synthetic alert a fault posts (its alert needs no rule), else None."""
    config = repo.settings.faults.get(fault or "")
    if config is None or config.type != "synthetic-alert":
        return None
    labels = config.options.get("labels") or {}
    return {
        **{str(k): str(v) for k, v in dict(labels).items()},  # type: ignore[call-overload]
        "alertname": str(config.options.get("alertname", "")),
    }


MAYBE_FROM_SERIES = "its series may carry it (not set by the rule, the scrape targets or external_labels)"


def route_of(repo: Repository, rule: AlertRule) -> tuple[list[str], tuple[str, ...]]:
    """Receivers the rule's alerts reach with the labels known here, and the labels not known that the
    route depends on (none: the route is certain)."""
    return repo.route(rule)


def reached(repo: Repository, alert: str, labels: dict[str, str] | None = None) -> list[str]:
    """Receivers the alert reaches with the labels known here (or the given ones), each once, in order."""
    rule = repo.rule(alert)
    if repo.routes is None or (rule is None and labels is None):
        return []
    if labels is not None:
        return list(dict.fromkeys(repo.routes.receivers_for(labels)))
    return route_of(repo, rule)[0]  # type: ignore[arg-type]


def doubt(repo: Repository, rule: AlertRule, names: tuple[str, ...]) -> str:
    """Why each label is not known here, for the message."""
    labels = repo.labels(rule)
    return "; ".join(f"{name}: {labels.sources.get(name) or MAYBE_FROM_SERIES}" for name in names)


def routing_findings(repo: Repository) -> list[Finding]:
    if repo.routes is None or repo.groups is None:
        return []
    found: list[Finding] = []
    tree, groups = repo.routes, repo.groups
    tree_path = repo.show(tree.path)
    for route in tree.root.walk():
        if route.receiver not in tree.receivers:
            found.append(
                Finding(
                    "routes/unknown-receiver",
                    ERROR,
                    tree_path,
                    route.line,
                    f"the route sends to receiver {route.receiver!r}, which `receivers:` does not define",
                    f"define it, or use one of {', '.join(sorted(tree.receivers))}",
                )
            )
    groups_path = repo.show(groups.path)
    for group in groups.groups.values():
        if group.receiver not in tree.receivers:
            found.append(
                Finding(
                    "contacts/unknown-receiver",
                    ERROR,
                    groups_path,
                    group.line,
                    f"contact group {group.name!r} names receiver {group.receiver!r}, which "
                    f"{tree_path} does not define",
                    f"use one of {', '.join(sorted(tree.receivers))}",
                )
            )
    for rule in repo.rules:
        receivers, depends = route_of(repo, rule)
        for receiver in receivers if not depends else []:  # a route that depends on unknown labels: a guess
            if groups.group_of(receiver) is None:
                found.append(
                    Finding(
                        "contacts/receiver-without-group",
                        ERROR,
                        repo.show(rule.path),
                        rule.line,
                        f"{rule.name} reaches receiver {receiver!r}, which no contact group claims",
                        f"add a contact group with `receiver: {receiver}` to {groups_path}",
                        alert=rule.name,
                    )
                )
    return found


def drill_findings(repo: Repository) -> list[Finding]:
    """Problems that make one drill fail before it starts: each stops that drill in preflight."""
    found: list[Finding] = []
    if repo.groups is None:
        return found
    for drill in repo.drills:
        fires = next((s for s in drill.steps if isinstance(s, AlertFires | AlertsFire)), None)
        if isinstance(fires, AlertsFire):  # several alerts: the first is the drilled one
            fires = AlertFires(fires.alerts[0], fires.budget_s, fires.line)
        if fires is not None:
            found += _drill_route_findings(repo, drill, fires)
        found += _other_alerts_findings(repo, drill)
    return found


def _other_alerts_findings(repo: Repository, drill: DrillSpec) -> list[Finding]:
    """Every other alert the drill names (several alerts firing, an inhibited one) has a rule."""
    if not repo.rules:
        return []
    found = []
    for step in drill.steps:
        names = (
            step.alerts if isinstance(step, AlertsFire) else (step.alert,) if isinstance(step, AlertInhibited) else ()
        )
        for name in names:
            if name == drill.alert or repo.rule(name) is not None:
                continue
            message = f"no rule in {', '.join(repo.show(p) for p in repo.settings.rules)} defines {name}"
            found.append(
                Finding(
                    "drills/unknown-alert",
                    ERROR,
                    drill.feature,
                    step.line,
                    message,
                    "fix the alert name or add the rule",
                    alert=name,
                    drill=drill_key(drill),
                )
            )
    return found


def _drill_route_findings(repo: Repository, drill: DrillSpec, fires: AlertFires) -> list[Finding]:
    here = partial(Finding, path=drill.feature, alert=fires.alert, drill=drill_key(drill))
    reach = next((s for s in drill.steps if isinstance(s, ReachesContactGroup)), None)
    synthetic = synthetic_labels(repo, drill.fault)
    if repo.rules and repo.rule(fires.alert) is None and synthetic is None:
        message = f"no rule in {', '.join(repo.show(p) for p in repo.settings.rules)} defines {fires.alert}"
        return [
            here(
                "drills/unknown-alert",
                ERROR,
                line=fires.line,
                message=message,
                fix="fix the alert name or add the rule",
            )
        ]
    if reach is None or repo.routes is None or repo.groups is None:
        return []
    found, receiver, config = [], repo.groups.receiver(reach.group), repo.show(repo.routes.path)
    if reach.channel == "email" and receiver not in repo.routes.emails.values():
        message = f"the drill expects email, but receiver {receiver} has no email_configs"
        fix = f"add email_configs to {receiver} in {config} or drop `by email`"
        found.append(here("drills/no-email", ERROR, line=reach.line, message=message, fix=fix))
    rule = repo.rule(fires.alert)
    routed, depends = (
        (reached(repo, fires.alert, synthetic), ()) if synthetic is not None or rule is None else route_of(repo, rule)
    )
    if not routed or receiver in routed:
        return found
    if depends and rule is not None:
        message = (
            f"{fires.alert}'s route depends on label(s) {', '.join(depends)}, not known before it fires "
            f"({doubt(repo, rule, depends)}): with the labels known here it reaches {', '.join(routed)}, not {receiver}"
        )
        fix = "make sure its series carry the label (preflight asks the running Prometheus), or set it in the rule"
        found.append(
            here("drills/route-depends-on-labels", WARNING, line=reach.line, message=message, fix=fix, drill=None)
        )
        return found
    shown = synthetic if synthetic is not None else _shown_labels(repo, rule) if rule else {}
    labels = ", ".join(f"{k}={v}" for k, v in sorted(shown.items()))
    message = (
        f"{fires.alert} ({labels}) is routed to {', '.join(routed)}, not to {receiver} (contact group {reach.group})"
    )
    fix = f"fix the route in {config} or the drill's contact group"
    found.append(here("drills/wrong-route", ERROR, line=reach.line, message=message, fix=fix))
    return found


def _shown_labels(repo: Repository, rule: AlertRule) -> dict[str, str]:
    """The rule's own labels and the known labels the routes match on: what decided the route."""
    used = repo.routes.routing_labels() if repo.routes else set()
    known = repo.known_labels(rule)
    return {**rule.routing_labels(), **{k: v for k, v in known.items() if k in used}}
