"""Alerting rules: valid (promtool where installed), and each alert carries what routing and people need."""

from __future__ import annotations

import re
from pathlib import Path

from alertdrill.catalog.label_flow import KNOWN, UNKNOWN
from alertdrill.catalog.rules import AlertRule, PromtoolCheck
from alertdrill.lint.findings import ERROR, WARNING, Finding
from alertdrill.lint.repository import Repository

_AT = re.compile(r"(?P<line>\d+):\d+: (?P<message>.+)$")
_CONTINUED = re.compile(r"line (?P<line>\d+): ")
_NOISE = ("FAILED:", "Checking ", "SUCCESS:")


def promtool_problems(output: str, paths: list[Path]) -> dict[Path, list[tuple[int, str]]]:
    """File -> (line, message) per problem in the output of one `promtool check rules` over `paths`.

    promtool starts each problem with `<file>: `; an indented line after it continues that problem
    (`yaml: unmarshal errors:` then `line 3: field query_offset not found ...`)."""
    prefixes = {f"{p}: ": p for p in paths}
    problems: dict[Path, list[tuple[int, str]]] = {}
    current: Path | None = None
    for raw in output.splitlines():
        text = raw.strip()
        if not text or text.startswith(_NOISE):
            continue
        owner = next((p for prefix, p in prefixes.items() if text.startswith(prefix)), None)
        if owner is not None:
            current, message = owner, text[len(str(owner)) + 2 :]
            at = _AT.match(message)
            problems.setdefault(owner, []).append((int(at["line"]), at["message"]) if at else (1, message))
        elif current is not None:
            line, message = problems[current][-1]
            continued = _CONTINUED.match(text)
            problems[current][-1] = (int(continued["line"]) if continued and line == 1 else line, f"{message} {text}")
    return problems


def promtool_findings(repo: Repository, paths: list[Path]) -> list[Finding]:
    """One `promtool check rules` over every file, one finding per problem; nothing without promtool."""
    check = repo.promtool if repo.promtool is not None and repo.promtool.paths == paths else PromtoolCheck(paths)
    result = check.result()
    if result is None or result[0] == 0:
        return []
    _, out, err = result
    problems = promtool_problems(err + "\n" + out, paths)
    if not problems:  # rejected, but in words this parser does not know: say it once, as promtool did
        problems = {paths[0]: [(1, (err or out).strip()[:500] or "promtool rejected the rules")]}
    return [
        Finding(
            "rules/invalid",
            ERROR,
            repo.show(path),
            line,
            f"promtool: {message}",
            "correct the rule so that `promtool check rules` accepts it",
        )
        for path, found in problems.items()
        for line, message in found
    ]


def rule_findings(repo: Repository) -> list[Finding]:
    existing = [p for p in repo.settings.rules if p.exists()]
    found = promtool_findings(repo, existing)
    found += _file_findings(repo, rejected={f.path for f in found})
    routing = repo.routes.routing_labels() - {"severity"} if repo.routes else set()
    for rule in repo.rules:
        found += _rule_checks(repo, rule, routing)
    return found


def _file_findings(repo: Repository, rejected: set[str]) -> list[Finding]:
    config = repo.show(repo.settings.config_path)
    found = [
        Finding(
            "rules/missing-file",
            ERROR,
            config,
            1,
            f"rule file {repo.show(path)} does not exist",
            "fix the `rules:` list in the configuration",
        )
        for path in repo.missing_rule_files
    ]
    for problem in repo.broken:
        if problem.path is not None and repo.show(problem.path) in rejected:
            continue  # promtool already said it, with its own words
        kind = "drills/invalid" if str(problem.path).endswith(".feature") else "files/unreadable"
        found.append(
            Finding(
                kind,
                ERROR,
                repo.show(problem.path or config),
                problem.line or 1,
                problem.message,
                problem.fix or "correct the file",
            )
        )
    return found


def _rule_checks(repo: Repository, rule: AlertRule, routing: set[str]) -> list[Finding]:
    where, found = repo.show(rule.path), []
    if not rule.annotations.get("runbook_url"):
        found.append(
            Finding(
                "rules/runbook-url",
                ERROR,
                where,
                rule.line,
                f"{rule.name} has no runbook_url annotation",
                f"add `runbook_url: .../runbooks/<name>.md` under {rule.name}'s annotations",
                alert=rule.name,
            )
        )
    if not rule.labels.get("severity"):
        found.append(
            Finding(
                "rules/severity",
                ERROR,
                where,
                rule.line,
                f"{rule.name} has no severity label",
                "add e.g. `severity: page` under its labels",
                alert=rule.name,
            )
        )
    if routing and not routing & set(rule.labels):
        found += _routing_label(repo, rule, routing)
    return found


def _routing_label(repo: Repository, rule: AlertRule, routing: set[str]) -> list[Finding]:
    """The rule sets none of the labels routes match on: fine when its series or the external labels
    carry one; a guess (warning) when they may; an error when none can."""
    labels = repo.labels(rule)
    if any(labels.state(name) == KNOWN for name in routing):
        return []
    unknown = sorted(name for name in routing if labels.state(name) == UNKNOWN)
    doubt = f", unless its series carry one: its route depends on label(s) {', '.join(unknown)}" if unknown else ""
    return [
        Finding(
            "rules/routing-label",
            WARNING if unknown else ERROR,
            repo.show(rule.path),
            rule.line,
            f"{rule.name} carries none of the labels the routes match on "
            f"({', '.join(sorted(routing))}), so it only reaches the default receiver{doubt}",
            f"add e.g. `{sorted(routing)[0]}: <team>` under its labels",
            alert=rule.name,
        )
    ]
