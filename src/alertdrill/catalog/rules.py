"""Prometheus rule files as promtool accepts them, read with file and line for every finding.

Every form of Prometheus's rule file format is read: `for` of `0s`/`0m` or absent, `keep_firing_for`,
a group's `interval`, `limit` and `query_offset`, recording rules (counted, not alerts), templated labels
and annotations. Durations use Prometheus's syntax (`1h30m`, `0s`, `30d`, `1w`, `1y`). promtool stays
the judge of syntax: what it rejects it reports; this reader only needs what lint computes with.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alertdrill.catalog.quickyaml import load_yaml_quickly
from alertdrill.durations import parse_prometheus_duration
from alertdrill.errors import ConfigError
from alertdrill.yamlfile import YamlDoc, load_yaml

PROMETHEUS_DEFAULTS = {"scrape_interval": 60.0, "evaluation_interval": 60.0}
PROMTOOL_TIMEOUT_S = 60.0
TEMPLATE = "{{"


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
    keep_firing_for_s: float = 0.0
    query_offset_s: float | None = None  # the group's, if set
    limit: int | None = None  # the group's alert limit, if set

    def static_labels(self) -> dict[str, str]:
        """The labels whose values the file fixes (a templated value is known only at evaluation)."""
        return {k: v for k, v in self.labels.items() if TEMPLATE not in v}

    def routing_labels(self) -> dict[str, str]:
        """What Alertmanager routes on, as far as the file says: alertname and the static labels."""
        return {**self.static_labels(), "alertname": self.name}


@dataclass(frozen=True)
class RecordingRule:
    name: str
    expr: str
    labels: Mapping[str, str]
    path: Path
    line: int


@dataclass(frozen=True)
class RuleFile:
    path: Path
    alerts: list[AlertRule]
    records: int  # recording rules: read, not alerts
    groups: int
    recordings: tuple[RecordingRule, ...] = ()  # what they record, so alerts on them know their labels


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _duration(doc: YamlDoc, value: object, *keys: str | int) -> float:
    try:
        return parse_prometheus_duration(_text(value))
    except ValueError as exc:
        raise doc.error(f"{keys[-1]}: {exc}", *keys) from None


def _optional(doc: YamlDoc, body: Mapping[str, object], key: str, *keys: str | int) -> float | None:
    return _duration(doc, body[key], *keys, key) if body.get(key) is not None else None


def _alert(
    doc: YamlDoc, rule: Mapping[str, object], keys: tuple[str | int, ...], group: Mapping[str, object], g: int
) -> AlertRule:
    labels = {str(k): _text(v) for k, v in (_mapping(rule.get("labels"))).items()}
    interval = _optional(doc, group, "interval", "groups", g)
    limit = group.get("limit")
    return AlertRule(
        name=_text(rule["alert"]),
        expr=_text(rule.get("expr")),
        for_s=_optional(doc, rule, "for", *keys) or 0.0,
        labels=labels,
        annotations={str(k): _text(v) for k, v in _mapping(rule.get("annotations")).items()},
        group=_text(group.get("name")),
        interval_s=interval or None,
        path=doc.path,
        line=doc.line(*keys),
        label_lines={k: doc.line(*keys, "labels", k) for k in labels},
        keep_firing_for_s=_optional(doc, rule, "keep_firing_for", *keys) or 0.0,
        query_offset_s=_optional(doc, group, "query_offset", "groups", g),
        limit=limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else None,
    )


def _mapping(value: object) -> Mapping[object, object]:
    return value if isinstance(value, Mapping) else {}


def load_rule_file(path: Path) -> RuleFile:
    """Alerting rules (with their group's settings) and the count of recording rules of one file."""
    doc = load_yaml_quickly(path, what="rule file")
    data = doc.data if isinstance(doc.data, Mapping) else {}
    alerts, recordings = [], []
    groups = data.get("groups") or []
    if not isinstance(groups, list):
        raise doc.error("`groups` must be a list of rule groups", "groups")
    for g, group in enumerate(groups):
        if not isinstance(group, Mapping):
            raise doc.error("a rule group must be a mapping", "groups", g)
        for r, rule in enumerate(group.get("rules") or []):
            if isinstance(rule, Mapping) and "alert" in rule:
                alerts.append(_alert(doc, rule, ("groups", g, "rules", r), group, g))
            elif isinstance(rule, Mapping) and "record" in rule:
                recordings.append(_recording(doc, rule, ("groups", g, "rules", r)))
    return RuleFile(path, alerts, len(recordings), len(groups), tuple(recordings))


def _recording(doc: YamlDoc, rule: Mapping[str, object], keys: tuple[str | int, ...]) -> RecordingRule:
    labels = {str(k): _text(v) for k, v in _mapping(rule.get("labels")).items()}
    return RecordingRule(_text(rule["record"]), _text(rule.get("expr")), labels, doc.path, doc.line(*keys))


def load_rules(path: Path) -> list[AlertRule]:
    """The alerting rules of one rule file (recording rules are read and left out)."""
    return load_rule_file(path).alerts


@dataclass(frozen=True)
class Intervals:
    scrape_s: float
    evaluation_s: float
    source: str  # where they were read, for the arithmetic shown to people


def _interval(doc: YamlDoc, glob: Mapping[str, object], key: str) -> float:
    seconds = _duration(doc, glob[key], "global", key)
    if seconds <= 0:
        raise ConfigError(f"{key} must be longer than zero", path=doc.path, line=doc.line("global", key))
    return seconds


def load_intervals(path: Path | None) -> Intervals:
    """Global scrape and evaluation intervals from a Prometheus config (Prometheus's defaults otherwise)."""
    if path is None or not path.exists():
        return Intervals(
            PROMETHEUS_DEFAULTS["scrape_interval"], PROMETHEUS_DEFAULTS["evaluation_interval"], "Prometheus defaults"
        )
    doc = load_yaml(path, what="Prometheus configuration")
    glob = _mapping(_mapping(doc.data).get("global"))
    values = {
        key: _interval(doc, glob, key) if glob.get(key) is not None else default  # type: ignore[arg-type]
        for key, default in PROMETHEUS_DEFAULTS.items()
    }
    return Intervals(values["scrape_interval"], values["evaluation_interval"], path.name)


class PromtoolCheck:
    """One `promtool check rules` over every rule file, started at once and read when needed, so that
    Prometheus's own parser judges the files while this reader reads them."""

    def __init__(self, paths: Sequence[Path], promtool: str = "promtool") -> None:
        found = shutil.which(promtool)
        self.paths = list(paths)
        self._process = (
            subprocess.Popen(
                [found, "check", "rules", *map(str, self.paths)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            if found is not None and self.paths
            else None
        )

    def result(self) -> tuple[int, str, str] | None:
        """(exit status, stdout, stderr); None when promtool is not installed or there is nothing to check."""
        if self._process is None:
            return None
        try:
            out, err = self._process.communicate(timeout=PROMTOOL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            out, err = self._process.communicate()
            err += f"\npromtool did not finish within {PROMTOOL_TIMEOUT_S:g} s"
        return self._process.returncode, out, err
