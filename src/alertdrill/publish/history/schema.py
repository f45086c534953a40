"""The history tables as the newest schema revision (`HEAD`) has them: one row per run, one per drill
in a run, one per phase of a drill. The migrations in `migrations/versions/` build exactly this."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKeyConstraint,
    MetaData,
    String,
    Table,
    false,
)

HEAD = "0002"  # the newest revision in migrations/versions (a test checks that they agree)
PHASES = ("alert", "notify", "locate", "recover")  # the order reports show them in

metadata = MetaData()
runs = Table(
    "alertdrill_runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32), nullable=False),
)
drills = Table(
    "alertdrill_drills",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("drill", String(512), primary_key=True),  # "<feature>::<name>"
    Column("status", String(16), nullable=False),
    Column("alert", String(256)),
    Column("contact_group", String(256)),
    Column("injected", Boolean, nullable=False, server_default=false()),
    ForeignKeyConstraint(["run_id"], ["alertdrill_runs.run_id"], name="fk_alertdrill_drills_run"),
)
phases = Table(
    "alertdrill_phases",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("drill", String(512), primary_key=True),
    Column("phase", String(32), primary_key=True),
    Column("budget_s", Float, nullable=False),
    Column("elapsed_s", Float),  # NULL: the phase never completed
    Column("passed", Boolean, nullable=False),
    ForeignKeyConstraint(
        ["run_id", "drill"], ["alertdrill_drills.run_id", "alertdrill_drills.drill"], name="fk_alertdrill_phases_drill"
    ),
)
