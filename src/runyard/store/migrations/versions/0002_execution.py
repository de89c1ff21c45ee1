"""Execution: leases, back-off, wake-ups, event waits and deadlines on runs

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runyard.store.backends.types import UtcTimestamp

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIVE_INDEXES = [
    ("ix_runs_queue", "status = 'queued'", ["project_id", "queued_at", "pk"]),
    ("ix_runs_lease", "lease_expires_at IS NOT NULL", ["lease_expires_at"]),
    ("ix_runs_available", "available_at IS NOT NULL", ["available_at"]),
    ("ix_runs_deadline", "deadline_at IS NOT NULL", ["deadline_at"]),
    ("ix_runs_waiting_for", "waiting_for IS NOT NULL", ["project_id", "waiting_for"]),
]


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_expires_at", UtcTimestamp(), nullable=True))
        batch_op.add_column(sa.Column("available_at", UtcTimestamp(), nullable=True))
        batch_op.add_column(sa.Column("waiting_for", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("deadline_at", UtcTimestamp(), nullable=True))
    for name, where, columns in LIVE_INDEXES:
        op.create_index(
            name,
            "runs",
            columns,
            unique=False,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade() -> None:
    for name, _, _ in reversed(LIVE_INDEXES):
        op.drop_index(name, table_name="runs")
    with op.batch_alter_table("runs") as batch_op:
        for column in (
            "deadline_at",
            "waiting_for",
            "available_at",
            "lease_expires_at",
            "lease_owner",
        ):
            batch_op.drop_column(column)
