"""Pure bookkeeping for the scheduler: which jobs are due, which may start now.

A job that fires while it is still queued or running is not queued twice (that fire is skipped and
said so). A queued job starts only when none of its targets is busy and a slot is free; jobs start
in the order they became due, and a job waiting for a target keeps later jobs off that target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from alertdrill.schedule.jobs import Job


@dataclass
class Plan:
    jobs: Sequence[Job]
    start: datetime
    max_parallel: int = 1
    next_fire: dict[str, datetime] = field(default_factory=dict)
    queue: list[tuple[datetime, Job]] = field(default_factory=list)
    running: dict[str, Job] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.next_fire = {job.name: job.next_after(self.start) for job in self.jobs}

    def due(self, now: datetime) -> list[str]:
        """Queue every job whose fire time has come; what was skipped, in words."""
        skipped = []
        for job in self.jobs:
            fire = self.next_fire[job.name]
            if fire > now:
                continue
            self.next_fire[job.name] = job.next_after(now)  # fires missed while busy collapse into one
            if job.name in self.running or any(q.name == job.name for _, q in self.queue):
                skipped.append(f"{job.name}: fire at {fire.isoformat()} skipped, its previous run is not over")
                continue
            self.queue.append((fire, job))
        self.queue.sort(key=lambda item: item[0])
        return skipped

    def startable(self) -> list[tuple[datetime, Job]]:
        """Take off the queue what may start now, and mark it running."""
        busy = set().union(*(j.targets for j in self.running.values()))
        started, waiting = [], []
        for fire, job in self.queue:
            if len(self.running) < self.max_parallel and not job.targets & busy:
                self.running[job.name] = job
                started.append((fire, job))
            else:
                waiting.append((fire, job))
            busy |= job.targets  # a waiting job holds its targets against later ones
        self.queue = waiting
        return started

    def finished(self, job: Job) -> None:
        self.running.pop(job.name, None)

    def wakeup(self) -> datetime:
        return min(self.next_fire.values())

    def waiting_for(self, job: Job) -> list[str]:
        """The running jobs that hold one of `job`'s targets."""
        return [j.name for j in self.running.values() if j.targets & job.targets]
