"""The drill session's own rules, without a lab: nothing here reaches a server."""

from __future__ import annotations

from pathlib import Path

from alertdrill.config import load_settings
from alertdrill.drill.environment import Environment
from alertdrill.drill.session import DrillSession
from alertdrill.spec.model import AlertFires, DrillSpec, InjectFault
from tests.conftest import REPO

SPEC = DrillSpec("d", "drills/x.feature", 2, (InjectFault("payments-api-down"), AlertFires("PaymentsApiDown", 60)))


def test_a_drill_stopped_between_steps_is_an_error_not_a_verdict() -> None:
    session = DrillSession(SPEC, Environment(load_settings(REPO / "alertdrill.yml")))
    result = session.close()  # e.g. SIGTERM landed in pytest-bdd between two steps
    assert result.status == "error"
    assert result.error == "interrupted after 0 of 2 steps, before the verdict"
    assert session.close() is result  # closing twice is harmless


def test_a_diagnose_step_is_asked_again_with_backoff_and_a_bound_on_attempts() -> None:
    import time
    from itertools import pairwise

    from alertdrill.polling import Backoff, poll_until

    calls: list[float] = []

    def never() -> bool:
        calls.append(time.monotonic())
        return False

    assert not poll_until(never, 10.0, 0.01, backoff=Backoff(2.0, 0.04, 5))
    gaps = [later - earlier for earlier, later in pairwise(calls)]
    assert len(calls) == 5  # the bound on attempts ends it long before the 10 s
    assert gaps[1] >= 0.02 and gaps[3] >= 0.04  # the interval doubled, up to its cap


def test_disarming_a_kill_switch_whose_thread_never_started_is_harmless(tmp_path: Path) -> None:
    """A signal can land between creating the watcher thread and starting it: close must still work."""
    import threading

    from alertdrill.drill.killswitch import KillSwitch
    from alertdrill.faults.ledger import Ledger
    from alertdrill.score.events import Timeline

    switch = KillSwitch("http://127.0.0.1:1", Ledger(tmp_path), Timeline(), lambda: None)
    switch._thread = threading.Thread(target=lambda: None)  # created, never started
    switch.disarm()


def test_an_abort_asked_just_before_the_drill_ends_is_on_its_record(tmp_path: Path) -> None:
    """Disarm wakes the kill switch at once; an `alertdrill abort` that came within its last check
    interval is still recorded (and pulls nothing: the drill is ending anyway)."""
    import json

    from alertdrill.drill.killswitch import KillSwitch, request_path
    from alertdrill.faults.ledger import Ledger
    from alertdrill.score.events import EventName, Timeline

    pulls: list[bool] = []
    timeline = Timeline()
    switch = KillSwitch("http://127.0.0.1:1", Ledger(tmp_path), timeline, lambda: pulls.append(True), check_s=60)
    switch.arm("entry")
    request_path(switch.ledger, "entry").write_text(json.dumps({"by": "qa-lead", "at": 1.0}))
    switch.disarm()
    assert [e.detail("by") for e in timeline.events() if e.name == EventName.KILL_SWITCH] == ["qa-lead"]
    assert pulls == [] and not request_path(switch.ledger, "entry").exists()
