"""The schema alertdrill 0.1.0 writes: one row per run, one per drill with its phases as columns.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PHASES = ("alert", "notify", "locate", "recover")


def upgrade() -> None:
    op.create_table(
        "alertdrill_runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "alertdrill_drills",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("drill", sa.String(512), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("alert", sa.String(256)),
        sa.Column("contact_group", sa.String(256)),
        *(sa.Column(f"{phase}_s", sa.Float) for phase in PHASES),
        *(sa.Column(f"{phase}_budget_s", sa.Float) for phase in PHASES),
    )


def downgrade() -> None:
    op.drop_table("alertdrill_drills")
    op.drop_table("alertdrill_runs")
