"""One row per phase: the phase columns of `alertdrill_drills` move to `alertdrill_phases` (phase,
budget_s, elapsed_s, passed); each drill says whether its fault was injected.

Old rows: a phase is there when its budget is; it passed when it completed within its budget (as the
scoring decides); a drill was injected unless it errored with no phase completed.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PHASES = ("alert", "notify", "locate", "recover")
KEY = ("run_id", "drill")


def upgrade() -> None:
    op.create_table(
        "alertdrill_phases",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("drill", sa.String(512), primary_key=True),
        sa.Column("phase", sa.String(32), primary_key=True),
        sa.Column("budget_s", sa.Float, nullable=False),
        sa.Column("elapsed_s", sa.Float),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.ForeignKeyConstraint(list(KEY), [f"alertdrill_drills.{c}" for c in KEY], name="fk_alertdrill_phases_drill"),
    )
    old = sa.table(
        "alertdrill_drills",
        *(sa.column(c) for c in (*KEY, "status")),
        *(sa.column(f"{p}_{unit}", sa.Float) for p in PHASES for unit in ("s", "budget_s")),
    )
    new = sa.table("alertdrill_phases", *(sa.column(c) for c in (*KEY, "phase", "budget_s", "elapsed_s", "passed")))
    for p in PHASES:
        elapsed, budget = old.c[f"{p}_s"], old.c[f"{p}_budget_s"]
        passed = sa.case((sa.and_(elapsed.is_not(None), elapsed <= budget), sa.true()), else_=sa.false())
        op.execute(
            new.insert().from_select(
                [*KEY, "phase", "budget_s", "elapsed_s", "passed"],
                sa.select(old.c.run_id, old.c.drill, sa.literal(p, sa.String(32)), budget, elapsed, passed).where(
                    budget.is_not(None)
                ),
            )
        )
    with op.batch_alter_table("alertdrill_drills") as batch:
        batch.add_column(sa.Column("injected", sa.Boolean, nullable=False, server_default=sa.false()))
        for p in PHASES:
            batch.drop_column(f"{p}_s")
            batch.drop_column(f"{p}_budget_s")
        batch.create_foreign_key("fk_alertdrill_drills_run", "alertdrill_runs", ["run_id"], ["run_id"])
    drills = sa.table("alertdrill_drills", *(sa.column(c) for c in (*KEY, "status", "injected")))
    completed = sa.exists().where(
        new.c.run_id == drills.c.run_id, new.c.drill == drills.c.drill, new.c.elapsed_s.is_not(None)
    )
    op.execute(drills.update().where(sa.or_(drills.c.status != "error", completed)).values(injected=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("alertdrill_drills") as batch:
        batch.drop_constraint("fk_alertdrill_drills_run", type_="foreignkey")
        batch.drop_column("injected")
        for p in PHASES:
            batch.add_column(sa.Column(f"{p}_s", sa.Float))
        for p in PHASES:
            batch.add_column(sa.Column(f"{p}_budget_s", sa.Float))
    drills = sa.table(
        "alertdrill_drills",
        *(sa.column(c) for c in KEY),
        *(sa.column(f"{p}_{unit}", sa.Float) for p in PHASES for unit in ("s", "budget_s")),
    )
    phases = sa.table("alertdrill_phases", *(sa.column(c) for c in (*KEY, "phase", "budget_s", "elapsed_s")))

    def of(phase: str, value: str) -> sa.ScalarSelect[float]:
        return (
            sa.select(phases.c[value])
            .where(phases.c.run_id == drills.c.run_id, phases.c.drill == drills.c.drill, phases.c.phase == phase)
            .scalar_subquery()
        )

    op.execute(
        drills.update().values(
            {**{f"{p}_s": of(p, "elapsed_s") for p in PHASES}, **{f"{p}_budget_s": of(p, "budget_s") for p in PHASES}}
        )
    )
    op.drop_table("alertdrill_phases")
