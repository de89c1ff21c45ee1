"""Alembic environment: runs on the connection runyard hands it (see store/migrate.py)."""

from __future__ import annotations

from alembic import context

from runyard.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
