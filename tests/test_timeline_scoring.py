"""The pure model: the timeline wakes waiters on events, and verdicts come from events alone."""

from __future__ import annotations

import threading
import time

from alertdrill.score.events import Event, EventName, Timeline
from alertdrill.score.scorecard import Status
from alertdrill.score.scoring import check_fires, check_reaches, fired_at, phases, routed_receivers, score
from alertdrill.spec.model import PHASE_OF, AlertFires, DrillSpec, InjectFault, Phase, ReachesContactGroup

T0 = 1_800_000_000.0
SPEC = DrillSpec(
    "d", "drills/x.feature", 3, (InjectFault("f"), AlertFires("A", 60.0), ReachesContactGroup("team", 60.0))
)


def timeline(*events: tuple[EventName, float, dict[str, str]]) -> Timeline:
    line = Timeline()
    line.record(EventName.FAULT_INJECTED, T0)
    for name, offset, details in events:
        line.record(name, T0 + offset, **details)
    return line


def test_wait_for_returns_when_an_event_arrives_not_at_the_timeout() -> None:
    line = Timeline()
    adder = threading.Timer(0.05, lambda: line.record(EventName.FIRING, alert="A"))
    adder.start()
    started = time.monotonic()
    assert line.wait_for(lambda evs: any(e.name == EventName.FIRING for e in evs), timeout=30)
    assert time.monotonic() - started < 10  # woken by the event; the timeout is 30 s


def test_wait_for_gives_up_at_its_deadline() -> None:
    line = Timeline()
    assert not line.wait_for(lambda evs: False, timeout=0.05)


def test_firing_time_prefers_alertmanagers_starts_at_over_the_poll() -> None:
    line = timeline(
        (EventName.FIRING, 5.3, {"alert": "A"}),
        (EventName.RECEIVED, 5.4, {"alert": "A", "starts_at": f"{T0 + 5.0}", "receivers": "team"}),
    )
    result = phases(SPEC, line.events())
    assert result[Phase.ALERT].elapsed_s == 5.0 and result[Phase.ALERT].passed


def test_event_payloads_read_back_typed_and_stay_strings_in_the_json() -> None:
    received = Event.make(EventName.RECEIVED, T0 + 5.4, alert="A", starts_at=T0 + 5.0, receivers=("team", "sre"))
    assert received.details == (("alert", "A"), ("starts_at", str(T0 + 5.0)), ("receivers", "team,sre"))
    assert received.starts_at == T0 + 5.0 and received.receivers == ("team", "sre")
    bare = Event.make(EventName.RECEIVED, T0, alert="A", starts_at="", receivers="")
    assert bare.starts_at is None and bare.receivers == ()
    line = timeline(
        (EventName.RECEIVED, 5.4, {"alert": "A", "starts_at": f"{T0 + 5.0:.3f}", "receivers": "team"}),
        (EventName.RECEIVED, 6.0, {"alert": "A", "starts_at": f"{T0 + 5.0:.3f}", "receivers": "sre,team"}),
    )
    assert fired_at(line.events(), "A") == T0 + 5.0
    assert routed_receivers(line.events(), "A") == ("team", "sre")


def test_phases_and_statuses_are_enums_that_read_and_write_as_their_names() -> None:
    assert list(dict.fromkeys(PHASE_OF.values())) == list(Phase)  # `the alerts A, B fire` is the alert phase too
    assert SPEC.budgets() == {Phase.ALERT: 60.0, Phase.NOTIFY: 60.0}
    assert Phase.ALERT == "alert" and f"{Phase.NOTIFY}" == "notify" and Status("error") is Status.ERROR  # type: ignore[comparison-overlap]


def test_missed_alert_budget_says_what_was_seen() -> None:
    line = timeline((EventName.PENDING, 2.0, {"alert": "A"}))
    check = check_fires(AlertFires("A", 3.0), line.events())
    assert not check.passed
    assert check.actual == "pending since 2.0 s, never firing"
    assert "`for`" in check.message


def test_wrong_receiver_names_expected_and_actual() -> None:
    line = timeline((EventName.RECEIVED, 4.0, {"alert": "A", "starts_at": f"{T0 + 4}", "receivers": "other"}))
    check = check_reaches(ReachesContactGroup("team", 60.0), "team-receiver", "A", line.events())
    assert (check.passed, check.expected, check.actual) == (False, "team", "other")
    assert "routed A to receiver other, not team-receiver" in check.message


def test_late_delivery_says_which_part_of_the_path_ate_the_budget() -> None:
    line = timeline(
        (EventName.RECEIVED, 50.0, {"alert": "A", "starts_at": f"{T0 + 50}", "receivers": "r"}),
        (EventName.DELIVERED, 75.0, {"alert": "A", "contact_group": "team", "status": "firing"}),
    )
    check = check_reaches(ReachesContactGroup("team", 60.0), "r", "A", line.events())
    assert not check.passed
    assert "detection 50.0 s, grouping and sending 25.0 s" in check.message


def test_score_is_failed_when_a_phase_missed_even_without_a_check() -> None:
    line = timeline((EventName.RECEIVED, 70.0, {"alert": "A", "starts_at": f"{T0 + 70}", "receivers": "r"}))
    result = score(SPEC, line.events(), [])
    assert result.status is Status.FAILED
    assert result.phases[Phase.ALERT].elapsed_s == 70.0 and not result.phases[Phase.ALERT].passed
    assert result.phases[Phase.NOTIFY].elapsed_s is None


def test_error_wins_over_verdicts_and_events_are_relative_to_injection() -> None:
    line = timeline((EventName.PENDING, 1.5, {"alert": "A"}))
    result = score(SPEC, line.events(), [], error="Prometheus unreachable")
    assert result.status is Status.ERROR
    assert [(e.name, e.t_s) for e in result.events] == [("fault_injected", 0.0), ("alert_pending", 1.5)]
