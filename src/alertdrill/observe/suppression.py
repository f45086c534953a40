"""Why Alertmanager holds an alert back, named: the inhibiting alert (its name and labels, from the
fingerprint Alertmanager reports) and the inhibit rule that lets it; the silence (id, creator, comment);
the time interval that mutes the route (`mutedBy` on Alertmanager >= 0.28, else the configuration and
the clock). `forecast` says the same before anything is injected."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from alertdrill.catalog.inhibition import ActiveAlert, describe, explain, inhibition
from alertdrill.catalog.routes import RoutingTree
from alertdrill.catalog.timeintervals import muting
from alertdrill.observe.clients import Alertmanager, Json, parse_time


def labels_of(item: Json) -> dict[str, str]:
    raw = item.get("labels") if isinstance(item, dict) else None
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def active_alerts(items: Sequence[Json], now: float) -> list[ActiveAlert]:
    """Alertmanager's alerts as inhibit sources: resolved once their endsAt has passed."""
    found = []
    for item in items:
        ends = str(item.get("endsAt") or "") if isinstance(item, dict) else ""
        found.append(ActiveAlert(labels_of(item), resolved=bool(ends) and parse_time(ends) <= now))
    return found


@dataclass
class Suppression:
    alertmanager: Alertmanager
    tree: RoutingTree | None  # the configuration Alertmanager runs (None: unknown, causes by id only)
    clock: Callable[[], float] = time.time
    _silences: dict[str, str] = field(default_factory=dict)
    _inhibitors: dict[str, str] = field(default_factory=dict)

    def causes(self, item: Json) -> list[tuple[str, str]]:
        """(kind, cause) for each reason Alertmanager gives for holding `item` back, or the clock's mute."""
        status = item.get("status") or {}
        labels = labels_of(item)
        found = [("inhibited", self.inhibited_by(str(fp), labels)) for fp in status.get("inhibitedBy") or []]
        found += [("silenced", self.silenced_by(str(sid))) for sid in status.get("silencedBy") or []]
        muted = status.get("mutedBy")
        if muted:  # Alertmanager >= 0.28 says it; the route is ours to name
            found += [("muted", cause) for cause in self.muted(labels, names=[str(n) for n in muted])]
        elif muted is None and status.get("state") == "active":
            found += [("muted", cause) for cause in self.muted(labels)]
        return found

    def inhibited_by(self, fingerprint: str, target: Mapping[str, str]) -> str:
        if fingerprint not in self._inhibitors:
            self._inhibitors[fingerprint] = self._inhibitor(fingerprint, target)
        return self._inhibitors[fingerprint]

    def _inhibitor(self, fingerprint: str, target: Mapping[str, str]) -> str:
        source = next((a for a in self.alertmanager.every_alert() if a.get("fingerprint") == fingerprint), None)
        if source is None:
            return f"inhibited by the alert with fingerprint {fingerprint} (no longer in Alertmanager)"
        labels = labels_of(source)
        rule = explain(self.tree.inhibit_rules, target, labels) if self.tree else None
        return f"inhibited by {describe(labels)}" + (f" through {rule}" if rule else "")

    def silenced_by(self, silence_id: str) -> str:
        if silence_id not in self._silences:
            silence = self.alertmanager.silence(silence_id)
            by, comment = str(silence.get("createdBy", "") or "?"), str(silence.get("comment", ""))[:200]
            self._silences[silence_id] = f"silenced by {silence_id} (a silence created by {by}: {comment!r})"
        return self._silences[silence_id]

    def muted(self, labels: Mapping[str, str], names: Sequence[str] = ()) -> list[str]:
        """`muted by the time interval X on route P` for each route the alert ends in that sends nothing now
        (`names`: the intervals Alertmanager says mute it; else the configuration and the clock decide)."""
        if self.tree is None:
            return [f"muted by the time interval {name}" for name in names]
        now = datetime.fromtimestamp(self.clock(), UTC)
        found = []
        for route in self.tree.routes_for(labels):
            own = (*route.mute_time_intervals, *route.active_time_intervals)
            holding = [n for n in names if n in own] if names else []
            if not names:
                holding = muting(self.tree.time_intervals, route.mute_time_intervals, route.active_time_intervals, now)
            for name in holding:
                what = name if name.startswith("outside") else f"the time interval {name}"
                found.append(f"muted by {what} on route {route.path} (receiver {route.receiver})")
        return found or [f"muted by the time interval {name}" for name in names]

    def forecast(self, labels: Mapping[str, str]) -> list[str]:
        """Before injecting: `would be inhibited by X`, `muted now by Y` for an alert with `labels`."""
        said = [cause.replace("muted by", "muted now by", 1) for cause in self.muted(labels)]
        if self.tree is not None and self.tree.inhibit_rules:
            alerts = active_alerts(self.alertmanager.every_alert(), self.clock())
            found = inhibition(self.tree.inhibit_rules, labels, alerts)
            said += [f"would be {found}"] if found else []
        return said
