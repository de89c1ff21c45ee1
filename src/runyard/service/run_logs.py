"""Use cases for run logs: append lines (workers and executors), and read them."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from runyard.core.errors import NotFound, TooLarge
from runyard.core.logs import LogCap, LogLine
from runyard.core.models import Role
from runyard.core.statuses import RunStatus
from runyard.core.times import Clock
from runyard.core.waiting import Waiter
from runyard.service.access import Principal
from runyard.store import log_rows, run_rows, signals
from runyard.store.database import Database

MAX_BATCH_LINES = 1000  # lines one call may append (more: ``TooLarge``)


@dataclass(frozen=True, slots=True)
class Appended:
    accepted: int
    dropped: int  # past their run's cap
    unknown_runs: tuple[str, ...] = ()  # lines of runs the project does not have


@dataclass(frozen=True, slots=True)
class LogPage:
    lines: list[LogLine]
    has_more: bool  # more lines are stored past this page now
    run_status: RunStatus  # an ended run's log gets no more lines from its workers


class LogService:
    def __init__(self, db: Database, clock: Clock, cap: LogCap | None = None) -> None:
        self.db = db
        self.clock = clock
        self.cap = cap or LogCap()

    def append(
        self, principal: Principal, lines: Sequence[LogLine], *, run_id: str | None = None
    ) -> Appended:
        """Append lines to their runs' logs (each run's in the order given). With
        ``run_id``, the lines are that run's, and it must exist (``NotFound``)."""
        principal.require(Role.WORKER)  # a worker's, or an executor's with a write key
        if len(lines) > MAX_BATCH_LINES:
            raise TooLarge(
                f"{len(lines):,} log lines in one request; send at most {MAX_BATCH_LINES:,}"
            )
        by_run: dict[str, list[LogLine]] = {}
        for line in lines:
            by_run.setdefault(line.run_id, []).append(line)
        accepted = dropped = 0
        with self.db.write() as conn:
            wanted = [*by_run, *([run_id] if run_id else [])]
            found = run_rows.pks_and_statuses(conn, principal.project_id, wanted)
            if run_id is not None and (run_id not in found or set(by_run) - {run_id}):
                raise NotFound(f"run {run_id} does not exist")
            now = self.clock()
            for run_id, its_lines in by_run.items():
                if run_id in found:
                    kept, lost = log_rows.append(
                        conn, principal.project_id, found[run_id][0], its_lines, self.cap, now
                    )
                    accepted += kept
                    dropped += lost
        unknown = tuple(r for r in by_run if r not in found)
        return Appended(accepted, dropped, unknown)

    def page(self, principal: Principal, run_id: str, after: int = 0, limit: int = 200) -> LogPage:
        """Up to ``limit`` lines of the run's log after position ``after``."""
        with self.db.read() as conn:
            found = run_rows.pks_and_statuses(conn, principal.project_id, [run_id])
            if run_id not in found:
                raise NotFound(f"run {run_id} does not exist")
            pk, status = found[run_id]
            lines = log_rows.page(conn, run_id, pk, after, limit + 1)
        return LogPage(lines[:limit], len(lines) > limit, status)

    def tail(
        self, principal: Principal, run_id: str, count: int = 500
    ) -> tuple[list[LogLine], int]:
        """The last ``count`` lines of the run's log, and how many it has in all."""
        with self.db.read() as conn:
            found = run_rows.pks_and_statuses(conn, principal.project_id, [run_id])
            if run_id not in found:
                raise NotFound(f"run {run_id} does not exist")
            return log_rows.tail(conn, run_id, found[run_id][0], count)

    def watch(self, principal: Principal, run_id: str) -> AbstractContextManager[Waiter]:
        """A waiter woken when lines are appended to the run's log through this process
        (``NotFound`` if the project has no such run)."""
        with self.db.read() as conn:
            found = run_rows.pks_and_statuses(conn, principal.project_id, [run_id])
        if run_id not in found:
            raise NotFound(f"run {run_id} does not exist")
        return self.db.signals.subscribe(signals.logged(found[run_id][0]))
