"""Verdicts on the whole drill window (round 2): other alerts, other teams, storms, inhibition and
resolution; and the noise picture (every alert that went pending or firing, and whom it reached).
Pure queries over the timeline, like `scoring`."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence

from alertdrill.score.events import Event, EventName
from alertdrill.score.evidence import fired_at, injected_at, not_counted, secs
from alertdrill.score.scorecard import Check, NoiseEntry

Events = Sequence[Event]

_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*")')


def labels_of(series: str) -> dict[str, str]:
    """`instance="x", job="y"` (as `observe.noise.series_of` writes it) -> {"instance": "x", "job": "y"}."""
    return {name: str(json.loads(value)) for name, value in _PAIR.findall(series)}


def named(alert: str, series: str) -> str:
    return f"{alert}{{{series}}}" if series else alert


def counted(events: Events, status: str = "firing") -> list[Event]:
    """Notifications at the sink that count as evidence (see `evidence.not_counted`), of `status`."""
    return [
        e
        for e in events
        if e.name == EventName.DELIVERED and e.detail("status") == status and not_counted(events, e) is None
    ]


def arrivals(notes: Sequence[Event]) -> int:
    """How many notifications `notes` are: alerts that arrived in one webhook call are one notification."""
    return len({e.detail("arrival") or f"{e.at}:{e.detail('receiver')}:{e.detail('channel')}" for e in notes})


def active_routes(events: Events) -> dict[str, set[str]]:
    """Alert -> receivers Alertmanager routed it to while not suppressed (it will be notified there)."""
    routes: dict[str, set[str]] = {}
    for event in events:
        if event.name == EventName.RECEIVED and event.detail("state") != "suppressed":
            routes.setdefault(event.detail("alert"), set()).update(event.receivers)
    return routes


def check_only_group(group: str, receiver: str, events: Events) -> Check:
    """Every notification of the drill (and every active route) went to `receiver`; others named."""
    name = f"only {group} is notified"
    others = {
        f"{e.detail('alert')} reached receiver {e.detail('receiver')}"
        + (f" (contact group {e.detail('contact_group')})" if e.detail("contact_group") else "")
        for e in counted(events)
        if e.detail("receiver") != receiver
    }
    delivered = {(e.detail("alert"), e.detail("receiver")) for e in counted(events)}
    others |= {
        f"{alert} was routed to receiver {other}"
        for alert, receivers in active_routes(events).items()
        for other in receivers - {receiver}
        if (alert, other) not in delivered
    }
    if not others:
        return Check(name, True, f"notifications to {receiver} only", f"only {receiver}")
    listed = "; ".join(sorted(others))
    return Check(
        name,
        False,
        f"notifications to {receiver} ({group}) only",
        listed,
        f"other teams were paged: {listed}; fix the routes (or inhibit the dependent alerts) so that "
        f"only {group} is notified",
    )


def check_no_other(names: Collection[str], events: Events) -> Check:
    """No alert but `names` went pending or firing during the drill."""
    name = "no other alert fires"
    t0 = injected_at(events)
    others = {
        named(e.detail("alert"), e.detail("series"))
        + (f" ({'firing' if e.name == EventName.FIRING else 'pending'} at +{secs(e.at - t0)})" if t0 else "")
        for e in events
        if e.name in (EventName.PENDING, EventName.FIRING) and e.detail("alert") not in names
    }
    expected = f"only {', '.join(names)}"
    if not others:
        return Check(name, True, expected, expected)
    alerts = sorted(
        {e.detail("alert") for e in events if e.name == EventName.PENDING and e.detail("alert") not in names}
    )
    return Check(
        name,
        False,
        expected,
        "; ".join(sorted(others)),
        f"other alerts went pending or firing during the drill: {', '.join(alerts) or '; '.join(sorted(others))}; "
        "name them in the drill if the fault should fire them, or find out why they fire",
    )


def _inhibitors(events: Events, fingerprints: Sequence[str]) -> str:
    """Fingerprints of inhibiting alerts -> their names (as far as the timeline knows them)."""
    by_print = {e.detail("fingerprint"): e.detail("alert") for e in events if e.name == EventName.RECEIVED}
    return ", ".join(dict.fromkeys(by_print.get(f, f) for f in fingerprints))


def check_inhibited(alert: str, events: Events) -> Check:
    """`alert` fired in Prometheus, Alertmanager inhibited it, and no firing notification of it counts."""
    name, expected = f"alert {alert} is inhibited", "fires, inhibited, reaches nobody"
    reached = [e for e in counted(events) if e.detail("alert") == alert]
    if reached:
        whom = ", ".join(sorted({e.detail("contact_group") or e.detail("receiver") for e in reached}))
        return Check(
            name,
            False,
            expected,
            f"reached {whom}",
            f"{alert} should be inhibited but paged {whom} ({arrivals(reached)} notification(s)): "
            "add or fix an inhibit rule whose source is the drilled alert",
        )
    received = [e for e in events if e.name == EventName.RECEIVED and e.detail("alert") == alert]
    if fired_at(events, alert) is None and not received:
        return Check(
            name,
            False,
            expected,
            "never fired",
            f"{alert} never fired in Prometheus, so its inhibition is not proven: the fault does not "
            "reach it, or its rule's `for` is longer than the drill",
        )
    inhibited = [e for e in received if e.names("inhibited_by")]
    if inhibited:
        by = _inhibitors(events, inhibited[-1].names("inhibited_by"))
        return Check(name, True, expected, f"inhibited by {by}")
    if not received:
        return Check(name, False, expected, "not in Alertmanager", f"{alert} fired but never reached Alertmanager")
    last = received[-1]
    silenced = last.detail("silenced_by")
    actual = (
        f"silenced by {silenced}"
        if silenced
        else f"{last.detail('state') or 'active'}, routed to {last.detail('receivers')}"
    )
    return Check(
        name,
        False,
        expected,
        actual,
        f"Alertmanager did not inhibit {alert} ({actual}): add an inhibit rule whose source matches the "
        f"drilled alert and whose target matches {alert}, with `equal` labels both carry",
    )


def check_at_most(count: int, group: str, receiver: str, alerts: Collection[str], events: Events) -> Check:
    """At most `count` firing notifications of the drill's `alerts` reached `receiver`."""
    name = f"at most {count} notification{'' if count == 1 else 's'} reach{'es' if count == 1 else ''} {group}"
    notes = [e for e in counted(events) if e.detail("alert") in alerts and e.detail("receiver") == receiver]
    seen = arrivals(notes)
    per_alert = ", ".join(
        f"{alert} {arrivals([e for e in notes if e.detail('alert') == alert])}"
        for alert in dict.fromkeys(e.detail("alert") for e in notes)
    )
    actual = f"{seen} notification(s)" + (f" ({per_alert})" if per_alert else "")
    if seen <= count:
        return Check(name, True, f"at most {count}", actual)
    return Check(
        name,
        False,
        f"at most {count}",
        actual,
        f"{seen} notifications reached {group}, {seen - count} more than {count} ({per_alert}): a storm; "
        "group the alerts (group_by), inhibit the dependent ones, or raise repeat_interval",
    )


def check_resolves(
    budget_s: float, alerts: Collection[str], reverted: float | None, senders: Collection[str], events: Events
) -> Check:
    """Every alert of `alerts` that fired resolved in Prometheus within the budget after the revert, and each
    receiver in `senders` (send_resolved) that had its firing notification got the resolved one in time."""
    name = f"resolves within {secs(budget_s)} of the revert"
    expected = f"resolved within {secs(budget_s)} of the revert"
    if reverted is None:
        return Check(name, False, expected, "not reverted", "the fault was not reverted, so nothing could resolve")
    late: list[str] = []
    done: list[str] = []
    for alert in alerts:
        if fired_at(events, alert) is None:
            continue
        resolved = [e.at for e in events if e.name == EventName.RESOLVED and e.detail("alert") == alert]
        _judge(f"{alert} in Prometheus", [t for t in resolved if t >= reverted], reverted, budget_s, late, done)
        for receiver in sorted({e.detail("receiver") for e in counted(events) if e.detail("alert") == alert}):
            if receiver in senders:
                notes = [
                    e.at
                    for e in counted(events, "resolved")
                    if e.detail("alert") == alert and e.detail("receiver") == receiver and e.at >= reverted
                ]
                _judge(f"{alert}'s resolved notification to {receiver}", notes, reverted, budget_s, late, done)
    if not done and not late:
        return Check(name, False, expected, "no alert fired", "none of the drill's alerts fired, so none could resolve")
    if late:
        return Check(
            name, False, expected, "; ".join(late), f"not resolved in time after the revert: {'; '.join(late)}"
        )
    return Check(name, True, expected, "; ".join(done))


def _judge(
    what: str, times: Sequence[float], reverted: float, budget_s: float, late: list[str], done: list[str]
) -> None:
    if not times:
        late.append(f"{what}: not within {secs(budget_s)}")
    elif min(times) - reverted > budget_s:
        late.append(f"{what}: after {secs(min(times) - reverted)}")
    else:
        done.append(f"{what} after {secs(min(times) - reverted)}")


def decided(alerts: Collection[str], events: Events) -> bool:
    """Every alert of `alerts` that fired is suppressed in Alertmanager, or was notified (a counted
    notification) at every receiver Alertmanager routed it to."""
    routes = active_routes(events)
    notified = {(e.detail("alert"), e.detail("receiver")) for e in counted(events)}
    for alert in alerts:
        if fired_at(events, alert) is None:
            continue
        suppressed = any(
            e.name == EventName.RECEIVED and e.detail("alert") == alert and e.detail("state") == "suppressed"
            for e in events
        )
        reached = {r for a, r in notified if a == alert}
        if not suppressed and (not reached or not routes.get(alert, set()) <= reached):
            return False
    return True


def noise_picture(names: Collection[str], events: Events) -> list[NoiseEntry]:
    """Every alert (per label set) that went pending or firing, in the order they started."""
    keys: dict[tuple[str, str], list[Event]] = {}
    for event in sorted(events, key=lambda e: e.at):
        alert = event.detail("alert")
        if alert and event.name in (EventName.PENDING, EventName.FIRING, EventName.RESOLVED, EventName.RECEIVED):
            keys.setdefault((alert, event.detail("series")), [])
    for event in events:
        key = (event.detail("alert"), event.detail("series"))
        if key in keys:
            keys[key].append(event)
    return [_entry(alert, series, keys[(alert, series)], events, alert in names) for alert, series in keys]


STATES = {EventName.PENDING: "pending", EventName.FIRING: "firing", EventName.RESOLVED: "resolved"}


def _entry(alert: str, series: str, mine: Sequence[Event], events: Events, is_named: bool) -> NoiseEntry:
    notes = [e for e in mine if e.name == EventName.DELIVERED and e.detail("status") == "firing"]
    notes = [e for e in notes if not_counted(events, e) is None]
    received = [e for e in mine if e.name == EventName.RECEIVED]
    suppressed = [
        f"inhibited by {_inhibitors(events, e.names('inhibited_by'))}" for e in received if e.names("inhibited_by")
    ] + [f"silenced by {e.detail('silenced_by')}" for e in received if e.detail("silenced_by")]
    return NoiseEntry(
        alert=alert,
        labels=labels_of(series),
        states=list(dict.fromkeys(STATES[e.name] for e in sorted(mine, key=lambda e: e.at) if e.name in STATES)),
        receivers=sorted({e.detail("receiver") for e in notes}),
        notifications=arrivals(notes),
        routed_to=sorted({r for e in received for r in e.receivers}),
        suppressed_by=list(dict.fromkeys(suppressed)),
        named=is_named,
    )
