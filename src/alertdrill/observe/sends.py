"""Alertmanager's own word on its sends: the notification counters of its `/metrics`, per integration
(`webhook`, `email`, `slack`, ...) and per receiver where it labels them (Alertmanager >= 0.27 with
`--enable-feature=receiver-name-in-metrics`).

Alertmanager counts `alertmanager_notifications_total` before it tries, so a successful send is a rise of
`alertmanager_notification_requests_total` minus `..._requests_failed_total`; a failed one is a rise of
`alertmanager_notification_requests_failed_total` (each failed attempt) or `..._notifications_failed_total`
(given up)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

ATTEMPTS = "alertmanager_notification_requests_total"
FAILED_ATTEMPTS = "alertmanager_notification_requests_failed_total"
GAVE_UP = "alertmanager_notifications_failed_total"


@dataclass(frozen=True)
class Counter:
    integration: str
    receiver: str = ""  # "" when Alertmanager does not label its counters by receiver


@dataclass(frozen=True)
class Tally:
    succeeded: float = 0.0
    failed: float = 0.0


def read_counters(texts: Sequence[str]) -> dict[Counter, Tally]:
    """Succeeded and failed sends per integration (and receiver), summed over other labels (e.g. `reason`)
    and over the nodes of a cluster (one `/metrics` text each)."""
    values: dict[tuple[Counter, str], float] = {}
    families = (family for text in texts for family in text_string_to_metric_families(text))
    for family in families:
        for sample in family.samples:
            if sample.name in (ATTEMPTS, FAILED_ATTEMPTS, GAVE_UP):
                key = (Counter(sample.labels.get("integration", ""), sample.labels.get("receiver", "")), sample.name)
                values[key] = values.get(key, 0.0) + float(sample.value)
    counters = {counter for counter, _ in values}
    return {
        c: Tally(
            values.get((c, ATTEMPTS), 0.0) - values.get((c, FAILED_ATTEMPTS), 0.0),
            values.get((c, FAILED_ATTEMPTS), 0.0) + values.get((c, GAVE_UP), 0.0),
        )
        for c in counters
    }


def rises(before: Mapping[Counter, Tally], after: Mapping[Counter, Tally]) -> list[tuple[Counter, bool]]:
    """(counter, failed) for each send outcome that rose (a counter seen for the first time rose from 0)."""
    found = []
    for key, now in after.items():
        old = before.get(key, Tally())
        found += [(key, True)] if now.failed > old.failed else []
        found += [(key, False)] if now.succeeded > old.succeeded else []
    return found
