"""`type: metric`: push a synthetic series to a Pushgateway (which Prometheus scrapes); revert deletes
the pushed group. The rule and everything after it run for real; only the symptom is synthetic."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import quote

import requests

from alertdrill.config import FaultConfig
from alertdrill.endpoints import Endpoint
from alertdrill.errors import ConfigError, InjectorError
from alertdrill.faults.base import (
    InjectorContext,
    endpoint_option,
    mapping_option,
    number_option,
    text_option,
    unknown_options,
)
from alertdrill.redact import redact

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


@dataclass(frozen=True)
class MetricFault:
    type_name: ClassVar[str] = "metric"
    pushgateway: Endpoint
    metric: str
    value: float
    job: str = "alertdrill"
    labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, fault: FaultConfig, context: InjectorContext) -> MetricFault:
        unknown_options(fault, {"pushgateway", "metric", "value", "job", "labels"})
        metric = str(text_option(fault, "metric"))
        labels = mapping_option(fault, "labels")
        if not NAME.match(metric) or not all(LABEL.match(k) for k in labels):
            raise ConfigError(
                f"fault {fault.name!r}: {metric!r} or a label name is not a Prometheus name", fix=f"at {fault.source}"
            )
        value = number_option(fault, "value", -sys.float_info.max, sys.float_info.max, ...)  # required, finite
        return cls(
            endpoint_option(fault, "pushgateway", context.settings.root),
            metric,
            float(value or 0.0),
            str(text_option(fault, "job", "alertdrill")),
            labels,
        )

    @property
    def group_url(self) -> str:
        return self.pushgateway.at(f"/metrics/job/{quote(self.job, safe='')}")

    def _series(self) -> str:
        labels = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(self.labels.items()))
        return f"{self.metric}{{{labels}}} {self.value:g}" if labels else f"{self.metric} {self.value:g}"

    def _call(self, method: str, body: str | None = None) -> requests.Response:
        try:
            answer = self.pushgateway.session().request(method, self.group_url, data=body, timeout=5)
        except requests.RequestException as exc:
            raise InjectorError(
                f"the Pushgateway at {self.pushgateway.shown} does not answer ({type(exc).__name__})",
                fix="start it, or fix `pushgateway:` of the fault",
            ) from None
        if answer.status_code not in (200, 202):
            raise InjectorError(
                f"the Pushgateway refused {method} {redact(self.group_url)}: {answer.status_code} "
                f"{self.pushgateway.scrub(answer.text[:200])}"
            )
        return answer

    def inject(self) -> None:
        self._call("PUT", f"# TYPE {self.metric} gauge\n{self._series()}\n")

    def verify(self) -> str | None:
        text = self.pushgateway.session().get(self.pushgateway.at("/metrics"), timeout=5).text
        found = any(
            line.startswith(self.metric) and f'job="{self.job}"' in line and line.endswith(f" {self.value:g}")
            for line in text.splitlines()
        )
        return None if found else f"{self.metric} is not in the Pushgateway's metrics"

    def revert(self) -> None:
        self._call("DELETE")

    def describe(self) -> str:
        return f"push `{self._series()}` to {redact(self.group_url)}, revert by deleting the group"
