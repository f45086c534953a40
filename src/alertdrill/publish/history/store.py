"""The history store: one row per run, one per drill in a run, one per phase of a drill, written from
the typed scorecard (its enums stored as their strings). Opening a database migrates it to the newest
schema (see `migrate`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import create_engine, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from alertdrill.errors import ConfigError
from alertdrill.publish.history.migrate import upgrade
from alertdrill.publish.history.schema import PHASES, drills, phases, runs
from alertdrill.redact import redact
from alertdrill.score.events import EventName
from alertdrill.score.scorecard import DrillResult, PhaseResult, Scorecard, iso


@dataclass(frozen=True)
class DrillRow:
    """One drill of one recorded run."""

    run_id: str
    started_at: str
    drill: str  # "<feature>::<name>"
    status: str
    alert: str | None
    contact_group: str | None
    injected: bool  # False: the drill stopped before its fault was injected
    phases: Mapping[str, PhaseResult]  # only the phases the drill times, in PHASES order

    def elapsed(self, phase: str) -> float | None:
        """Seconds from injection to the phase (None: missed, or not in the drill)."""
        result = self.phases.get(phase)
        return None if result is None else result.elapsed_s


def drill_key(drill: DrillResult) -> str:
    return f"{drill.feature}::{drill.name}"


def was_injected(drill: DrillResult) -> bool:
    return any(event.name == EventName.FAULT_INJECTED for event in drill.events)


def _phase_order(name: str) -> tuple[int, str]:
    return (PHASES.index(name) if name in PHASES else len(PHASES), name)


class History:
    def __init__(self, url: str) -> None:
        try:
            self.url = make_url(url)
            self.engine = create_engine(self.url)
        except (ArgumentError, ImportError) as exc:
            raise ConfigError(
                f"history: cannot use {redact(url)!r} ({redact(str(exc))})",
                fix="use e.g. sqlite:///.alertdrill/history.sqlite or "
                "postgresql+psycopg://user@host/db (pip install alertdrill[postgres])",
            ) from None
        if self.url.get_backend_name() == "sqlite" and self.url.database not in (None, "", ":memory:"):
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)  # a project's first run
        try:
            upgrade(self.engine)
        except SQLAlchemyError as exc:  # unreachable, refused, wrong password: never a traceback
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
            raise ConfigError(
                f"history database {redact(self.shown_url())} cannot be used: {redact(reason)}",
                fix="check `history:` (or --history / ALERTDRILL_HISTORY) and that the server runs",
            ) from None

    def shown_url(self) -> str:
        return redact(self.url.render_as_string(hide_password=True))

    def record(self, card: Scorecard) -> None:
        """The run, its drills and their phases, in one transaction."""
        drill_rows = [
            {
                "run_id": card.run_id,
                "drill": drill_key(d),
                "status": str(d.status),
                "alert": d.alert,
                "contact_group": d.contact_group,
                "injected": was_injected(d),
            }
            for d in card.drills
        ]
        phase_rows = [
            {
                "run_id": card.run_id,
                "drill": drill_key(d),
                "phase": str(name),
                "budget_s": p.budget_s,
                "elapsed_s": p.elapsed_s,
                "passed": p.passed,
            }
            for d in card.drills
            for name, p in d.phases.items()
        ]
        with self.engine.begin() as db:
            db.execute(
                insert(runs).values(
                    run_id=card.run_id, started_at=iso(card.started_at), finished_at=iso(card.finished_at)
                )
            )
            if drill_rows:
                db.execute(insert(drills), drill_rows)
            if phase_rows:
                db.execute(insert(phases), phase_rows)

    def rows(self) -> list[DrillRow]:
        """Every drill ever recorded, oldest run first, drills by name."""
        query = (
            select(runs.c.started_at, drills, phases.c.phase, phases.c.budget_s, phases.c.elapsed_s, phases.c.passed)
            .join(runs, runs.c.run_id == drills.c.run_id)
            .outerjoin(phases, (phases.c.run_id == drills.c.run_id) & (phases.c.drill == drills.c.drill))
            .order_by(runs.c.started_at, runs.c.run_id, drills.c.drill)
        )
        found: dict[tuple[str, str], DrillRow] = {}
        timed: dict[tuple[str, str], dict[str, PhaseResult]] = {}
        with self.engine.connect() as db:
            for r in db.execute(query):
                key = (r.run_id, r.drill)
                if key not in found:
                    found[key] = DrillRow(
                        r.run_id, r.started_at, r.drill, r.status, r.alert, r.contact_group, bool(r.injected), {}
                    )
                    timed[key] = {}
                if r.phase is not None:
                    timed[key][r.phase] = PhaseResult(r.budget_s, r.elapsed_s, bool(r.passed))
        return [
            replace(row, phases=dict(sorted(timed[key].items(), key=lambda item: _phase_order(item[0]))))
            for key, row in found.items()
        ]

    def trends(self, last: int = 10) -> dict[str, list[float | None]]:
        """drill -> time to alert over its last `last` runs that injected (for the HTML report's chart)."""
        series: dict[str, list[float | None]] = {}
        for row in self.rows():
            if row.injected:  # a drill stopped before its fault says nothing about time to alert
                series.setdefault(row.drill, []).append(row.elapsed("alert"))
        return {drill: values[-last:] for drill, values in series.items()}


def injected_runs(rows: list[DrillRow]) -> list[DrillRow]:
    """The rows of runs that injected at least one fault (a run every drill of which errored before
    injecting says nothing about the alert path)."""
    counted = {row.run_id for row in rows if row.injected}
    return [row for row in rows if row.run_id in counted]
