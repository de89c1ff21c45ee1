"""Initial schema: projects, keys, workflows, runs, steps, error codes, tags, search

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from runyard.store.backends import backend_of
from runyard.store.backends.types import UtcTimestamp

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("name", name=op.f("uq_projects_name")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("server_admin", sa.Boolean(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.Column("revoked_at", UtcTimestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_api_keys_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_project_id"), ["project_id"], unique=False)

    op.create_table(
        "workflows",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error_handler_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.Column("modified_at", UtcTimestamp(), nullable=False),
        sa.Column("deleted_at", UtcTimestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_workflows_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows")),
        sa.UniqueConstraint("version_id", name=op.f("uq_workflows_version_id")),
    )
    with op.batch_alter_table("workflows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflows_project_id_type"), ["project_id", "type"], unique=False
        )
        batch_op.create_index(
            "uq_workflows_live_name",
            ["project_id", "name"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )

    op.create_table(
        "runs",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("workflow_id", sa.String(length=36), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column(
            "input",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column(
            "failure_category",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("parent_run_id", sa.String(length=36), nullable=True),
        sa.Column("root_run_id", sa.String(length=36), nullable=False),
        sa.Column("depends_on_run_id", sa.String(length=36), nullable=True),
        sa.Column("source_run_id", sa.String(length=36), nullable=True),
        sa.Column("trigger_type", sa.String(length=16), nullable=False),
        sa.Column("triggered_by", sa.String(length=200), nullable=True),
        sa.Column("credential_id", sa.String(length=200), nullable=True),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column(
            "node_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("credits_used", sa.Float(), nullable=False),
        sa.Column(
            "extra_http_headers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("webhook_callback_url", sa.Text(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("session_id", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.Column("queued_at", UtcTimestamp(), nullable=True),
        sa.Column("started_at", UtcTimestamp(), nullable=True),
        sa.Column("finished_at", UtcTimestamp(), nullable=True),
        sa.Column("modified_at", UtcTimestamp(), nullable=False),
        sa.Column(
            "duration_us", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_runs_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"], ["workflows.id"], name=op.f("fk_runs_workflow_id_workflows")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_runs")),
        sa.UniqueConstraint("id", name=op.f("uq_runs_id")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_created", ["project_id", "created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_runs_credential", ["project_id", "credential_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_runs_duration", ["project_id", "duration_us", "id"], unique=False)
        batch_op.create_index("ix_runs_finished", ["project_id", "finished_at", "id"], unique=False)
        batch_op.create_index(
            "ix_runs_is_test", ["project_id", "is_test", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_runs_parent", ["project_id", "parent_run_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_runs_root", ["project_id", "root_run_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_runs_started", ["project_id", "started_at", "id"], unique=False)
        batch_op.create_index(
            "ix_runs_status", ["project_id", "status", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_runs_trigger", ["project_id", "trigger_type", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_runs_triggered_by", ["project_id", "triggered_by", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_runs_workflow", ["project_id", "workflow_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "uq_runs_idempotency",
            ["project_id", "workflow_id", "idempotency_key"],
            unique=True,
            sqlite_where=sa.text("idempotency_key IS NOT NULL"),
            postgresql_where=sa.text("idempotency_key IS NOT NULL"),
        )

    op.create_table(
        "workflow_parameters",
        sa.Column("workflow_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column(
            "default",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("deleted_at", UtcTimestamp(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_parameters_workflow_id_workflows"),
        ),
        sa.PrimaryKeyConstraint("workflow_id", "key", name=op.f("pk_workflow_parameters")),
    )
    with op.batch_alter_table("workflow_parameters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_parameters_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "workflow_versions",
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("workflow_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_versions_workflow_id_workflows"),
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_workflow_versions")),
        sa.UniqueConstraint(
            "workflow_id", "version", name=op.f("uq_workflow_versions_workflow_id_version")
        ),
    )
    op.create_table(
        "run_error_codes",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("error_code", sa.String(length=200), nullable=False),
        sa.Column("run_pk", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_pk"], ["runs.pk"], name=op.f("fk_run_error_codes_run_pk_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "project_id", "error_code", "run_pk", name=op.f("pk_run_error_codes")
        ),
    )
    with op.batch_alter_table("run_error_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_error_codes_run_pk"), ["run_pk"], unique=False)

    op.create_table(
        "run_tags",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.Column("run_pk", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_pk"], ["runs.pk"], name=op.f("fk_run_tags_run_pk_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("project_id", "key", "value", "run_pk", name=op.f("pk_run_tags")),
    )
    with op.batch_alter_table("run_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_tags_run_pk"), ["run_pk"], unique=False)

    op.create_table(
        "steps",
        sa.Column("run_pk", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column(
            "input",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "output",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "errors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("started_at", UtcTimestamp(), nullable=True),
        sa.Column("finished_at", UtcTimestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_pk"], ["runs.pk"], name=op.f("fk_steps_run_pk_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_pk", "seq", name=op.f("pk_steps")),
    )

    backend_of(op.get_bind()).create_search_index(op.get_bind())


def downgrade() -> None:
    backend_of(op.get_bind()).drop_search_index(op.get_bind())
    op.drop_table("steps")
    with op.batch_alter_table("run_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_tags_run_pk"))

    op.drop_table("run_tags")
    with op.batch_alter_table("run_error_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_error_codes_run_pk"))

    op.drop_table("run_error_codes")
    op.drop_table("workflow_versions")
    with op.batch_alter_table("workflow_parameters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_parameters_project_id"))

    op.drop_table("workflow_parameters")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_runs_idempotency",
            sqlite_where=sa.text("idempotency_key IS NOT NULL"),
            postgresql_where=sa.text("idempotency_key IS NOT NULL"),
        )
        batch_op.drop_index("ix_runs_workflow")
        batch_op.drop_index("ix_runs_triggered_by")
        batch_op.drop_index("ix_runs_trigger")
        batch_op.drop_index("ix_runs_status")
        batch_op.drop_index("ix_runs_started")
        batch_op.drop_index("ix_runs_root")
        batch_op.drop_index("ix_runs_parent")
        batch_op.drop_index("ix_runs_is_test")
        batch_op.drop_index("ix_runs_finished")
        batch_op.drop_index("ix_runs_duration")
        batch_op.drop_index("ix_runs_credential")
        batch_op.drop_index("ix_runs_created")

    op.drop_table("runs")
    with op.batch_alter_table("workflows", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_workflows_live_name",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_workflows_project_id_type"))

    op.drop_table("workflows")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_project_id"))

    op.drop_table("api_keys")
    op.drop_table("projects")
