"""Drills started from the console: each in a worker thread, through the same plan and runner as
`alertdrill run`; one drill per target at a time (the scheduler's rule); the kill switch; an audit
line (who, when) for every start and kill."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from alertdrill.config import Settings
from alertdrill.console.catalog import Entry
from alertdrill.drill.environment import Environment
from alertdrill.drill.plan import DrillPlan, PlannedDrill, Selection, build_plan
from alertdrill.drill.runner import Runner
from alertdrill.drill.targets import fault_target
from alertdrill.errors import AlertdrillError
from alertdrill.faults.ledger import Ledger, LedgerEntry
from alertdrill.lab.configs import lab_secret_file
from alertdrill.publish.deliver import deliver
from alertdrill.publish.reports.writer import new_run_id
from alertdrill.redact import redact
from alertdrill.score.events import Event, EventName, Timeline
from alertdrill.score.scorecard import Scorecard
from alertdrill.sink.embedded import answers, sink_for_run

AUDIT_FILE = "console-audit.jsonl"
JOIN_S = 60.0  # how long a stopping server waits for a running drill's revert


class Busy(Exception):
    """The drill shares a target with a running one."""


@dataclass(frozen=True)
class News:
    events: list[Event]
    lines: list[str]
    finished: bool


@dataclass
class ConsoleRun:
    id: str
    entry: Entry
    by: str
    started_at: float = field(default_factory=time.time)
    status: str = "running"
    error: str = ""
    scorecard: Scorecard | None = None
    timeline: Timeline | None = None
    abort_by: str = ""
    lines: list[str] = field(default_factory=list)
    thread: threading.Thread | None = None
    _lock: threading.Condition = field(default_factory=threading.Condition)

    @property
    def finished(self) -> bool:
        return self.status != "running"

    def say(self, line: str) -> None:
        with self._lock:
            self.lines.append(redact(line))
            self._lock.notify_all()

    def attach(self, _planned: PlannedDrill, timeline: Timeline) -> None:
        with self._lock:
            self.timeline = timeline
            if self.abort_by:
                self._pull(timeline)
            self._lock.notify_all()

    def abort(self, by: str) -> None:
        with self._lock:
            self.abort_by = by
            if self.timeline is not None:
                self._pull(self.timeline)
            self._lock.notify_all()

    def _pull(self, timeline: Timeline) -> None:
        if timeline.first(EventName.KILL_SWITCH) is None:
            timeline.record(EventName.KILL_SWITCH, via="console", by=self.abort_by)

    def finish(self, status: str, card: Scorecard | None = None, error: str = "") -> None:
        with self._lock:
            self.status, self.scorecard, self.error = status, card, error
            self._lock.notify_all()

    def news(self, events_seen: int, lines_seen: int, timeout_s: float) -> News:
        """What happened since the counts given; waits up to `timeout_s` for something new."""

        def fresh() -> bool:
            return len(self.events()) > events_seen or len(self.lines) > lines_seen or self.finished

        timeline = self.timeline
        if timeline is not None and not fresh():
            timeline.wait_for(lambda _events: fresh(), timeout_s, tick_s=min(0.25, timeout_s))
        else:
            with self._lock:
                self._lock.wait_for(fresh, timeout_s)
        with self._lock:
            return News(self.events()[events_seen:], self.lines[lines_seen:], self.finished)

    def events(self) -> list[Event]:
        """In the order they arrived (a count of them marks what a reader has seen)."""
        return self.timeline.arrived_since(0) if self.timeline is not None else []


@dataclass
class SharedEnvironment(Environment):
    """The console runs several drills in one process: while another of them runs, the ledger entries
    and shells of this process are its, not a killed run's orphans (which wait for a drill run alone)."""

    alone: Callable[[], bool] = lambda: True
    reloading: threading.Lock = field(default_factory=threading.Lock)  # the console's one, shared by its runs

    def revert_orphans(self) -> list[tuple[LedgerEntry, str]]:
        return super().revert_orphans() if self.alone() else []

    # A lab reload (a new run label, changed files, a fresh group at injection) would move the alerts of
    # the drills in flight to new Alertmanager groups: only a drill run alone reloads, and one reload at a
    # time, so no drill injects while another's reload is under way. A drill that lands in a live group
    # is told so by the watch (the hot-group note); a rule not loaded yet stops it in preflight.
    def fresh_run(self, alerts: list[str]) -> bool:
        with self.reloading:
            return super().fresh_run(alerts) if self.alone() else False

    def reload_changed(self) -> int | None:
        with self.reloading:
            return super().reload_changed() if self.alone() else None

    def fresh_group(self, alert: str, also: tuple[str, ...] = ()) -> dict[str, str] | None:
        with self.reloading:
            return super().fresh_group(alert, also) if self.alone() else None


class RunManager:
    """The console's running and finished drills (this server's life), with the target rule."""

    def __init__(self, settings: Settings, plan_for: Callable[[Entry], DrillPlan] | None = None) -> None:
        self.settings = settings
        self.plan_for = plan_for or (lambda entry: plan_entry(settings, entry))
        self.runs: dict[str, ConsoleRun] = {}
        self._lock = threading.Lock()
        self._reloading = threading.Lock()  # one lab reload at a time, none under another run's injection
        self._sink = ExitStack()  # the console's own sink, when nothing else serves it: up until `stop`

    @property
    def audit_path(self) -> Path:
        return self.settings.report_dir / AUDIT_FILE

    def audit(self, action: str, who: str, run: ConsoleRun) -> None:
        line = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "action": action, "by": who}
        line |= {"run": run.id, "drill": run.entry.spec.name, "feature": run.entry.spec.feature}
        self.audit_path.parent.mkdir(parents=True, exist_ok=True)
        with self.audit_path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

    def others(self, run: ConsoleRun) -> list[ConsoleRun]:
        """The console's other running drills."""
        return [r for r in list(self.runs.values()) if r is not run and not r.finished]

    def holder(self, entry: Entry) -> ConsoleRun | None:
        """The running drill that holds one of `entry`'s targets, if any."""
        return next((r for r in self.runs.values() if not r.finished and r.entry.targets & entry.targets), None)

    def elsewhere(self, entry: Entry) -> str | None:
        """A drill of another process (`alertdrill run`, the scheduler) holding a fault on one of the targets."""
        for held in Ledger(self.settings.state_dir / "ledger").entries():
            target = fault_target(held.fault_config())
            if held.pid != os.getpid() and held.owner_alive and target in entry.targets:
                return f"{held.drill!r} (pid {held.pid}, fault {held.fault}) is running on {target}"
        return None

    def start(self, entry: Entry, who: str) -> ConsoleRun:
        with self._lock:
            holder = self.holder(entry)
            if holder is not None:
                shared = ", ".join(sorted(holder.entry.targets & entry.targets))
                raise Busy(f"{holder.entry.spec.name!r} (run {holder.id}) is running on {shared}")
            other = self.elsewhere(entry)
            if other is not None:
                raise Busy(other)
            run = ConsoleRun(new_run_id(time.time()), entry, who)
            self.runs[run.id] = run
        self.audit("start", who, run)
        run.thread = threading.Thread(target=self._work, args=(run,), daemon=True, name=f"alertdrill-{run.id}")
        run.thread.start()
        return run

    def abort(self, run: ConsoleRun, who: str) -> None:
        self.audit("kill", who, run)
        run.abort(who)

    def _serve_sink(self, plan: DrillPlan, say: Callable[[str], None]) -> None:
        """Drills that overlap must share one sink: one run's own would stop under the other."""
        settings = self.settings
        with self._lock:
            if plan.needs_sink and not answers(settings.sink_url):
                secret = lab_secret_file(settings)
                self._sink.enter_context(sink_for_run(settings.sink_listen, settings.sink_smtp, say, secret))

    def _work(self, run: ConsoleRun) -> None:
        try:
            plan = self.plan_for(run.entry)
            self._serve_sink(plan, run.say)
            env = SharedEnvironment(
                self.settings, progress=run.say, alone=lambda: not self.others(run), reloading=self._reloading
            )
            runner = Runner(plan, env, run.say, on_timeline=run.attach)
            outcome = runner.run()
            if not outcome.results:
                run.finish("error", error="the drill did not run")
                return
            card = outcome.scorecard(run.id)
            deliver(card, self.settings, plan.contact_groups, run.say)
            run.finish(str(card.drills[0].status), card)
        except AlertdrillError as exc:
            run.finish("error", error=exc.one_line())
        except Exception as exc:  # a bug must end the run visibly, not kill the server
            run.finish("error", error=f"internal error: {type(exc).__name__}: {redact(str(exc))[:300]}")

    def stop(self) -> None:
        """The server stops: pull the kill switch of every running drill and wait for the reverts."""
        for run in list(self.runs.values()):
            if not run.finished:
                self.abort(run, "the console (stopping)")
        for run in list(self.runs.values()):
            if run.thread is not None:
                run.thread.join(timeout=JOIN_S)
        self._sink.close()


def plan_entry(settings: Settings, entry: Entry) -> DrillPlan:
    """The plan of one catalog drill: its feature file, its scenario (the same plan `alertdrill run` builds)."""
    spec = entry.spec
    plan = build_plan(settings, Selection((settings.root / spec.feature,), (spec.name,)))
    drills = tuple(d for d in plan.drills if d.spec.line == spec.line) or plan.drills[:1]
    return DrillPlan(plan.settings, plan.contact_groups, drills)
