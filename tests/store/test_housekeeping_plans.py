"""Housekeeping reads only live runs, whatever the number of ended ones.

Every upkeep pass (each server and worker runs one every second or so) asks for expired
leases, due wake-ups, passed deadlines, runs canceled while parked, claimable runs and
live counts. Each must be answered along an index of live runs (the small partial
indexes, or a (project, status) range), never by walking the runs table: at ten million
runs a walk costs a core. The plans are read with EXPLAIN on both databases; PostgreSQL
is told to avoid sequential scans (an empty table would otherwise be scanned, rightly).
SQLite's planner, with no statistics, picks by rule, so its plans here are those of a
large database; PostgreSQL's depend on statistics an empty table lacks, so for it the
test can only catch a walk of the table or of an index over every run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, event

from runyard.store import queue
from runyard.store.database import Database

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PROJECT = "00000000-0000-4000-8000-000000000001"
WORKFLOW = "00000000-0000-4000-8000-000000000002"
# Indexes over live runs only (partial), or a project's status range.
LIVE_INDEXES = {
    "ix_runs_lease",
    "ix_runs_available",
    "ix_runs_deadline",
    "ix_runs_waiting_for",
    "ix_runs_queue",
    "ix_runs_status",
    "ix_runs_workflow_status",
}

# The index a PostgreSQL plan line reads, if it is one of the runs table's.
PG_INDEX = re.compile(
    r"(?:Index Scan|Index Only Scan|Bitmap Index Scan) (?:using|on) ((?:ix|pk)_runs\w*)"
)

READS: dict[str, Callable[[Connection], Any]] = {
    "expired leases": lambda conn: queue.expired_leases(conn, NOW),
    "due wake-ups": lambda conn: queue.due_wakeups(conn, NOW),
    "past deadline": lambda conn: queue.past_deadline(conn, NOW),
    "canceled while parked": lambda conn: queue.parked_canceling(conn),
    "claimable": lambda conn: queue.claimable(conn, PROJECT, [WORKFLOW], NOW, 10),
    "live counts": lambda conn: queue.live_counts(conn),
}


def _statements(db: Database, read: Callable[[Connection], Any]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.write() as conn:
            read(conn)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return [(s, p) for s, p in seen if "FROM runs" in s]


def _plan(db: Database, statement: str, params: Any) -> list[str]:
    with db.write() as conn:
        if db.backend.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            return [str(r[-1]) for r in rows]
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return [str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN {statement}", params)]


def _walks_runs(line: str, sqlite: bool) -> bool:
    """Whether a plan line reads the runs table other than along a live-runs index."""
    if sqlite:
        if not line.startswith("SCAN runs"):
            return False
        return not any(f"INDEX {name}" in line for name in LIVE_INDEXES)
    if "Seq Scan on runs" in line:
        return True
    used = PG_INDEX.search(line)
    return bool(used) and used.group(1) not in LIVE_INDEXES


@pytest.mark.parametrize("name", READS)
def test_housekeeping_reads_walk_no_table(db: Database, name: str) -> None:
    statements = _statements(db, READS[name])
    assert statements, "the read issued no statement over runs"
    for statement, params in statements:
        plan = _plan(db, statement, params)
        walks = [line for line in plan if _walks_runs(line, db.backend.name == "sqlite")]
        assert not walks, f"{name} walks the runs table:\n" + "\n".join(plan)
