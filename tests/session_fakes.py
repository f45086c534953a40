"""Fakes for `DrillSession` unit tests: the injector, Prometheus, the observers, the runbook runner.

The safety unit is the real one (ledger in tmp_path, real kill switch, real guards asking the fake
Prometheus). The fake observers record the world's script on the timeline once the fault is in place.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from alertdrill.config import FaultConfig, ServiceConfig, Settings
from alertdrill.drill.killswitch import KillSwitch
from alertdrill.drill.parts import Observing, SessionParts, Timings
from alertdrill.drill.safety import Safety
from alertdrill.drill.session import DrillSession
from alertdrill.errors import InjectorError, UnreachableError
from alertdrill.faults.ledger import Ledger
from alertdrill.observe.guards import Guards
from alertdrill.score.events import EventName, Timeline
from alertdrill.score.scorecard import Check, RunbookStepResult
from alertdrill.spec.model import (
    AlertFires,
    DrillSpec,
    InjectFault,
    LinksRunbook,
    LocatesFault,
    ReachesContactGroup,
    Recovers,
    SteadyState,
    Step,
)

ALERT, GROUP, RECEIVER, SERVICE = "PaymentsApiDown", "payments-oncall", "payments-pager", "payments-api"
HEALTHY, GUARD = 'up{job="payments-api"} == 1', 'up{job="payments-api"} == 0'
RUNBOOK = "runbooks/payments-api-down.md"
FULL = (
    SteadyState(SERVICE),
    InjectFault("fault"),
    AlertFires(ALERT, 5),
    ReachesContactGroup(GROUP, 5),
    LinksRunbook(RUNBOOK),
    LocatesFault(5),
    Recovers(5),
)


@dataclass
class World:
    """What the fakes see and do; a test sets it up, the fakes read it."""

    healthy: bool = True
    unreachable: int = 0  # how many Prometheus queries fail (a temporary error) before it answers
    guard_after_inject: bool = False  # the guard's condition holds once the fault is in place
    guard_always: bool = False
    verify_problem: str | None = None
    revert_fails: bool = False
    outage: str | None = None
    interrupt: str = ""  # where a KeyboardInterrupt lands: steady, inject, clock (a wait), runbook
    script: list[tuple[EventName, dict[str, str]]] = field(default_factory=list)  # recorded after injection
    injected: int = 0
    reverted: int = 0
    firing: list[dict[str, Any]] = field(default_factory=list)  # Prometheus's alerts (pending or firing)


def routed(receiver: str = RECEIVER, group: str = GROUP) -> list[tuple[EventName, dict[str, str]]]:
    """What the observers see when the alert fires and reaches `receiver`."""
    return [
        (EventName.PENDING, {"alert": ALERT}),
        (EventName.FIRING, {"alert": ALERT}),
        (EventName.RECEIVED, {"alert": ALERT, "receivers": receiver, "state": "active"}),
        (
            EventName.DELIVERED,
            {
                "alert": ALERT,
                "receiver": receiver,
                "contact_group": group,
                "status": "firing",
                "channel": "webhook",
                "runbook_url": f"https://wiki.example/{RUNBOOK}",
            },
        ),
    ]


class FakeInjector:
    type_name: ClassVar[str] = "fake"

    def __init__(self, world: World) -> None:
        self.world = world

    def inject(self) -> None:
        if self.world.interrupt == "inject":
            raise KeyboardInterrupt
        self.world.injected += 1

    def revert(self) -> None:
        self.world.reverted += 1
        if self.world.revert_fails:
            raise InjectorError("the fake fault will not go")

    def describe(self) -> str:
        return "a fake fault"


class VerifiedInjector(FakeInjector):
    def verify(self) -> str | None:
        return self.world.verify_problem


class FakePrometheus:
    def __init__(self, world: World) -> None:
        self.world = world

    def query(self, expr: str) -> list[Any]:
        if self.world.interrupt == "steady":
            raise KeyboardInterrupt
        if self.world.unreachable > 0:
            self.world.unreachable -= 1
            raise UnreachableError("Prometheus at http://prometheus.invalid is unreachable")
        if expr == GUARD:
            holds = self.world.guard_always or (self.world.guard_after_inject and self.world.injected > 0)
            return [{"value": 1}] if holds else []
        return [{"value": 1}] if self.world.healthy else []

    def alert_active(self, alertname: str) -> bool:
        return False

    def alerts(self) -> list[Any]:
        """Prometheus's pending and firing alerts (`World.firing`)."""
        return list(self.world.firing)


class FakeWatch:
    """Observers: once the fault is injected, record the world's script on the timeline."""

    def __init__(self, world: World, timeline: Timeline) -> None:
        self.world, self.timeline, self.stopped = world, timeline, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._feed, daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        injected = self.timeline.wait_for(  # wakes on each event; the tick only notices `stop()`
            lambda evs: self._done.is_set() or any(e.name == EventName.FAULT_INJECTED for e in evs), 5, tick_s=0.01
        )
        injected = injected and not self._done.is_set()
        for name, details in self.world.script if injected else []:
            self.timeline.record(name, **details)

    def outage(self, after_s: float) -> str | None:
        return self.world.outage

    def stop_soon(self) -> None:
        self._done.set()

    def stop(self) -> None:
        self.stopped += 1
        self._done.set()
        self._thread.join(5)


class FakeRunbooks:
    def __init__(self, world: World, timeline: Timeline, safety: Safety) -> None:
        self.world, self.timeline, self.safety = world, timeline, safety
        self.linked: str | None = None
        self.results: list[RunbookStepResult] = []

    def locate(self, step: LocatesFault, deadline: float, progress: Any) -> Check:
        if self.world.interrupt == "runbook":
            raise KeyboardInterrupt
        self.timeline.record(EventName.LOCATED, runbook=RUNBOOK)
        return Check("runbook locates the fault", True, "Diagnose steps succeed", "1 series")

    def recover(self, step: Recovers, deadline: float, progress: Any, *, by_people: bool = False) -> Check:
        if self.world.interrupt == "runbook":
            raise KeyboardInterrupt
        self.timeline.record(EventName.RECOVERED)
        self.timeline.record(
            EventName.DELIVERED,
            alert=ALERT,
            receiver=RECEIVER,
            contact_group=GROUP,
            status="resolved",
            channel="webhook",
        )
        return Check("service recovers", True, "healthy and alert resolved", "healthy, alert resolved")


@dataclass
class Rig:
    world: World
    parts: SessionParts
    ledger: Ledger
    said: list[str]
    watches: list[FakeWatch]

    def session(self, *steps: Step) -> DrillSession:
        return DrillSession.with_parts(DrillSpec("unit drill", "drills/unit.feature", 1, steps or FULL), self.parts)

    def run(self, session: DrillSession) -> None:
        for step in session.spec.steps:
            session.perform(step)

    def entries(self) -> list[Path]:
        return sorted(self.ledger.folder.glob("*.json"))


def make_rig(
    tmp_path: Path, world: World, *, max_duration_s: float | None = None, guarded: bool = False, verified: bool = False
) -> Rig:
    fault = FaultConfig("fault", "fake", {}, "alertdrill.yml:1", max_duration_s)
    settings = Settings(
        tmp_path / "alertdrill.yml",
        services={SERVICE: ServiceConfig(SERVICE, HEALTHY)},
        faults={"fault": fault},
        steady_timeout_s=0.3,
        max_fault_duration_s=30.0,
    )
    timeline, ledger, prometheus = Timeline(), Ledger(tmp_path / "ledger"), FakePrometheus(world)
    guards = Guards({"payments-down": GUARD}, prometheus, timeline) if guarded else None  # type: ignore[arg-type]
    kill = KillSwitch("http://sink.invalid", ledger, timeline, lambda: None, check_s=0.02)
    safety = Safety(ledger, timeline, kill, guards)
    said: list[str] = []
    watches: list[FakeWatch] = []

    def watch(alert: str, since: float, labels: Mapping[str, str]) -> Observing:
        watches.append(FakeWatch(world, timeline))
        return watches[-1]

    def clock() -> float:
        if world.interrupt == "clock":
            raise KeyboardInterrupt
        return timeline.clock()

    parts = SessionParts(
        settings=settings,
        timeline=timeline,
        prometheus=prometheus,
        watch=watch,
        safety=safety,
        runbooks=FakeRunbooks(world, timeline, safety),
        acknowledger=None,
        injector=lambda f: VerifiedInjector(world) if verified else FakeInjector(world),
        fresh_group=lambda alert: {"drill_run": "unit"},
        receiver_of=lambda group: RECEIVER,
        runbook_problem=lambda path, url: None,
        progress=said.append,
        timings=Timings(
            heartbeat_s=0.0, resolved_grace_s=0.5, verify_s=0.1, verify_interval_s=0.02, outage_s=0.0, tick_s=0.02
        ),
        clock=clock,
    )
    return Rig(world, parts, ledger, said, watches)
