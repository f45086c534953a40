"""The history store: one row per run, one per drill in a run, written from the scorecard JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Float, MetaData, String, Table, create_engine, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from alertdrill.errors import ConfigError

PHASES = ("alert", "notify", "locate", "recover")

metadata = MetaData()
runs = Table("alertdrill_runs", metadata,
             Column("run_id", String(64), primary_key=True),
             Column("started_at", String(32), nullable=False),
             Column("finished_at", String(32), nullable=False))
drills = Table("alertdrill_drills", metadata,
               Column("run_id", String(64), primary_key=True),
               Column("drill", String(512), primary_key=True),  # "<feature>::<name>"
               Column("status", String(16), nullable=False),
               Column("alert", String(256)),
               Column("contact_group", String(256)),
               *(Column(f"{phase}_s", Float) for phase in PHASES),
               *(Column(f"{phase}_budget_s", Float) for phase in PHASES))


@dataclass(frozen=True)
class DrillRow:
    run_id: str
    started_at: str
    drill: str
    status: str
    alert: str | None
    contact_group: str | None
    elapsed: Mapping[str, float | None]  # phase -> seconds (None: missed or not in the drill)
    budgets: Mapping[str, float | None]


class History:
    def __init__(self, url: str) -> None:
        try:
            self.url = make_url(url)
            self.engine = create_engine(self.url)
        except (ArgumentError, ImportError) as exc:
            raise ConfigError(f"history: cannot use {url!r} ({exc})",
                              fix="use e.g. sqlite:///.alertdrill/history.sqlite or "
                                  "postgresql+psycopg://user@host/db (pip install alertdrill[postgres])") from None
        metadata.create_all(self.engine)

    def shown_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def record(self, card: Mapping[str, Any]) -> None:
        with self.engine.begin() as db:
            db.execute(insert(runs).values(run_id=card["run_id"], started_at=card["started_at"],
                                           finished_at=card["finished_at"]))
            for drill in card["drills"]:
                phases = drill["phases"]
                db.execute(insert(drills).values(
                    run_id=card["run_id"], drill=f"{drill['feature']}::{drill['name']}", status=drill["status"],
                    alert=drill["alert"], contact_group=drill["contact_group"],
                    **{f"{p}_s": (phases.get(p) or {}).get("elapsed_s") for p in PHASES},
                    **{f"{p}_budget_s": (phases.get(p) or {}).get("budget_s") for p in PHASES}))

    def rows(self) -> list[DrillRow]:
        """Every drill ever recorded, oldest run first."""
        query = select(drills, runs.c.started_at).join(runs, runs.c.run_id == drills.c.run_id).order_by(
            runs.c.started_at, drills.c.drill)
        with self.engine.connect() as db:
            return [DrillRow(r.run_id, r.started_at, r.drill, r.status, r.alert, r.contact_group,
                             {p: getattr(r, f"{p}_s") for p in PHASES},
                             {p: getattr(r, f"{p}_budget_s") for p in PHASES}) for r in db.execute(query)]

    def trends(self, last: int = 10) -> dict[str, list[float | None]]:
        """drill -> time to alert over its last `last` runs (for the HTML report's small chart)."""
        series: dict[str, list[float | None]] = {}
        for row in self.rows():
            series.setdefault(row.drill, []).append(row.elapsed["alert"])
        return {drill: values[-last:] for drill, values in series.items()}

