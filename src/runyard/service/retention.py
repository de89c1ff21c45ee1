"""Retention: prune runs older than a cutoff, in batches, without stalling anyone.

Each batch is its own short transaction (1,000 runs and what they own on PostgreSQL, 200
on SQLite, whose writers queue for one lock), followed by a pause as long as the batch
took, so that requests and workers waiting to write get their turn during a long prune.
``runyard runs prune`` repeats the API call until nothing is left; ``RUNYARD_RETENTION``
prunes continuously from every process's housekeeping, one batch per project per pass.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from runyard.core.models import Role
from runyard.core.times import Clock
from runyard.service.access import Principal
from runyard.store import retention, tenancy
from runyard.store.database import Database

LIMIT = 10_000
MAX_PAUSE = 1.0


@dataclass(frozen=True, slots=True)
class Pruned:
    cutoff: datetime
    deleted: int
    more: bool  # runs older than the cutoff remain (the limit was reached)
    matched: int | None = None  # a dry run's count


class RetentionService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def count(self, principal: Principal, older_than: timedelta) -> Pruned:
        """How many ended runs of the project are older than ``older_than`` (a dry run)."""
        principal.require(Role.ADMIN)
        cutoff = self.clock() - older_than
        with self.db.read() as conn:
            n = retention.count_prunable(conn, principal.project_id, cutoff)
        return Pruned(cutoff, 0, n > 0, matched=n)

    def prune(self, principal: Principal, older_than: timedelta, limit: int = LIMIT) -> Pruned:
        """Delete up to ``limit`` of the project's ended runs older than ``older_than``."""
        principal.require(Role.ADMIN)
        cutoff = self.clock() - older_than
        size = self.db.backend.prune_batch
        deleted = 0
        while deleted < limit:
            started = time.monotonic()
            n = self._batch(principal.project_id, cutoff, min(size, limit - deleted))
            deleted += n
            if n == 0:
                return Pruned(cutoff, deleted, False)
            time.sleep(min(time.monotonic() - started, MAX_PAUSE))  # others' turn to write
        with self.db.read() as conn:
            more = bool(retention.prunable(conn, principal.project_id, cutoff, 1))
        return Pruned(cutoff, deleted, more)

    def prune_due(self, keep: timedelta, batch: int = 200) -> int:
        """One pass of continuous retention: a batch per project (housekeeping, which
        pauses a second between passes)."""
        cutoff = self.clock() - keep
        with self.db.read() as conn:
            project_ids = [p.id for p in tenancy.list_projects(conn)]
        return sum(self._batch(project_id, cutoff, batch) for project_id in project_ids)

    def _batch(self, project_id: str, cutoff: datetime, size: int) -> int:
        with self.db.read() as conn:  # a look first: no write lock when nothing is due
            if not retention.prunable(conn, project_id, cutoff, 1):
                return 0
        with self.db.write() as conn:
            found = retention.prunable(conn, project_id, cutoff, size)
            return retention.delete_runs(conn, project_id, found)
