"""The catalog: every drill of the project with its last result (history) and its next scheduled run."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.config import Settings
from alertdrill.drill.plan import compile_drills, flatten, read_drills
from alertdrill.drill.targets import drill_targets
from alertdrill.errors import AlertdrillError
from alertdrill.publish.history import History
from alertdrill.redact import redact
from alertdrill.schedule.jobs import Job, load_schedule
from alertdrill.spec.model import DrillSpec


@dataclass(frozen=True)
class LastResult:
    status: str
    run_id: str


@dataclass(frozen=True)
class Entry:
    id: str
    spec: DrillSpec
    targets: frozenset[str]
    last: LastResult | None = None
    next_run: datetime | None = None

    @property
    def last_status(self) -> str | None:
        return self.last.status if self.last else None

    def to_dict(self) -> dict[str, object]:
        """The `GET /api/drills` shape (CONTRACT), plus tags and the next scheduled run."""
        spec = self.spec
        return {
            "id": self.id,
            "name": spec.name,
            "feature": spec.feature,
            "alert": spec.alert,
            "contact_group": spec.contact_group,
            "fault": spec.fault,
            "last_status": self.last_status,
            "tags": sorted(spec.tags),
            "next_run": self.next_run.isoformat() if self.next_run else None,
        }


def drill_id(spec: DrillSpec) -> str:
    """Stable across restarts while the feature file and the scenario name stay."""
    return hashlib.sha256(f"{spec.feature}::{spec.name}".encode()).hexdigest()[:12]


def last_results(settings: Settings) -> dict[str, LastResult]:
    """`<feature>::<name>` -> its newest recorded result ({} when the history cannot be read)."""
    try:
        rows = History(settings.history_url).rows()
    except (SQLAlchemyError, AlertdrillError):
        return {}
    return {row.drill: LastResult(row.status, row.run_id) for row in rows}  # oldest first: the newest wins


def schedule_jobs(settings: Settings) -> tuple[Job, ...]:
    try:
        return load_schedule(settings).jobs
    except AlertdrillError:
        return ()  # a broken schedule is `alertdrill schedule`'s to report; the catalog still shows


def covers(job: Job, spec: DrillSpec, root: Path) -> bool:
    feature = (root / spec.feature).resolve()
    under = any(feature == (root / p).resolve() or (root / p).resolve() in feature.parents for p in job.paths)
    return under and spec.name in job.scenarios


def next_runs(jobs: Sequence[Job], drills: Sequence[DrillSpec], root: Path, now: datetime) -> dict[int, datetime]:
    """Index of a drill -> the next time a schedule runs it."""
    found: dict[int, datetime] = {}
    fires = {job.name: job.next_after(now) for job in jobs}
    for index, spec in enumerate(drills):
        times = [fires[job.name] for job in jobs if covers(job, spec, root)]
        if times:
            found[index] = min(times)
    return found


@dataclass(frozen=True)
class Catalog:
    """The drills of the feature files that compile, and one line per problem of those that do not
    (a file broken while the console runs hides only its own drills)."""

    entries: list[Entry]
    problems: list[str]


def load_catalog(settings: Settings, now: datetime | None = None) -> list[Entry]:
    """Every drill, or every problem at once (what `alertdrill serve` checks before it starts)."""
    groups = ContactGroups.load(settings.contact_groups)
    return _entries(settings, compile_drills(settings, groups, [settings.root / "drills"]), now)


def read_catalog(settings: Settings, now: datetime | None = None) -> Catalog:
    groups = ContactGroups.load(settings.contact_groups)
    drills, problems = read_drills(settings, groups, [settings.root / "drills"])
    shown = flatten(problems)
    broken = {p.path.resolve() for p in shown if p.path is not None}
    good = [d for d in drills if (settings.root / d.feature).resolve() not in broken]
    root = f"{settings.root}/"  # paths as the feature column shows them
    return Catalog(_entries(settings, good, now), [redact(p.one_line().replace(root, "")) for p in shown])


def _entries(settings: Settings, drills: Sequence[DrillSpec], now: datetime | None) -> list[Entry]:
    last: Mapping[str, LastResult] = last_results(settings)
    upcoming = next_runs(schedule_jobs(settings), drills, settings.root, now or datetime.now(UTC))
    return [
        Entry(
            drill_id(spec),
            spec,
            drill_targets(settings, spec),
            last.get(f"{spec.feature}::{spec.name}"),
            upcoming.get(index),
        )
        for index, spec in enumerate(drills)
    ]
