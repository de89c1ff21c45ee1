"""Run logs: each run's lines, and its totals against the per-run cap

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runyard.store.backends.types import BigId, UtcTimestamp

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_logs",
        sa.Column("run_pk", BigId, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("ts", UtcTimestamp(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("step", sa.String(length=200), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_pk"], ["runs.pk"], name=op.f("fk_run_logs_run_pk_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_pk", "seq", name=op.f("pk_run_logs")),
    )
    op.create_table(
        "run_log_totals",
        sa.Column("run_pk", BigId, nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("dropped_lines", sa.Integer(), nullable=False),
        sa.Column("dropped_bytes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_pk"],
            ["runs.pk"],
            name=op.f("fk_run_log_totals_run_pk_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_pk", name=op.f("pk_run_log_totals")),
    )


def downgrade() -> None:
    op.drop_table("run_log_totals")
    op.drop_table("run_logs")
