"""The answers of Prometheus (2.x-3.x) and Alertmanager (API v2, 0.25-0.34) read into typed values, in
one place, with the differences between versions handled (recorded answers in tests/fixtures/api/):

- Prometheus 3.8: an alerting rule's `state` is `unknown` (and its `health` `unknown`) until its first
  evaluation: loaded, not yet judged. `keepFiringFor` / `keepFiringSince` are read when present.
- Prometheus 3.0: label names may be any UTF-8 (`"my.label"`); they arrive as ordinary JSON keys.
- Alertmanager 0.27: API v1 is gone (410); only `/api/v2/` is used.
- Alertmanager 0.28: `status.mutedBy` (time intervals) in `/api/v2/alerts/groups` (always empty in
  `/api/v2/alerts`); absent before 0.28, read as empty. 0.33 calls a group's receiver a
  `receiverReference` (the same `{name}`); 0.34 adds a group's `routeLabels`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum


class RuleState(Enum):
    UNKNOWN = "unknown"  # not evaluated yet (Prometheus 3.8+); also any state this reader does not know
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"

    @classmethod
    def read(cls, text: object) -> RuleState:
        try:
            return cls(str(text or "").lower())
        except ValueError:
            return cls.UNKNOWN


@dataclass(frozen=True)
class LoadedRule:
    name: str
    query: str
    for_s: float
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    state: RuleState = RuleState.UNKNOWN
    health: str = "unknown"  # ok, err, unknown (not evaluated yet)
    last_error: str = ""
    keep_firing_for_s: float = 0.0

    @property
    def evaluated(self) -> bool:
        return self.state is not RuleState.UNKNOWN and self.health != "unknown"


def _strings(raw: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}


def _names(raw: object) -> tuple[str, ...]:
    return tuple(map(str, raw)) if isinstance(raw, list) else ()


def parse_rules(body: object) -> dict[str, list[LoadedRule]]:
    """`/api/v1/rules` -> alerting rules by name (a name may be loaded in several groups)."""
    data = body.get("data") if isinstance(body, Mapping) else None
    groups = data.get("groups") if isinstance(data, Mapping) else None
    found: dict[str, list[LoadedRule]] = {}
    for group in groups if isinstance(groups, list) else []:
        for rule in group.get("rules") or [] if isinstance(group, Mapping) else []:
            if not isinstance(rule, Mapping) or rule.get("type") != "alerting":
                continue
            loaded = LoadedRule(
                str(rule["name"]),
                str(rule.get("query", "")),
                float(rule.get("duration") or 0),
                _strings(rule.get("labels")),
                _strings(rule.get("annotations")),
                RuleState.read(rule.get("state")),
                str(rule.get("health") or "unknown"),
                str(rule.get("lastError") or ""),
                float(rule.get("keepFiringFor") or 0),
            )
            found.setdefault(loaded.name, []).append(loaded)
    return found


@dataclass(frozen=True)
class AlertStatus:
    state: str  # unprocessed, active, suppressed
    silenced_by: tuple[str, ...] = ()
    inhibited_by: tuple[str, ...] = ()  # fingerprints of the inhibiting alerts
    muted_by: tuple[str, ...] = ()  # time intervals (Alertmanager 0.28+, in alert groups)


def parse_alert_status(raw: object) -> AlertStatus:
    status = raw if isinstance(raw, Mapping) else {}
    return AlertStatus(
        str(status.get("state", "")),
        _names(status.get("silencedBy")),
        _names(status.get("inhibitedBy")),
        _names(status.get("mutedBy")),
    )


@dataclass(frozen=True)
class GroupedAlert:
    labels: Mapping[str, str]
    status: AlertStatus
    fingerprint: str = ""


@dataclass(frozen=True)
class AlertGroup:
    receiver: str
    labels: Mapping[str, str]
    alerts: tuple[GroupedAlert, ...]
    route_labels: Mapping[str, str] = field(default_factory=dict)  # Alertmanager 0.34+


def parse_groups(body: object) -> list[AlertGroup]:
    """`/api/v2/alerts/groups`."""
    found = []
    for group in body if isinstance(body, list) else []:
        if not isinstance(group, Mapping):
            continue
        receiver = group.get("receiver")
        alerts = tuple(
            GroupedAlert(_strings(a.get("labels")), parse_alert_status(a.get("status")), str(a.get("fingerprint", "")))
            for a in group.get("alerts") or []
            if isinstance(a, Mapping)
        )
        name = str(receiver.get("name", "")) if isinstance(receiver, Mapping) else ""
        found.append(AlertGroup(name, _strings(group.get("labels")), alerts, _strings(group.get("routeLabels"))))
    return found


@dataclass(frozen=True)
class AlertmanagerStatus:
    version: str
    config: str  # `config.original`: the loaded configuration as YAML, secrets shown as <secret>
    cluster: str = ""  # ready, settling, disabled


def parse_status(body: object) -> AlertmanagerStatus:
    """`/api/v2/status`."""
    status = body if isinstance(body, Mapping) else {}
    config, version, cluster = (status.get(k) or {} for k in ("config", "versionInfo", "cluster"))
    return AlertmanagerStatus(
        str(version.get("version", "")) if isinstance(version, Mapping) else "",
        str(config.get("original", "")) if isinstance(config, Mapping) else "",
        str(cluster.get("status", "")) if isinstance(cluster, Mapping) else "",
    )
