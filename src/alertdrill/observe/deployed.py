"""What the running Prometheus has loaded, against the rule files: a drill of a rule that is not
loaded, or loaded differently from the file, would wait out its whole budget for nothing."""

from __future__ import annotations

import requests

from alertdrill.catalog.rules import AlertRule
from alertdrill.observe.api_shapes import LoadedRule, parse_rules, parse_status
from alertdrill.observe.clients import Alertmanager, Prometheus

TIMEOUT_S = 5.0


def loaded_rules(prometheus: Prometheus) -> dict[str, list[LoadedRule]]:
    """Alerting rules by name from `/api/v1/rules` (a name may be loaded in several groups)."""
    answer = prometheus.session.get(
        prometheus.endpoint.at("/api/v1/rules"), params={"type": "alert"}, timeout=TIMEOUT_S
    )
    if not answer.ok:
        raise requests.HTTPError(f"{answer.status_code} from {prometheus.endpoint.shown}", response=answer)
    return parse_rules(answer.json())


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
    failing = [c for c in loaded if c.health == "err"]
    if len(failing) == len(loaded):
        return (
            f"{rule.name} ({where}) is loaded in Prometheus at {prometheus.endpoint.shown} but its evaluation fails: "
            f"{failing[0].last_error[:200] or 'no reason given'} (it can never fire; fix the expression)"
        )
    want_query = formatted(prometheus, rule.expr)
    for candidate in loaded:
        differences = []
        if formatted(prometheus, candidate.query) != want_query:
            differences.append(f"expr `{candidate.query}` (file: `{rule.expr.strip()}`)")
        if abs(candidate.for_s - rule.for_s) > 1e-6:
            differences.append(f"for {candidate.for_s:g} s (file: {rule.for_s:g} s)")
        if abs(candidate.keep_firing_for_s - rule.keep_firing_for_s) > 1e-6:  # it decides when the alert resolves
            differences.append(
                f"keep_firing_for {candidate.keep_firing_for_s:g} s (file: {rule.keep_firing_for_s:g} s)"
            )
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


RECENT_S = 3600.0  # series seen in the last hour: the ones a drill's fault can make fire
SERIES_LIMIT = 500


def _data(prometheus: Prometheus, path: str, params: dict[str, object] | None = None) -> object:
    answer = prometheus.session.get(prometheus.endpoint.at(path), params=params, timeout=TIMEOUT_S)  # type: ignore[arg-type]
    if not answer.ok:
        raise requests.HTTPError(f"{answer.status_code} from {prometheus.endpoint.shown}{path}", response=answer)
    return answer.json().get("data")


def running_prometheus_config(prometheus: Prometheus) -> str:
    """The configuration the running Prometheus has loaded (`/api/v1/status/config`; Prometheus 3
    shows `external_labels` with `${VAR}` already expanded)."""
    data = _data(prometheus, "/api/v1/status/config")
    return str(data.get("yaml", "")) if isinstance(data, dict) else ""


def live_series(prometheus: Prometheus, selectors: list[str], now: float) -> dict[str, list[dict[str, str]]]:
    """selector text -> the label sets of the series it picks now (`/api/v1/series`, the last hour)."""
    found: dict[str, list[dict[str, str]]] = {}
    for text in dict.fromkeys(selectors):
        params = {"match[]": text, "start": now - RECENT_S, "end": now, "limit": SERIES_LIMIT}
        data = _data(prometheus, "/api/v1/series", params)
        items = data if isinstance(data, list) else []
        found[text] = [{str(k): str(v) for k, v in item.items()} for item in items[:SERIES_LIMIT]]
    return found


def running_alertmanager_config(alertmanager: Alertmanager) -> str:
    """The configuration the running Alertmanager has loaded (API v2 `/api/v2/status`, `config.original`:
    its YAML with secrets shown as `<secret>`; in a cluster, the first node that answers). API v1 answers
    410 from 0.27 and is never used."""
    return parse_status(alertmanager.status()).config
