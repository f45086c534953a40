"""`alertdrill schedule`: runs due drills, one target at a time, until told to stop.

The loop sleeps until the next fire time or until a running drill finishes (never polling faster),
starts what may start, and writes one line per start and finish to its log and to `runs.jsonl`.
A drill that crashes is recorded and the schedule goes on. `stop()` (SIGTERM) ends the current
drills at once; each reverts its fault before it exits.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from alertdrill.schedule.clock import Clock
from alertdrill.schedule.jobs import Job
from alertdrill.schedule.plan import Plan
from alertdrill.schedule.runner import Outcome, Runner

JOIN_S = 180.0  # after stop, how long the drills may take to revert and exit


@dataclass(frozen=True)
class RunRecord:
    job: str
    fire: str
    started: str
    finished: str
    status: str
    exit_code: int | None
    seconds: float
    log: str
    detail: str


class Scheduler:
    def __init__(
        self,
        jobs: Sequence[Job],
        runner: Runner,
        clock: Clock,
        *,
        max_parallel: int = 1,
        say: Callable[[str], None] = print,
        record_file: Path | None = None,
    ) -> None:
        self.jobs, self.runner, self.clock, self.say = list(jobs), runner, clock, say
        self.max_parallel, self.record_file = max_parallel, record_file
        self.records: list[RunRecord] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []
        self._told: set[tuple[str, datetime]] = set()  # waits already reported

    def stop(self) -> None:
        """From a signal handler or another thread: end now, reverting the running drills."""
        self._stop.set()
        self._wake.set()

    def run(self, max_runs: int | None = None) -> list[RunRecord]:
        """Until `stop()`, or until `max_runs` drills have finished (tests)."""
        plan = Plan(self.jobs, self.clock.now(), self.max_parallel)
        started = 0
        while not self._stop.is_set():
            self._wake.clear()
            with self._lock:
                for line in plan.due(self.clock.now()):
                    self.say(line)
                for fire, job in plan.startable():
                    started += 1
                    self._start(plan, fire, job)
                for fire, job in plan.queue:
                    holders = plan.waiting_for(job)
                    if holders and (job.name, fire) not in self._told:
                        self._told.add((job.name, fire))
                        self.say(
                            f"{job.name}: due since {fire.isoformat()}, waiting for {', '.join(holders)} (same target)"
                        )
                busy = bool(plan.running)
                if max_runs is not None and len(self.records) >= max_runs:
                    break
            self.clock.sleep_until(plan.wakeup(), self._wake, busy=busy)
        self._finish()
        return self.records

    def _start(self, plan: Plan, fire: datetime, job: Job) -> None:
        late = (self.clock.now() - fire).total_seconds()
        self.say(
            f"{self.clock.now().isoformat()} start {job.name} (due {fire.isoformat()}"
            + (f", {late:.0f} s late" if late >= 1 else "")
            + ")"
        )
        worker = threading.Thread(target=self._work, args=(plan, fire, job), name=f"alertdrill-{job.name}", daemon=True)
        self._workers.append(worker)
        worker.start()

    def _work(self, plan: Plan, fire: datetime, job: Job) -> None:
        began = self.clock.now()
        try:
            outcome = self.runner.run(job)
        except Exception as exc:  # a broken runner must not end the schedule
            outcome = Outcome("crashed", None, 0.0, detail=f"{type(exc).__name__}: {exc}")
        record = RunRecord(
            job.name,
            fire.isoformat(),
            began.isoformat(),
            self.clock.now().isoformat(),
            outcome.status,
            outcome.exit_code,
            round(outcome.seconds, 3),
            outcome.log,
            outcome.detail,
        )
        with self._lock:
            plan.finished(job)
            self.records.append(record)
            self._write(record)
        self.say(
            f"{record.finished} {job.name}: {outcome.status}"
            + (f" ({outcome.detail})" if outcome.status not in ("passed", "failed") else "")
            + (f"; log {outcome.log}" if outcome.log else "")
        )
        self._wake.set()

    def _write(self, record: RunRecord) -> None:
        if self.record_file is None:
            return
        self.record_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.record_file, "a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(record)) + "\n")

    def _finish(self) -> None:
        if self._stop.is_set():
            self.runner.stop()
        for worker in self._workers:
            worker.join(timeout=JOIN_S)


def upcoming(jobs: Sequence[Job], now: datetime, count: int) -> list[tuple[datetime, Job]]:
    """The next `count` fire times over all jobs, in order (`alertdrill schedule --next`)."""
    fires: list[tuple[datetime, Job]] = []
    for job in jobs:
        moment = now
        for _ in range(count):
            moment = job.next_after(moment)
            fires.append((moment, job))
    return sorted(fires, key=lambda item: item[0])[:count]
