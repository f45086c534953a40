"""Pure verdicts: from a drill's spec and timeline to phases, checks and a `DrillResult`.

The steps call the `check_*` functions when they stop waiting and the scorecard calls `score`
at the end; both read the same timeline with the same functions, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from alertdrill.score.events import Event, EventName
from alertdrill.score.scorecard import (
    Aborted,
    Check,
    DrillResult,
    EventRecord,
    PhaseResult,
    RunbookStepResult,
    Status,
    StopReason,
    iso,
)
from alertdrill.spec.model import AlertFires, DrillSpec, LinksRunbook, LocatesFault, Phase, ReachesContactGroup

Events = Sequence[Event]


def secs(value: float) -> str:
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def injected_at(events: Events) -> float | None:
    return next((e.at for e in events if e.name == EventName.FAULT_INJECTED), None)


def _first(events: Events, name: EventName, alert: str | None = None, **details: str) -> Event | None:
    for event in sorted(events, key=lambda e: e.at):
        if event.name != name or (alert and event.detail("alert") != alert):
            continue
        if all(event.detail(k) == v for k, v in details.items()):
            return event
    return None


def fired_at(events: Events, alert: str) -> float | None:
    """When Prometheus fired the alert: Alertmanager's `startsAt` when seen, else the first firing poll."""
    received = _first(events, EventName.RECEIVED, alert)
    if received is not None and received.starts_at is not None:
        return received.starts_at
    firing = _first(events, EventName.FIRING, alert)
    return firing.at if firing else None


EARLY_SLACK_S = 0.1  # the sink's and Alertmanager's clocks: one machine, or NTP-close ones


def first_received(events: Events, alert: str, fingerprint: str = "") -> Event | None:
    """When Alertmanager first had `alert` (its `updatedAt`), the one of that fingerprint when given."""
    for event in sorted(events, key=lambda e: e.at):
        if (event.name == EventName.RECEIVED and event.detail("alert") == alert
                and (not fingerprint or event.detail("fingerprint") in ("", fingerprint))):
            return event
    return None


def not_counted(events: Events, note: Event) -> str | None:
    """Why a notification that reached the sink is no evidence of delivery, or None when it counts: it
    lacked the sink's secret, contradicts Alertmanager's state, or arrived before Alertmanager had the alert."""
    if note.detail("authenticated") == "false":
        return ("it did not carry the sink's secret and was refused (401)" if note.detail("rejected") else
                "the sink has no secret, so anyone could have sent it (start the sink with --secret-file)")
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
    return [e for e in sorted(events, key=lambda e: e.at)
            if e.name == EventName.DELIVERED and e.detail("alert") == alert and e.detail("status") == status
            and (not channel or e.detail("channel") == channel)
            and (contact_group is None or e.detail("contact_group") == contact_group)]


def delivered(events: Events, alert: str, contact_group: str | None = None, status: str = "firing",
              channel: str = "") -> Event | None:
    """The first firing (or `status`) notification of `alert` that reached `contact_group` (or anyone),
    by `channel` ("email", "webhook") or any, and counts as evidence (see `not_counted`)."""
    return next((e for e in _arrivals(events, alert, contact_group, status, channel)
                 if not_counted(events, e) is None), None)


def uncounted(events: Events, alert: str, contact_group: str | None = None, channel: str = "") -> str:
    """Why the notifications that reached the sink but do not count were left out, for a check's message."""
    t0 = injected_at(events)
    reasons = dict.fromkeys(
        "a notification arrived at the sink" + (f" at +{secs(e.at - t0)}" if t0 is not None else "")
        + f" but {why}: not counted"
        for e in _arrivals(events, alert, contact_group, "firing", channel)
        if (why := not_counted(events, e)) is not None)
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


def _elapsed(at: float | None, t0: float | None) -> float | None:
    return None if at is None or t0 is None else round(at - t0, 3)


def check_fires(step: AlertFires, events: Events) -> Check:
    t0 = injected_at(events)
    elapsed = _elapsed(fired_at(events, step.alert), t0)
    expected = f"firing within {secs(step.budget_s)}"
    name = f"alert {step.alert} fires"
    if elapsed is not None and elapsed <= step.budget_s:
        return Check(name, True, expected, f"fired after {secs(elapsed)}")
    if elapsed is not None:
        return Check(name, False, expected, f"fired after {secs(elapsed)}",
                     f"{step.alert} fired {secs(elapsed - step.budget_s)} late: shorten the rule's `for` "
                     "or the scrape/evaluation interval, or the fault takes longer to show")
    pending = _first(events, EventName.PENDING, step.alert)
    if pending is not None and t0 is not None:
        return Check(name, False, expected, f"pending since {secs(pending.at - t0)}, never firing",
                     f"{step.alert} was pending after {secs(pending.at - t0)} but did not fire within "
                     f"{secs(step.budget_s)}: the rule's `for` is longer than the budget allows")
    return Check(name, False, expected, "never pending or firing",
                 f"Prometheus never saw {step.alert} pending within {secs(step.budget_s)}: the rule's "
                 "expression does not match what the fault changes, or the rule is not loaded")


def check_reaches(step: ReachesContactGroup, receiver: str, alert: str, events: Events) -> Check:
    t0 = injected_at(events)
    name = "routed to contact group" + (f" by {step.channel}" if step.channel else "")
    hit = delivered(events, alert, step.group, channel=step.channel)
    fired = fired_at(events, alert)
    if hit is not None and t0 is not None:
        elapsed = hit.at - t0
        if elapsed <= step.budget_s:
            return Check(name, True, step.group, step.group)
        split = (f": firing took {secs(fired - t0)}, delivery after firing {secs(hit.at - fired)}"
                 if fired is not None else "")
        return Check(name, False, f"{step.group} within {secs(step.budget_s)}",
                     f"{step.group} after {secs(elapsed)}",
                     f"{alert} reached {step.group} {secs(elapsed - step.budget_s)} late{split}")
    routed = routed_receivers(events, alert)
    others = sorted({e.detail("contact_group") or e.detail("receiver") for e in events
                     if e.name == EventName.DELIVERED and e.detail("alert") == alert
                     and not_counted(events, e) is None})
    actual = ", ".join(others or routed) or "nobody"
    if routed and receiver not in routed:
        return Check(name, False, step.group, actual,
                     f"Alertmanager routed {alert} to receiver {', '.join(routed)}, not {receiver} "
                     f"(contact group {step.group}): fix the route in the Alertmanager configuration "
                     "or the drill's contact group")
    forged = uncounted(events, alert, step.group, step.channel)
    if forged:
        return Check(name, False, step.group, "no delivery that counts",
                     f"{alert} did not reach {step.group}: {forged}")
    received = _first(events, EventName.RECEIVED, alert)
    if received is not None and received.detail("state") == "suppressed":
        return Check(name, False, step.group, "suppressed",
                     f"{alert} reached Alertmanager but was suppressed "
                     f"(silenced by {received.detail('silenced_by') or '-'}, inhibited by "
                     f"{received.detail('inhibited_by') or '-'}): remove the silence or inhibition")
    if fired is None:
        return Check(name, False, step.group, "the alert never fired",
                     f"no notification could reach {step.group}: {alert} never fired")
    if received is None:
        return Check(name, False, step.group, "not in Alertmanager",
                     f"{alert} fired in Prometheus but never reached Alertmanager within "
                     f"{secs(step.budget_s)}: check Prometheus's `alerting:` section")
    return Check(name, False, step.group, actual,
                 f"Alertmanager routed {alert} to {receiver} but no notification arrived within "
                 f"{secs(step.budget_s)}: " + ("is the receiver's email smarthost the alertdrill email sink "
                                               "(sink.smtp)?" if step.channel == "email" else
                                               "is the receiver's webhook pointed at the alertdrill sink?"))


def check_runbook(step: LinksRunbook, alert: str, contact_group: str | None, events: Events,
                  runbook_problem: Callable[[str, str], str | None]) -> Check:
    """`runbook_problem(path, url)` says what is wrong with a runbook file and its link, or None."""
    name = "notification links runbook"
    note = delivered(events, alert, contact_group) or delivered(events, alert)
    if note is None:
        forged = uncounted(events, alert)
        return Check(name, False, step.runbook, "no notification",
                     f"no notification of {alert} was delivered, so its runbook link cannot be checked"
                     + (f" ({forged})" if forged else ""))
    url = note.detail("runbook_url")
    if not url:
        return Check(name, False, step.runbook, "no runbook_url annotation",
                     f"the notification of {alert} has no runbook_url annotation: add "
                     f"`runbook_url: .../{step.runbook}` to the rule's annotations")
    if not url.endswith(step.runbook):
        return Check(name, False, step.runbook, url,
                     f"the notification links {url}, which does not end with {step.runbook}: "
                     "fix the rule's runbook_url annotation or the drill")
    problem = runbook_problem(step.runbook, url)
    if problem:
        return Check(name, False, step.runbook, url, f"the notification links {url}: {problem}")
    return Check(name, True, step.runbook, url)


def acknowledgement(events: Events) -> Event | None:
    """The first acknowledgement by a person: the drill's link opened, or a silence made."""
    return _first(events, EventName.ACKNOWLEDGED)


def check_acknowledged(step: LocatesFault, alert: str, link: str, events: Events) -> Check:
    t0 = injected_at(events)
    name, expected = "acknowledged by a person", f"acknowledged within {secs(step.budget_s)}"
    ack = acknowledgement(events)
    if ack is None or t0 is None:
        return Check(name, False, expected, "nobody acknowledged",
                     f"{alert} went unacknowledged for {secs(step.budget_s)}: neither was the link {link} "
                     f"opened nor an Alertmanager silence made for {alert}; check that the page reaches people")
    elapsed = ack.at - t0
    how = f"{'link opened' if ack.detail('via') == 'link' else 'silence made'} by {ack.detail('by') or '?'}"
    actual = f"{how} after {secs(elapsed)}"
    if elapsed <= step.budget_s:
        return Check(name, True, expected, actual)
    return Check(name, False, expected, actual,
                 f"{alert} was acknowledged {secs(elapsed - step.budget_s)} late ({how})")


def _channel(spec: DrillSpec) -> str:
    step = spec.first(ReachesContactGroup)
    return step.channel if isinstance(step, ReachesContactGroup) else ""


PHASE_CLOCKS: dict[Phase, Callable[[DrillSpec, Events], float | None]] = {
    Phase.ALERT: lambda spec, ev: fired_at(ev, spec.alert) if spec.alert else None,
    Phase.NOTIFY: lambda spec, ev: (e.at if spec.alert and (e := delivered(ev, spec.alert, spec.contact_group,
                                                                          channel=_channel(spec))) else None),
    Phase.LOCATE: lambda spec, ev: next((e.at for e in ev if e.name == EventName.LOCATED), None),
    Phase.RECOVER: lambda spec, ev: next((e.at for e in ev if e.name == EventName.RECOVERED), None),
}


def phases(spec: DrillSpec, events: Events) -> dict[Phase, PhaseResult]:
    t0 = injected_at(events)
    result: dict[Phase, PhaseResult] = {}
    for phase, budget in spec.budgets().items():
        elapsed = _elapsed(PHASE_CLOCKS[phase](spec, events), t0)
        result[phase] = PhaseResult(budget, elapsed, elapsed is not None and elapsed <= budget)
    return result


def event_records(events: Events) -> list[EventRecord]:
    t0 = injected_at(events)
    return [EventRecord(str(e.name), iso(e.at), _elapsed(e.at, t0), dict(e.details))
            for e in sorted(events, key=lambda e: e.at)]


def aborted(events: Events) -> Aborted | None:
    """The first thing that ended the drill early: a person's kill switch, a guard, the maximum duration."""
    for event in events:
        if event.name == EventName.KILL_SWITCH:
            return Aborted(StopReason.KILL_SWITCH, event.detail("by") or "someone", iso(event.at), event.detail("via"))
        if event.name == EventName.GUARD_TRIPPED:
            return Aborted(StopReason.GUARD, "alertdrill", iso(event.at), "guard", event.detail("guard"))
        if event.name == EventName.FAULT_EXPIRED:
            return Aborted(StopReason.MAX_DURATION, "alertdrill", iso(event.at), "timer",
                           f"limit {event.detail('limit_s')} s")
    return None


def score(spec: DrillSpec, events: Events, checks: list[Check], *, error: str | None = None,
          duration_s: float = 0.0, runbook_steps: Sequence[RunbookStepResult] = (),
          notes: Sequence[str] = ()) -> DrillResult:
    phase_results = phases(spec, events)
    if error:
        status = Status.ERROR
    elif any(not c.passed for c in checks) or any(not p.passed for p in phase_results.values()):
        status = Status.FAILED
    else:
        status = Status.PASSED
    return DrillResult(name=spec.name, feature=spec.feature, status=status, alert=spec.alert,
                       contact_group=spec.contact_group, phases=phase_results, checks=list(checks),
                       events=event_records(events), fault=spec.fault, error=error,
                       duration_s=round(duration_s, 3), manual=spec.manual, runbook_steps=list(runbook_steps),
                       notes=list(notes), surprise=spec.surprise, aborted=aborted(events))
