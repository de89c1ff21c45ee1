"""PostgreSQL through psycopg 3: ``timestamptz``, ``pg_trgm`` GIN for search, ``SKIP
LOCKED`` claims, ``ON CONFLICT`` for concurrent inserts, an advisory lock for migrations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    any_,
    bindparam,
    event,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL
from sqlalchemy.types import TIMESTAMP, TypeEngine

from runyard.core.times import as_utc
from runyard.store.backends.base import like_pattern
from runyard.store.backends.postgres_maintenance import Maintenance
from runyard.store.upkeep import Upkeep

PLAN_CACHE_MODE = "runyard_plan_cache_mode"  # the session's mode, in the connection's info
MIGRATION_LOCK = 0x72756E79  # "runy": the advisory lock one migrating process holds

SEARCH_DDL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_runs_search_trgm ON runs USING gin (search_text gin_trgm_ops)",
)


def _like(runs: Table, term: str) -> ColumnElement[bool]:
    return runs.c.search_text.like(like_pattern(term), escape="\\")


class PostgresBackend:
    name = "postgresql"
    prune_batch = 1000

    def driver_url(self, url: URL) -> URL:
        return url.set(drivername="postgresql+psycopg")

    def engine_options(self, url: URL, options: dict[str, Any]) -> dict[str, Any]:
        return options

    def configure(self, engine: Engine) -> None:
        """The plan cache mode per transaction: see ``_on_begin``."""

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # psycopg prepares a statement after five runs, and PostgreSQL may then plan
            # it once for any value: a LIKE probe planned without its pattern ran twice
            # as slow. Reads are planned for their own values; writes (the same few
            # INSERTs and UPDATEs) keep cached plans, which imports depend on. The mode
            # is a session setting, changed only when a connection goes from reads to
            # writes or back: not a round trip per transaction.
            wanted = "auto" if conn.get_execution_options().get("write") else "force_custom_plan"
            if conn.info.get(PLAN_CACHE_MODE) != wanted:
                conn.exec_driver_sql(f"SET plan_cache_mode = {wanted}")
                conn.info[PLAN_CACHE_MODE] = wanted

        @event.listens_for(engine, "rollback")
        def _on_rollback(conn: Connection) -> None:
            if conn.invalidated:  # the server ended it: it is discarded, its settings too
                return
            conn.info.pop(PLAN_CACHE_MODE, None)  # a SET in a rolled-back transaction is undone

        @event.listens_for(engine.pool, "reset")
        def _on_reset(_dbapi: Any, record: Any, state: Any) -> None:
            if not state.transaction_was_reset:  # the pool rolls back an open transaction
                record.info.pop(PLAN_CACHE_MODE, None)

    def start_upkeep(self, engine: Engine) -> Upkeep:
        """A thread folds the run-count deltas, and vacuums and analyzes when due."""
        worker = Maintenance(engine)
        worker.start()
        return worker

    def file_path(self, url: URL) -> Path | None:
        return None

    def lock_for_migrations(self, conn: Connection) -> None:
        """An advisory lock, released when the transaction ends."""
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")

    def timestamp_type(self) -> TypeEngine[Any]:
        return TIMESTAMP(timezone=True)

    def bind_timestamp(self, value: datetime) -> Any:
        return as_utc(value)

    def read_timestamp(self, value: Any) -> datetime:
        return as_utc(value)

    def allocate_run_pks(self, conn: Connection, count: int) -> list[int]:
        """From the column's sequence."""
        result = conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('runs', 'pk')) FROM generate_series(1, %(n)s)",
            {"n": count},
        )
        return [int(pk) for pk in result.scalars()]

    def bulk_insert(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """SQLAlchemy's executemany (psycopg pipelines it)."""
        if rows:
            conn.execute(table.insert(), list(rows))

    def bulk_insert_new(
        self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, key: str
    ) -> set[Any]:
        """``ON CONFLICT DO NOTHING``, then a look-up of which keys made it."""
        conn.execute(postgresql.insert(table).on_conflict_do_nothing(), list(rows))
        wanted = [row[key] for row in rows]
        column = table.c[key]
        found = conn.execute(
            select(column).where(
                column == any_(bindparam("keys", wanted, type_=postgresql.ARRAY(column.type)))
            )
        )
        return set(found.scalars())

    def bulk_upsert(
        self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: tuple[str, ...]
    ) -> None:
        if not rows:
            return
        statement = postgresql.insert(table)
        changed = {name: statement.excluded[name] for name in rows[0] if name not in key}
        conn.execute(statement.on_conflict_do_update(index_elements=key, set_=changed), list(rows))

    def lock_skipping(self, query: Select[Any]) -> Select[Any]:
        """``FOR UPDATE SKIP LOCKED``, so any number of workers claim different runs."""
        return query.with_for_update(skip_locked=True)

    def create_search_index(self, conn: Connection) -> None:
        for statement in SEARCH_DDL:
            conn.exec_driver_sql(statement)

    def drop_search_index(self, conn: Connection) -> None:
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_runs_search_trgm")

    def index_search_text(self, conn: Connection, texts: Sequence[tuple[int, str]]) -> None:
        """The GIN index is on ``runs`` itself and follows by its own."""

    def unindex_search_text(self, conn: Connection, pks: Sequence[int]) -> None:
        """The GIN index follows deletes by itself."""

    def search_pks(self, runs: Table, project_id: str, folded_term: str) -> Select[int]:
        """``LIKE`` on ``runs.search_text``, served by its ``pg_trgm`` GIN index."""
        return select(runs.c.pk).where(runs.c.project_id == project_id, _like(runs, folded_term))

    def search_pks_holding_all(
        self, runs: Table, project_id: str, stretches: list[str]
    ) -> Select[int]:
        """An AND of ``LIKE``s, which the GIN index answers from the stretches' trigrams
        alone: asked for a whole term such as ``cust-012345``, it walks the posting lists
        of trigrams every run holds (181 ms at 10M runs, against 23 ms for ``012345``)."""
        holds = [_like(runs, s) for s in stretches]
        return select(runs.c.pk).where(runs.c.project_id == project_id, *holds)

    def search_scan(self, runs: Table, folded_term: str) -> ColumnElement[bool]:
        return func.strpos(runs.c.search_text, folded_term) > 0

    def pk_among(self, column: ColumnElement[int], pks: list[int]) -> ColumnElement[bool]:
        """``= ANY(:array)``, one parameter (an expanded IN list costs a parameter and
        planning time per value)."""
        array = postgresql.ARRAY(BigInteger())
        return column == any_(bindparam("candidate_pks", pks, type_=array))

    def project_filter(
        self, runs: Table, project_id: str, drive_from_pks: bool
    ) -> ColumnElement[bool]:
        """The planner chooses well from its statistics."""
        return runs.c.project_id == project_id

    def time_bucket(self, column: ColumnElement[Any], seconds: int) -> ColumnElement[Any]:
        """``date_bin`` (PostgreSQL 14) works on the timestamp's own microseconds: a
        quarter of the cost of floor(extract(epoch)), whose numeric arithmetic ran per row."""
        stride: ColumnElement[Any] = literal_column(f"interval '{int(seconds)} seconds'")
        origin: ColumnElement[Any] = literal_column("timestamptz '1970-01-01 00:00:00+00'")
        return func.date_bin(stride, column, origin)
