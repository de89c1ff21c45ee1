"""Write down the plan of every query the engine emits, on a loaded database.

    .venv/bin/python -m benchmarks.explain_plans sqlite:///benchmarks/results/bench-1000000.db
    .venv/bin/python -m benchmarks.explain_plans postgresql://postgres@127.0.0.1:5432/runyard_bench

For each query (every filter alone, the benchmark set, every sort, cursor and offset
pages, counts) it runs the store's probes exactly as a request would, compiles the
statements, and prints EXPLAIN QUERY PLAN (SQLite) or EXPLAIN ANALYZE (PostgreSQL) as
Markdown. ``docs/query-plans.md`` holds the output at 1,000,000 runs.
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import Connection, Select

from runyard.core.query import COUNT_CAP, RunQuery, Sort, SortField, TagFilter
from runyard.core.statuses import RunStatus
from runyard.core.times import utcnow
from runyard.service.runs import RunService
from runyard.store.database import Database
from runyard.store.query import compiler as qc
from runyard.store.query import counts as run_counts
from runyard.store.query import reads as run_reads
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


def main() -> None:
    url = sys.argv[1]
    db = Database.connect(url, pool_size=1)
    with db.read() as conn:
        project = project_by_name(conn, "default")
        assert project is not None
        total = run_reads.count(conn, RunQuery(project.id)).value
        print(f"# Query plans: {conn.dialect.name}, {total:,} runs\n")
        runs_service = RunService(db, utcnow)
        for name, asked in queries(conn, project.id).items():
            print(f"## {name}\n")
            query = runs_service.resolve_query(conn, asked)  # names and types become ids
            if query is None:
                print("no workflow matches: answered without reading runs\n")
                continue
            chosen = run_reads.plan(conn, query)
            for side, rows in qc.side_filters(conn.dialect, query).items():
                stretches = run_reads.search_stretches(conn, query) if side == "search" else None
                if stretches:
                    print(f"probe `search` by its rare stretches {stretches}:\n```")
                    rows = qc.stretch_statement(
                        conn.dialect, query.project_id, stretches, run_reads.STRETCH_CANDIDATES + 1
                    )
                else:
                    print(f"probe `{side}` (first {qc.DENSE_THRESHOLD} matches):\n```")
                    rows = qc.probe_statement(rows)
                print("\n".join(_plan(conn, rows)))
                print("```")
            if chosen.dense or chosen.candidates is not None:
                kind = (
                    f"{len(chosen.candidates)} candidates" if chosen.candidates is not None else ""
                )
                driver = f" driven along `{chosen.driver}`" if chosen.driver else ""
                print(f"plan: dense={sorted(chosen.dense)} {kind}{driver}\n")
            print("page:\n```")
            print("\n".join(_plan(conn, qc.page_statement(conn.dialect, query, chosen))))
            print("```")
            if run_counts.answers(query):
                print("count: summed from the kept run counts (store/run_counts.py)\n")
                continue
            window = run_counts.split_window(query.created_after, query.created_before)
            if run_counts.answers_by_day(query) and window is not None:
                ends = f", its {len(window.edges)} partial days counted" if window.edges else ""
                print(f"count: summed from the kept day counts{ends}\n")
                continue
            print(f"count (stops after {COUNT_CAP:,} matches):\n```")
            statement = qc.count_statement(conn.dialect, query, chosen, COUNT_CAP)
            print("\n".join(_plan(conn, statement)))
            print("```\n")
    db.dispose()


if __name__ == "__main__":
    main()
