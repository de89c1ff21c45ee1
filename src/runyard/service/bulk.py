"""Bulk actions: cancel or retry every run a query matches, counted first if asked.

The walk is a keyset walk over the query narrowed to the statuses the action applies to
and to runs created before the action began, so the runs a retry creates are never
visited and no run is acted on twice. Each page of runs is acted on in one transaction,
each run through the same guarded change as a single action; a run that changed meanwhile
(finished, say) is counted as skipped.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from runyard.core.models import Role
from runyard.core.query import RunQuery
from runyard.core.statuses import RunStatus
from runyard.core.times import Clock
from runyard.service.access import Principal
from runyard.service.runs import RunService

BATCH = 500


class BulkAction(enum.StrEnum):
    CANCEL = "cancel"
    RETRY = "retry"

    @property
    def applies_to(self) -> tuple[RunStatus, ...]:
        if self is BulkAction.CANCEL:
            return tuple(s for s in RunStatus if not s.is_terminal and s is not RunStatus.CANCELING)
        return tuple(s for s in RunStatus if s.is_terminal)


@dataclass(frozen=True, slots=True)
class BulkResult:
    action: BulkAction
    matched: int
    applied: int = 0
    skipped: int = 0
    dry_run: bool = False


class BulkService:
    def __init__(self, runs: RunService, clock: Clock) -> None:
        self.runs, self.clock = runs, clock

    def scope(self, query: RunQuery, action: BulkAction) -> RunQuery | None:
        """The query's runs that ``action`` applies to now (None: it applies to none)."""
        wanted = query.statuses or action.applies_to
        statuses = tuple(s for s in wanted if s in action.applies_to)
        if not statuses:
            return None
        now = self.clock()
        before = min(query.created_before, now) if query.created_before else now
        return replace(query.filters_only(), statuses=statuses, created_before=before)

    def count(self, principal: Principal, query: RunQuery, action: BulkAction) -> BulkResult:
        principal.require(Role.WRITE)
        scoped = self.scope(query, action)
        # Exact: the operator decides on this number before acting on every match.
        matched = 0 if scoped is None else self.runs.count(scoped, exact=True).value
        return BulkResult(action, matched, dry_run=True)

    def apply(self, principal: Principal, query: RunQuery, action: BulkAction) -> BulkResult:
        principal.require(Role.WRITE)
        scoped = self.scope(query, action)
        if scoped is None:
            return BulkResult(action, 0)
        act = self.runs.cancel_many if action is BulkAction.CANCEL else self.runs.retry_many
        applied = skipped = 0
        page_query = replace(scoped, limit=BATCH)
        while True:  # a page at a time, each in one transaction
            page = self.runs.page(page_query)
            done = len(act(principal, [run.id for run in page.runs]))
            applied, skipped = applied + done, skipped + len(page.runs) - done
            if not page.has_more or page.last is None:
                break
            page_query = replace(page_query, after=page.last)
        return BulkResult(action, applied + skipped, applied, skipped)
