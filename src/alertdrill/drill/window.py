"""Round-2 verdicts a session gives over the whole drill: which step asks what of the timeline, and
the quiet start (no alert pending or firing before the fault)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from alertdrill.drill.parts import Querying
from alertdrill.errors import DrillError
from alertdrill.polling import poll_until
from alertdrill.score.events import Event, EventName
from alertdrill.score.noise import (
    check_at_most,
    check_inhibited,
    check_no_other,
    check_only_group,
    counted,
    decided,
)
from alertdrill.score.scorecard import Check
from alertdrill.spec.model import AlertInhibited, AtMostNotifications, DrillSpec, NoOtherAlert, OnlyContactGroup

WindowStep = OnlyContactGroup | NoOtherAlert | AlertInhibited | AtMostNotifications


def window_check(
    spec: DrillSpec, step: WindowStep, receiver_of: Callable[[str], str], events: Sequence[Event]
) -> Check:
    """The step's verdict over the events so far."""
    if isinstance(step, OnlyContactGroup):
        return check_only_group(step.group, receiver_of(step.group), events)
    if isinstance(step, NoOtherAlert):
        return check_no_other(spec.named_alerts, events)
    if isinstance(step, AlertInhibited):
        return check_inhibited(step.alert, events)
    return check_at_most(step.count, step.group, receiver_of(step.group), spec.named_alerts, events)


def window_ready(spec: DrillSpec, step: WindowStep, events: Sequence[Event]) -> bool:
    """Enough is known to judge the step: the drill's alerts were notified or suppressed (for an inhibited
    alert: it was suppressed, or it paged someone)."""
    if isinstance(step, AlertInhibited):
        paged = any(e.detail("alert") == step.alert for e in counted(events))
        return paged or check_inhibited(step.alert, events).passed
    return decided(spec.named_alerts, events)


def noisy(alerts: Sequence[Any]) -> list[str]:
    """Prometheus's pending and firing alerts (its /api/v1/alerts answer), named with their labels."""
    found = []
    for item in alerts:
        labels = dict(item.get("labels") or {})
        name = labels.pop("alertname", "?")
        shown = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        found.append(f"{name}{{{shown}}} ({item.get('state', '?')})")
    return sorted(found)


def wait_quiet(prometheus: Querying, timeout_s: float, retried: tuple[type[BaseException], ...]) -> None:
    """Wait until Prometheus has no pending or firing alert; DrillError naming them when it does not come."""
    found: list[list[Any]] = [[]]

    def quiet() -> bool:
        found[0] = prometheus.alerts()
        return not found[0]

    if not poll_until(quiet, timeout_s, on_error=retried):
        names = noisy(found[0])
        raise DrillError(
            f"steady state not met: {len(names)} alert(s) pending or firing before the fault: "
            f"{'; '.join(names[:10])}; nothing was injected",
            fix="find out why they fire (or let them resolve), then run the drill on a quiet system",
        )


def recheck(
    spec: DrillSpec,
    steps: Sequence[WindowStep],
    checks: list[Check],
    receiver_of: Callable[[str], str],
    events: Sequence[Event],
) -> list[Check]:
    """`checks` with each window step's passed verdict judged again over the whole drill: a page that
    came after the step (before the drill ended) fails it then."""
    result = list(checks)
    for step in steps:
        again = window_check(spec, step, receiver_of, events)
        for index, check in enumerate(result):
            if check.name == again.name and check.passed and not again.passed:
                result[index] = again
    return result


def reverted_at(events: Sequence[Event]) -> float | None:
    return next((e.at for e in events if e.name == EventName.FAULT_REVERTED), None)
