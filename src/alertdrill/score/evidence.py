"""The evidence on a drill's timeline: when the alert fired, which deliveries count (and why one does
not), where Alertmanager routed it. Pure queries over events; `scoring` turns them into checks."""

from __future__ import annotations

from collections.abc import Sequence

from alertdrill.score.events import Event, EventName

Events = Sequence[Event]


def secs(value: float) -> str:
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def injected_at(events: Events) -> float | None:
    return next((e.at for e in events if e.name == EventName.FAULT_INJECTED), None)


def first_event(events: Events, name: EventName, alert: str | None = None, **details: str) -> Event | None:
    for event in sorted(events, key=lambda e: e.at):
        if event.name != name or (alert and event.detail("alert") != alert):
            continue
        if all(event.detail(k) == v for k, v in details.items()):
            return event
    return None


def fired_at(events: Events, alert: str) -> float | None:
    """When Prometheus fired the alert: Alertmanager's `startsAt` when seen, else the first firing poll."""
    received = first_event(events, EventName.RECEIVED, alert)
    if received is not None and received.starts_at is not None:
        return received.starts_at
    firing = first_event(events, EventName.FIRING, alert)
    return firing.at if firing else None


EARLY_SLACK_S = 0.1  # the sink's and Alertmanager's clocks: one machine, or NTP-close ones


def first_received(events: Events, alert: str, fingerprint: str = "") -> Event | None:
    """When Alertmanager first had `alert` (its `updatedAt`), the one of that fingerprint when given."""
    for event in sorted(events, key=lambda e: e.at):
        if (
            event.name == EventName.RECEIVED
            and event.detail("alert") == alert
            and (not fingerprint or event.detail("fingerprint") in ("", fingerprint))
        ):
            return event
    return None


def not_counted(events: Events, note: Event) -> str | None:
    """Why a notification that reached the sink is no evidence of delivery, or None when it counts: it
    lacked the sink's secret, contradicts Alertmanager's state, or arrived before Alertmanager had the alert."""
    if note.detail("authenticated") == "false":
        return (
            f"it did not carry the sink's secret and was refused ({note.detail('rejected')})"
            if note.detail("rejected")
            else "the sink has no secret, so anyone could have sent it (start the sink with --secret-file)"
        )
    if note.detail("inconsistent"):
        return note.detail("inconsistent")
    alert = note.detail("alert")
    received = first_received(events, alert, note.detail("fingerprint"))
    if received is None:
        return f"Alertmanager never had {alert}" + (" with that fingerprint" if note.detail("fingerprint") else "")
    if note.at < received.at - EARLY_SLACK_S:
        return f"it arrived at the sink {secs(received.at - note.at)} before Alertmanager had the alert"
    receiver, routed = note.detail("receiver"), routed_receivers(events, alert)
    if receiver and routed and receiver not in routed:
        return f"it names receiver {receiver}, but Alertmanager routed {alert} to {', '.join(routed)}"
    return None


def _arrivals(events: Events, alert: str, contact_group: str | None, status: str, channel: str) -> list[Event]:
    """Notifications of `alert` with `status` at the sink, for `contact_group` (or anyone), by `channel` (or any)."""
    return [
        e
        for e in sorted(events, key=lambda e: e.at)
        if e.name == EventName.DELIVERED
        and e.detail("alert") == alert
        and e.detail("status") == status
        and (not channel or e.detail("channel") == channel)
        and (contact_group is None or e.detail("contact_group") == contact_group)
    ]


def delivered(
    events: Events, alert: str, contact_group: str | None = None, status: str = "firing", channel: str = ""
) -> Event | None:
    """The first firing (or `status`) notification of `alert` that reached `contact_group` (or anyone),
    by `channel` ("email", "webhook") or any, and counts as evidence (see `not_counted`)."""
    return next(
        (e for e in _arrivals(events, alert, contact_group, status, channel) if not_counted(events, e) is None), None
    )


def uncounted(events: Events, alert: str, contact_group: str | None = None, channel: str = "") -> str:
    """Why the notifications that reached the sink but do not count were left out, for a check's message."""
    t0 = injected_at(events)
    reasons = dict.fromkeys(
        "a notification arrived at the sink"
        + (f" at +{secs(e.at - t0)}" if t0 is not None else "")
        + f" but {why}: not counted"
        for e in _arrivals(events, alert, contact_group, "firing", channel)
        if (why := not_counted(events, e)) is not None
    )
    return "; ".join(list(reasons)[:3])


def resolved_delivered(events: Events, alert: str) -> Event | None:
    return delivered(events, alert, status="resolved")


def routed_receivers(events: Events, alert: str) -> tuple[str, ...]:
    """Receivers Alertmanager routed the alert to (empty until Alertmanager has it)."""
    received = (e for e in events if e.name == EventName.RECEIVED and e.detail("alert") == alert)
    return tuple(dict.fromkeys(r for event in received for r in event.receivers))


def wrong_route(events: Events, alert: str, receiver: str) -> bool:
    """Alertmanager has the alert and routed it, but not to `receiver`: waiting longer cannot help."""
    routed = routed_receivers(events, alert)
    return bool(routed) and receiver not in routed


def elapsed_since(at: float | None, t0: float | None) -> float | None:
    return None if at is None or t0 is None else round(at - t0, 3)
