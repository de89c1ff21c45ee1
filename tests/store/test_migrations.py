"""One migration lineage that builds exactly the declared schema, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from runyard.store import migrate
from runyard.store.database import Database
from runyard.store.schema import metadata

# The trigram index is created by raw DDL (FTS5 virtual table / pg_trgm GIN index),
# which SQLAlchemy's schema cannot declare; it is checked by the search tests instead.
SEARCH_OBJECTS = ("run_search", "ix_runs_search_trgm")


def _is_search_object(diff: Any) -> bool:
    return any(name in repr(diff) for name in SEARCH_OBJECTS)


def test_migrations_build_exactly_the_declared_schema(empty_database_url: str) -> None:
    db = Database.connect(empty_database_url, pool_size=1)
    try:
        db.upgrade()
        assert migrate.current_revision(db.engine) == migrate.head_revision()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(context, metadata) if not _is_search_object(d)]
        assert diffs == []
    finally:
        db.dispose()


def test_downgrade_removes_everything_and_upgrade_is_repeatable(empty_database_url: str) -> None:
    db = Database.connect(empty_database_url, pool_size=1)
    try:
        db.upgrade()
        db.upgrade()  # a no-op at head
        migrate.downgrade(db.engine, "base")
        with db.engine.connect() as conn:
            left = set(inspect(conn).get_table_names()) - {"alembic_version"}
        assert left == set()
        db.upgrade()
        with db.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        assert set(metadata.tables) <= tables
    finally:
        db.dispose()


def test_sqlite_connections_carry_their_pragmas(tmp_path: Any) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'p.db'}", pool_size=1)
    try:
        with db.engine.connect() as conn:
            value = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
        assert value == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": 15000,
            "synchronous": 2,
        }
    finally:
        db.dispose()
