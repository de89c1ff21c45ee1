"""Counts and charts of runs: planned by the planner, compiled by the compiler
(compiler_counts.py), run here.

A count that names nothing but workflows and statuses is summed from the counts the
triggers of migration 0006 keep, exactly, in a few rows however many runs there are (on
PostgreSQL the triggers append to ``run_count_deltas`` and the maintenance thread moves
those into ``run_counts`` every two seconds, ``postgres_maintenance.FOLD``). The same
counts are kept per UTC day (``run_day_counts``, migration 0008): a count or a chart
whose window spans whole days sums those days, and only the partial days at its ends
are counted from the runs (``days.split_window``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from runyard.core.models import RunCount
from runyard.core.query import Bucket, RunQuery
from runyard.core.times import from_micros
from runyard.store.query import compiler_counts, probes
from runyard.store.query.days import SECONDS_PER_DAY, Window
from runyard.store.query.planner import Planner
from runyard.store.query.plans import KeptDays, KeptTotals, ListPlan, NoMatch, OwnKey


def count(
    conn: Connection,
    planner: Planner,
    query: RunQuery,
    chosen: ListPlan | None = None,
    *,
    exact: bool = False,
) -> RunCount:
    """How many runs match: exactly if ``exact`` or if at most ``planner.count_cap`` do,
    else at least that many; ``chosen`` reuses the probes of a page of the same query.

    A query of nothing but workflows, statuses and a time window is summed from the kept
    counts (the window's partial days at its ends counted from the runs), and a query
    whose side filters matched a short list counts among those: both are exact.
    """
    how = planner.plan_count(query, exact=exact)
    if isinstance(how, KeptTotals):
        return RunCount(kept_total(conn, query))
    if isinstance(how, KeptDays):
        days = by_day_status(conn, query, how.window)
        kept = sum(n for by_status in days.values() for n in by_status.values())
        ends = (_counted(conn, planner, edge, None, exact=True) for edge in how.edges)
        return RunCount(kept + sum(c.value for c in ends))
    if isinstance(how, OwnKey):
        n = int(conn.execute(compiler_counts.own_key_count_statement(query, how.cap)).scalar_one())
        return _capped(n, how.cap)
    return _counted(conn, planner, query, chosen, exact=exact)


def _counted(
    conn: Connection, planner: Planner, query: RunQuery, chosen: ListPlan | None, *, exact: bool
) -> RunCount:
    """``count``, from the runs themselves."""
    chosen = chosen or probes.plan(conn, planner, query)
    if isinstance(chosen, NoMatch):
        return RunCount(0)
    cap = planner.count_cap_for(chosen, exact=exact)
    statement = compiler_counts.count_statement(conn.dialect, query, chosen, cap)
    return _capped(int(conn.execute(statement).scalar_one()), cap)


def _capped(n: int, cap: int | None) -> RunCount:
    return RunCount(n) if cap is None or n <= cap else RunCount(cap, exact=False)


def stats(conn: Connection, planner: Planner, query: RunQuery, bucket_seconds: int) -> list[Bucket]:
    """Runs per bucket and status. Buckets of whole days, for a query the day counts
    answer, are summed from those (the window's partial end days from the runs)."""
    buckets: dict[datetime, dict[str, int]] = {}

    def add(start: datetime, status: str, n: int) -> None:
        counts = buckets.setdefault(start, {})
        counts[status] = counts.get(status, 0) + n

    chart = planner.plan_chart(query, bucket_seconds)
    if chart.kept_days is not None:
        for day, by_status in by_day_status(conn, query, chart.kept_days).items():
            start = day * SECONDS_PER_DAY // bucket_seconds * bucket_seconds
            for status, n in by_status.items():
                add(from_micros(start * 1_000_000), status, n)
    for part in chart.counted:
        chosen = probes.plan(conn, planner, part.query)
        if isinstance(chosen, NoMatch):
            continue  # a sparse filter matched nothing
        statement = compiler_counts.stats_statement(
            conn.dialect, part.query, chosen, bucket_seconds, by_status=part.by_status
        )
        for start, status, n in conn.execute(statement):
            add(start, status, int(n))
    return [Bucket(start, counts) for start, counts in sorted(buckets.items())]


def by_day_status(conn: Connection, query: RunQuery, window: Window) -> dict[int, dict[str, int]]:
    """``{day: {status: n}}`` over the window's whole days, for a query of nothing but
    workflows, statuses and a time window (days and statuses with no runs left out)."""
    found: dict[int, dict[str, int]] = {}
    for day, status, n in conn.execute(compiler_counts.kept_days_statement(query, window)):
        if n:
            found.setdefault(int(day), {})[status] = int(n)
    return found


def by_workflow_status(
    conn: Connection,
    project_id: str,
    workflow_ids: Sequence[str] = (),
    statuses: Sequence[str] = (),
) -> dict[str, dict[str, int]]:
    """``{workflow_id: {status: n}}`` for the project's runs (statuses with none left out)."""
    statement = compiler_counts.kept_totals_statement(project_id, workflow_ids, statuses)
    found: dict[str, dict[str, int]] = {}
    for workflow_id, status, n in conn.execute(statement):
        if n:
            found.setdefault(workflow_id, {})[status] = int(n)
    return found


def kept_total(conn: Connection, query: RunQuery) -> int:
    """How many runs match a query of nothing but workflows and statuses (``KeptTotals``)."""
    counts = by_workflow_status(conn, query.project_id, query.workflow_ids, query.statuses)
    return sum(n for by_status in counts.values() for n in by_status.values())
