"""What differs between the databases runyard runs on: one protocol, one implementation
per database (``sqlite.py``, ``postgres.py``). Nothing outside this package asks which
database it is talking to; it asks the backend to do the part that differs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, Engine, Select, Table
from sqlalchemy.engine import URL
from sqlalchemy.types import TypeEngine

from runyard.store.upkeep import Upkeep

# Terms shorter than a trigram cannot use a trigram index; they are matched by scanning
# in the query's order, which finds a page quickly because such short terms are common.
MIN_INDEXED_TERM = 3


def like_pattern(term: str) -> str:
    r"""``%term%`` with ``\``, ``%`` and ``_`` matched literally (escape character ``\``)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Backend(Protocol):
    """One database's way of doing what runyard needs done differently on each."""

    name: str
    # Runs deleted per retention transaction: short enough that other writers wait little.
    prune_batch: int

    # -- connecting
    def driver_url(self, url: URL) -> URL:
        """The URL with runyard's driver for this database."""

    def engine_options(self, url: URL, options: dict[str, Any]) -> dict[str, Any]:
        """``create_engine`` options for this database, from the shared ones."""

    def configure(self, engine: Engine) -> None:
        """Per-connection and per-transaction settings."""

    def start_upkeep(self, engine: Engine) -> Upkeep:
        """Start what the database needs beside requests (``stop()`` ends it)."""

    def file_path(self, url: URL) -> Path | None:
        """The file the database lives in, when it is one (backups copy it)."""

    def lock_for_migrations(self, conn: Connection) -> None:
        """Begin the migrating transaction holding the one migration lock."""

    # -- column types
    def timestamp_type(self) -> TypeEngine[Any]:
        """How a UTC instant is stored."""

    def bind_timestamp(self, value: datetime) -> Any:
        """A UTC instant as the column type above stores it."""

    def read_timestamp(self, value: Any) -> datetime:
        """A stored instant back as an aware UTC ``datetime``."""

    # -- writes
    def allocate_run_pks(self, conn: Connection, count: int) -> list[int]:
        """``count`` new ``runs.pk`` values, so a batch is inserted with one executemany."""

    def bulk_insert(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """Insert many rows of the same keys: the hot path of imports."""

    def bulk_insert_new(
        self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, key: str
    ) -> set[Any]:
        """Insert rows, skipping any a concurrent transaction stored first; returns the
        ``key`` values of the rows this call stored."""

    def bulk_upsert(
        self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: tuple[str, ...]
    ) -> None:
        """Insert rows, each replacing the stored row with the same unique ``key``."""

    def lock_skipping(self, query: Select[Any]) -> Select[Any]:
        """Lock the rows a query selects, skipping rows another transaction holds."""

    # -- search
    def create_search_index(self, conn: Connection) -> None:
        """The trigram index behind ``search`` (used by the first migration)."""

    def drop_search_index(self, conn: Connection) -> None: ...

    def index_search_text(self, conn: Connection, texts: Sequence[tuple[int, str]]) -> None:
        """Add new runs' (pk, search text) to the search index, where it needs telling."""

    def unindex_search_text(self, conn: Connection, pks: Sequence[int]) -> None:
        """Remove deleted runs from the search index, where it needs telling."""

    def search_pks(self, runs: Table, project_id: str, folded_term: str) -> Select[int]:
        """The pks of runs whose folded search text contains ``folded_term``."""

    def search_pks_holding_all(
        self, runs: Table, project_id: str, stretches: list[str]
    ) -> Select[int]:
        """The pks of runs whose search text holds each of these stretches, by index."""

    def search_scan(self, runs: Table, folded_term: str) -> ColumnElement[bool]:
        """The literal substring test without the index, for a scan in page order."""

    # -- reads
    def pk_among(self, column: ColumnElement[int], pks: list[int]) -> ColumnElement[bool]:
        """``column IN (pks)`` for a list of up to thousands of pks."""

    def project_filter(
        self, runs: Table, project_id: str, drive_from_pks: bool
    ) -> ColumnElement[bool]:
        """``runs.project_id = :project``, and whether an index may serve it."""

    def time_bucket(self, column: ColumnElement[Any], seconds: int) -> ColumnElement[Any]:
        """The start of the ``seconds``-wide bucket a timestamp falls in (as a number or
        timestamp the column type reads back as an instant)."""
