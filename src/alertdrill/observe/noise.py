"""The noise picture: every alert other than the drilled one that goes pending or firing during the
drill, what Alertmanager did with it (routed, inhibited, silenced) and every notification of it.

`NoiseWatch` runs beside the drilled alert's own `Watch` and records the same events (`alert_pending`,
`alert_firing`, `alert_resolved`, `alert_received`, `notification_delivered`) with the same details, each
carrying its `alert`, so scoring and the reports read every alert the same way. Differences: a new
`alert_received` is recorded whenever Alertmanager's verdict on an alert changes (active, then
inhibited); every notification is recorded (`arrival`: the sink's sequence number), so a storm or a
repeat shows; for the drilled alert only the repeats are recorded here (its `Watch` has the first)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from alertdrill.observe.clients import parse_time
from alertdrill.observe.email import mailed_alerts
from alertdrill.observe.watch import SINK_WAIT_S, SLACK_S, Watch, group_key_problem, unescape_receiver
from alertdrill.score.events import EventName
from alertdrill.sink.smtp import SMTP_PATH

HIDDEN_LABELS = frozenset({"alertname"})


def series_of(labels: Mapping[str, object], hidden: frozenset[str] = HIDDEN_LABELS) -> str:
    """An alert's labels as one line (`instance="x", job="y"`), its name and the drill's own labels left out
    (`score.noise.labels_of` reads it back)."""
    return ", ".join(f"{k}={json.dumps(str(v))}" for k, v in sorted(labels.items()) if k not in hidden)


@dataclass(frozen=True)
class Notification:
    """One alert in one arrival at the sink."""

    seq: str
    receiver: str
    channel: str
    status: str
    labels: Mapping[str, str]
    notes: Mapping[str, str]
    facts: Mapping[str, str] = field(default_factory=dict)


@dataclass
class NoiseWatch(Watch):
    """Every alert but `target.alert` (the drilled one, which its own `Watch` observes)."""

    ignored: frozenset[str] = frozenset()  # alerts other drills of a parallel run drill (their own, not noise)
    _verdicts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # fingerprint -> last AM verdict
    _firing: set[tuple[str, str]] = field(default_factory=set)  # (alert, series) seen firing

    def _hidden(self) -> frozenset[str]:
        return HIDDEN_LABELS | frozenset(self.target.labels)

    def _other(self, labels: Mapping[str, object]) -> bool:
        """Another alert than the drilled one and those drilled beside it."""
        name = labels.get("alertname")
        return bool(name) and name != self.target.alert and name not in self.ignored

    def _new(self, labels: Mapping[str, object], since: float) -> bool:
        """Another alert than the drilled one, that started during the drill, in the drill's groups."""
        return self._other(labels) and since >= self.target.since - SLACK_S

    def _poll_prometheus(self) -> None:
        firing_now: set[tuple[str, str]] = set()
        for item in self.prometheus.alerts():
            labels = item.get("labels") or {}
            if not self._other(labels):
                continue  # cheap first: the time is parsed only for the alerts that may be noise
            active_at = parse_time(str(item.get("activeAt")))
            if not self._new(labels, active_at):
                continue
            key = (str(labels["alertname"]), series_of(labels, self._hidden()))
            if self._once("pending", *key):
                self.timeline.record(EventName.PENDING, active_at, alert=key[0], series=key[1], source="prometheus")
            if item.get("state") == "firing":
                firing_now.add(key)
                if self._once("firing", *key):
                    self._firing.add(key)
                    self.timeline.record(EventName.FIRING, alert=key[0], series=key[1], source="prometheus")
        for key in self._firing - firing_now:
            if self._once("resolved", *key):
                self.timeline.record(EventName.RESOLVED, alert=key[0], series=key[1], source="prometheus")

    def _poll_alertmanager(self) -> None:
        for item in self.alertmanager.alerts_matching(self.target.labels):
            labels = item.get("labels") or {}
            if not self._other(labels):
                continue
            starts_at = parse_time(str(item["startsAt"]))
            if not self._new(labels, starts_at):
                continue
            status = item.get("status") or {}
            receivers = ",".join(r["name"] for r in item.get("receivers") or [])
            verdict = (
                receivers,
                str(status.get("state", "")),
                ",".join(status.get("silencedBy") or []),
                ",".join(status.get("inhibitedBy") or []),
            )
            fingerprint = str(item.get("fingerprint"))
            first = fingerprint not in self._verdicts
            if self._verdicts.get(fingerprint) == verdict or verdict[1] == "unprocessed":
                continue
            self._verdicts[fingerprint] = verdict
            self.timeline.record(
                EventName.RECEIVED,
                parse_time(str(item.get("updatedAt") or item["startsAt"])) if first else time.time(),
                alert=str(labels["alertname"]),
                series=series_of(labels, self._hidden()),
                starts_at=f"{starts_at:.3f}",
                receivers=receivers,
                state=verdict[1],
                silenced_by=verdict[2],
                inhibited_by=verdict[3],
                fingerprint=fingerprint,
            )

    def _stream_sink(self) -> None:
        assert self.sink is not None
        arrivals, self._sink_after = self.sink.events(self._sink_after, SINK_WAIT_S)
        for arrival in arrivals:
            payload = arrival.get("payload") or {}
            if not isinstance(payload, dict):
                continue
            at = float(str(arrival["received_at"]))
            for note in self._notifications(arrival, payload):
                self._arrived(at, note)

    def _notifications(self, arrival: Mapping[str, object], payload: Mapping[str, object]) -> list[Notification]:
        seq = str(arrival.get("seq", ""))
        sender = {
            "authenticated": str(arrival.get("authenticated") is True).lower(),
            "rejected": str(arrival.get("rejected") or ""),
        }
        if arrival.get("path") == SMTP_PATH:
            body = str(payload.get("html") or payload.get("text") or "")
            return [
                Notification(
                    seq,
                    self.target.email_receivers.get(str(a).lower(), str(a)),
                    "email",
                    m.status,
                    m.labels,
                    m.annotations,
                    {"to": str(a), **sender},
                )
                for m in mailed_alerts(body)
                for a in payload.get("rcpt_tos") or []  # type: ignore[attr-defined]
            ]
        receiver = unescape_receiver(str(payload.get("receiver", "")))
        group_key = str(payload.get("groupKey") or "")
        facts = {**sender, "path": str(arrival.get("path", "")), "group_key": group_key}
        found = []
        for alert in payload.get("alerts") or []:  # type: ignore[attr-defined]
            labels = alert.get("labels") if isinstance(alert, dict) else None
            if not isinstance(labels, dict) or not isinstance(alert, dict):
                continue
            raw_notes = alert.get("annotations")
            notes: dict[str, str] = raw_notes if isinstance(raw_notes, dict) else {}
            extra = {
                "fingerprint": str(alert.get("fingerprint") or ""),
                "inconsistent": group_key_problem(group_key, labels),
            }
            status = str(alert.get("status", payload.get("status", "")))
            started = parse_time(str(alert.get("startsAt"))) if alert.get("startsAt") else self.target.since
            if started >= self.target.since - SLACK_S:
                found.append(Notification(seq, receiver, "webhook", status, labels, notes, {**facts, **extra}))
        return found

    def _arrived(self, at: float, note: Notification) -> None:
        """Once per arrival, alert, receiver and status; for the drilled alert, only repeats."""
        labels = note.labels
        if any(labels.get(k) != v for k, v in self.target.labels.items()):
            return
        name = str(labels.get("alertname", ""))
        if name in self.ignored:
            return
        suspect = (
            note.facts.get("authenticated", "true"),
            note.facts.get("rejected", ""),
            note.facts.get("inconsistent", ""),
        )
        key = (name, note.receiver, note.status, note.channel, *suspect)
        if name == self.target.alert and self._once("first", *key):
            self._once("arrival", note.seq, *key)
            return  # the drilled alert's own Watch records its first notification
        if not self._once("arrival", note.seq, *key):
            return
        where = {k: v for k, v in note.facts.items() if v != ""}
        notes = note.notes if suspect == ("true", "", "") else {}
        self.timeline.record(
            EventName.DELIVERED,
            at,
            alert=name,
            receiver=note.receiver,
            channel=note.channel,
            contact_group=self.target.group_of(note.receiver) or "",
            status=note.status,
            runbook_url=notes.get("runbook_url", ""),
            annotations=json.dumps(dict(notes), sort_keys=True),
            arrival=note.seq,
            repeat="true" if name == self.target.alert else None,
            series=None if name == self.target.alert else series_of(labels, self._hidden()),
            **where,
        )
