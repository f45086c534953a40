"""`alertdrill new`: a drill for an alert, written from what the project's files already say.

The contact group is the one the alert's route reaches (the routes evaluated as Alertmanager does),
the runbook is the one its `runbook_url` names (a skeleton is written when it does not exist yet),
the steady state is a service whose `healthy` expression shares the alert's selectors, and the fault
is chosen from those selectors: a lab service is killed (`process-kill`), a Pushgateway-fed job gets a
`metric` fault, anything else a `command` fault whose inject and revert the user writes. Nothing is
overwritten: a file that exists is refused; services and faults are only added to alertdrill.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from alertdrill.catalog.links import expand
from alertdrill.catalog.rules import AlertRule
from alertdrill.catalog.runbooks import runbook_for_url, runbook_index
from alertdrill.config import Settings, load_settings
from alertdrill.errors import AlertdrillError, ConfigError
from alertdrill.lint.mission import load_mission, said
from alertdrill.lint.repository import Repository
from alertdrill.lint.routing_checks import reached

SELECTOR = re.compile(r'\b(\w+)\s*=\s*"([^"]*)"')
METRIC = re.compile(r"([a-zA-Z_:][\w:]*)\s*\{")  # the first selector's metric name
TODO_INJECT = 'echo "alertdrill new: write the command that causes {alert}" >&2; exit 1'
TODO_REVERT = 'echo "alertdrill new: write the command that undoes it" >&2; exit 1'


@dataclass(frozen=True)
class Scaffold:
    """What `new` writes: the files, the alertdrill.yml additions, and the one line left to fill (or "")."""

    alert: str
    feature: Path
    feature_text: str
    runbook: Path | None  # None: the alert's runbook exists already
    runbook_text: str
    config_blocks: dict[str, str]  # top-level section (services, faults) -> lines to add to it
    todo: str


def kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


def selectors(rule: AlertRule) -> dict[str, str]:
    return dict(SELECTOR.findall(rule.expr))


def find_rule(repo: Repository, alert: str) -> AlertRule:
    rule = repo.rule(alert)
    if rule is None:
        import difflib

        names = sorted({r.name for r in repo.rules})
        near = difflib.get_close_matches(alert, names, n=1, cutoff=0.8)
        rules = ", ".join(repo.show(p) for p in repo.settings.rules)
        raise ConfigError(
            f"no rule in {rules} defines the alert {alert!r}",
            path=repo.settings.config_path,
            fix=(f'did you mean "{near[0]}"? ' if near else "")
            + f"write the alerting rule first (alerts: {', '.join(names) or 'none yet'})",
        )
    return rule


def contact_group(repo: Repository, rule: AlertRule) -> str:
    receivers = reached(repo, rule.name)
    groups = repo.groups
    found = [g for g in (groups.names() if groups else []) if groups and groups.receiver(g) in receivers]
    if not found:
        where = repo.show(groups.path) if groups else "notifiers/contact-groups.yml"
        raise ConfigError(
            f"{rule.name} is routed to {', '.join(receivers) or 'no receiver'}, which no contact group names",
            path=repo.settings.contact_groups,
            fix=f"add `NAME: {{receiver: {receivers[0] if receivers else 'RECEIVER'}}}` to {where}, or fix the route",
        )
    return found[0]


def runbook_target(repo: Repository, rule: AlertRule) -> tuple[Path, bool]:
    """The runbook the alert's runbook_url names, and whether it exists already."""
    folder = repo.settings.runbooks or repo.settings.root / "runbooks"
    url = expand(rule.annotations.get("runbook_url", ""), rule.static_labels()).text
    index = runbook_index(folder) if folder.is_dir() else []
    existing = runbook_for_url(folder, url, index) if url else None
    if existing is not None:
        return existing, True
    name = url.rsplit("/", 1)[-1] if url.endswith(".md") else f"{kebab(rule.name)}.md"
    return folder / name, False


def steady_state(settings: Settings, rule: AlertRule) -> tuple[str, str | None]:
    """(service name, its `healthy` block to add, or None when a configured service fits)."""
    chosen = selectors(rule)
    for name, service in settings.services.items():
        if any(f'{key}="{value}"' in service.healthy.replace(" ", "") for key, value in chosen.items()):
            return name, None
    job = chosen.get("job")
    if job:
        return job, f"  {job}:\n    healthy: 'up{{job=\"{job}\"}} == 1'\n"
    name = kebab(rule.name)
    return name, f'  {name}:\n    healthy: \'absent(ALERTS{{alertname="{rule.name}",alertstate="firing"}})\'\n'


def fault(settings: Settings, rule: AlertRule, name: str) -> tuple[str, bool]:
    """The fault block for alertdrill.yml, and whether its inject/revert are still to be written."""
    job = selectors(rule).get("job", "")
    lab_services = {s.name for s in settings.lab.services} if settings.lab else set()
    if job in lab_services:
        return f"  {name}:\n    type: process-kill\n    service: {job}\n", False
    if settings.pushgateway and job in dict(settings.lab.scrape if settings.lab else ()):
        metric = METRIC.search(rule.expr)
        return (
            f"  {name}:\n    type: metric\n    pushgateway: {settings.pushgateway}\n"
            f"    metric: {metric[1] if metric else 'METRIC'}\n    job: {job}\n"
            f"    value: 0          # alertdrill new: the value that causes {rule.name}\n",
            True,
        )
    inject, revert = TODO_INJECT.format(alert=rule.name), TODO_REVERT
    return f"  {name}:\n    type: command\n    inject: '{inject}'\n    revert: '{revert}'\n", True


def feature_text(rule: AlertRule, service: str, fault_name: str, group: str, runbook: str, settings: Settings) -> str:
    mission, _ = load_mission(settings)
    return (
        f"Feature: {group} is paged when {rule.name} fires\n\n"
        f"  Scenario: {rule.name} pages {group}\n"
        f'    Given the service "{service}" is healthy\n'
        f'    When the fault "{fault_name}" is injected\n'
        f'    Then the alert "{rule.name}" fires within {said(mission.alert_s)}\n'
        f'    And the alert reaches the contact group "{group}" within {said(mission.alert_s)}\n'
        f'    And the notification links the runbook "{runbook}"\n'
        f"    And the runbook locates the fault within {said(mission.locate_s)}\n"
        f"    And the service recovers within {said(mission.recover_s)}\n"
    )


def runbook_text(rule: AlertRule, group: str, service_job: str, lab_service: bool) -> str:
    remediate = (
        f"alertdrill lab service heal {service_job}"
        if lab_service
        else f'echo "alertdrill new: write the command that fixes {rule.name}" >&2; exit 1'
    )
    return (
        f"---\nalerts: [{rule.name}]\ncontact_group: {group}\n---\n"
        f"# {rule.annotations.get('summary', rule.name)}\n\n"
        "What the alert means, and who is affected.\n\n"
        f"## Diagnose\n```promql\n{rule.expr.strip()}\n```\n\n"
        f"## Remediate\n```sh\n{remediate}\n```\n"
    )


def plan_new(settings: Settings, alert: str, name: str | None = None) -> Scaffold:
    """What `alertdrill new --alert ALERT` writes; nothing is written here."""
    repo = Repository.load(settings, drills=[])
    rule = find_rule(repo, alert)
    group = contact_group(repo, rule)
    book, exists = runbook_target(repo, rule)
    service, service_block = steady_state(settings, rule)
    fault_name = f"{kebab(rule.name)}-drill" if kebab(rule.name) in settings.faults else kebab(rule.name)
    blocks = {"services": service_block} if service_block else {}
    todo = ""
    if fault_name not in settings.faults:
        blocks["faults"], open_ = fault(settings, rule, fault_name)
        if open_:
            todo = f"faults.{fault_name}: write the shell commands that inject and revert it"
    job = selectors(rule).get("job", "")
    lab_service = bool(settings.lab and job in {s.name for s in settings.lab.services})
    folder = settings.runbooks or settings.root / "runbooks"
    shown = f"{folder.name}/{book.relative_to(folder).as_posix()}" if book.is_relative_to(folder) else book.name
    feature = settings.root / "drills" / f"{name or kebab(rule.name)}.feature"
    return Scaffold(
        rule.name,
        feature,
        feature_text(rule, service, fault_name, group, shown, settings),
        None if exists else book,
        runbook_text(rule, group, job or service, lab_service),
        blocks,
        todo,
    )


def added(config: str, blocks: dict[str, str]) -> str:
    """`config` with each block appended to its top-level section (a new section at the end when absent)."""
    lines = config.splitlines(keepends=True)
    for section, block in blocks.items():
        start = next((i for i, line in enumerate(lines) if re.match(rf"{section}:\s*(#.*)?$", line)), None)
        if start is None:
            lines += ["\n" if lines and not lines[-1].endswith("\n") else "", f"\n{section}:\n", block]
            continue
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        lines[end:end] = [block]
    return "".join(lines)


def write(scaffold: Scaffold, settings: Settings) -> list[Path]:
    """Write the scaffold; refuse (before writing anything) when a file it would write exists."""
    targets = [p for p in (scaffold.feature, scaffold.runbook) if p is not None]
    for path in targets:
        if path.exists():
            raise ConfigError(
                "exists already: alertdrill new never overwrites a file",
                path=path,
                fix="move it away, or give another --name",
            )
    original = settings.config_path.read_text()
    if scaffold.config_blocks:
        settings.config_path.write_text(added(original, scaffold.config_blocks))
        try:
            load_settings(settings.config_path)
        except AlertdrillError:
            settings.config_path.write_text(original)
            raise
    files: list[tuple[Path | None, str]] = [
        (scaffold.feature, scaffold.feature_text),
        (scaffold.runbook, scaffold.runbook_text),
    ]
    for target, text in files:
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    return [*targets, *([settings.config_path] if scaffold.config_blocks else [])]


def undrilled(settings: Settings) -> list[str]:
    """Alerts no drill exercises yet: what `new` offers when asked without --alert."""
    repo = Repository.load(settings)
    drilled = {alert for d in repo.drills for alert in d.named_alerts}
    return sorted({r.name for r in repo.rules} - drilled)


def still_to_do(scaffold: Scaffold, settings: Settings) -> str:
    """The one line the user must still fill in: the fault's commands, else the first lint error or
    warning about the new drill (its alert's rule, route, runbook, budget), else ""."""
    if scaffold.todo:
        lines = settings.config_path.read_text().splitlines()
        line = next((i + 1 for i, text in enumerate(lines) if f"causes {scaffold.alert}" in text), 0)
        return f"{report_path(settings, settings.config_path)}:{line}: {scaffold.todo}"
    from alertdrill.lint.report import lint

    report = lint(settings, [scaffold.feature])
    repo_feature = report_path(settings, scaffold.feature)
    for finding in report.findings:
        if finding.severity != "info" and (finding.path == repo_feature or finding.alert == scaffold.alert):
            return finding.one_line()
    return ""


def report_path(settings: Settings, path: Path) -> str:
    from alertdrill.catalog.paths import display_path

    return display_path(path, settings.root)
