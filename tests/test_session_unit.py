"""`DrillSession` driven with fakes through every way a drill ends, without a lab (well under 5 s).

Fakes in `tests/session_fakes.py`. Waits are event driven: the fake observers record events on the
timeline once the fault is in place; budgets are tiny and nothing sleeps for a fixed time.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alertdrill.drill.killswitch import request_abort
from alertdrill.drill.safety import StopReason
from alertdrill.drill.session import DrillSession
from alertdrill.errors import DrillError, DrillFailed, UnreachableError
from alertdrill.observe import Watch, WatchTarget
from alertdrill.score.events import EventName, Timeline
from alertdrill.spec.model import (
    AlertFires,
    DrillSpec,
    InjectFault,
    LinksRunbook,
    LocatesFault,
    ReachesContactGroup,
    Recovers,
    SteadyState,
)
from tests.session_fakes import ALERT, FULL, GROUP, SERVICE, Rig, World, make_rig, routed


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield make_rig(tmp_path, World())


def test_a_drill_whose_expectations_all_hold_passes_and_reverts_once(rig: Rig) -> None:
    rig.world.script = routed()
    session = rig.session()
    rig.run(session)
    result = session.close()
    assert result.status == "passed", result.error
    assert rig.world.injected == 1 and rig.world.reverted == 1
    assert not rig.entries() and "fault reverted" in rig.said
    assert [w.stopped for w in rig.watches] == [1]
    assert session.close() is result and rig.world.reverted == 1


def test_an_alert_that_never_fires_fails_the_drill(rig: Rig) -> None:
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 0.2))
    with pytest.raises(DrillFailed, match="never saw PaymentsApiDown pending"):
        rig.run(session)
    result = session.close()
    assert result.status == "failed" and result.error is None
    assert rig.world.reverted == 1 and not rig.entries()


def test_phases_after_a_failed_check_did_not_run_and_the_missed_one_did(rig: Rig) -> None:
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 0.2), LocatesFault(1.0), Recovers(2.0))
    with pytest.raises(DrillFailed):
        rig.run(session)
    phases = session.close().phases
    assert [(str(p), r.ran, r.passed) for p, r in phases.items()] == [
        ("alert", True, False),
        ("locate", False, False),
        ("recover", False, False),
    ]
    assert any(e.name == EventName.DEADLINE_MISSED for e in session.timeline.events())


def test_a_wrong_route_fails_at_once_without_waiting_for_the_budget(rig: Rig) -> None:
    rig.world.script = routed(receiver="storage-pager", group="storage-oncall")
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 5), ReachesContactGroup(GROUP, 60))
    with pytest.raises(DrillFailed, match="routed PaymentsApiDown to receiver storage-pager, not payments-pager"):
        rig.run(session)
    result = session.close()
    assert result.status == "failed" and result.duration_s < 5
    assert rig.world.reverted == 1


def test_steady_state_not_met_is_an_error_and_injects_nothing(rig: Rig) -> None:
    rig.world.healthy = False
    session = rig.session()
    with pytest.raises(DrillError, match="steady state not met: payments-api's healthy expression"):
        rig.run(session)
    result = session.close()
    assert result.status == "error" and "nothing was injected" in (result.error or "")
    assert rig.world.injected == 0 and rig.world.reverted == 0 and not rig.entries()


def test_a_temporary_error_is_retried_within_the_steady_state_timeout(rig: Rig) -> None:
    rig.world.unreachable = 1
    session = rig.session(SteadyState(SERVICE))
    rig.run(session)
    assert session.close().status == "passed"


def test_a_fault_the_injector_cannot_verify_is_an_error_and_is_reverted(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, World(verify_problem="the marker file is missing"), verified=True)
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 5))
    with pytest.raises(DrillError, match="the fault did not take effect: the marker file is missing"):
        rig.run(session)
    result = session.close()
    assert result.status == "error" and rig.world.reverted == 1 and not rig.entries()


def test_an_observer_outage_ends_the_wait_as_an_error(rig: Rig) -> None:
    rig.world.outage = "alertmanager: ConnectionError: refused"
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 60))
    with pytest.raises(DrillError, match=r"observers could not watch the drill \(alertmanager: Connection"):
        rig.run(session)
    result = session.close()
    assert result.status == "error" and result.duration_s < 5 and rig.world.reverted == 1


def test_a_failed_revert_is_an_error_and_keeps_the_ledger_entry(rig: Rig) -> None:
    rig.world.script, rig.world.revert_fails = routed(), True
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 5))
    rig.run(session)
    result = session.close()
    assert result.status == "error"
    assert (result.error or "").startswith("revert failed: the fake fault will not go; the fault may still be")
    assert rig.world.reverted == 1 and len(rig.entries()) == 1


@pytest.mark.parametrize("who", ["alice", "lifeguard"])
def test_the_kill_switch_link_stops_the_drill_and_names_who(rig: Rig, who: str) -> None:
    rig.world.script = [(EventName.KILL_SWITCH, {"via": "link", "by": who})]
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 60))
    with pytest.raises(DrillError) as raised:
        rig.run(session)
    stop = session.safety.stop_reason()
    assert stop is not None and stop.reason is StopReason.KILL_SWITCH
    assert raised.value.fix == "nothing to fix in alertdrill: a person ended the drill"  # not a guard's advice
    result = session.close()
    assert result.status == "error" and f"aborted by the kill switch, pulled by {who} at" in (result.error or "")
    assert result.aborted is not None and result.aborted.by == who
    assert rig.world.reverted == 1 and not rig.entries() and result.duration_s < 5
    assert f"the kill switch was pulled by {who}: reverting now" in rig.said


def test_alertdrill_abort_pulls_the_kill_switch_through_the_ledger(rig: Rig) -> None:
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 60))
    session.perform(InjectFault("fault"))
    assert session.safety.entry is not None
    request_abort(rig.ledger, session.safety.entry, "bob")
    with pytest.raises(DrillError, match="pulled by bob"):
        session.perform(AlertFires(ALERT, 60))
    result = session.close()
    assert result.aborted is not None and result.aborted.via == "command"
    assert rig.world.reverted == 1 and not rig.entries()


def test_a_guard_that_trips_stops_the_drill_and_reverts_at_once(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, World(guard_after_inject=True), guarded=True)
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 60))
    with pytest.raises(DrillError) as raised:
        rig.run(session)
    stop = session.safety.stop_reason()
    assert stop is not None and stop.reason is StopReason.GUARD
    assert raised.value.fix == "find out why the guard's condition held"
    result = session.close()
    assert (result.error or "").startswith(
        'aborted by guard payments-down: `up{job="payments-api"} == 0` returned 1 series; the fault was reverted'
    )
    names = [e.name for e in session.timeline.events()]
    assert names.index(EventName.GUARD_TRIPPED) < names.index(EventName.FAULT_REVERTED)
    assert rig.world.reverted == 1 and not rig.entries()


def test_a_guard_holding_before_the_fault_injects_nothing(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, World(guard_always=True), guarded=True)
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 60))
    with pytest.raises(DrillError, match="returned 1 series before the fault; nothing was injected"):
        rig.run(session)
    assert session.close().status == "error" and rig.world.injected == 0 and rig.world.reverted == 0


def test_the_fault_is_reverted_at_its_maximum_duration(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, World(), max_duration_s=0.1)
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 60))
    with pytest.raises(DrillError) as raised:
        rig.run(session)
    stop = session.safety.stop_reason()
    assert stop is not None and stop.reason is StopReason.EXPIRED
    assert "max_duration" in raised.value.fix
    result = session.close()
    assert (result.error or "").startswith("the fault reached its maximum duration (0.1 s) and was reverted")
    assert result.aborted is not None and result.aborted.reason == "max duration"
    assert rig.world.reverted == 1 and not rig.entries() and result.duration_s < 5


def test_preflight_problems_stop_the_drill_before_any_step(rig: Rig) -> None:
    session = DrillSession.with_parts(
        DrillSpec("d", "drills/d.feature", 1, FULL), rig.parts, preflight=["rule PaymentsApiDown is not loaded"]
    )
    with pytest.raises(DrillError, match="preflight found 1 problem, nothing was injected"):
        session.perform(FULL[0])
    result = session.close()
    assert result.status == "error" and rig.world.injected == 0
    assert result.phases and not any(p.ran for p in result.phases.values())  # reports: "not run"


# Where a KeyboardInterrupt lands, step by step: "clock" is any wait on the timeline.
INTERRUPTS = [
    (SteadyState, "steady"),
    (InjectFault, "inject"),
    (AlertFires, "clock"),
    (ReachesContactGroup, "clock"),
    (LinksRunbook, "clock"),
    (LocatesFault, "runbook"),
    (Recovers, "runbook"),
]


@pytest.mark.parametrize(("kind", "where"), INTERRUPTS, ids=[k.__name__ for k, _ in INTERRUPTS])
def test_an_interrupt_during_any_step_reverts_and_is_an_error(rig: Rig, kind: type, where: str) -> None:
    rig.world.script = routed()
    session = rig.session()
    for step in FULL:
        if isinstance(step, kind):
            rig.world.interrupt = where
            with pytest.raises(KeyboardInterrupt):
                session.perform(step)
            break
        session.perform(step)
    rig.world.interrupt = ""
    result = session.close()
    assert result.status == "error" and "interrupted" in (result.error or "")
    held = kind is not SteadyState  # the ledger entry comes before inject(): a half-made fault is reverted too
    assert rig.world.reverted == (1 if held else 0) and not rig.entries()


def test_a_real_sigint_during_a_wait_reverts_at_once(rig: Rig) -> None:
    def progress(message: str) -> None:
        if message.startswith("  waiting for"):
            signal.raise_signal(signal.SIGINT)

    rig.parts.progress = progress
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 60))
    # a run started in the background (`cmd &` in a script, CI) has SIGINT ignored: Python's handler first
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            rig.run(session)
    finally:
        signal.signal(signal.SIGINT, previous)
    result = session.close()
    assert result.status == "error" and result.duration_s < 5 and rig.world.reverted == 1


def test_background_threads_never_print_the_session_drains_their_messages(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, World(), max_duration_s=0.05)
    printed_from: set[str] = set()
    rig.parts.progress = lambda message: printed_from.add(threading.current_thread().name)
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 60))
    with pytest.raises(DrillError):
        rig.run(session)
    session.close()
    assert printed_from == {threading.main_thread().name} and rig.world.reverted == 1


def test_an_observer_retries_a_temporary_error_and_reports_no_outage_once_it_answers() -> None:
    class FlakyPrometheus:
        calls = 0

        def alerts(self) -> list[dict[str, object]]:
            self.calls += 1
            if self.calls <= 2:
                raise UnreachableError("Prometheus at http://prometheus.invalid is unreachable")
            return [{"labels": {"alertname": ALERT}, "state": "firing", "activeAt": datetime.now(UTC).isoformat()}]

    class QuietAlertmanager:
        def alerts(self, alertname: str, labels: object = None, shared: bool = True) -> list[object]:
            return []

        def metrics(self) -> list[str]:
            return []

        def every_alert(self) -> list[object]:
            return []

    timeline = Timeline()
    watch = Watch(
        WatchTarget(ALERT, time.time() - 1, lambda receiver: None),
        timeline,
        FlakyPrometheus(),  # type: ignore[arg-type]
        QuietAlertmanager(),  # type: ignore[arg-type]
        None,
        0.01,
    ).start()
    try:
        assert timeline.wait_for(lambda evs: any(e.name == EventName.FIRING for e in evs), 3)
        assert watch.outage(0.0) is None
    finally:
        watch.stop()
