"""One drill's observers: Prometheus (pending, firing, resolved), Alertmanager (received, routed),
the sink (delivered), and the IMAP mailboxes of the contact groups that name one (delivered, evidence
`mailbox`). They start before the fault and stop when the drill ends.

A webhook arrival is recorded with what the sink knew of it (`authenticated`, `rejected`) and what its
payload says (`fingerprint`, `group_key`, `inconsistent` when the groupKey contradicts the alert);
`alertdrill.score.scoring` decides from these and Alertmanager's own events whether it counts."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import requests

from alertdrill.catalog.inhibition import describe
from alertdrill.catalog.routes import parse_matchers
from alertdrill.errors import TemporaryError
from alertdrill.observe.api_shapes import parse_alert_status, parse_groups
from alertdrill.observe.clients import Alertmanager, Json, Prometheus, ReadsSink, parse_time
from alertdrill.observe.email import mailed_alerts
from alertdrill.observe.mailbox import MailboxMessage, MailboxReader, seen_at
from alertdrill.observe.sends import Counter, Tally, read_counters, rises
from alertdrill.observe.suppression import Suppression
from alertdrill.score.events import EventName, Timeline
from alertdrill.sink.smtp import SMTP_PATH

SLACK_S = 0.5  # server timestamps are compared with the harness clock: same machine, small skew
MAILBOX_INTERVAL_S = 1.0  # how often a contact group's IMAP mailbox is read
SINK_WAIT_S = 0.2  # a watch's wait for the sink's next arrival (also how long `stop` may wait for it)


def group_key_problem(group_key: str, labels: Mapping[str, str]) -> str:
    """What contradicts the alert in a webhook's `groupKey` (`<route matchers>:<group labels>`, e.g.
    `{}/{team="payments"}:{alertname="A"}`), or "" (also when absent or not in Alertmanager's format)."""
    route, sep, grouped = group_key.rpartition("}:{")
    if not sep:
        return ""
    try:
        group = parse_matchers("{" + grouped)
        routes = [
            parse_matchers(part if part.startswith("{") else "{" + part)
            for part in (route + "}").split("}/{")
            if part.strip("{}")
        ]
    except ValueError:
        return ""
    wrong = [str(m) for m in group if m.op == "=" and labels.get(m.name, "") != m.value]
    if wrong:
        return f"its groupKey groups by {', '.join(wrong)}, which the alert does not carry"
    unmatched = [str(m) for matchers in routes for m in matchers if not m.matches(labels)]
    if unmatched:
        return f"its groupKey names a route ({', '.join(unmatched)}) that the alert does not match"
    return ""


def unescape_receiver(name: str) -> str:
    """The webhook payload's receiver name is regex-escaped (`sre.pager` arrives as `sre\\.pager`)."""
    return re.sub(r"\\(.)", r"\1", name)


@dataclass(frozen=True)
class WatchTarget:
    alert: str
    since: float  # ignore anything that started before this (an older alert of the same name)
    group_of: Callable[[str], str | None]  # receiver -> contact group
    labels: Mapping[str, str] = field(default_factory=dict)  # labels this drill's alerts carry
    ack_token: str = ""  # a drill for people: the token of its acknowledgement link
    abort_token: str = ""  # the token of the drill's kill-switch link
    email_receivers: Mapping[str, str] = field(default_factory=dict)  # address -> receiver (email_configs)
    routed_ok: frozenset[str] = frozenset()  # receivers whose contact group accepts routing as proof

    def matches(self, labels: Mapping[str, str]) -> bool:
        return labels.get("alertname") == self.alert and all(labels.get(k) == v for k, v in self.labels.items())


@dataclass
class Watch:
    target: WatchTarget
    timeline: Timeline
    prometheus: Prometheus
    alertmanager: Alertmanager
    sink: ReadsSink | None
    poll_interval_s: float = 0.1
    suppression: Suppression | None = None  # names why Alertmanager holds the alert back
    integrations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # receiver -> webhook, email, ...
    metrics_every_s: float = 1.0
    mailboxes: tuple[MailboxReader, ...] = ()  # contact groups whose email is read back over IMAP
    problems: dict[str, str] = field(default_factory=dict)  # observer -> its last error, while failing
    failing_since: dict[str, float] = field(default_factory=dict)  # observer -> monotonic start of failure
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    cluster_copies: int = 0  # notifications an Alertmanager cluster delivered again from another node
    _seen: set[tuple[str, ...]] = field(default_factory=set)
    _sink_after: int = 0
    _routed: set[str] = field(default_factory=set)
    _counters: dict[Counter, Tally] | None = None
    _metrics_at: float = 0.0
    _sendable: bool = False  # Alertmanager has held this alert unsuppressed (it may have sent it)
    _others: dict[str, set[str]] = field(default_factory=dict)  # receiver -> other alerts seen unsuppressed there

    @property
    def clustered(self) -> bool:
        """Several Alertmanagers (one cluster): each node may deliver the same notification."""
        return bool(getattr(self.alertmanager, "clustered", False))

    def start(self) -> Watch:
        loops: list[Callable[[], None]] = [self._poll_prometheus, self._poll_alertmanager, self._poll_metrics]
        try:
            self._counters = read_counters(self.alertmanager.metrics())  # only sends from now on count
        except (requests.RequestException, ValueError):
            self._counters = None
        with contextlib.suppress(requests.RequestException, ValueError):  # the metrics poll notes them again
            self._note_others()
        if self.sink is not None:
            _, self._sink_after = self.sink.events(0, 0)  # only arrivals from now on count
            loops.append(self._stream_sink)
        loops += [self._mailbox_loop(reader) for reader in self.mailboxes]
        for reader in self.mailboxes:
            self.timeline.record(EventName.MAILBOX_WATCHED, contact_group=reader.group, mailbox=reader.mailbox.shown)
        for loop in loops:
            thread = threading.Thread(
                target=self._guarded, args=(loop,), daemon=True, name=f"alertdrill-{loop.__name__.strip('_')}"
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop_soon(self) -> None:
        """Tell the observers to stop, without waiting for them (`stop` waits)."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.ident is not None:  # started: a signal may land between creating and starting them
                thread.join(timeout=15)
        for reader in self.mailboxes:
            reader.close()

    def outage(self, after_s: float) -> str | None:
        """ "observer: error" when an observer has failed for `after_s` seconds in a row, else None."""
        now = time.monotonic()
        return next(
            (
                f"{name}: {self.problems.get(name, '')}"
                for name, since in list(self.failing_since.items())
                if now - since >= after_s
            ),
            None,
        )

    def _once(self, *key: str) -> bool:
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _guarded(self, loop: Callable[[], None]) -> None:
        name = loop.__name__.strip("_").split("_", 1)[1]
        while not self._stop.is_set():
            try:
                loop()
                self.problems.pop(name, None)
                self.failing_since.pop(name, None)
            except (requests.RequestException, TemporaryError, ValueError, KeyError) as exc:
                self.problems[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
                self.failing_since.setdefault(name, time.monotonic())
                self._stop.wait(self.poll_interval_s * 5)
                continue
            if name != "sink":
                self._stop.wait(self.poll_interval_s)

    def _poll_prometheus(self) -> None:
        alert, firing_now = self.target.alert, False
        for item in self.prometheus.alerts():
            labels = item.get("labels") or {}
            if labels.get("alertname") != alert:
                continue
            active_at = parse_time(str(item.get("activeAt")))
            if active_at < self.target.since - SLACK_S:
                continue
            if self._once("pending", alert):
                self.timeline.record(EventName.PENDING, active_at, alert=alert, source="prometheus")
            if item.get("state") == "firing":
                firing_now = True
                if self._once("firing", alert):
                    self.timeline.record(EventName.FIRING, alert=alert, source="prometheus")
        if not firing_now and ("firing", alert) in self._seen and self._once("resolved", alert):
            self.timeline.record(EventName.RESOLVED, alert=alert, source="prometheus")

    def _poll_alertmanager(self) -> None:
        for item in self.alertmanager.alerts(self.target.alert, self.target.labels):
            starts_at = parse_time(str(item["startsAt"]))
            if starts_at < self.target.since - SLACK_S:
                continue
            status = parse_alert_status(item.get("status"))
            self._sendable = self._sendable or status.state == "active"
            self._silences(list(status.silenced_by))
            names = [str(r["name"]) for r in item.get("receivers") or []]
            self._routed.update(names)
            groups = [g for g in map(self.target.group_of, names) if g]
            if self._once("received", str(item.get("fingerprint")), *names):
                self.timeline.record(
                    EventName.RECEIVED,
                    parse_time(str(item.get("updatedAt") or item["startsAt"])),
                    alert=self.target.alert,
                    starts_at=f"{starts_at:.3f}",
                    receivers=",".join(names),
                    contact_groups=groups,
                    routed_groups=[g for r in names if r in self.target.routed_ok and (g := self.target.group_of(r))],
                    state=status.state,
                    silenced_by=",".join(status.silenced_by),
                    inhibited_by=",".join(status.inhibited_by),
                    muted_by=",".join(status.muted_by),  # Alertmanager 0.28+ (empty in /api/v2/alerts)
                    fingerprint=item.get("fingerprint"),
                )
            self._suppressed(item)

    def _suppressed(self, item: Json) -> None:
        if self.suppression is None:
            return
        for kind, cause in self.suppression.causes(item):
            if self._once("suppressed", cause):
                self.timeline.record(EventName.SUPPRESSED, alert=self.target.alert, kind=kind, cause=cause)

    def _poll_metrics(self) -> None:
        """Alertmanager's send counters: a rise for a receiver this alert was routed to is a send (or a failure),
        once Alertmanager has held the alert unsuppressed; `shared_with` names the other alerts seen
        unsuppressed for that receiver since the watch began (a counter does not say which alert it sent)."""
        if time.monotonic() - self._metrics_at < self.metrics_every_s:
            return
        self._metrics_at = time.monotonic()
        now = read_counters(self.alertmanager.metrics())
        if self._counters is None:
            self._counters = now
            return
        self._note_others()
        for key, failed in rises(self._counters, now):
            receivers = [key.receiver] if key.receiver else self._candidates(key.integration)
            if not receivers:
                continue  # not yet routed: keep the old value, so the rise counts once it is
            if self._was_sendable():  # else suppressed since it came: the send was another alert's
                self._record_send(key, failed, receivers)
            self._counters[key] = now[key]  # used up only once recorded (a failed read above keeps it)

    def _record_send(self, key: Counter, failed: bool, receivers: list[str]) -> None:
        shared = sorted(set().union(*(self._others.get(r, set()) for r in receivers)))
        if self._once("send", str(failed), key.integration, str(bool(shared)), *receivers):
            self.timeline.record(
                EventName.NOTIFY_FAILED if failed else EventName.NOTIFIED,
                alert=self.target.alert,
                receiver=receivers,
                contact_group=[g for g in map(self.target.group_of, receivers) if g],
                integration=key.integration,
                metric="alertmanager_notification_requests_failed_total" if failed else "its send counters",
                per_receiver=str(bool(key.receiver)).lower(),
                shared_with="; ".join(shared[:5]) + (f" and {len(shared) - 5} more" if len(shared) > 5 else "") or None,
            )

    def _was_sendable(self) -> bool:
        """Whether Alertmanager has held this alert unsuppressed (asked again now, so a send that came
        before the alerts poll saw it active still counts)."""
        if not self._sendable:
            self._sendable = any(
                parse_alert_status(item.get("status")).state == "active"
                for item in self.alertmanager.alerts(self.target.alert, self.target.labels, shared=False)
                if parse_time(str(item["startsAt"])) >= self.target.since - SLACK_S
            )
        return self._sendable

    def _note_others(self) -> None:
        """Remember the other alerts Alertmanager holds unsuppressed, per receiver: any of them may be what a
        receiver's counter counts, until the watch ends (also after they resolve: a resolved notification)."""
        for item in self.alertmanager.every_alert():
            raw = item.get("labels") if isinstance(item, dict) else None
            labels = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
            if self.target.matches(labels) or parse_alert_status(item.get("status")).state != "active":
                continue
            for receiver in item.get("receivers") or []:
                self._others.setdefault(str(receiver.get("name")), set()).add(describe(labels))

    def _candidates(self, integration: str) -> list[str]:
        """Receivers of this alert that send through `integration` (counters without a receiver label)."""
        known = self.integrations
        return sorted(r for r in self._routed if not known or integration in known.get(r, ()))

    def _silences(self, silence_ids: list[str]) -> None:
        """A silence made for this alert after the fault is a person's acknowledgement."""
        for silence_id in silence_ids:
            if ("silence", silence_id) in self._seen:
                continue
            silence = self.alertmanager.silence(silence_id)
            self._once("silence", silence_id)
            made_at = parse_time(str(silence.get("updatedAt") or silence.get("startsAt")))
            if made_at >= self.target.since - SLACK_S:
                self.timeline.record(
                    EventName.ACKNOWLEDGED,
                    made_at,
                    alert=self.target.alert,
                    via="silence",
                    by=str(silence.get("createdBy", "")),
                    silence_id=silence_id,
                    comment=str(silence.get("comment", ""))[:200],
                )

    def _stream_sink(self) -> None:
        assert self.sink is not None
        arrivals, self._sink_after = self.sink.events(self._sink_after, SINK_WAIT_S)
        for arrival in arrivals:
            payload = arrival.get("payload") or {}
            if not isinstance(payload, dict):
                continue
            token = self.target.ack_token
            if token and arrival.get("path") == f"/ack/{token}" and self._once("ack", token):
                self.timeline.record(
                    EventName.ACKNOWLEDGED,
                    float(str(arrival["received_at"])),
                    alert=self.target.alert,
                    via="link",
                    by=str(payload.get("by", "")),
                )
                continue
            token = self.target.abort_token
            if token and arrival.get("path") == f"/abort/{token}" and self._once("abort", token):
                self.timeline.record(
                    EventName.KILL_SWITCH, float(str(arrival["received_at"])), via="link", by=str(payload.get("by", ""))
                )
                continue
            at = float(str(arrival["received_at"]))
            if arrival.get("path") == SMTP_PATH:
                self._mail(arrival, payload, at)
                continue
            self._webhook(arrival, payload, at)

    def _webhook(self, arrival: Mapping[str, object], payload: Mapping[str, object], at: float) -> None:
        receiver = unescape_receiver(str(payload.get("receiver", "")))
        group_key = str(payload.get("groupKey") or "")
        facts = {
            "authenticated": str(arrival.get("authenticated") is True).lower(),
            "rejected": str(arrival.get("rejected") or ""),
            "path": str(arrival.get("path", "")),
            "group_key": group_key,
        }
        for alert in payload.get("alerts") or []:  # type: ignore[attr-defined]
            if not isinstance(alert, dict):
                continue
            labels, notes = alert.get("labels") or {}, alert.get("annotations") or {}
            if not isinstance(labels, dict) or not self.target.matches(labels):
                continue
            if parse_time(str(alert.get("startsAt"))) < self.target.since - SLACK_S:
                continue
            status = str(alert.get("status", payload.get("status", "")))
            if self._cluster_copy(group_key, receiver, str(alert.get("fingerprint") or ""), status, facts):
                continue
            self._delivered(
                at,
                receiver,
                status,
                "webhook",
                notes if isinstance(notes, dict) else {},
                fingerprint=str(alert.get("fingerprint") or ""),
                inconsistent=group_key_problem(group_key, labels),
                **facts,
            )

    def _cluster_copy(
        self, group_key: str, receiver: str, fingerprint: str, status: str, facts: dict[str, str]
    ) -> bool:
        """In a cluster, the same notification (group key, receiver, alert fingerprint, status, and what the
        sink knew of it) delivered again, by another node, counts once."""
        if not self.clustered or not group_key or not fingerprint:
            return False
        suspect = (facts["authenticated"], facts["rejected"])
        if self._once("notification", group_key, receiver, fingerprint, status, *suspect):
            return False
        self.cluster_copies += 1
        return True

    def _mail(self, arrival: Mapping[str, object], payload: Mapping[str, object], at: float) -> None:
        """An email: its recipients name the receiver (email_configs `to`), its body the alerts; whether
        it came with SMTP AUTH as the sink's secret is kept like a webhook's."""
        body = str(payload.get("html") or payload.get("text") or "")
        facts = {
            "authenticated": str(arrival.get("authenticated") is True).lower(),
            "rejected": str(arrival.get("rejected") or ""),
        }
        for alert in mailed_alerts(body):
            if not self.target.matches(alert.labels):
                continue
            for address in payload.get("rcpt_tos") or []:  # type: ignore[attr-defined]
                receiver = self.target.email_receivers.get(str(address).lower(), str(address))
                self._delivered(at, receiver, alert.status, "email", alert.annotations, to=str(address), **facts)

    def _mailbox_loop(self, reader: MailboxReader) -> Callable[[], None]:
        """A loop that reads `reader`'s new messages every MAILBOX_INTERVAL_S (its observer name:
        `mailbox:<contact group>`); a reader not started yet notes where new messages begin first."""

        def read() -> None:
            if not reader.started:
                reader.start()
            for message in reader.new_messages():
                self._mailed(reader, message)
            self._stop.wait(MAILBOX_INTERVAL_S)

        read.__name__ = f"_read_mailbox:{reader.group}"
        return read

    def _mailed(self, reader: MailboxReader, message: MailboxMessage) -> None:
        """A message read back from the contact group's mailbox: evidence `mailbox`, timed by its arrival."""
        if message.arrived_at < self.target.since - 1.0 - SLACK_S:  # INTERNALDATE counts whole seconds
            return
        for alert in mailed_alerts(message.body):
            if self.target.matches(alert.labels):
                where = {"evidence": "mailbox", "mailbox": reader.mailbox.shown, "arrived": message.arrived}
                where["to"] = message.to
                self._delivered(seen_at(message), reader.receiver, alert.status, "email", alert.annotations, **where)

    def _delivered(
        self, at: float, receiver: str, status: str, channel: str, notes: Mapping[str, str], **where: str
    ) -> None:
        """Once per receiver, status and channel; a suspect arrival (not authenticated, inconsistent) is kept
        apart, once per reason, so a forger who posts first cannot hide the real delivery that follows."""
        suspect = (where.get("authenticated", "true"), where.get("rejected", ""), where.get("inconsistent", ""))
        where = {k: v for k, v in where.items() if v != ""}
        if suspect != ("true", "", ""):
            notes = {}  # a forger's annotations (its runbook_url) must not steer the drill's runbook steps
        if self._once("delivered", receiver, status, channel, *suspect, where.get("evidence", "")):
            self.timeline.record(
                EventName.DELIVERED,
                at,
                alert=self.target.alert,
                receiver=receiver,
                channel=channel,
                contact_group=self.target.group_of(receiver) or "",
                status=status,
                runbook_url=notes.get("runbook_url", ""),
                annotations=json.dumps(dict(notes), sort_keys=True),
                **where,
            )


def hot_groups(alertmanager: Alertmanager, alert: str, labels: Mapping[str, str] | None = None) -> list[str] | None:
    """Aggregation groups that already hold `alert` and that an alert with the drill's `labels` would join
    (a group whose labels contradict them is another group): a new alert there waits group_interval, not
    group_wait. None when Alertmanager's answer cannot be read (unknown, never a traceback)."""
    wanted = labels or {}
    try:
        return [
            f"{group.receiver}{dict(group.labels)}"
            for group in parse_groups(alertmanager.groups())
            if not any(k in group.labels and group.labels[k] != v for k, v in wanted.items())
            and any(a.labels.get("alertname") == alert for a in group.alerts)
        ]
    except (requests.RequestException, ValueError, TypeError, KeyError, AttributeError):
        return None
