"""Runs' status history; indexes of retries by the run they retry, and of runs by
workflow and status

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runyard.store.backends.types import BigId, UtcTimestamp

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WHERE = "source_run_id IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "run_status_changes",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("run_pk", BigId, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", UtcTimestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_pk"],
            ["runs.pk"],
            name=op.f("fk_run_status_changes_run_pk_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_status_changes")),
    )
    op.create_index(op.f("ix_run_status_changes_run_pk_id"), "run_status_changes", ["run_pk", "id"])
    op.create_index("ix_runs_workflow_status", "runs", ["project_id", "workflow_id", "status"])
    op.create_index(
        "ix_runs_source",
        "runs",
        ["project_id", "source_run_id"],
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_runs_source", table_name="runs")
    op.drop_index("ix_runs_workflow_status", table_name="runs")
    op.drop_index(op.f("ix_run_status_changes_run_pk_id"), table_name="run_status_changes")
    op.drop_table("run_status_changes")
