"""What the running Prometheus has loaded, against the rule files: a drill of a rule that is not
loaded, or loaded differently from the file, would wait out its whole budget for nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import requests

from alertdrill.catalog.rules import AlertRule
from alertdrill.observe.clients import Prometheus

TIMEOUT_S = 5.0


@dataclass(frozen=True)
class LoadedRule:
    name: str
    query: str
    for_s: float
    labels: Mapping[str, str]
    annotations: Mapping[str, str]


def loaded_rules(prometheus: Prometheus) -> dict[str, list[LoadedRule]]:
    """Alerting rules by name from `/api/v1/rules` (a name may be loaded in several groups)."""
    answer = prometheus.session.get(
        prometheus.endpoint.at("/api/v1/rules"), params={"type": "alert"}, timeout=TIMEOUT_S
    )
    if not answer.ok:
        raise requests.HTTPError(f"{answer.status_code} from {prometheus.endpoint.shown}", response=answer)
    found: dict[str, list[LoadedRule]] = {}
    for group in answer.json().get("data", {}).get("groups", []):
        for rule in group.get("rules", []):
            if rule.get("type") == "alerting":
                loaded = LoadedRule(
                    str(rule["name"]),
                    str(rule.get("query", "")),
                    float(rule.get("duration", 0)),
                    dict(rule.get("labels") or {}),
                    dict(rule.get("annotations") or {}),
                )
                found.setdefault(loaded.name, []).append(loaded)
    return found


def formatted(prometheus: Prometheus, expr: str) -> str:
    """The expression as Prometheus prints it (`/api/v1/format_query`); whitespace-free text if it cannot."""
    try:
        answer = prometheus.session.get(
            prometheus.endpoint.at("/api/v1/format_query"), params={"query": expr}, timeout=TIMEOUT_S
        )
        if answer.ok:
            return str(answer.json().get("data", expr))
    except (requests.RequestException, ValueError):
        pass
    return "".join(expr.split())


def drift(prometheus: Prometheus, rule: AlertRule, loaded: list[LoadedRule]) -> str | None:
    """How the loaded rule differs from the file's (None: the same), or that it is not loaded at all."""
    where = f"{rule.path.name}:{rule.line}"
    if not loaded:
        return (
            f"{rule.name} ({where}) is not loaded in Prometheus at {prometheus.endpoint.shown}: reload Prometheus "
            "(`alertdrill lab reload` for the lab)"
        )
    want_query = formatted(prometheus, rule.expr)
    for candidate in loaded:
        differences = []
        if formatted(prometheus, candidate.query) != want_query:
            differences.append(f"expr `{candidate.query}` (file: `{rule.expr.strip()}`)")
        if abs(candidate.for_s - rule.for_s) > 1e-6:
            differences.append(f"for {candidate.for_s:g} s (file: {rule.for_s:g} s)")
        if dict(candidate.labels) != dict(rule.labels):
            differences.append(f"labels {dict(candidate.labels)} (file: {dict(rule.labels)})")
        if dict(candidate.annotations) != dict(rule.annotations):
            differences.append("annotations differ")
        if not differences:
            return None
    return (
        f"{rule.name} as loaded in Prometheus differs from {where}: {'; '.join(differences)} "
        "(reload Prometheus, or pass --allow-drift to drill what is deployed)"
    )
