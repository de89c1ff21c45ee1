"""Run counts kept by triggers: runs per project, workflow and status

Revision ID: 0006
Revises: 0005

A count that names only workflows and statuses (a project's total, each workflow's
``runs_count``, the workflows page's status counts) is a sum over a few rows here
instead of a scan of millions of index entries. Triggers on ``runs`` keep the counts
whatever writes a run (import, trigger, worker, bulk action, prune). On SQLite, where
writes are serialized anyway, a trigger updates ``run_counts`` itself; on PostgreSQL a
trigger appends a row to ``run_count_deltas`` (an update of one hot counter row would
serialize every transaction that writes runs of a workflow, and could deadlock two that
touch two counters in turn), and the store folds the deltas into ``run_counts`` every
few seconds. Readers add both tables up.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KEY = ("project_id", "workflow_id", "status")

SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER runs_count_insert AFTER INSERT ON runs BEGIN
      INSERT INTO run_counts (project_id, workflow_id, status, n)
      VALUES (NEW.project_id, NEW.workflow_id, NEW.status, 1)
      ON CONFLICT (project_id, workflow_id, status) DO UPDATE SET n = n + 1;
    END
    """,
    """
    CREATE TRIGGER runs_count_delete AFTER DELETE ON runs BEGIN
      UPDATE run_counts SET n = n - 1 WHERE project_id = OLD.project_id
        AND workflow_id = OLD.workflow_id AND status = OLD.status;
    END
    """,
    """
    CREATE TRIGGER runs_count_status AFTER UPDATE OF status ON runs
    WHEN OLD.status IS NOT NEW.status BEGIN
      UPDATE run_counts SET n = n - 1 WHERE project_id = OLD.project_id
        AND workflow_id = OLD.workflow_id AND status = OLD.status;
      INSERT INTO run_counts (project_id, workflow_id, status, n)
      VALUES (NEW.project_id, NEW.workflow_id, NEW.status, 1)
      ON CONFLICT (project_id, workflow_id, status) DO UPDATE SET n = n + 1;
    END
    """,
]

POSTGRES_TRIGGERS = [
    """
    CREATE FUNCTION runyard_count_runs() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        INSERT INTO run_count_deltas VALUES (OLD.project_id, OLD.workflow_id, OLD.status, -1);
      END IF;
      IF TG_OP <> 'DELETE' THEN
        INSERT INTO run_count_deltas VALUES (NEW.project_id, NEW.workflow_id, NEW.status, 1);
      END IF;
      RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER runs_count AFTER INSERT OR DELETE ON runs
    FOR EACH ROW EXECUTE FUNCTION runyard_count_runs()
    """,
    """
    CREATE TRIGGER runs_count_status AFTER UPDATE OF status ON runs
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION runyard_count_runs()
    """,
]


def _key_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("workflow_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "run_counts",
        *_key_columns(),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_run_counts")),
    )
    # No key and no index: appended to by triggers, read and emptied whole (on SQLite it
    # stays empty, and readers need not know which database they read).
    op.create_table(
        "run_count_deltas", *_key_columns(), sa.Column("n", sa.Integer(), nullable=False)
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # Writers wait here until the counts below are taken, so none is missed or doubled.
        op.execute("LOCK TABLE runs IN SHARE ROW EXCLUSIVE MODE")
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)
    op.execute(
        "INSERT INTO run_counts (project_id, workflow_id, status, n) "
        "SELECT project_id, workflow_id, status, count(*) FROM runs "
        "GROUP BY project_id, workflow_id, status"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER runs_count_status ON runs")
        op.execute("DROP TRIGGER runs_count ON runs")
        op.execute("DROP FUNCTION runyard_count_runs()")
    else:
        for name in ("runs_count_insert", "runs_count_delete", "runs_count_status"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("run_count_deltas")
    op.drop_table("run_counts")
