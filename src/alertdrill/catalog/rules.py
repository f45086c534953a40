"""Prometheus alerting rules and evaluation intervals, read with file and line for every finding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from alertdrill.durations import parse_duration
from alertdrill.errors import ConfigError
from alertdrill.yamlfile import load_yaml

PROMETHEUS_DEFAULTS = {"scrape_interval": 60.0, "evaluation_interval": 60.0}


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    for_s: float
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    group: str
    interval_s: float | None  # the rule group's own evaluation interval, if set
    path: Path
    line: int
    label_lines: Mapping[str, int] = field(default_factory=dict)

    def routing_labels(self) -> dict[str, str]:
        """What Alertmanager routes on, as far as the file says: alertname and the static labels."""
        return {**self.labels, "alertname": self.name}


def _seconds(value: object, where: str) -> float:
    try:
        return parse_duration(str(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load_rules(path: Path) -> list[AlertRule]:
    """The alerting rules of one rule file (recording rules are skipped)."""
    doc = load_yaml(path, what="rule file")
    data = doc.data if isinstance(doc.data, Mapping) else {}
    found = []
    for g, group in enumerate(data.get("groups") or []):
        if not isinstance(group, Mapping):
            raise doc.error("a rule group must be a mapping", "groups", g)
        interval = group.get("interval")
        interval_s = _seconds(interval, f"{path}:{doc.line('groups', g, 'interval')}") if interval else None
        for r, rule in enumerate(group.get("rules") or []):
            if not isinstance(rule, Mapping) or "alert" not in rule:
                continue
            keys = ("groups", g, "rules", r)
            labels = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
            found.append(AlertRule(
                name=str(rule["alert"]), expr=str(rule.get("expr", "")),
                for_s=_seconds(rule["for"], f"{path}:{doc.line(*keys, 'for')}") if rule.get("for") else 0.0,
                labels=labels, annotations={str(k): str(v) for k, v in (rule.get("annotations") or {}).items()},
                group=str(group.get("name", "")), interval_s=interval_s, path=path, line=doc.line(*keys),
                label_lines={k: doc.line(*keys, "labels", k) for k in labels}))
    return found


@dataclass(frozen=True)
class Intervals:
    scrape_s: float
    evaluation_s: float
    source: str  # where they were read, for the arithmetic shown to people


def load_intervals(path: Path | None) -> Intervals:
    """Global scrape and evaluation intervals from a Prometheus config (Prometheus's defaults otherwise)."""
    if path is None or not path.exists():
        return Intervals(PROMETHEUS_DEFAULTS["scrape_interval"], PROMETHEUS_DEFAULTS["evaluation_interval"],
                         "Prometheus defaults")
    doc = load_yaml(path, what="Prometheus configuration")
    glob = (doc.data or {}).get("global") or {} if isinstance(doc.data, Mapping) else {}
    values = {key: _seconds(glob[key], f"{path}:{doc.line('global', key)}") if key in glob else default
              for key, default in PROMETHEUS_DEFAULTS.items()}
    return Intervals(values["scrape_interval"], values["evaluation_interval"], path.name)
