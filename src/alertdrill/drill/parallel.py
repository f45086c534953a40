"""`alertdrill run --parallel N|auto`: drills whose targets are disjoint run at the same time, in
worker threads of this one process, each its own `DrillSession`; the scorecard lists them in the
plan's order, as a sequential run would.

A drill waits while an earlier one that shares a target (a service, the fault's target, the alert)
is queued or running, so the order of drills on one target is the order of the plan. Two kinds of
drill run alone: one whose alert this run has drilled before (it needs a fresh Alertmanager group,
which in the lab reloads Prometheus with a new label for every alert, disturbing drills in flight), and
one that judges the whole system (`no other alert fires`, `only the contact group X is notified`, `at
most N notifications`, `no alert is firing`: other drills' alerts would be its noise).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

from alertdrill.drill.plan import DrillPlan, PlannedDrill
from alertdrill.drill.targets import drill_targets
from alertdrill.score.scorecard import DrillResult
from alertdrill.spec.model import WINDOW_STEPS, QuietStart

Progress = Callable[[str], None]

TICK_S = 0.5  # the main thread wakes this often (a signal is handled between two waits)
DRAIN_S = 120.0  # after an interrupt: how long the drills in flight get to revert and score
STATUS_S = 5.0  # a status line this often while drills run
SLACK_S = 600.0  # beyond the sum of the drills' budgets, the run is stuck: interrupt it


@dataclass(frozen=True)
class Slot:
    index: int
    planned: PlannedDrill
    targets: frozenset[str]
    alone: bool  # runs with no other drill in flight (a repeated alert: see the module's docstring)


def slots(drills: Sequence[PlannedDrill], settings_targets: Callable[[PlannedDrill], frozenset[str]]) -> list[Slot]:
    seen: set[str] = set()
    found = []
    for index, planned in enumerate(drills):
        alert = planned.spec.alert
        alone = (bool(alert) and alert in seen) or judges_the_whole_system(planned)
        found.append(Slot(index, planned, settings_targets(planned), alone))
        seen.add(alert or "")
    return found


def judges_the_whole_system(planned: PlannedDrill) -> bool:
    """A drill that says no other alert fires, only one contact group is paged, at most N pages come, or
    that starts from a quiet system: another drill in flight would be its noise, so it runs alone."""
    return any(isinstance(step, (*WINDOW_STEPS, QuietStart)) for step in planned.spec.steps)


def drilled_beside(slot: Slot, every: Sequence[Slot]) -> frozenset[str]:
    """The alerts of the drills that may run at the same time as `slot`: those that do not run alone and
    share no target with it (none for a drill that runs alone). Its noise picture leaves them out: they
    are those drills' own alerts, not strays of its fault."""
    if slot.alone:
        return frozenset()
    own = set(slot.planned.spec.named_alerts)
    beside = (s for s in every if s is not slot and not s.alone and not s.targets & slot.targets)
    return frozenset(a for s in beside for a in s.planned.spec.named_alerts) - own


def startable(queue: Sequence[Slot], running: Sequence[Slot], width: int) -> list[Slot]:
    """The queued drills that may start now, in plan order: a waiting drill holds its targets against
    later ones (no overtaking on a shared target); a drill that runs alone waits for an empty run."""
    busy: set[str] = set().union(*(s.targets for s in running))
    alone_running = any(s.alone for s in running)
    chosen: list[Slot] = []
    for slot in queue:
        room = len(running) + len(chosen) < width
        if slot.alone:
            if not running and not chosen and not alone_running:
                chosen.append(slot)
            break  # nothing overtakes a drill that must run alone
        if room and not alone_running and not slot.targets & busy:
            chosen.append(slot)
        busy |= slot.targets
    return chosen


class RunsDrills(Protocol):
    """What a parallel run needs of the runner."""

    plan: DrillPlan
    progress: Progress

    def run_drill(
        self,
        planned: PlannedDrill,
        progress: Progress | None = None,
        headline: Progress | None = None,
        beside: frozenset[str] = frozenset(),
    ) -> DrillResult: ...

    def interrupt(self, by: str) -> None: ...

    @property
    def stopping(self) -> bool: ...

    def tagged(self, index: int) -> Progress: ...

    def kept(self, index: int) -> Progress: ...


class ParallelRun:
    """Runs `runner.run_drill` for every drill of the plan, `width` at a time (0: as the targets allow)."""

    def __init__(self, runner: RunsDrills, width: int) -> None:
        self.runner = runner
        drills = runner.plan.drills
        settings = runner.plan.settings
        self.queue = slots(drills, lambda p: drill_targets(settings, p.spec))
        self.slots = tuple(self.queue)
        self.width = width if width > 0 else max(1, len(drills))
        self.deadline = time.monotonic() + sum(p.spec.longest_budget() for p in drills) + SLACK_S
        self._said = time.monotonic()

    def run(self) -> bool:
        """True when an interrupt (Ctrl-C, SIGTERM, or the run's own deadline) ended the run."""
        running: dict[Future[DrillResult], Slot] = {}
        with ThreadPoolExecutor(self.width, thread_name_prefix="alertdrill-drill") as pool:
            try:
                self._loop(pool, running)
            except KeyboardInterrupt:
                self._drain(running, "Ctrl-C or SIGTERM")
                return True
        return False

    def _loop(self, pool: ThreadPoolExecutor, running: dict[Future[DrillResult], Slot]) -> None:
        for _ in range(len(self.queue) * 100_000):  # bounded: each pass waits up to TICK_S or ends a drill
            for slot in startable(self.queue, list(running.values()), self.width):
                self.queue.remove(slot)
                lines, head = self.runner.kept(slot.index), self.runner.tagged(slot.index)
                beside = drilled_beside(slot, self.slots)
                running[pool.submit(self.runner.run_drill, slot.planned, lines, head, beside)] = slot
            if not running:
                return
            self._status(running)
            done, _ = wait(running, timeout=TICK_S, return_when=FIRST_COMPLETED)
            for future in done:
                running.pop(future)
            if self.runner.stopping:  # interrupted by a signal whose KeyboardInterrupt Python lost
                raise KeyboardInterrupt("interrupted")
            if time.monotonic() > self.deadline:
                raise KeyboardInterrupt("the run outlived its drills' budgets")

    def _status(self, running: dict[Future[DrillResult], Slot]) -> None:
        """A line every STATUS_S while drills run: which are in flight, how many wait."""
        now = time.monotonic()
        if now - self._said < STATUS_S:
            return
        self._said = now
        total = len(self.runner.plan.drills)
        flying = " ".join(f"[{s.index + 1}/{total}]" for s in sorted(running.values(), key=lambda s: s.index))
        self.runner.progress(f"running {flying}" + (f"; {len(self.queue)} waiting" if self.queue else ""))

    def _drain(self, running: dict[Future[DrillResult], Slot], by: str) -> None:
        self.runner.interrupt(by)
        self.queue.clear()
        wait(running, timeout=DRAIN_S)
