"""The labels an alert really has, as far as they can be known: its series' labels (carried through its
expression), overridden by the rule's labels, plus `alertname`, plus the external labels it lacks,
then `alert_relabel_configs`: what Prometheus sends to Alertmanager.

The series' labels come from the running Prometheus when it was asked (the series each selector
picks now), else from recording rules (a recorded series carries its expression's labels), else
from the scrape configuration. What none of them knows is "not known here", never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from alertdrill.catalog.label_flow import Labels, flow, merge
from alertdrill.catalog.promql_tree import Node, Selector, parse
from alertdrill.catalog.rules import TEMPLATE, AlertRule, RecordingRule
from alertdrill.catalog.scrape import PrometheusConfig

MAX_DEPTH = 8  # recording rules built on recording rules


@lru_cache(maxsize=4096)
def parsed(expr: str) -> Node | None:
    """The expression's tree (trees are immutable: one parse per expression text), None if not followed."""
    try:
        return parse(expr)
    except (ValueError, IndexError):
        return None


def observed(series: Sequence[Mapping[str, str]], where: str) -> Labels:
    """What a running Prometheus's series say: exact labels (values that differ are not known)."""
    return merge(
        Labels(
            {k: v for k, v in item.items() if k != "__name__"},
            open=False,
            sources=dict.fromkeys(item, where),
        )
        for item in series
    )


@dataclass
class SeriesKnowledge:
    """Where series' labels are learnt: live series (selector text -> label sets), recordings, the config."""

    config: PrometheusConfig
    recordings: Mapping[str, RecordingRule] = field(default_factory=dict)
    live: Mapping[str, Sequence[Mapping[str, str]]] = field(default_factory=dict)
    live_source: str = "the running Prometheus"
    _depth: int = 0

    def __call__(self, selector: Selector) -> Labels:
        found = self.live.get(selector.text)
        if found:
            return observed(found, f"{self.live_source} (series of {selector.text})")
        record = self.recordings.get(selector.metric)
        if record is not None and self._depth < MAX_DEPTH:
            return self._recorded(record)
        return self.config.series_labels(selector)

    def _recorded(self, record: RecordingRule) -> Labels:
        tree = parsed(record.expr)
        if tree is None:
            return Labels()
        self._depth += 1
        try:
            labels = flow(tree, self)
        finally:
            self._depth -= 1
        where = f"recording rule {record.name} ({record.path.name}:{record.line})"
        return _with_rule_labels(labels, record.labels, where)


def _with_rule_labels(labels: Labels, values: Mapping[str, str], where: str) -> Labels:
    static = {k: v for k, v in values.items() if TEMPLATE not in v}
    templated = [k for k, v in values.items() if TEMPLATE in v]
    labels = labels.with_known({k: v for k, v in static.items() if v}, where)
    labels = labels.without([k for k, v in static.items() if not v])
    return labels.with_unknown(templated, f"templated in {where}")


def series_labels(rule: AlertRule, knowledge: SeriesKnowledge) -> Labels:
    """The labels of the series the rule's expression returns (what `$labels` holds in its templates)."""
    tree = parsed(rule.expr)
    return Labels() if tree is None else flow(tree, knowledge)


def alert_labels(rule: AlertRule, knowledge: SeriesKnowledge, series: Labels | None = None) -> Labels:
    """The labels Alertmanager receives for the rule's alerts, as far as they can be known
    (`series`: the rule's series labels when already known)."""
    where = f"the rule ({rule.path.name}:{rule.line})"
    series = series_labels(rule, knowledge) if series is None else series
    labels = _with_rule_labels(series, rule.labels, where)
    labels = labels.with_known({"alertname": rule.name}, where)
    sent = knowledge.config.alert_labels(labels)
    return labels if sent is None else sent
