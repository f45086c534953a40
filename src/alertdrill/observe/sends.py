"""Alertmanager's own word on its sends: the notification counters of its `/metrics`, per integration
(`webhook`, `email`, `slack`, ...) and per receiver where it labels them (Alertmanager >= 0.27 with
`--enable-feature=receiver-name-in-metrics`). A counter that rises during the drill is a send that
succeeded (`alertmanager_notifications_total` without a failure) or failed (the failure counters)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

SENT = "alertmanager_notifications_total"
FAILED = ("alertmanager_notifications_failed_total", "alertmanager_notification_requests_failed_total")


@dataclass(frozen=True)
class Counter:
    metric: str
    integration: str
    receiver: str = ""  # "" when Alertmanager does not label its counters by receiver

    @property
    def failed(self) -> bool:
        return self.metric in FAILED


def read_counters(text: str) -> dict[Counter, float]:
    """The notification counters of a `/metrics` answer, summed over other labels (e.g. `reason`)."""
    found: dict[Counter, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name != SENT and sample.name not in FAILED:
                continue
            key = Counter(sample.name, sample.labels.get("integration", ""), sample.labels.get("receiver", ""))
            found[key] = found.get(key, 0.0) + float(sample.value)
    return found


def rises(before: Mapping[Counter, float], after: Mapping[Counter, float]) -> list[Counter]:
    """Counters that rose (a counter seen for the first time rose from 0; a reset is no rise)."""
    return [key for key, value in after.items() if value > before.get(key, 0.0)]
