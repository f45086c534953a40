"""`type: synthetic-alert`: post an alert straight to Alertmanager's API. It proves routing and
delivery only (no rule, no Prometheus); the scorecard says so. Revert posts it again, ended."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import requests

from alertdrill.config import FaultConfig
from alertdrill.errors import InjectorError
from alertdrill.faults.base import InjectorContext, mapping_option, text_option, unknown_options

NOTE = (
    "synthetic alert: posted straight to Alertmanager, so this drill proves routing and delivery "
    "only; the alerting rule and Prometheus were not exercised"
)
LIFETIME = timedelta(hours=1)  # ends by itself even if nothing reverts it


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SyntheticAlertFault:
    type_name: ClassVar[str] = "synthetic-alert"
    alertmanager: str
    alertname: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    note: str = NOTE
    extra_labels: dict[str, str] = field(default_factory=dict)  # the drill's own (fresh-group) labels

    @classmethod
    def from_config(cls, fault: FaultConfig, context: InjectorContext) -> SyntheticAlertFault:
        unknown_options(fault, {"alertname", "labels", "annotations"})
        return cls(
            context.settings.alertmanager,
            str(text_option(fault, "alertname")),
            mapping_option(fault, "labels"),
            mapping_option(fault, "annotations"),
        )

    def with_labels(self, labels: Mapping[str, str]) -> None:
        """The drill's labels (e.g. its fresh-group label), so its observers see this alert as theirs."""
        self.extra_labels.update(labels)

    def _alert(self, ends: datetime) -> dict[str, object]:
        return {
            "labels": {**self.labels, **self.extra_labels, "alertname": self.alertname},
            "annotations": dict(self.annotations),
            "endsAt": ends.isoformat(),
            "generatorURL": "alertdrill://synthetic-alert",
        }

    def _post(self, alert: dict[str, object]) -> None:
        try:
            answer = requests.post(f"{self.alertmanager}/api/v2/alerts", json=[alert], timeout=5)
        except requests.RequestException as exc:
            raise InjectorError(f"Alertmanager at {self.alertmanager} does not answer ({type(exc).__name__})") from None
        if answer.status_code != 200:
            raise InjectorError(f"Alertmanager refused the alert: {answer.status_code} {answer.text[:200]}")

    def inject(self) -> None:
        self._post({**self._alert(_now() + LIFETIME), "startsAt": _now().isoformat()})

    def verify(self) -> str | None:
        answer = requests.get(
            f"{self.alertmanager}/api/v2/alerts",
            timeout=5,
            params={"filter": [f'alertname="{self.alertname}"'], "active": "true"},
        )
        return None if answer.ok and answer.json() else f"Alertmanager holds no active {self.alertname}"

    def revert(self) -> None:
        self._post(self._alert(_now()))

    def describe(self) -> str:
        return f"post {self.alertname} to {self.alertmanager} (routing and delivery only), revert by ending it"
