"""Run counts by day: runs per project, day, workflow and status, kept by the triggers

Revision ID: 0008
Revises: 0007

Migration 0006 keeps runs per (project, workflow, status), which answers a count with no
time window. The runs-over-time chart and any count over a time window still read every
matching run: the dashboard's chart of all runs, grouped by day, read 1,000,000 index
entries (0.5 s on SQLite, 1 s on PostgreSQL) and would read 10,000,000 at 10M runs.
Counted by UTC day as well, such a chart or count sums the days it spans, and reads
runs only for the partial days at its ends.

A day is ``floor(epoch seconds of created_at / 86400)`` (a run's ``created_at`` never
changes). PostgreSQL's trigger appends the day to each delta and the fold moves the
deltas into both tables; SQLite's triggers update both tables themselves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# SQLite keeps created_at as integer microseconds; "/" truncates toward zero, so a day
# before 1970 takes one off when there is a remainder (floor division).
MICROS_PER_DAY = 86_400_000_000
SQLITE_DAY = (
    f"({{row}}.created_at / {MICROS_PER_DAY} - ({{row}}.created_at % {MICROS_PER_DAY} < 0))"
)
POSTGRES_DAY = "floor(extract(epoch FROM {row}.created_at) / 86400)::integer"


def _sqlite_bump(row: str, sign: str, *, by_day: bool) -> str:
    """Statements adding ``sign``1 to the counts of the run in ``row`` (NEW or OLD)."""
    total = f"""
      INSERT INTO run_counts (project_id, workflow_id, status, n)
      VALUES ({row}.project_id, {row}.workflow_id, {row}.status, {sign}1)
      ON CONFLICT (project_id, workflow_id, status) DO UPDATE SET n = n {sign} 1;"""
    if not by_day:
        return total
    return f"""{total}
      INSERT INTO run_day_counts (project_id, day, workflow_id, status, n)
      VALUES ({row}.project_id, {SQLITE_DAY.format(row=row)}, {row}.workflow_id,
              {row}.status, {sign}1)
      ON CONFLICT (project_id, day, workflow_id, status) DO UPDATE SET n = n {sign} 1;"""


def _sqlite_triggers(*, by_day: bool) -> None:
    """(Re)create the triggers keeping the counts (by day too, or as 0006 kept them)."""
    new, old = _sqlite_bump("NEW", "+", by_day=by_day), _sqlite_bump("OLD", "-", by_day=by_day)
    bodies = {
        "runs_count_insert": f"AFTER INSERT ON runs BEGIN {new} END",
        "runs_count_delete": f"AFTER DELETE ON runs BEGIN {old} END",
        "runs_count_status": (
            "AFTER UPDATE OF status ON runs WHEN OLD.status IS NOT NEW.status"
            f" BEGIN {old} {new} END"
        ),
    }
    for name, body in bodies.items():
        op.execute(f"DROP TRIGGER {name}")
        op.execute(f"CREATE TRIGGER {name} {body}")


POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION runyard_count_runs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO run_count_deltas (project_id, workflow_id, status, day, n)
    VALUES (OLD.project_id, OLD.workflow_id, OLD.status, {POSTGRES_DAY.format(row="OLD")}, -1);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO run_count_deltas (project_id, workflow_id, status, day, n)
    VALUES (NEW.project_id, NEW.workflow_id, NEW.status, {POSTGRES_DAY.format(row="NEW")}, 1);
  END IF;
  RETURN NULL;
END
$$
"""
# As 0006 wrote it: the deltas without their day.
POSTGRES_FUNCTION_0006 = """
CREATE OR REPLACE FUNCTION runyard_count_runs() RETURNS trigger LANGUAGE plpgsql AS $$
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
"""
# Folds the deltas as 0006 left them (no day) into run_counts.
FOLD_0006 = """
WITH moved AS (DELETE FROM run_count_deltas RETURNING project_id, workflow_id, status, n)
INSERT INTO run_counts AS c (project_id, workflow_id, status, n)
SELECT project_id, workflow_id, status, sum(n) FROM moved
GROUP BY project_id, workflow_id, status
ON CONFLICT (project_id, workflow_id, status) DO UPDATE SET n = c.n + excluded.n
"""


def _key_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("workflow_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
    ]


def _deltas(*, with_day: bool) -> None:
    day = [sa.Column("day", sa.Integer(), nullable=False)] if with_day else []
    op.create_table(
        "run_count_deltas", *_key_columns(), *day, sa.Column("n", sa.Integer(), nullable=False)
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # Writers wait here until the counts below are taken, so none is missed or doubled.
        op.execute("LOCK TABLE runs IN SHARE ROW EXCLUSIVE MODE")
        op.execute(FOLD_0006)  # the deltas table is remade with days: empty it first
    op.drop_table("run_count_deltas")
    _deltas(with_day=True)
    op.create_table(
        "run_day_counts",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "project_id", "day", "workflow_id", "status", name=op.f("pk_run_day_counts")
        ),
    )
    if postgres:
        op.execute(POSTGRES_FUNCTION)
    else:
        _sqlite_triggers(by_day=True)
    day = (POSTGRES_DAY if postgres else SQLITE_DAY).format(row="runs")
    op.execute(
        "INSERT INTO run_day_counts (project_id, day, workflow_id, status, n) "
        f"SELECT project_id, {day}, workflow_id, status, count(*) FROM runs "
        f"GROUP BY project_id, {day}, workflow_id, status"
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("LOCK TABLE runs IN SHARE ROW EXCLUSIVE MODE")
        op.execute(FOLD_0006)  # run_counts takes the pending deltas; their days are dropped
        op.execute(POSTGRES_FUNCTION_0006)
    else:
        _sqlite_triggers(by_day=False)
    op.drop_table("run_day_counts")
    op.drop_table("run_count_deltas")
    _deltas(with_day=False)
