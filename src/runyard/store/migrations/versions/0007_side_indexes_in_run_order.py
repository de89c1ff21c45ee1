"""Error codes and tags keyed in run order: each row keeps its run's created_at

Revision ID: 0007
Revises: 0006

``run_error_codes`` and ``run_tags`` were keyed by (project, code or tag, run pk). The
newest runs holding one code could then only be found by reading all of the code's rows
and each run's ``created_at``: 16,500 rows and their runs for a code of 10,000,000
runs on PostgreSQL. Keyed by (project, code or tag, run created_at, run pk), the key
yields them newest first, and a page reads 51 index entries.

Each table is rebuilt: a new one is filled from the old joined to ``runs`` (one pass,
no dead rows left behind, as an UPDATE of every row would leave on PostgreSQL), then
takes the old one's place and names.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runyard.store.backends.types import BigId, UtcTimestamp

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Each table's columns before ``run_pk`` (its key is these, [created_at,] run_pk), as
# (name, length) of strings.
TABLES = {
    "run_error_codes": [("project_id", 36), ("error_code", 200)],
    "run_tags": [("project_id", 36), ("key", 200), ("value", 500)],
}


def _rebuild(name: str, *, with_created_at: bool) -> None:
    """Replace table ``name`` by one keyed with (or without) the run's ``created_at``."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    new = f"{name}_0007"
    # Index names are unique per schema on PostgreSQL: the new key's index takes the old
    # one's name only once the old table is gone. SQLite keeps no such name.
    key_name = f"pk_{name}" if sqlite else f"pk_{new}"
    leading = [sa.Column(c, sa.String(length=n), nullable=False) for c, n in TABLES[name]]
    stamp: list[sa.Column[object]] = (
        [sa.Column("created_at", UtcTimestamp(), nullable=False)] if with_created_at else []
    )
    key = [c.name for c in leading] + (["created_at"] if with_created_at else []) + ["run_pk"]
    op.create_table(
        new,
        *leading,
        *stamp,
        sa.Column("run_pk", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_pk"], ["runs.pk"], name=op.f(f"fk_{name}_run_pk_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(*key, name=op.f(key_name)),
    )
    copied = ", ".join(f"t.{c.name}" for c in leading)
    if with_created_at:
        op.execute(
            f"INSERT INTO {new} SELECT {copied}, r.created_at, t.run_pk"
            f" FROM {name} t JOIN runs r ON r.pk = t.run_pk"
        )
    else:
        op.execute(f"INSERT INTO {new} SELECT {copied}, t.run_pk FROM {name} t")
    op.drop_table(name)  # and its index on run_pk
    op.rename_table(new, name)
    if not sqlite:
        op.execute(f"ALTER TABLE {name} RENAME CONSTRAINT {key_name} TO pk_{name}")
    op.create_index(op.f(f"ix_{name}_run_pk"), name, ["run_pk"])


def upgrade() -> None:
    for name in TABLES:
        _rebuild(name, with_created_at=True)


def downgrade() -> None:
    for name in TABLES:
        _rebuild(name, with_created_at=False)
