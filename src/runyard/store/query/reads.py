"""Reading runs through the query compiler: pages, counts, stats, exports."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, RowMapping

from runyard.core import query as limits
from runyard.core.models import Run, RunCount, RunHead
from runyard.core.query import Bucket, Page, Position, RunQuery, SortField
from runyard.core.search_text import fold
from runyard.core.times import from_micros, to_micros
from runyard.store.dialect_hooks import MIN_INDEXED_TERM
from runyard.store.query import compiler as qc
from runyard.store.query import counts as run_counts
from runyard.store.query import terms as search_terms
from runyard.store.run_rows import HEAD_COLUMNS, head_from_row, run_from_row
from runyard.store.workflow_rows import workflow_names

R = TypeVar("R", bound=RunHead)
SECONDS_PER_DAY = 86_400


def _position(query: RunQuery, m: RowMapping) -> Position:
    column = qc.SORT_COLUMNS[query.sort.field]
    value = m[column.name]
    if value is None:
        return Position(None, m["id"])
    if query.sort.field is SortField.DURATION:
        return Position(int(value), m["id"])
    assert isinstance(value, datetime)
    return Position(to_micros(value), m["id"])


def _search_workflows(conn: Connection, query: RunQuery) -> tuple[str, ...]:
    if not query.search:
        return ()
    statement = qc.parameter_match_statement(query.project_id, query.search)
    return tuple(conn.execute(statement).scalars())


def plan(conn: Connection, query: RunQuery) -> qc.Plan:
    """Probe each side-index filter: a short list of matching runs, or "dense"."""
    found = {}
    for name, rows in qc.side_filters(conn.dialect, query).items():
        by_stretch = _search_by_stretch(conn, query) if name == "search" else None
        found[name] = (
            by_stretch
            if by_stretch is not None
            else list(conn.execute(qc.probe_statement(rows)).scalars())
        )
    return qc.plan_from_probes(found, _search_workflows(conn, query), qc.orderable_filters(query))


STRETCH_CANDIDATES = 10_000  # more runs than this hold the rare stretches: ask for the term


def search_stretches(conn: Connection, query: RunQuery) -> list[str] | None:
    """The rare stretches of the search term it is looked up by (search_terms.py);
    None: it is looked up whole."""
    if not query.search:
        return None
    term = fold(query.search)
    if len(term) <= MIN_INDEXED_TERM:
        return None
    return search_terms.rare_stretches(term, search_terms.trigram_shares(conn, query.project_id))


def _search_by_stretch(conn: Connection, query: RunQuery) -> list[int] | None:
    """The search probe through the term's rare stretches, the runs found then checked for
    the whole term; None: probe with the whole term."""
    stretches = search_stretches(conn, query)
    if stretches is None or not query.search:
        return None
    term = fold(query.search)
    statement = qc.stretch_statement(
        conn.dialect, query.project_id, stretches, STRETCH_CANDIDATES + 1
    )
    candidates = list(conn.execute(statement).scalars())
    if len(candidates) > STRETCH_CANDIDATES:
        return None  # the stretches are common after all
    found: list[int] = []
    for first in range(0, len(candidates), 5000):
        chunk = candidates[first : first + 5000]
        found += conn.execute(qc.containing_statement(conn.dialect, chunk, term)).scalars()
    return sorted(found)[: qc.DENSE_THRESHOLD]


@dataclass(frozen=True, slots=True)
class _Rows:
    """A page's rows, before they become records."""

    rows: Sequence[RowMapping]
    names: dict[str, str]
    has_more: bool
    last: Position | None
    total: RunCount | None


def _page_rows(conn: Connection, query: RunQuery, columns: list[Any] | None) -> _Rows:
    chosen = plan(conn, query)
    if chosen.candidates is not None and not chosen.candidates:
        rows: Sequence[RowMapping] = []  # a sparse filter matched nothing
    else:
        statement = qc.page_statement(conn.dialect, query, chosen, columns)
        rows = conn.execute(statement).mappings().all()
    has_more = len(rows) > query.limit
    rows = rows[: query.limit]
    last = _position(query, rows[-1]) if rows else None
    total = count(conn, query, chosen, exact=query.exact_total) if query.include_total else None
    names = workflow_names(conn, sorted({m["workflow_id"] for m in rows}))
    return _Rows(rows, names, has_more, last, total)


def list_page(conn: Connection, query: RunQuery) -> Page[Run]:
    found = _page_rows(conn, query, None)
    whole = [run_from_row(m, found.names.get(m["workflow_id"])) for m in found.rows]
    return Page(whole, found.has_more, found.last, found.total)


def list_heads(conn: Connection, query: RunQuery) -> Page[RunHead]:
    """A page as ``list_page`` reads it, of the runs' heads only (no JSON documents read)."""
    found = _page_rows(conn, query, HEAD_COLUMNS)
    heads = [head_from_row(m, found.names.get(m["workflow_id"])) for m in found.rows]
    return Page(heads, found.has_more, found.last, found.total)


def count(
    conn: Connection, query: RunQuery, chosen: qc.Plan | None = None, *, exact: bool = False
) -> RunCount:
    """How many runs match: exactly if ``exact`` or if at most ``COUNT_CAP`` do, else at
    least ``COUNT_CAP`` (core/query.py); ``chosen`` reuses the probes of a page of the
    same query.

    A query of nothing but workflows, statuses and a time window is summed from the kept
    counts (the window's partial days at its ends counted from the runs), and a query
    whose side filters matched a short list counts among those: both are exact.
    """
    if run_counts.answers(query):
        return RunCount(run_counts.total(conn, query))
    window = _kept_window(query)
    if window is not None:
        days = run_counts.by_day_status(conn, query, window)
        kept = sum(n for by_status in days.values() for n in by_status.values())
        ends = (_counted(conn, _within(query, edge), None, exact=True) for edge in window.edges)
        return RunCount(kept + sum(c.value for c in ends))
    return _counted(conn, query, chosen, exact=exact)


def _kept_window(query: RunQuery) -> run_counts.Window | None:
    """The whole days of the query's window, if the day counts answer the query."""
    if not run_counts.answers_by_day(query):
        return None
    return run_counts.split_window(query.created_after, query.created_before)


def _within(query: RunQuery, edge: tuple[datetime | None, datetime | None]) -> RunQuery:
    return replace(query, created_after=edge[0], created_before=edge[1])


def _counted(conn: Connection, query: RunQuery, chosen: qc.Plan | None, *, exact: bool) -> RunCount:
    """``count``, from the runs themselves (or one side filter's own key)."""
    # A short list of matches is always counted exactly, as below.
    cap = None if exact else max(limits.COUNT_CAP, qc.DENSE_THRESHOLD)
    own = qc.own_index_count_statement(query, cap)
    if own is not None:
        n = int(conn.execute(own).scalar_one())
        return RunCount(n) if cap is None or n <= cap else RunCount(cap, exact=False)
    chosen = chosen or plan(conn, query)
    if chosen.candidates is not None:
        if not chosen.candidates:
            return RunCount(0)
        exact = True  # at most DENSE_THRESHOLD runs to look at
    cap = None if exact else limits.COUNT_CAP
    n = int(conn.execute(qc.count_statement(conn.dialect, query, chosen, cap)).scalar_one())
    return RunCount(n) if cap is None or n <= cap else RunCount(cap, exact=False)


def stats(conn: Connection, query: RunQuery, bucket_seconds: int) -> list[Bucket]:
    """Runs per bucket and status. Buckets of whole days, for a query the day counts
    answer, are summed from those (the window's partial end days from the runs)."""
    buckets: dict[datetime, dict[str, int]] = {}

    def add(start: datetime, status: str, n: int) -> None:
        counts = buckets.setdefault(start, {})
        counts[status] = counts.get(status, 0) + n

    window = _kept_window(query) if bucket_seconds % SECONDS_PER_DAY == 0 else None
    scanned = [query] if window is None else [_within(query, edge) for edge in window.edges]
    if window is not None:
        for day, by_status in run_counts.by_day_status(conn, query, window).items():
            start = day * SECONDS_PER_DAY // bucket_seconds * bucket_seconds
            for status, n in by_status.items():
                add(from_micros(start * 1_000_000), status, n)
    for part in scanned:
        split = run_counts.answers_by_day(part) and not part.workflow_ids
        statement = qc.stats_statement(
            conn.dialect, part, plan(conn, part), bucket_seconds, by_status=split
        )
        for start, status, n in conn.execute(statement):
            add(start, status, int(n))
    return [Bucket(start, counts) for start, counts in sorted(buckets.items())]


def iterate(conn: Connection, query: RunQuery, batch: int = 1000) -> Iterator[Run]:
    """Every run of the query in order, page by page (keyset), however many there are."""
    page_query = replace(query, limit=batch, offset=0, include_total=False)
    while True:
        page = list_page(conn, page_query)
        yield from page.runs
        if not page.has_more or page.last is None:
            return
        page_query = replace(page_query, after=page.last)
