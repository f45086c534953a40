"""Pure verdicts: from a drill's spec and timeline to phases, checks and a `DrillResult`.

The steps call the `check_*` functions when they stop waiting and the scorecard calls `score`
at the end; both read the same timeline with the same functions, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from functools import partial

from alertdrill.score.events import Event, EventName
from alertdrill.score.evidence import (
    EARLY_SLACK_S,
    delivered,
    elapsed_since,
    fired_at,
    first_event,
    first_received,
    injected_at,
    not_counted,
    resolved_delivered,
    routed_receivers,
    secs,
    uncounted,
    wrong_route,
)
from alertdrill.score.proof import (
    Proof,
    failed_send,
    late_split,
    path_arithmetic,
    proof,
    suppressions,
    unattributed_send,
)
from alertdrill.score.scorecard import (
    Aborted,
    Check,
    DrillResult,
    EventRecord,
    Evidence,
    PhaseResult,
    RunbookStepResult,
    Status,
    StopReason,
    iso,
)
from alertdrill.spec.model import AlertFires, DrillSpec, LinksRunbook, LocatesFault, Phase, ReachesContactGroup

Events = Sequence[Event]


def check_fires(step: AlertFires, events: Events) -> Check:
    t0 = injected_at(events)
    elapsed = elapsed_since(fired_at(events, step.alert), t0)
    expected = f"firing within {secs(step.budget_s)}"
    name = f"alert {step.alert} fires"
    if elapsed is not None and elapsed <= step.budget_s:
        return Check(name, True, expected, f"fired after {secs(elapsed)}")
    if elapsed is not None:
        return Check(
            name,
            False,
            expected,
            f"fired after {secs(elapsed)}",
            f"{step.alert} fired {secs(elapsed - step.budget_s)} late: shorten the rule's `for` "
            "or the scrape/evaluation interval, or the fault takes longer to show",
        )
    pending = first_event(events, EventName.PENDING, step.alert)
    if pending is not None and t0 is not None:
        return Check(
            name,
            False,
            expected,
            f"pending since {secs(pending.at - t0)}, never firing",
            f"{step.alert} was pending after {secs(pending.at - t0)} but did not fire within "
            f"{secs(step.budget_s)}: the rule's `for` is longer than the budget allows",
        )
    return Check(
        name,
        False,
        expected,
        "never pending or firing",
        f"Prometheus never saw {step.alert} pending within {secs(step.budget_s)}: the rule's "
        "expression does not match what the fault changes, or the rule is not loaded",
    )


def check_reaches(step: ReachesContactGroup, receiver: str, alert: str, events: Events) -> Check:
    t0 = injected_at(events)
    name = "routed to contact group" + (f" by {step.channel}" if step.channel else "")
    hit = proof(events, alert, step.group, step.channel)
    fired = fired_at(events, alert)
    if hit is None or t0 is None:
        return _not_reached(step, name, receiver, alert, events)
    elapsed = hit.at - t0
    if elapsed <= step.budget_s:
        return Check(name, True, step.group, step.group, _evidence_note(hit), evidence=hit.evidence)
    split = late_split(events, alert, t0, fired, hit.at)
    budget = path_arithmetic(events, step.budget_s)
    return Check(
        name,
        False,
        f"{step.group} within {secs(step.budget_s)}",
        f"{step.group} after {secs(elapsed)}",
        f"{alert} reached {step.group} {secs(elapsed - step.budget_s)} late"
        + (f": {split}" if split else "")
        + (f"; {budget}" if budget else ""),
        evidence=hit.evidence,
    )


def _evidence_note(hit: Proof) -> str:
    """What a passing delivery check says about proof weaker than the sink's."""
    if hit.evidence == Evidence.ALERTMANAGER:
        per = "" if hit.event.detail("per_receiver") == "true" else " (counted per integration, not per receiver)"
        return f"Alertmanager reports a successful {hit.event.detail('integration')} send{per}"
    if hit.evidence == Evidence.HUMAN:
        return f"a person acknowledged it ({hit.event.detail('via')} by {hit.event.detail('by') or '?'})"
    if hit.evidence == Evidence.ROUTED:
        return "routing only: the contact group accepts `delivery: routed`; delivery itself was not observed"
    return ""


def _not_reached(step: ReachesContactGroup, name: str, receiver: str, alert: str, events: Events) -> Check:
    """Why no delivery that counts reached the contact group: the cause, named."""
    fail = partial(Check, name, False, step.group)
    routed = routed_receivers(events, alert)
    counted = [e for e in events if e.name == EventName.DELIVERED and e.detail("alert") == alert]
    others = sorted({e.detail("contact_group") or e.detail("receiver") for e in counted if not not_counted(events, e)})
    actual = ", ".join(others or routed) or "nobody"
    if routed and receiver not in routed:
        return fail(
            actual,
            f"Alertmanager routed {alert} to receiver {', '.join(routed)}, not {receiver} "
            f"(contact group {step.group}): fix the route in the Alertmanager configuration "
            "or the drill's contact group",
        )
    forged = uncounted(events, alert, step.group, step.channel)
    if forged:
        return fail("no delivery that counts", f"{alert} did not reach {step.group}: {forged}")
    causes = suppressions(events, alert)
    if causes:
        return fail(
            "suppressed",
            f"{alert} reached Alertmanager but was not sent: {'; '.join(causes)}: "
            "remove the silence, inhibition or mute, or drill at another moment",
        )
    received = first_event(events, EventName.RECEIVED, alert)
    if received is not None and received.detail("state") == "suppressed":
        silenced, inhibited = received.detail("silenced_by") or "-", received.detail("inhibited_by") or "-"
        return fail(
            "suppressed",
            f"{alert} reached Alertmanager but was suppressed (silenced by {silenced}, "
            f"inhibited by {inhibited}): remove the silence or inhibition",
        )
    failed = failed_send(events, alert, step.group, step.channel)
    if failed is not None:
        return fail(
            "send failed",
            f"Alertmanager could not deliver to {failed.detail('receiver')}'s {failed.detail('integration')} "
            f"({failed.detail('metric')} rose): check the receiver's URL and credentials",
        )
    if fired_at(events, alert) is None:
        return fail("the alert never fired", f"no notification could reach {step.group}: {alert} never fired")
    if received is None:
        return fail(
            "not in Alertmanager",
            f"{alert} fired in Prometheus but never reached Alertmanager within "
            f"{secs(step.budget_s)}: check Prometheus's `alerting:` section",
        )
    unattributed = unattributed_send(events, alert, step.group, step.channel)
    hint = (
        f"{unattributed}: drill when nothing else is firing for that receiver (and not beside another drill of "
        "it in a parallel run), or point the receiver at the alertdrill sink."
        if unattributed
        else "is the receiver's email smarthost the alertdrill email sink (sink.smtp)?"
        if step.channel == "email"
        else "is the receiver's webhook pointed at the alertdrill sink?"
    )
    routed = routed_receivers(events, alert)
    seen = "only routing was seen (evidence: routed), and " if receiver in routed and not step.channel else ""
    budget = path_arithmetic(events, step.budget_s)
    return fail(
        "routed only" if seen else actual,
        f"Alertmanager routed {alert} to {receiver} but {seen}no notification arrived within "
        f"{secs(step.budget_s)}: {hint}"
        + (" Or mark the contact group `delivery: routed`." if seen else "")
        + (f" ({budget})" if budget else ""),
    )


def check_runbook(
    step: LinksRunbook,
    alert: str,
    contact_group: str | None,
    events: Events,
    runbook_problem: Callable[[str, str], str | None],
) -> Check:
    """`runbook_problem(path, url)` says what is wrong with a runbook file and its link, or None."""
    name = "notification links runbook"
    note = delivered(events, alert, contact_group) or delivered(events, alert)
    if note is None:
        forged = uncounted(events, alert)
        return Check(
            name,
            False,
            step.runbook,
            "no notification",
            f"no notification of {alert} was delivered, so its runbook link cannot be checked"
            + (f" ({forged})" if forged else ""),
        )
    url = note.detail("runbook_url")
    if not url:
        return Check(
            name,
            False,
            step.runbook,
            "no runbook_url annotation",
            f"the notification of {alert} has no runbook_url annotation: add "
            f"`runbook_url: .../{step.runbook}` to the rule's annotations",
        )
    if not url.endswith(step.runbook):
        return Check(
            name,
            False,
            step.runbook,
            url,
            f"the notification links {url}, which does not end with {step.runbook}: "
            "fix the rule's runbook_url annotation or the drill",
        )
    problem = runbook_problem(step.runbook, url)
    if problem:
        return Check(name, False, step.runbook, url, f"the notification links {url}: {problem}")
    return Check(name, True, step.runbook, url)


def acknowledgement(events: Events) -> Event | None:
    """The first acknowledgement by a person: the drill's link opened, or a silence made."""
    return first_event(events, EventName.ACKNOWLEDGED)


def check_acknowledged(step: LocatesFault, alert: str, link: str, events: Events) -> Check:
    t0 = injected_at(events)
    name, expected = "acknowledged by a person", f"acknowledged within {secs(step.budget_s)}"
    ack = acknowledgement(events)
    if ack is None or t0 is None:
        return Check(
            name,
            False,
            expected,
            "nobody acknowledged",
            f"{alert} went unacknowledged for {secs(step.budget_s)}: neither was the link {link} "
            f"opened nor an Alertmanager silence made for {alert}; check that the page reaches people",
        )
    elapsed = ack.at - t0
    how = f"{'link opened' if ack.detail('via') == 'link' else 'silence made'} by {ack.detail('by') or '?'}"
    actual = f"{how} after {secs(elapsed)}"
    if elapsed <= step.budget_s:
        return Check(name, True, expected, actual)
    return Check(
        name, False, expected, actual, f"{alert} was acknowledged {secs(elapsed - step.budget_s)} late ({how})"
    )


def _channel(spec: DrillSpec) -> str:
    step = spec.first(ReachesContactGroup)
    return step.channel if isinstance(step, ReachesContactGroup) else ""


def _all_fired(events: Events, alerts: Sequence[str]) -> float | None:
    """When the last of `alerts` fired (None until every one has)."""
    times = [fired_at(events, alert) for alert in alerts]
    return max(t for t in times if t is not None) if times and None not in times else None


PHASE_CLOCKS: dict[Phase, Callable[[DrillSpec, Events], float | None]] = {
    Phase.ALERT: lambda spec, ev: _all_fired(ev, spec.firing_alerts),
    Phase.NOTIFY: lambda spec, ev: (
        e.at if spec.alert and (e := proof(ev, spec.alert, spec.contact_group, _channel(spec))) else None
    ),
    Phase.LOCATE: lambda spec, ev: next((e.at for e in ev if e.name == EventName.LOCATED), None),
    Phase.RECOVER: lambda spec, ev: next((e.at for e in ev if e.name == EventName.RECOVERED), None),
}


def phases(spec: DrillSpec, events: Events, judged: Collection[Phase] | None = None) -> dict[Phase, PhaseResult]:
    """Each timed phase against its budget; `judged`: the phases whose step reached a verdict (None: all),
    the others did not run (a check before them failed, or the drill stopped before injecting)."""
    t0 = injected_at(events)
    result: dict[Phase, PhaseResult] = {}
    for phase, budget in spec.budgets().items():
        elapsed = elapsed_since(PHASE_CLOCKS[phase](spec, events), t0)
        ran = judged is None or phase in judged
        result[phase] = PhaseResult(budget, elapsed, elapsed is not None and elapsed <= budget, ran)
    return result


def event_records(events: Events) -> list[EventRecord]:
    t0 = injected_at(events)
    return [
        EventRecord(str(e.name), iso(e.at), elapsed_since(e.at, t0), dict(e.details))
        for e in sorted(events, key=lambda e: e.at)
    ]


def aborted(events: Events) -> Aborted | None:
    """The first thing that ended the drill early: a person's kill switch, a guard, the maximum duration."""
    for event in events:
        if event.name == EventName.KILL_SWITCH:
            return Aborted(StopReason.KILL_SWITCH, event.detail("by") or "someone", iso(event.at), event.detail("via"))
        if event.name == EventName.GUARD_TRIPPED:
            return Aborted(StopReason.GUARD, "alertdrill", iso(event.at), "guard", event.detail("guard"))
        if event.name == EventName.FAULT_EXPIRED:
            return Aborted(
                StopReason.MAX_DURATION, "alertdrill", iso(event.at), "timer", f"limit {event.detail('limit_s')} s"
            )
    return None


def score(
    spec: DrillSpec,
    events: Events,
    checks: list[Check],
    *,
    error: str | None = None,
    duration_s: float = 0.0,
    runbook_steps: Sequence[RunbookStepResult] = (),
    notes: Sequence[str] = (),
    judged: Collection[Phase] | None = None,
) -> DrillResult:
    phase_results = phases(spec, events, judged)
    if error:
        status = Status.ERROR
    elif any(not c.passed for c in checks) or any(not p.passed for p in phase_results.values()):
        status = Status.FAILED
    else:
        status = Status.PASSED
    return DrillResult(
        name=spec.name,
        feature=spec.feature,
        status=status,
        alert=spec.alert,
        contact_group=spec.contact_group,
        phases=phase_results,
        checks=list(checks),
        events=event_records(events),
        fault=spec.fault,
        error=error,
        duration_s=round(duration_s, 3),
        manual=spec.manual,
        runbook_steps=list(runbook_steps),
        notes=list(notes),
        surprise=spec.surprise,
        aborted=aborted(events),
    )


__all__ = [
    "EARLY_SLACK_S",
    "delivered",
    "fired_at",
    "first_received",
    "injected_at",
    "not_counted",
    "resolved_delivered",
    "routed_receivers",
    "secs",
    "uncounted",
    "wrong_route",
]
