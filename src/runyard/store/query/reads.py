"""Pages of runs: planned by the planner, compiled by the compiler, run here."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping

from runyard.core.models import Run, RunCount, RunHead
from runyard.core.query import Page, Position, RunQuery, SortField
from runyard.core.times import to_micros
from runyard.store.query import compiler, counts, probes
from runyard.store.query.planner import Planner
from runyard.store.query.plans import NoMatch
from runyard.store.run_rows import HEAD_COLUMNS, head_from_row, run_from_row
from runyard.store.workflow_rows import workflow_names


def _position(query: RunQuery, m: RowMapping) -> Position:
    column = compiler.SORT_COLUMNS[query.sort.field]
    value = m[column.name]
    if value is None:
        return Position(None, m["id"])
    if query.sort.field is SortField.DURATION:
        return Position(int(value), m["id"])
    assert isinstance(value, datetime)
    return Position(to_micros(value), m["id"])


@dataclass(frozen=True, slots=True)
class _Rows:
    """A page's rows, before they become records."""

    rows: Sequence[RowMapping]
    names: dict[str, str]
    has_more: bool
    last: Position | None
    total: RunCount | None


def _page_rows(
    conn: Connection, planner: Planner, query: RunQuery, columns: list[Any] | None
) -> _Rows:
    chosen = probes.plan(conn, planner, query)
    if isinstance(chosen, NoMatch):
        rows: Sequence[RowMapping] = []
    else:
        statement = compiler.page_statement(conn.dialect, query, chosen, columns)
        rows = conn.execute(statement).mappings().all()
    has_more = len(rows) > query.limit
    rows = rows[: query.limit]
    last = _position(query, rows[-1]) if rows else None
    total = None
    if query.include_total:
        total = counts.count(conn, planner, query, chosen, exact=query.exact_total)
    names = workflow_names(conn, sorted({m["workflow_id"] for m in rows}))
    return _Rows(rows, names, has_more, last, total)


def list_page(conn: Connection, planner: Planner, query: RunQuery) -> Page[Run]:
    found = _page_rows(conn, planner, query, None)
    whole = [run_from_row(m, found.names.get(m["workflow_id"])) for m in found.rows]
    return Page(whole, found.has_more, found.last, found.total)


def list_heads(conn: Connection, planner: Planner, query: RunQuery) -> Page[RunHead]:
    """A page as ``list_page`` reads it, of the runs' heads only (no JSON documents read)."""
    found = _page_rows(conn, planner, query, HEAD_COLUMNS)
    heads = [head_from_row(m, found.names.get(m["workflow_id"])) for m in found.rows]
    return Page(heads, found.has_more, found.last, found.total)


def iterate(
    conn: Connection, planner: Planner, query: RunQuery, batch: int = 1000
) -> Iterator[Run]:
    """Every run of the query in order, page by page (keyset), however many there are."""
    page_query = replace(query, limit=batch, offset=0, include_total=False)
    while True:
        page = list_page(conn, planner, page_query)
        yield from page.runs
        if not page.has_more or page.last is None:
            return
        page_query = replace(page_query, after=page.last)
