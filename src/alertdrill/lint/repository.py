"""Everything lint reads, read once: settings, rules, routing tree, contact groups, runbooks, drills."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from alertdrill.catalog.alert_labels import SeriesKnowledge, alert_labels, series_labels
from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.catalog.inhibit import InhibitRule, load_inhibit_rules
from alertdrill.catalog.label_flow import Labels
from alertdrill.catalog.paths import display_path
from alertdrill.catalog.routes import RoutingTree, load_routing_tree
from alertdrill.catalog.rules import (
    AlertRule,
    Intervals,
    PromtoolCheck,
    RecordingRule,
    RuleFile,
    load_intervals,
    load_rule_file,
)
from alertdrill.catalog.runbooks import Runbook, parse_runbook
from alertdrill.catalog.scrape import PrometheusConfig, load_prometheus_config
from alertdrill.config import Settings
from alertdrill.errors import AlertdrillError
from alertdrill.spec.features import compile_feature, feature_files
from alertdrill.spec.model import DrillSpec

T = TypeVar("T")


def drill_key(drill: DrillSpec) -> str:
    return f"{drill.feature}::{drill.name}"


@dataclass
class Repository:
    settings: Settings
    rules: list[AlertRule] = field(default_factory=list)
    routes: RoutingTree | None = None
    inhibit_rules: list[InhibitRule] = field(default_factory=list)
    groups: ContactGroups | None = None
    runbooks: list[Runbook] = field(default_factory=list)
    drills: list[DrillSpec] = field(default_factory=list)
    intervals: Intervals | None = None
    broken: list[AlertdrillError] = field(default_factory=list)  # files that could not be read at all
    missing_rule_files: list[Path] = field(default_factory=list)
    records: int = 0  # recording rules read (not alerts, not errors)
    promtool: PromtoolCheck | None = None  # Prometheus's verdict on the rule files, running while they are read
    prometheus: PrometheusConfig = field(default_factory=lambda: PrometheusConfig("no prometheus_config"))
    recordings: dict[str, RecordingRule] = field(default_factory=dict)  # recorded series -> its rule (first)
    _labels: dict[tuple[str, int], Labels] = field(default_factory=dict, repr=False)
    _series: dict[str, Labels] = field(default_factory=dict, repr=False)  # expression -> its series' labels
    _routes: dict[tuple[str, int], tuple[list[str], tuple[str, ...]]] = field(default_factory=dict, repr=False)
    _by_name: dict[str, AlertRule] = field(default_factory=dict, repr=False)
    _indexed: int = field(default=-1, repr=False)  # how many rules `_by_name` was built from
    _shown: dict[str, str] = field(default_factory=dict, repr=False)

    def show(self, path: Path | str) -> str:
        key = str(path)
        if key not in self._shown:
            self._shown[key] = display_path(Path(path), self.settings.root)
        return self._shown[key]

    def rule(self, alert: str | None) -> AlertRule | None:
        """The first rule that defines `alert` (public rule sets often define one name per severity)."""
        if self._indexed != len(self.rules):
            self._by_name, self._indexed = {}, len(self.rules)
            for rule in self.rules:
                self._by_name.setdefault(rule.name, rule)
        return self._by_name.get(alert or "")

    def labels(self, rule: AlertRule) -> Labels:
        """The labels the rule's alerts carry (rule, series, external labels), as far as files say."""
        key = (str(rule.path), rule.line)
        if key not in self._labels:
            self._labels[key] = alert_labels(rule, self._knowledge(), self.series(rule))
        return self._labels[key]

    def series(self, rule: AlertRule) -> Labels:
        """The labels of the series the rule's expression returns (one analysis per expression)."""
        if rule.expr not in self._series:
            self._series[rule.expr] = series_labels(rule, self._knowledge())
        return self._series[rule.expr]

    def _knowledge(self) -> SeriesKnowledge:
        return SeriesKnowledge(self.prometheus, self.recordings)

    def route(self, rule: AlertRule) -> tuple[list[str], tuple[str, ...]]:
        """Receivers the rule's alerts reach with the labels known here (each once, in routing order), and
        the labels not known here that the route depends on (none: the route is certain)."""
        key = (str(rule.path), rule.line)
        if key not in self._routes:
            routes, depends = self.routes.decide(self.labels(rule).value) if self.routes else ([], ())
            self._routes[key] = (list(dict.fromkeys(route.receiver for route in routes)), depends)
        return self._routes[key]

    def known_labels(self, rule: AlertRule) -> dict[str, str]:
        return dict(self.labels(rule).known)

    def template_labels(self, rule: AlertRule) -> dict[str, str]:
        """Labels known for `{{ $labels.x }}` in the rule's annotations: Prometheus expands them from the
        series' labels; the rule's own static labels fill in what the series' labels do not say."""
        return {**rule.static_labels(), **self.series(rule).known}

    @classmethod
    def load(
        cls, settings: Settings, drill_paths: Iterable[Path] | None = None, drills: Sequence[DrillSpec] | None = None
    ) -> Repository:
        """Read what can be read; a file that cannot be read becomes a finding, not a crash.
        `drills`: already compiled drills (a run's plan), so no feature file is parsed twice."""
        repo = cls(settings)
        groups = repo._attempt(partial(ContactGroups.load, settings.contact_groups))
        repo.groups = groups
        repo.promtool = PromtoolCheck([p for p in settings.rules if p.exists()])
        for path in settings.rules:
            if not path.exists():
                repo.missing_rule_files.append(path)
                continue
            read: RuleFile | None = repo._attempt(partial(load_rule_file, path))
            if read is not None:
                repo.rules += read.alerts
                repo.records += read.records
                for record in read.recordings:
                    repo.recordings.setdefault(record.name, record)
        if settings.alertmanager_config is not None:
            repo.routes = repo._attempt(partial(load_routing_tree, settings.alertmanager_config))
            if repo.routes is not None:
                repo.inhibit_rules = repo._attempt(partial(load_inhibit_rules, settings.alertmanager_config)) or []
        repo.intervals = repo._attempt(partial(load_intervals, settings.prometheus_config))
        if repo.intervals is not None:  # a broken file is reported once, by load_intervals
            repo.prometheus = load_prometheus_config(settings.prometheus_config)
        if settings.runbooks is not None and settings.runbooks.is_dir():
            for path in sorted(settings.runbooks.rglob("*.md")):
                book = repo._attempt(partial(parse_runbook, path))
                if book is not None:
                    repo.runbooks.append(book)
        if drills is not None:
            repo.drills = list(drills)
        elif groups is not None:
            paths = list(drill_paths) if drill_paths is not None else [settings.root / "drills"]
            for path in feature_files(p for p in paths if p.exists()):
                repo.drills += repo._attempt(partial(compile_feature, path, settings, groups)) or []
        return repo

    def _attempt(self, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except AlertdrillError as exc:
            self.broken.append(exc)
            return None
