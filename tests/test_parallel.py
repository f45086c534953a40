"""`--parallel`: which drills may run together, and that they really do (no lab: a fake runner whose
drills meet at a barrier, which only drills running at the same time can pass)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.config import FaultConfig, ServiceConfig, Settings
from alertdrill.drill.parallel import ParallelRun, Slot, startable
from alertdrill.drill.plan import DrillPlan, PlannedDrill
from alertdrill.score.scorecard import DrillResult, Status
from alertdrill.spec.model import AlertFires, DrillSpec, InjectFault, SteadyState
from tests.session_fakes import FakeInjector, World

Say = Callable[[str], None]
WAIT_S = 10.0  # a barrier that is not passed within this fails the test (never a sleep)


def slot(index: int, *targets: str, alone: bool = False) -> Slot:
    spec = DrillSpec(f"d{index}", "x.feature", index, ())
    return Slot(index, PlannedDrill(spec, FakeInjector(World())), frozenset(targets), alone)


def test_disjoint_drills_start_together_up_to_the_width() -> None:
    queue = [slot(0, "a"), slot(1, "b"), slot(2, "c")]
    assert [s.index for s in startable(queue, [], 5)] == [0, 1, 2]
    assert [s.index for s in startable(queue, [], 2)] == [0, 1]


def test_a_shared_target_waits_and_keeps_the_plan_order() -> None:
    queue = [slot(0, "a"), slot(1, "a", "b"), slot(2, "b"), slot(3, "c")]
    assert [s.index for s in startable(queue, [], 9)] == [0, 3]  # 2 may not overtake 1 on target b
    assert [s.index for s in startable(queue[1:], [queue[0]], 9)] == [3]


def test_a_drill_that_must_run_alone_waits_for_an_empty_run_and_blocks_later_ones() -> None:
    queue = [slot(1, "b", alone=True), slot(2, "c")]
    assert startable(queue, [slot(0, "a")], 9) == []
    assert [s.index for s in startable(queue, [], 9)] == [1]
    assert startable([slot(2, "c")], [slot(1, "b", alone=True)], 9) == []


def drill(index: int, service: str, alert: str) -> PlannedDrill:
    steps = (SteadyState(service), InjectFault(f"kill-{service}"), AlertFires(alert, 60))
    return PlannedDrill(DrillSpec(f"drill {index}", "x.feature", index, steps), FakeInjector(World()))


class FakeRunner:
    """Runs a drill by calling `body(index)`; records the order drills start in."""

    def __init__(self, tmp_path: Path, drills: list[PlannedDrill], body: Callable[[int], None]) -> None:
        services = {d.spec.services[0]: ServiceConfig(d.spec.services[0], "up") for d in drills}
        faults = {f"kill-{s}": FaultConfig(f"kill-{s}", "command", {"service": s}, "x:1") for s in services}
        settings = Settings(tmp_path / "alertdrill.yml", services=services, faults=faults)
        self.plan = DrillPlan(settings, ContactGroups(tmp_path / "cg.yml"), tuple(drills))
        self.body = body
        self.started: list[int] = []
        self.beside: dict[int, frozenset[str]] = {}
        self.said: list[str] = []
        self.progress: Say = self.said.append
        self.interrupted = threading.Event()

    def run_drill(
        self,
        planned: PlannedDrill,
        progress: Callable[[str], None] | None = None,
        headline: Say | None = None,
        beside: frozenset[str] = frozenset(),
    ) -> DrillResult:
        index = self.plan.drills.index(planned)
        self.started.append(index)
        self.beside[index] = beside
        assert progress is not None and headline is not None
        headline("started")
        progress("step")
        self.body(index)
        return DrillResult(planned.spec.name, "x.feature", Status.PASSED, None, None, {}, [], [])

    def interrupt(self, by: str) -> None:
        self.interrupted.set()

    @property
    def stopping(self) -> bool:
        return self.interrupted.is_set()

    def tagged(self, index: int) -> Say:
        return lambda message: self.said.append(f"[{index + 1}] {message}")

    def kept(self, index: int) -> Say:
        return lambda message: self.said.append(f"kept {index + 1}: {message}")


def test_drills_on_distinct_targets_are_in_flight_at_the_same_time(tmp_path: Path) -> None:
    barrier = threading.Barrier(3, timeout=WAIT_S)  # passes only when all three drills run at once
    drills = [drill(i, f"svc{i}", f"Alert{i}") for i in range(3)]

    def meet(_index: int) -> None:
        barrier.wait()

    runner = FakeRunner(tmp_path, drills, meet)
    assert ParallelRun(runner, 0).run() is False
    assert sorted(runner.started) == [0, 1, 2] and not barrier.broken
    assert sorted(m for m in runner.said if m.startswith("[")) == ["[1] started", "[2] started", "[3] started"]
    assert sorted(m for m in runner.said if m.startswith("kept")) == ["kept 1: step", "kept 2: step", "kept 3: step"]


def test_drills_on_one_service_run_one_after_the_other_in_plan_order(tmp_path: Path) -> None:
    inside = threading.Semaphore(1)
    overlaps: list[int] = []

    def body(index: int) -> None:
        if not inside.acquire(blocking=False):
            overlaps.append(index)
            return
        inside.release()

    drills = [drill(0, "svc", "A0"), drill(1, "svc", "A1"), drill(2, "svc", "A2")]
    runner = FakeRunner(tmp_path, drills, body)
    ParallelRun(runner, 0).run()
    assert runner.started == [0, 1, 2] and overlaps == []


def test_an_interrupt_ends_the_drills_in_flight_and_starts_no_more(tmp_path: Path) -> None:
    both_running = threading.Barrier(3, timeout=WAIT_S)  # two drills plus the test

    def body(index: int) -> None:
        both_running.wait()
        if not runner.interrupted.wait(WAIT_S):
            raise AssertionError("the drill was never told to stop")

    drills = [drill(0, "a", "A"), drill(1, "b", "B"), drill(2, "a", "C")]
    runner = FakeRunner(tmp_path, drills, body)
    parallel = ParallelRun(runner, 0)
    main = threading.main_thread()
    assert main is threading.current_thread()

    def ctrl_c() -> None:
        both_running.wait()
        import _thread

        _thread.interrupt_main()

    # a run started in the background (nohup, CI) has SIGINT ignored, and then interrupt_main does nothing
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=ctrl_c, daemon=True).start()
        assert parallel.run() is True
    finally:
        signal.signal(signal.SIGINT, previous)
    assert runner.interrupted.is_set() and sorted(runner.started) == [0, 1]  # drill 2 never started


def test_an_interrupt_whose_keyboardinterrupt_was_lost_still_ends_the_run(tmp_path: Path) -> None:
    """The signal watcher (drill/signals.py) called `interrupt` from its thread: no drill starts any more
    and the run reports itself interrupted."""

    def body(index: int) -> None:
        if index == 0:
            runner.interrupt("SIGTERM")  # as the watcher does, from another thread than the main one

    drills = [drill(0, "a", "A"), drill(1, "a", "B"), drill(2, "a", "C")]
    runner = FakeRunner(tmp_path, drills, body)
    assert ParallelRun(runner, 0).run() is True
    assert runner.started == [0]


@pytest.mark.parametrize("width", [1, 2])
def test_the_width_bounds_the_drills_in_flight(tmp_path: Path, width: int) -> None:
    lock, now, most = threading.Lock(), [0], [0]

    def body(_index: int) -> None:
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        with lock:
            now[0] -= 1

    drills = [drill(i, f"s{i}", f"A{i}") for i in range(5)]
    runner = FakeRunner(tmp_path, drills, body)
    ParallelRun(runner, width).run()
    assert sorted(runner.started) == list(range(5)) and most[0] <= width


def test_metric_faults_on_one_pushgateway_are_distinct_targets_by_job() -> None:
    from alertdrill.drill.targets import fault_target

    def metric(job: str) -> FaultConfig:
        return FaultConfig(job, "metric", {"pushgateway": "http://127.0.0.1:9091", "job": job}, "x:1")

    assert fault_target(metric("a")) != fault_target(metric("b"))
    assert fault_target(metric("a")) == fault_target(metric("a"))


def test_a_drill_that_judges_the_whole_system_runs_alone() -> None:
    from alertdrill.drill.parallel import slots
    from alertdrill.spec.model import NoOtherAlert, QuietStart

    plain = drill(0, "a", "A")
    quiet = PlannedDrill(DrillSpec("quiet", "x.feature", 2, (QuietStart(), *plain.spec.steps)), plain.injector)
    noisy = PlannedDrill(DrillSpec("strict", "x.feature", 3, (*plain.spec.steps, NoOtherAlert())), plain.injector)
    found = slots([plain, quiet, noisy], lambda p: frozenset({p.spec.name}))
    assert [s.alone for s in found] == [False, True, True]


def test_the_noise_picture_of_a_parallel_drill_leaves_out_the_alerts_drilled_beside_it() -> None:
    """Other drills' alerts are their own, not strays of this drill's fault; a drill that runs alone
    (here: one that says no other alert fires) sees every alert."""
    from alertdrill.drill.parallel import drilled_beside, slots
    from alertdrill.spec.model import NoOtherAlert

    a, b, same = drill(0, "a", "A"), drill(1, "b", "B"), drill(3, "a", "A2")  # `same` shares a's service
    strict = PlannedDrill(
        DrillSpec("strict", "x.feature", 2, (*drill(2, "c", "C").spec.steps, NoOtherAlert())), a.injector
    )
    found = slots([a, b, strict, same], lambda p: frozenset(p.spec.services))
    assert [drilled_beside(s, found) for s in found] == [{"B"}, {"A", "A2"}, set(), {"B"}]


def test_a_parallel_run_hands_each_drill_the_alerts_drilled_beside_it(tmp_path: Path) -> None:
    drills = [drill(0, "a", "A"), drill(1, "b", "B"), drill(2, "c", "C")]
    runner = FakeRunner(tmp_path, drills, lambda index: None)
    assert ParallelRun(runner, 0).run() is False
    assert runner.beside == {0: frozenset({"B", "C"}), 1: frozenset({"A", "C"}), 2: frozenset({"A", "B"})}
