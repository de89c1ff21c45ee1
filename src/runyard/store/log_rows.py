"""Run logs in the database: appending a run's lines under its cap, and reading them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select, update

from runyard.core.logs import LogCap, LogLevel, LogLine
from runyard.store import signals
from runyard.store.backends import backend_of
from runyard.store.schema import run_log_totals, run_logs


def _totals(conn: Connection, project_id: str, run_pk: int) -> tuple[int, int, int, int]:
    """The run's totals row, locked (made first if it has none)."""
    query = (
        select(
            run_log_totals.c.lines,
            run_log_totals.c.bytes,
            run_log_totals.c.dropped_lines,
            run_log_totals.c.dropped_bytes,
        )
        .where(run_log_totals.c.run_pk == run_pk)
        .with_for_update()
    )
    row = conn.execute(query).first()
    if row is None:
        zero = {
            "run_pk": run_pk,
            "project_id": project_id,
            "lines": 0,
            "bytes": 0,
            "dropped_lines": 0,
            "dropped_bytes": 0,
        }
        backend_of(conn).bulk_insert_new(conn, run_log_totals, [zero], key="run_pk")
        row = conn.execute(query).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def append(
    conn: Connection,
    project_id: str,
    run_pk: int,
    lines: Sequence[LogLine],
    cap: LogCap,
    now: datetime,
) -> tuple[int, int]:
    """Append ``lines`` to the run's log in order, as far as its cap allows; how many
    were kept and how many dropped. Once a line does not fit, it and every later line
    are dropped and counted, and a last line (kept up to date) says how many."""
    kept, size, dropped_lines, dropped_bytes = _totals(conn, project_id, run_pk)
    was_capped = dropped_lines > 0
    rows = []
    dropped = 0
    for line in lines:
        if dropped_lines or kept + 1 > cap.max_lines or size + line.size > cap.max_bytes:
            dropped_lines += 1
            dropped_bytes += line.size
            dropped += 1
            continue
        kept += 1
        size += line.size
        rows.append(
            {
                "run_pk": run_pk,
                "seq": kept,
                "project_id": project_id,
                "ts": line.ts,
                "level": line.level.value,
                "step": line.step,
                "message": line.message,
            }
        )
    backend_of(conn).bulk_insert(conn, run_logs, rows)
    if dropped:
        marker = (
            f"runyard: this run's log reached its limit ({cap.max_lines:,} lines or "
            f"{cap.max_bytes:,} bytes); {dropped_lines:,} later lines ({dropped_bytes:,} "
            "bytes) were dropped"
        )
        if was_capped:
            conn.execute(
                update(run_logs)
                .where(run_logs.c.run_pk == run_pk, run_logs.c.seq == kept + 1)
                .values(message=marker, ts=now)
            )
        else:
            marker_row = {
                "run_pk": run_pk,
                "seq": kept + 1,
                "project_id": project_id,
                "ts": now,
                "level": LogLevel.WARNING.value,
                "step": None,
                "message": marker,
            }
            backend_of(conn).bulk_insert(conn, run_logs, [marker_row])
    conn.execute(
        update(run_log_totals)
        .where(run_log_totals.c.run_pk == run_pk)
        .values(lines=kept, bytes=size, dropped_lines=dropped_lines, dropped_bytes=dropped_bytes)
    )
    if rows or dropped:
        signals.note(conn, signals.logged(run_pk))
    return len(rows), dropped


def page(conn: Connection, run_id: str, run_pk: int, after: int, limit: int) -> list[LogLine]:
    """Up to ``limit`` lines of the run's log after position ``after``, in order."""
    c = run_logs.c
    rows = conn.execute(
        select(c.seq, c.ts, c.level, c.step, c.message)
        .where(c.run_pk == run_pk, c.seq > after)
        .order_by(c.seq)
        .limit(limit)
    )
    return [
        LogLine(run_id, ts, LogLevel(level), message, step, seq)
        for seq, ts, level, step, message in rows
    ]


def tail(conn: Connection, run_id: str, run_pk: int, count: int) -> tuple[list[LogLine], int]:
    """The last ``count`` lines of the run's log, in order, and how many lines it has."""
    c = run_logs.c
    rows = conn.execute(
        select(c.seq, c.ts, c.level, c.step, c.message)
        .where(c.run_pk == run_pk)
        .order_by(c.seq.desc())
        .limit(count)
    ).all()
    lines = [
        LogLine(run_id, ts, LogLevel(level), message, step, seq)
        for seq, ts, level, step, message in reversed(rows)
    ]
    return lines, lines[-1].seq if lines else 0
