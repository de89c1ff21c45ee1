"""Everything that differs between SQLite and PostgreSQL, and nothing else.

This is the only module that branches on the SQL dialect. Each hook names the
difference it hides.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Connection,
    Dialect,
    Engine,
    Select,
    String,
    Table,
    TypeDecorator,
    any_,
    bindparam,
    event,
    func,
    literal_column,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TIMESTAMP, TypeEngine

from runyard.core.times import as_utc, from_micros, to_micros
from runyard.store.postgres_maintenance import Maintenance
from runyard.store.sqlite_checkpointer import BACKSTOP_PAGES, Checkpointer
from runyard.store.upkeep import Upkeep

# Terms shorter than a trigram cannot use a trigram index; they are matched by scanning
# in the query's order, which finds a page quickly because such short terms are common.
MIN_INDEXED_TERM = 3


def is_sqlite(dialect: Dialect) -> bool:
    return dialect.name == "sqlite"


class UtcTimestamp(TypeDecorator[datetime]):
    """A UTC instant with microsecond precision.

    PostgreSQL: ``timestamptz``. SQLite: an integer of microseconds since the epoch —
    compact, compared as a number, and exact (SQLite has no timestamp type).
    """

    impl = TIMESTAMP(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if is_sqlite(dialect):
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(TIMESTAMP(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if is_sqlite(dialect):
            return to_micros(value)
        return as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if is_sqlite(dialect):
            return from_micros(int(value))
        return as_utc(value)


# JSON documents: jsonb on PostgreSQL (compact, indexable), JSON text on SQLite.
JsonDocument = JSON().with_variant(postgresql.JSONB(), "postgresql")
# Primary keys of the big tables: BIGINT on PostgreSQL, INTEGER (the rowid) on SQLite.
BigId = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")


def start_upkeep(engine: Engine) -> Upkeep:
    """Start what the database needs beside requests (``stop()`` ends it).

    SQLite: a WAL checkpointer thread. PostgreSQL: a vacuum-and-analyze thread.
    """
    worker = Checkpointer(engine) if is_sqlite(engine.dialect) else Maintenance(engine)
    worker.start()
    return worker


PLAN_CACHE_MODE = "runyard_plan_cache_mode"  # the session's mode, in the connection's info


def configure_engine(engine: Engine) -> None:
    """Per-connection settings. On SQLite each PRAGMA states why it is set."""
    if not is_sqlite(engine.dialect):

        @event.listens_for(engine, "begin")
        def _on_pg_begin(conn: Connection) -> None:
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
        def _on_pg_rollback(conn: Connection) -> None:
            if conn.invalidated:  # the server ended it: it is discarded, its settings too
                return
            conn.info.pop(PLAN_CACHE_MODE, None)  # a SET in a rolled-back transaction is undone

        @event.listens_for(engine.pool, "reset")
        def _on_pg_reset(_dbapi: Any, record: Any, state: Any) -> None:
            if not state.transaction_was_reset:  # the pool rolls back an open transaction
                record.info.pop(PLAN_CACHE_MODE, None)

        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, emit BEGIN (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            # Readers never block the writer and the writer never blocks readers.
            "journal_mode = WAL",
            # With WAL, FULL syncs each commit: an acknowledged write survives power loss.
            "synchronous = FULL",
            # A thread checkpoints (sqlite_checkpointer.py); commits only past this mark.
            f"wal_autocheckpoint = {BACKSTOP_PAGES}",
            # SQLite does not enforce foreign keys unless asked, per connection.
            "foreign_keys = ON",
            # Wait for a competing writer instead of failing with "database is locked".
            "busy_timeout = 15000",
            # 64 MiB of page cache per connection keeps hot index pages in memory.
            "cache_size = -65536",
            # Sorts and temporary indexes stay in memory rather than temp files.
            "temp_store = MEMORY",
            # Read the file through mmap: fewer syscalls on index-heavy queries.
            "mmap_size = 1073741824",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A write transaction takes the write lock at BEGIN (IMMEDIATE): a deferred one
        # that later upgrades can fail with SQLITE_BUSY without waiting busy_timeout.
        mode = "IMMEDIATE" if conn.get_execution_options().get("write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


MIGRATION_LOCK = 0x72756E79  # "runy": the advisory lock one migrating process holds


def lock_for_migrations(conn: Connection) -> None:
    """Begin the migrating transaction holding the one migration lock, so processes that
    start together on a fresh database migrate one after another (the later ones find
    it migrated). SQLite: a write transaction holds the database's write lock from its
    BEGIN already. PostgreSQL: an advisory lock, released when the transaction ends."""
    if is_sqlite(conn.dialect):
        conn.exec_driver_sql("SELECT 1")  # begins it (IMMEDIATE: see _on_begin)
    else:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")


def allocate_run_pks(conn: Connection, count: int) -> list[int]:
    """``count`` new ``runs.pk`` values, so a batch can be inserted with one executemany.

    PostgreSQL: from the column's sequence. SQLite: past the current maximum, which is
    safe because every write transaction holds the database's write lock from BEGIN.
    """
    if is_sqlite(conn.dialect):
        top = conn.exec_driver_sql("SELECT coalesce(max(pk), 0) FROM runs").scalar_one()
        return list(range(int(top) + 1, int(top) + 1 + count))
    result = conn.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence('runs', 'pk')) FROM generate_series(1, %(n)s)",
        {"n": count},
    )
    return [int(pk) for pk in result.scalars()]


def like_pattern(term: str) -> str:
    r"""``%term%`` with ``\``, ``%`` and ``_`` matched literally (escape character ``\``)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_pks(dialect: Dialect, runs: Table, project_id: str, folded_term: str) -> Select[int]:
    """The pks of runs whose folded search text contains ``folded_term``, by trigram index.

    PostgreSQL: ``LIKE`` on ``runs.search_text``, served by its ``pg_trgm`` GIN index.
    SQLite: the FTS5 ``trigram`` table ``run_search`` (external content on ``runs``),
    queried with a phrase, which is a literal substring match for terms of 3 or more
    characters; it holds every project's runs, so callers keep their project filter.
    Shorter terms have no trigram and are matched by scanning the project's runs.
    """
    if is_sqlite(dialect) and len(folded_term) >= MIN_INDEXED_TERM:
        phrase = '"' + folded_term.replace('"', '""') + '"'
        return (
            select(literal_column("rowid", BigInteger()))
            .select_from(text("run_search"))
            .where(text("run_search MATCH :phrase").bindparams(phrase=phrase))
        )
    if is_sqlite(dialect):
        match = func.instr(runs.c.search_text, folded_term) > 0
    else:
        match = runs.c.search_text.like(like_pattern(folded_term), escape="\\")
    return select(runs.c.pk).where(runs.c.project_id == project_id, match)


def lock_skipping(dialect: Dialect, query: Select[Any]) -> Select[Any]:
    """Lock the rows a query selects, skipping rows another transaction holds.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so any number of workers claim different runs
    at once. SQLite: the query as it is; a write transaction already holds the whole
    database's write lock from BEGIN (IMMEDIATE), so claims are serialised.
    """
    if is_sqlite(dialect):
        return query
    return query.with_for_update(skip_locked=True)


def pk_among(dialect: Dialect, column: ColumnElement[int], pks: list[int]) -> ColumnElement[bool]:
    """``column IN (pks)`` for a list of up to thousands of pks.

    PostgreSQL: ``= ANY(:array)``, one parameter (an expanded IN list costs a parameter
    and planning time per value). SQLite: an expanded IN list, which it plans well.
    """
    if is_sqlite(dialect):
        return column.in_(pks)
    return column == any_(bindparam("candidate_pks", pks, type_=postgresql.ARRAY(BigInteger())))


def project_filter(
    dialect: Dialect, runs: Table, project_id: str, drive_from_pks: bool
) -> ColumnElement[bool]:
    """``runs.project_id = :project``, and whether an index may serve it.

    When the rows to read are a known set of pks (a side index's few matches), they
    should be fetched by pk and sorted. Without statistics SQLite assumes an equality
    on ``project_id`` is selective and scans the project's index range instead; writing
    the column as ``+runs.project_id`` takes every runs index away from it (they all
    lead with ``project_id``) and leaves the pk lookups. PostgreSQL's planner chooses
    well from its statistics.
    """
    if drive_from_pks and is_sqlite(dialect):
        return literal_column("+runs.project_id", String()) == project_id
    return runs.c.project_id == project_id


def search_pks_holding_all(
    dialect: Dialect, runs: Table, project_id: str, stretches: list[str]
) -> Select[int]:
    """The pks of runs whose search text holds each of these stretches, by trigram index.

    SQLite: an AND of FTS5 phrases (the FTS table holds every project's runs, as in
    ``search_pks``: callers keep their project filter). PostgreSQL: an AND of ``LIKE``s,
    which its GIN index answers from the stretches' trigrams alone: asked for a whole
    term such as ``cust-012345``, it walks the posting lists of trigrams every run holds
    (181 ms at 10M runs, against 23 ms for ``012345``).
    """
    if is_sqlite(dialect):
        query = " AND ".join('"' + s.replace('"', '""') + '"' for s in stretches)
        return (
            select(literal_column("rowid", BigInteger()))
            .select_from(text("run_search"))
            .where(text("run_search MATCH :query").bindparams(query=query))
        )
    holds = [runs.c.search_text.like(like_pattern(s), escape="\\") for s in stretches]
    return select(runs.c.pk).where(runs.c.project_id == project_id, *holds)


def search_scan(dialect: Dialect, runs: Table, folded_term: str) -> ColumnElement[bool]:
    """The same literal substring test, without the index: for a scan in page order
    that stops early because the term is common."""
    if is_sqlite(dialect):
        return func.instr(runs.c.search_text, folded_term) > 0
    return func.strpos(runs.c.search_text, folded_term) > 0


def time_bucket(dialect: Dialect, column: ColumnElement[Any], seconds: int) -> ColumnElement[Any]:
    """The start of the ``seconds``-wide bucket a timestamp falls in, as a timestamp."""
    if is_sqlite(dialect):
        width = seconds * 1_000_000
        micros = type_coerce(column, BigInteger())
        return type_coerce((micros // width) * width, UtcTimestamp())
    # date_bin (PostgreSQL 14) works on the timestamp's own microseconds: a quarter of the
    # cost of floor(extract(epoch)), whose numeric arithmetic ran per row.
    stride: ColumnElement[Any] = literal_column(f"interval '{int(seconds)} seconds'")
    origin: ColumnElement[Any] = literal_column("timestamptz '1970-01-01 00:00:00+00'")
    return type_coerce(func.date_bin(stride, column, origin), UtcTimestamp())


def index_search_text(conn: Connection, texts: Sequence[tuple[int, str]]) -> None:
    """Add new runs' (pk, search text) to SQLite's FTS table; PostgreSQL's index is on
    ``runs`` itself and follows by its own."""
    if is_sqlite(conn.dialect) and texts:
        conn.exec_driver_sql("INSERT INTO run_search(rowid, search_text) VALUES (?, ?)", texts)


def unindex_search_text(conn: Connection, pks: Sequence[int]) -> None:
    """Remove deleted runs from SQLite's FTS table (PostgreSQL's index follows by itself)."""
    if is_sqlite(conn.dialect) and pks:
        marks = ", ".join("?" * len(pks))
        conn.exec_driver_sql(f"DELETE FROM run_search WHERE rowid IN ({marks})", tuple(pks))


def bulk_insert_new(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, key: str
) -> set[Any]:
    """Insert rows, skipping any that a concurrent transaction stored first (a unique
    conflict); returns the ``key`` values of the rows this call stored.

    SQLite: every write transaction holds the write lock from BEGIN, so rows checked
    absent in it cannot conflict: all are stored. PostgreSQL: ``ON CONFLICT DO
    NOTHING``, then a look-up of which keys made it.
    """
    if is_sqlite(conn.dialect):
        bulk_insert(conn, table, rows)
        return {row[key] for row in rows}
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
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: tuple[str, ...]
) -> None:
    """Insert rows, each replacing the stored row with the same ``key`` (its unique key):
    ``INSERT ... ON CONFLICT (key) DO UPDATE`` on both databases, through each one's own
    construct."""
    if not rows:
        return
    insert_of = sqlite.insert if is_sqlite(conn.dialect) else postgresql.insert
    statement = insert_of(table)
    changed = {name: statement.excluded[name] for name in rows[0] if name not in key}
    conn.execute(statement.on_conflict_do_update(index_elements=key, set_=changed), list(rows))


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows of the same keys: the hot path of imports.

    PostgreSQL: SQLAlchemy's executemany (psycopg pipelines it). SQLite: the same values
    through each column type's own bind processor, as positional tuples straight to
    the driver; this skips building a parameter dict per row, a sixth of an import.
    """
    if not rows:
        return
    if not is_sqlite(conn.dialect):
        conn.execute(table.insert(), list(rows))
        return
    names = list(rows[0])
    dialect = conn.dialect
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    quote = conn.dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join('?' * len(names))})"
    )
    pairs = list(zip(names, processors, strict=True))
    conn.exec_driver_sql(
        sql,
        [tuple(row[n] if p is None else p(row[n]) for n, p in pairs) for row in rows],
    )


SQLITE_SEARCH_DDL = (
    "CREATE VIRTUAL TABLE run_search USING fts5("
    "search_text, content='runs', content_rowid='pk', "
    "tokenize='trigram case_sensitive 1')"
)
POSTGRES_SEARCH_DDL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_runs_search_trgm ON runs USING gin (search_text gin_trgm_ops)",
)


def create_search_index(conn: Connection) -> None:
    """The trigram index behind ``search`` (used by the first migration)."""
    if is_sqlite(conn.dialect):
        conn.exec_driver_sql(SQLITE_SEARCH_DDL)
    else:
        for statement in POSTGRES_SEARCH_DDL:
            conn.exec_driver_sql(statement)


def drop_search_index(conn: Connection) -> None:
    if is_sqlite(conn.dialect):
        conn.exec_driver_sql("DROP TABLE IF EXISTS run_search")
    else:
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_runs_search_trgm")
