"""How a delivery is proven, strongest first: the notification at alertdrill's sink (`sink`),
Alertmanager's own send counters for the receiver's integration (`alertmanager`), a person's
acknowledgement (`human`), or routing alone (`routed`, counted only where the contact group says
`delivery: routed`). And why a page did not come: suppression, a failed send, a budget that cannot fit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alertdrill.score.events import Event, EventName
from alertdrill.score.evidence import delivered, first_event, first_received, secs
from alertdrill.score.scorecard import Evidence

Events = Sequence[Event]


@dataclass(frozen=True)
class Proof:
    evidence: Evidence
    event: Event

    @property
    def at(self) -> float:
        return self.event.at


def _for_group(event: Event, contact_group: str | None) -> bool:
    return contact_group is None or contact_group in event.names("contact_group")


def sends(events: Events, name: EventName, alert: str, contact_group: str | None, channel: str = "") -> list[Event]:
    """Alertmanager's counter rises (NOTIFIED or NOTIFY_FAILED) for the contact group's receiver after
    Alertmanager had `alert`, by `channel` (an integration: `webhook`, `email`) or any."""
    received = first_received(events, alert)
    if received is None:
        return []
    return [
        e
        for e in sorted(events, key=lambda e: e.at)
        if e.name == name
        and e.at >= received.at
        and _for_group(e, contact_group)
        and (not channel or e.detail("integration") == channel)
    ]


def failed_send(events: Events, alert: str, contact_group: str | None, channel: str = "") -> Event | None:
    """A failed send of the receiver while it had only this alert to send (else it may be another alert's)."""
    failed = sends(events, EventName.NOTIFY_FAILED, alert, contact_group, channel)
    return next((e for e in failed if not e.detail("shared_with")), None)


def unattributed_send(events: Events, alert: str, contact_group: str | None, channel: str = "") -> str:
    """Why a send (or failed send) Alertmanager counted for the receiver is not proof for `alert`
    ("" when there is none)."""
    counted = [
        e
        for name in (EventName.NOTIFIED, EventName.NOTIFY_FAILED)
        for e in sends(events, name, alert, contact_group, channel)
        if e.detail("shared_with")
    ]
    if not counted:
        return ""
    first = counted[0]
    what = "send" if first.name == EventName.NOTIFIED else "failed-send"
    return (
        f"Alertmanager's {first.detail('integration')} {what} counter for {first.names('receiver')[0]} rose, "
        f"but that receiver also had {first.detail('shared_with')} to send, so the send cannot be told apart"
    )


def routed_only(events: Events, alert: str, contact_group: str | None) -> Event | None:
    """Alertmanager routed the alert, unsuppressed, to a receiver whose contact group accepts routing as proof."""
    if suppressions(events, alert):
        return None
    return next(
        (
            e
            for e in sorted(events, key=lambda e: e.at)
            if e.name == EventName.RECEIVED
            and e.detail("alert") == alert
            and e.detail("state") != "suppressed"
            and (contact_group is None or contact_group in e.names("routed_groups"))
            and e.names("routed_groups")
        ),
        None,
    )


def mailbox_watched(events: Events, contact_group: str | None, channel: str) -> bool:
    """Email to a contact group whose mailbox is read back is proven there only: Alertmanager's send
    counter says the SMTP server took the message, not that it reached the mailbox."""
    return channel == "email" and any(
        e.name == EventName.MAILBOX_WATCHED and _for_group(e, contact_group) for e in events
    )


def proof(events: Events, alert: str, contact_group: str | None = None, channel: str = "") -> Proof | None:
    """The strongest proof that `alert` reached `contact_group` (or anyone), or None."""
    hit = delivered(events, alert, contact_group, channel=channel)
    if hit is not None:
        return Proof(Evidence.MAILBOX if hit.detail("evidence") == "mailbox" else Evidence.SINK, hit)
    counters_tell = not suppressions(events, alert) and not mailbox_watched(events, contact_group, channel)
    if counters_tell and failed_send(events, alert, contact_group, channel) is None:
        sent = next(
            (
                e
                for e in sends(events, EventName.NOTIFIED, alert, contact_group, channel)
                if not e.detail("shared_with")
            ),
            None,
        )
        if sent is not None:
            return Proof(Evidence.ALERTMANAGER, sent)
    ack = first_event(events, EventName.ACKNOWLEDGED, alert)
    if ack is not None and not channel:
        return Proof(Evidence.HUMAN, ack)
    routed = routed_only(events, alert, contact_group) if not channel else None
    return Proof(Evidence.ROUTED, routed) if routed is not None else None


def suppressions(events: Events, alert: str) -> list[str]:
    """Every named cause that kept `alert` from being sent (inhibited by, silenced by, muted by), once each."""
    named = (e.detail("cause") for e in events if e.name == EventName.SUPPRESSED and e.detail("alert") == alert)
    return list(dict.fromkeys(named))


def path_arithmetic(events: Events, budget_s: float) -> str:
    """Lint's arithmetic for the alert's path, and whether it can fit `budget_s` at all ("" when unknown)."""
    path = first_event(events, EventName.ALERT_PATH)
    if path is None:
        return ""
    floor = path.number("notify_floor_s")
    verdict = (
        f"it can never fit {secs(budget_s)}"
        if floor is not None and floor > budget_s
        else f"the budget is {secs(budget_s)}"
    )
    hot = " (a live group: group_interval instead of group_wait)" if path.detail("hot") == "true" else ""
    return f"{verdict}: {path.detail('arithmetic')}{hot}"


def late_split(events: Events, alert: str, t0: float, fired: float | None, at: float) -> str:
    """A late delivery split into detection (fault to firing), grouping (Alertmanager's wait before it
    sends: group_wait, or group_interval in a live group) and sending (the rest)."""
    if fired is None:
        return ""
    path = first_event(events, EventName.ALERT_PATH)
    wait = None if path is None else path.number("grouping_s")
    after = max(0.0, at - fired)
    grouping = min(after, wait) if wait is not None else None
    if grouping is None:
        return f"detection {secs(fired - t0)}, grouping and sending {secs(after)}"
    return f"detection {secs(fired - t0)}, grouping {secs(grouping)}, sending {secs(after - grouping)}"
