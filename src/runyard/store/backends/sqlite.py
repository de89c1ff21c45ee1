"""SQLite: one file, one writer at a time (every write transaction takes the write lock at
BEGIN), FTS5 ``trigram`` for search, instants as integer microseconds."""

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
    String,
    Table,
    event,
    func,
    literal_column,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL
from sqlalchemy.types import TypeEngine

from runyard.core.errors import InvalidInput
from runyard.core.times import from_micros, to_micros
from runyard.store.backends.base import MIN_INDEXED_TERM
from runyard.store.backends.sqlite_checkpointer import BACKSTOP_PAGES, Checkpointer
from runyard.store.upkeep import Upkeep

PRAGMAS = (
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
)

SEARCH_DDL = (
    "CREATE VIRTUAL TABLE run_search USING fts5("
    "search_text, content='runs', content_rowid='pk', "
    "tokenize='trigram case_sensitive 1')"
)


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _fts_match(parameter: str, query: str) -> Select[int]:
    """The FTS table holds every project's runs: callers keep their project filter."""
    return (
        select(literal_column("rowid", BigInteger()))
        .select_from(text("run_search"))
        .where(text(f"run_search MATCH :{parameter}").bindparams(**{parameter: query}))
    )


class SqliteBackend:
    name = "sqlite"
    prune_batch = 200

    def driver_url(self, url: URL) -> URL:
        return url

    def engine_options(self, url: URL, options: dict[str, Any]) -> dict[str, Any]:
        if url.database in (None, "", ":memory:"):
            raise InvalidInput("an in-memory SQLite database cannot be shared; use a file")
        options = {**options, "connect_args": {"check_same_thread": False}}
        options.pop("pool_pre_ping", None)  # a file does not go away under a connection
        return options

    def configure(self, engine: Engine) -> None:
        """Each PRAGMA in ``PRAGMAS`` states why it is set."""

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, emit BEGIN (see _on_begin).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in PRAGMAS:
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # A write transaction takes the write lock at BEGIN (IMMEDIATE): a deferred one
            # that later upgrades can fail with SQLITE_BUSY without waiting busy_timeout.
            mode = "IMMEDIATE" if conn.get_execution_options().get("write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

    def start_upkeep(self, engine: Engine) -> Upkeep:
        """A thread copies the write-ahead log into the database."""
        worker = Checkpointer(engine)
        worker.start()
        return worker

    def file_path(self, url: URL) -> Path | None:
        if not url.database:
            raise InvalidInput("the SQLite URL names no file")
        return Path(url.database)

    def lock_for_migrations(self, conn: Connection) -> None:
        """A write transaction holds the database's write lock from its BEGIN already."""
        conn.exec_driver_sql("SELECT 1")  # begins it (IMMEDIATE: see configure)

    def timestamp_type(self) -> TypeEngine[Any]:
        """An integer of microseconds since the epoch: compact, compared as a number,
        and exact (SQLite has no timestamp type)."""
        return BigInteger()

    def bind_timestamp(self, value: datetime) -> Any:
        return to_micros(value)

    def read_timestamp(self, value: Any) -> datetime:
        return from_micros(int(value))

    def allocate_run_pks(self, conn: Connection, count: int) -> list[int]:
        """Past the current maximum: safe because every write transaction holds the
        database's write lock from BEGIN."""
        top = conn.exec_driver_sql("SELECT coalesce(max(pk), 0) FROM runs").scalar_one()
        return list(range(int(top) + 1, int(top) + 1 + count))

    def bulk_insert(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """The values through each column type's own bind processor, as positional tuples
        straight to the driver; this skips building a parameter dict per row, a sixth of
        an import."""
        if not rows:
            return
        names = list(rows[0])
        dialect = conn.dialect
        processors = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        ]
        quote = dialect.identifier_preparer.quote
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
            f"VALUES ({', '.join('?' * len(names))})"
        )
        pairs = list(zip(names, processors, strict=True))
        conn.exec_driver_sql(
            sql,
            [tuple(row[n] if p is None else p(row[n]) for n, p in pairs) for row in rows],
        )

    def bulk_insert_new(
        self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, key: str
    ) -> set[Any]:
        """Every write transaction holds the write lock from BEGIN, so rows checked absent
        in it cannot conflict: all are stored."""
        self.bulk_insert(conn, table, rows)
        return {row[key] for row in rows}

    def bulk_upsert(
        self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: tuple[str, ...]
    ) -> None:
        if not rows:
            return
        statement = sqlite.insert(table)
        changed = {name: statement.excluded[name] for name in rows[0] if name not in key}
        conn.execute(statement.on_conflict_do_update(index_elements=key, set_=changed), list(rows))

    def lock_skipping(self, query: Select[Any]) -> Select[Any]:
        """The query as it is: a write transaction already holds the whole database's
        write lock from BEGIN (IMMEDIATE), so claims are serialised."""
        return query

    def create_search_index(self, conn: Connection) -> None:
        conn.exec_driver_sql(SEARCH_DDL)

    def drop_search_index(self, conn: Connection) -> None:
        conn.exec_driver_sql("DROP TABLE IF EXISTS run_search")

    def index_search_text(self, conn: Connection, texts: Sequence[tuple[int, str]]) -> None:
        """The FTS table has external content: it is told of each new run."""
        if texts:
            conn.exec_driver_sql("INSERT INTO run_search(rowid, search_text) VALUES (?, ?)", texts)

    def unindex_search_text(self, conn: Connection, pks: Sequence[int]) -> None:
        if pks:
            marks = ", ".join("?" * len(pks))
            conn.exec_driver_sql(f"DELETE FROM run_search WHERE rowid IN ({marks})", tuple(pks))

    def search_pks(self, runs: Table, project_id: str, folded_term: str) -> Select[int]:
        """The FTS5 ``trigram`` table ``run_search`` queried with a phrase, a literal
        substring match for terms of 3 or more characters; shorter terms have no trigram
        and are matched by scanning the project's runs."""
        if len(folded_term) >= MIN_INDEXED_TERM:
            return _fts_match("phrase", _phrase(folded_term))
        match = func.instr(runs.c.search_text, folded_term) > 0
        return select(runs.c.pk).where(runs.c.project_id == project_id, match)

    def search_pks_holding_all(
        self, runs: Table, project_id: str, stretches: list[str]
    ) -> Select[int]:
        """An AND of FTS5 phrases."""
        return _fts_match("query", " AND ".join(_phrase(s) for s in stretches))

    def search_scan(self, runs: Table, folded_term: str) -> ColumnElement[bool]:
        return func.instr(runs.c.search_text, folded_term) > 0

    def pk_among(self, column: ColumnElement[int], pks: list[int]) -> ColumnElement[bool]:
        """An expanded IN list, which SQLite plans well."""
        return column.in_(pks)

    def project_filter(
        self, runs: Table, project_id: str, drive_from_pks: bool
    ) -> ColumnElement[bool]:
        """When the rows to read are a known set of pks (a side index's few matches),
        they should be fetched by pk and sorted. Without statistics SQLite assumes an
        equality on ``project_id`` is selective and scans the project's index range
        instead; writing the column as ``+runs.project_id`` takes every runs index away
        from it (they all lead with ``project_id``) and leaves the pk lookups."""
        if drive_from_pks:
            return literal_column("+runs.project_id", String()) == project_id
        return runs.c.project_id == project_id

    def time_bucket(self, column: ColumnElement[Any], seconds: int) -> ColumnElement[Any]:
        """Integer arithmetic on the stored microseconds."""
        width = seconds * 1_000_000
        micros = type_coerce(column, BigInteger())
        return (micros // width) * width
