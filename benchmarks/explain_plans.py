"""Write down the plan of every query the engine emits, on a loaded database.

    .venv/bin/python -m benchmarks.explain_plans sqlite:///benchmarks/results/bench-1000000.db
    .venv/bin/python -m benchmarks.explain_plans postgresql://postgres@127.0.0.1:5432/runyard_bench

For each query (every filter alone, the benchmark set, every sort, cursor and offset
pages, counts) it runs the store's probes exactly as a request would, plans the query
with the service's planner, compiles the statements, and prints EXPLAIN QUERY PLAN
(SQLite) or EXPLAIN ANALYZE (PostgreSQL) as Markdown. ``docs/query-plans.md`` holds the
output at 1,000,000 runs.
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import Connection, Select

from runyard.core.query import RunQuery, Sort, SortField, TagFilter
from runyard.core.statuses import RunStatus
from runyard.core.times import utcnow
from runyard.service.runs import RunService
from runyard.store.database import Database
from runyard.store.query import compiler, compiler_counts, counts, probes
from runyard.store.query.planner import Planner
from runyard.store.query.plans import (
    AlongSideTable,
    FromCandidates,
    KeptDays,
    KeptTotals,
    ListPlan,
    NoMatch,
)
from runyard.store.schema import runs, workflows
from runyard.store.tenancy import project_by_name


def _sql(conn: Connection, statement: Select[object]) -> str:
    return str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


LONG_LIST = re.compile(r"(\d+,){8,}\d+")


def _plan(conn: Connection, statement: Select[object]) -> list[str]:
    sql = _sql(conn, statement)
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
        return [f"{'  ' * (row[1] > 0)}{row[3]}" for row in rows]
    lines = [row[0] for row in conn.exec_driver_sql(f"EXPLAIN ANALYZE {sql}")]
    return [LONG_LIST.sub("<candidate pks>", line) for line in lines]


def queries(conn: Connection, project_id: str) -> dict[str, RunQuery]:
    from sqlalchemy import select

    wf = list(
        conn.execute(select(workflows.c.id).where(workflows.c.project_id == project_id)).scalars()
    )
    some = conn.execute(
        select(runs.c.id, runs.c.parent_run_id, runs.c.root_run_id, runs.c.triggered_by)
        .where(runs.c.project_id == project_id, runs.c.parent_run_id.is_not(None))
        .limit(1)
    ).one()
    week = utcnow() - timedelta(days=7)
    base = RunQuery(project_id)
    q = lambda **kw: replace(base, **kw)  # noqa: E731
    return {
        "newest 50": base,
        "workflow_id (one)": q(workflow_ids=(wf[3],)),
        "workflow_id (three)": q(workflow_ids=tuple(wf[:3])),
        "workflow_type": q(workflow_types=("agent",)),
        "status (one)": q(statuses=(RunStatus.FAILED,)),
        "status (two) + 7 days": q(
            statuses=(RunStatus.FAILED, RunStatus.CANCELED), created_after=week
        ),
        "3 workflows + 2 statuses + 7 days": q(
            workflow_ids=tuple(wf[:3]),
            statuses=(RunStatus.COMPLETED, RunStatus.FAILED),
            created_after=week,
        ),
        "created window": q(created_after=week, created_before=week + timedelta(days=1)),
        "trigger_type": q(trigger_types=("webhook",)),
        "triggered_by": q(triggered_by=(some.triggered_by or "anna@acme.com",)),
        "credential_id": q(credential_ids=("cred_0042",)),
        "error_code": q(error_codes=("LOGIN_FAILED",)),
        "search: customer id (rare)": q(search="CUST-012345"),
        "search: common 3-letter term": q(search="acm"),
        "search: 2 characters (no trigram)": q(search="zü"),
        "search: parameter description": q(search="portal login"),
        "parent_run_id": q(parent_run_id=some.parent_run_id),
        "root_run_id": q(root_run_id=some.root_run_id),
        "tag key=value": q(tags=(TagFilter("team", ("ops",)),)),
        "tag key": q(tags=(TagFilter("env"),)),
        "is_test": q(is_test=True),
        "sort started_at desc": q(sort=Sort(SortField.STARTED_AT)),
        "sort finished_at asc": q(sort=Sort(SortField.FINISHED_AT, descending=False)),
        "sort duration desc": q(sort=Sort(SortField.DURATION)),
        "offset 5,000": q(offset=5000),
    }


def _probes(conn: Connection, planner: Planner, query: RunQuery) -> None:
    """The plans of the probes of the query's side filters, as ``probes.probe`` runs them."""
    for side, rows in compiler.side_filters(conn.dialect, query).items():
        stretches = probes.search_stretches(conn, planner, query) if side == "search" else None
        if stretches:
            print(f"probe `search` by its rare stretches {stretches}:\n```")
            limit = planner.stretch_candidates + 1
            rows = compiler.stretch_statement(conn.dialect, query.project_id, stretches, limit)
        else:
            print(f"probe `{side}` (first {planner.dense_threshold} matches):\n```")
            rows = compiler.probe_statement(rows, planner.dense_threshold)
        print("\n".join(_plan(conn, rows)))
        print("```")


def _describe(chosen: ListPlan) -> None:
    if isinstance(chosen, NoMatch):
        print("plan: no match (a sparse filter matched no run)\n")
        return
    candidates = chosen.candidates if isinstance(chosen, FromCandidates | AlongSideTable) else None
    if chosen.dense or candidates is not None:
        kind = f"{len(candidates)} candidates" if candidates is not None else ""
        driver = f" driven along `{chosen.driver}`" if isinstance(chosen, AlongSideTable) else ""
        print(f"plan: dense={sorted(chosen.dense)} {kind}{driver}\n")


def _count(conn: Connection, planner: Planner, query: RunQuery, chosen: ListPlan) -> None:
    how = planner.plan_count(query, exact=False)
    if isinstance(how, KeptTotals):
        print("count: summed from the kept run counts (store/query/counts.py)\n")
        return
    if isinstance(how, KeptDays):
        ends = f", its {len(how.edges)} partial days counted" if how.edges else ""
        print(f"count: summed from the kept day counts{ends}\n")
        return
    if isinstance(chosen, NoMatch):
        print("count: 0, nothing read\n")
        return
    print(f"count (stops after {planner.count_cap:,} matches):\n```")
    statement = compiler_counts.count_statement(conn.dialect, query, chosen, planner.count_cap)
    print("\n".join(_plan(conn, statement)))
    print("```\n")


def main() -> None:
    url = sys.argv[1]
    db = Database.connect(url, pool_size=1)
    runs_service = RunService(db, utcnow)
    planner = runs_service.planner
    with db.read() as conn:
        project = project_by_name(conn, "default")
        assert project is not None
        total = counts.count(conn, planner, RunQuery(project.id)).value
        print(f"# Query plans: {conn.dialect.name}, {total:,} runs\n")
        for name, asked in queries(conn, project.id).items():
            print(f"## {name}\n")
            query = runs_service.resolve_query(conn, asked)  # names and types become ids
            if query is None:
                print("no workflow matches: answered without reading runs\n")
                continue
            chosen = probes.plan(conn, planner, query)
            _probes(conn, planner, query)
            _describe(chosen)
            if not isinstance(chosen, NoMatch):
                print("page:\n```")
                print("\n".join(_plan(conn, compiler.page_statement(conn.dialect, query, chosen))))
                print("```")
            _count(conn, planner, query, chosen)
    db.dispose()


if __name__ == "__main__":
    main()
