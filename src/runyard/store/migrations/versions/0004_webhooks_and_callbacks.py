"""Webhook triggers and the completion-callback outbox

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runyard.store.backends.types import BigId, UtcTimestamp

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_triggers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("workflow_id", sa.String(length=36), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_webhook_triggers_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_webhook_triggers_workflow_id_workflows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_triggers")),
    )
    op.create_index(
        op.f("ix_webhook_triggers_project_id_workflow_id"),
        "webhook_triggers",
        ["project_id", "workflow_id"],
    )
    op.create_table(
        "callbacks",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcTimestamp(), nullable=True),
        sa.Column("delivered_at", UtcTimestamp(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
    )
    op.create_index(op.f("ix_callbacks_project_id_run_id"), "callbacks", ["project_id", "run_id"])
    where = sa.text("next_attempt_at IS NOT NULL")
    op.create_index(
        "ix_callbacks_due",
        "callbacks",
        ["next_attempt_at"],
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    op.drop_index("ix_callbacks_due", table_name="callbacks")
    op.drop_index(op.f("ix_callbacks_project_id_run_id"), table_name="callbacks")
    op.drop_table("callbacks")
    op.drop_index(op.f("ix_webhook_triggers_project_id_workflow_id"), table_name="webhook_triggers")
    op.drop_table("webhook_triggers")
