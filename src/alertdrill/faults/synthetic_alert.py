"""`type: synthetic-alert`: post an alert straight to Alertmanager's API. It proves routing and
delivery only (no rule, no Prometheus); the scorecard says so. Revert posts it again, ended."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import requests

from alertdrill.config import FaultConfig
from alertdrill.endpoints import Endpoint
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
    alertmanagers: tuple[Endpoint, ...]  # one, or every node of a cluster (as Prometheus sends to each)
    alertname: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    note: str = NOTE
    extra_labels: dict[str, str] = field(default_factory=dict)  # the drill's own (fresh-group) labels

    @classmethod
    def from_config(cls, fault: FaultConfig, context: InjectorContext) -> SyntheticAlertFault:
        unknown_options(fault, {"alertname", "labels", "annotations"})
        return cls(
            context.settings.alertmanager_endpoints,
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

    @property
    def alertmanager(self) -> str:
        return self.alertmanagers[0].shown

    def _post(self, alert: dict[str, object]) -> None:
        """To every node; it is enough that one takes it (the cluster shares what it notified)."""
        problems = []
        for node in self.alertmanagers:
            try:
                answer = node.session().post(node.at("/api/v2/alerts"), json=[alert], timeout=5)
            except requests.RequestException as exc:
                problems.append(f"Alertmanager at {node.shown} does not answer ({type(exc).__name__})")
                continue
            if answer.status_code != 200:
                problems.append(f"Alertmanager refused the alert: {answer.status_code} {node.scrub(answer.text[:200])}")
        if len(problems) == len(self.alertmanagers):
            raise InjectorError("; ".join(problems))

    def inject(self) -> None:
        self._post({**self._alert(_now() + LIFETIME), "startsAt": _now().isoformat()})

    def verify(self) -> str | None:
        for node in self.alertmanagers:
            try:
                answer = node.session().get(
                    node.at("/api/v2/alerts"),
                    timeout=5,
                    params={"filter": [f'alertname="{self.alertname}"'], "active": "true"},
                )
            except requests.RequestException:
                continue
            if answer.ok and answer.json():
                return None
        return f"Alertmanager holds no active {self.alertname}"

    def revert(self) -> None:
        self._post(self._alert(_now()))

    def describe(self) -> str:
        return f"post {self.alertname} to {self.alertmanager} (routing and delivery only), revert by ending it"
