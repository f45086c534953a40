"""What the pages show, gathered from the engine: a drill's plan (the dry-run), the history of runs,
the trends and regressions, and what the schedules will run next."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from alertdrill.catalog.runbooks import RunbookStep, load_runbooks
from alertdrill.config import Settings
from alertdrill.console.catalog import Entry, schedule_jobs
from alertdrill.drill.plan import DrillPlan
from alertdrill.errors import AlertdrillError
from alertdrill.publish.history import History, HistoryReport, history_report
from alertdrill.publish.history.trends import MEASURED
from alertdrill.schedule.audit import AuditLog
from alertdrill.schedule.scheduler import upcoming
from alertdrill.schedule.surprise import load_surprise

RUN_ID = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9A-Za-z-]+$")
DOWNLOADS = {"scorecard.html": "text/html", "scorecard.json": "application/json", "junit.xml": "application/xml"}
SHOWN_RUNS = 50


@dataclass(frozen=True)
class PlanView:
    entry: Entry
    fault: str  # the injector's own description
    budgets: list[tuple[str, float]]
    steps: list[tuple[str, RunbookStep]]  # (runbook file, step)
    blocked: tuple[str, ...]


def plan_view(settings: Settings, entry: Entry, plan: DrillPlan) -> PlanView:
    planned = plan.drills[0]
    alert = entry.spec.alert
    steps = [
        (book.path.name, step)
        for book in load_runbooks(settings.runbooks)
        if alert and alert in book.alerts
        for step in book.steps
    ]
    budgets = [(str(phase), budget) for phase, budget in entry.spec.budgets().items()]
    return PlanView(entry, planned.injector.describe(), budgets, steps, planned.blocked)


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    started_at: str
    drills: list[tuple[str, str]]  # (name, status)
    files: list[str]


def report_runs(report_dir: Path, limit: int = SHOWN_RUNS) -> list[RunSummary]:
    """The runs in the report folder, newest first (`latest` is only a pointer)."""
    found = []
    folders = sorted((p for p in report_dir.glob("*") if RUN_ID.match(p.name) and p.is_dir()), reverse=True)
    for folder in folders[:limit]:
        try:
            card = json.loads((folder / "scorecard.json").read_text())
            drills = [(str(d["name"]), str(d["status"])) for d in card["drills"]]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        files = [name for name in DOWNLOADS if (folder / name).is_file()]
        found.append(RunSummary(folder.name, str(card.get("started_at", "")), drills, files))
    return found


def report_file(report_dir: Path, run_id: str, name: str) -> Path | None:
    """A run's downloadable report, or None (names are checked: nothing outside the report folder)."""
    if not RUN_ID.match(run_id) or name not in DOWNLOADS:
        return None
    path = report_dir / run_id / name
    return path if path.is_file() else None


def trends(settings: Settings) -> HistoryReport | None:
    try:
        return history_report(History(settings.history_url).rows())
    except (SQLAlchemyError, AlertdrillError):
        return None


def budgets_by(entries: Sequence[Entry], key: str) -> dict[str, dict[str, float]]:
    """alert (or contact group) -> measure ("time to alert", as the trends name it) -> the tightest
    budget among its drills."""
    found: dict[str, dict[str, float]] = {}
    for entry in entries:
        name = entry.spec.alert if key == "alert" else entry.spec.contact_group
        for phase, budget in entry.spec.budgets().items():
            measure = MEASURED.get(str(phase), str(phase))
            if name:
                known = found.setdefault(name, {})
                known[measure] = min(budget, known.get(measure, budget))
    return found


@dataclass(frozen=True)
class Upcoming:
    at: datetime
    job: str
    drills: str


@dataclass(frozen=True)
class Schedules:
    upcoming: list[Upcoming] = field(default_factory=list)
    audit: list[dict[str, object]] | None = None  # the surprise audit log: qa only


def schedules(settings: Settings, qa: bool, now: datetime | None = None, count: int = 10) -> Schedules:
    jobs = schedule_jobs(settings)
    soon = [
        Upcoming(at, job.name, ", ".join(job.scenarios) or ", ".join(job.paths))
        for at, job in upcoming(jobs, now or datetime.now(UTC), count)
    ]
    if not qa:
        return Schedules(soon)
    try:
        audit = AuditLog(load_surprise(settings).audit_log).entries()[-SHOWN_RUNS:]
    except AlertdrillError:
        audit = []
    return Schedules(soon, list(reversed(audit)))
