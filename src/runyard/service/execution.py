"""Executing runs on runyard's own workers: claims, leases, steps, outcomes, upkeep.

A worker claims queued runs with a lease, renews it while it executes, records each step
before the next starts, and ends the run through the transition table. Every change here
is guarded by the lease: a worker that lost its lease (it stalled past the expiry and the
run was requeued) can no longer write anything to the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from runyard.core.errors import Conflict
from runyard.core.lifecycle import transition
from runyard.core.models import Run, Step
from runyard.core.retry import RetryPolicy
from runyard.core.statuses import RunStatus
from runyard.core.times import Clock
from runyard.service.access import Principal
from runyard.service.metrics import Metrics
from runyard.store import queue, run_rows
from runyard.store.database import Database
from runyard.store.queue import Execution, Live

log = logging.getLogger("runyard.execution")
S = RunStatus
CHILD_EVENT = "run:"  # a parent waits for event "run:<child id>"


class LeaseLost(Conflict):
    """The worker no longer holds this run (its lease expired and the run moved on)."""

    code = "lease_lost"


@dataclass(frozen=True, slots=True)
class Claim:
    run: Run
    steps: tuple[Step, ...]
    pk: int = 0


@dataclass(frozen=True, slots=True)
class Upkept:
    """What one housekeeping pass did."""

    requeued: int = 0
    woken: int = 0
    timed_out: int = 0
    canceled: int = 0


class ExecutionService:
    def __init__(self, db: Database, clock: Clock, metrics: Metrics | None = None) -> None:
        self.db = db
        self.clock = clock
        self.metrics = metrics or Metrics()

    # -- claims and leases -------------------------------------------------------------

    def claim(
        self,
        project_id: str,
        workflow_ids: Sequence[str],
        owner: str,
        *,
        limit: int = 1,
        lease: timedelta,
        timeouts: dict[str, timedelta] | None = None,
        peek: bool = False,
    ) -> list[Claim]:
        """Start up to ``limit`` queued runs of these workflows under ``owner``'s lease.

        ``peek`` looks first in a read-only transaction, so that polling an empty queue
        takes no write lock; a worker that just found work skips it.
        """
        if peek:
            with self.db.read() as conn:
                now = self.clock()
                if not queue.claimable(conn, project_id, workflow_ids, now, 1, lock=False):
                    return []
        started_runs: list[tuple[int, Run]] = []
        with self.db.write() as conn:
            now = self.clock()
            plain: list[tuple[Live, Run]] = []  # no time-out to set: started in one statement
            for live in queue.claimable(conn, project_id, workflow_ids, now, limit):
                started = transition(live.run, S.RUNNING, now)
                timeout = (timeouts or {}).get(live.run.workflow_id)
                deadline = live.execution.deadline_at
                if deadline is None and timeout is not None:
                    deadline = (started.started_at or now) + timeout
                    execution = Execution(owner, now + lease, deadline_at=deadline)
                    if not queue.save(conn, live, started, execution):
                        continue
                else:
                    plain.append((live, started))
                started_runs.append((live.pk, started))
                ready = max(filter(None, (live.run.queued_at, live.execution.available_at)),
                            default=now)  # fmt: skip
                self.metrics.claim_latency.observe((now - ready).total_seconds())
            queue.start_claimed(conn, [live.pk for live, _ in plain], owner, now, now + lease)
            run_rows.record_status(conn, [(live.pk, started) for live, started in plain])
            steps = run_rows.load_steps_of(conn, [pk for pk, _ in started_runs])
        return [Claim(run, steps[pk], pk) for pk, run in started_runs]

    def renew(self, owner: str, run_ids: Sequence[str], lease: timedelta) -> dict[str, RunStatus]:
        """Extend ``owner``'s leases; each run still held, with its current status."""
        with self.db.write() as conn:
            held = queue.renew(conn, owner, run_ids, self.clock() + lease)
        return {run_id: RunStatus(status) for run_id, status in held.items()}

    def _held(self, conn: Connection, owner: str, run_id: str) -> Live:
        found = queue.held(conn, owner, [run_id])
        if not found or found[0].run.status not in (S.RUNNING, S.CANCELING):
            raise LeaseLost(f"run {run_id} is no longer held by {owner}")
        return found[0]

    def _end(self, conn: Connection, live: Live, run: Run, execution: Execution) -> Run:
        if not queue.save(conn, live, run, execution):
            raise LeaseLost(f"run {run.id} changed under its worker")
        return run

    # -- during a run ------------------------------------------------------------------

    def record_step(self, owner: str, run_id: str, step: Step) -> None:
        with self.db.write() as conn:
            live = self._held(conn, owner, run_id)
            run_rows.upsert_step(conn, live.pk, live.run.project_id, step)

    def progress(self, owner: str, run_id: str, percent: int) -> None:
        with self.db.write() as conn:
            live = self._held(conn, owner, run_id)
            updated = replace(live.run, progress=percent, modified_at=self.clock())
            self._end(conn, live, updated, live.execution)

    def start_child(self, owner: str, parent_id: str, start: Callable[[], Run]) -> Run:
        """Start a child run (``start`` triggers it) while ``owner`` still holds the parent."""
        with self.db.read() as conn:
            self._held(conn, owner, parent_id)
        return start()

    # -- how a run ends (or pauses its execution) --------------------------------------

    def complete_many(self, owner: str, done: Sequence[tuple[Claim, Any]]) -> list[int]:
        """Complete several runs in one transaction (one commit for all), each with one
        guarded ``UPDATE``; returns the positions of those that need ``complete`` instead
        (the run changed meanwhile, or it has a parent to wake)."""
        misses = []
        with self.db.write() as conn:
            now = self.clock()
            ended_here = []
            for index, (claim, result) in enumerate(done):
                if claim.run.parent_run_id is not None:
                    misses.append(index)
                    continue
                ended = transition(claim.run, S.COMPLETED, now, result=result, error=None,
                                   failure_reason=None)  # fmt: skip
                if queue.save_held(conn, claim.pk, owner, S.RUNNING, ended, record=False):
                    ended_here.append((claim.pk, ended))
                    self.metrics.runs_finished.labels(ended.status.value).inc()
                else:
                    misses.append(index)
            run_rows.record_status(conn, ended_here)
        return misses

    def complete(self, owner: str, run_id: str, result: Any) -> Run:
        """End a run as completed (or canceled, if a cancel came in meanwhile), reading
        and locking it first (``complete_many`` is the fast path for plain runs)."""
        with self.db.write() as conn:
            live = self._held(conn, owner, run_id)
            target = S.CANCELED if live.run.status is S.CANCELING else S.COMPLETED
            done = transition(live.run, target, self.clock(), result=result, error=None,
                              failure_reason=None)  # fmt: skip
            return self._finished(conn, live, done)

    def fail(
        self, owner: str, run_id: str, error: str, policy: RetryPolicy, *, retryable: bool = True
    ) -> Run:
        """A failed attempt: queued again after a back-off while the policy allows, else failed."""
        with self.db.write() as conn:
            live = self._held(conn, owner, run_id)
            now = self.clock()
            run = live.run
            if run.status is S.RUNNING and retryable and policy.allows_another(run.attempt):
                again = transition(run, S.QUEUED, now, error=error)
                available = now + policy.delay(run.attempt)
                execution = Execution(
                    available_at=available, deadline_at=live.execution.deadline_at
                )
                return self._end(conn, live, again, execution)
            target = S.CANCELED if run.status is S.CANCELING else S.FAILED
            failed = transition(run, target, now, error=error, failure_reason=error)
            return self._finished(conn, live, failed)

    def canceled(self, owner: str, run_id: str) -> Run:
        """The worker saw ``canceling`` at a step boundary and stopped."""
        with self.db.write() as conn:
            live = self._held(conn, owner, run_id)
            return self._finished(conn, live, transition(live.run, S.CANCELED, self.clock()))

    def release(self, owner: str, run_id: str) -> None:
        """Let go of a run that was paused or terminated under the worker: it stays as it is."""
        with self.db.write() as conn:
            for live in queue.held(conn, owner, [run_id]):
                queue.save(conn, live, live.run, replace(live.execution, lease_owner=None,
                                                         lease_expires_at=None))  # fmt: skip

    def requeue(self, owner: str, run_id: str) -> None:
        """Hand a run back (the worker is shutting down): queued again, attempt + 1."""
        with self.db.write() as conn:
            for live in queue.held(conn, owner, [run_id]):
                if live.run.status is S.RUNNING:
                    again = transition(live.run, S.QUEUED, self.clock())
                    keep = Execution(deadline_at=live.execution.deadline_at)
                    queue.save(conn, live, again, keep)

    def suspend(
        self, owner: str, run_id: str, *, until: datetime | None = None, event: str | None = None
    ) -> None:
        """Park a run as ``waiting`` without a worker: until a time, or until an event."""
        with self.db.write() as conn:
            live = self._held(conn, owner, run_id)
            waiting = transition(live.run, S.WAITING, self.clock())
            execution = Execution(available_at=until, waiting_for=event,
                                  deadline_at=live.execution.deadline_at)  # fmt: skip
            self._end(conn, live, waiting, execution)
            if event is not None and event.startswith(CHILD_EVENT):
                child = run_rows.run_pk_and_record(
                    conn, live.run.project_id, event[len(CHILD_EVENT) :]
                )
                if child is not None and child[1].status.is_terminal:
                    self._wake(conn, live.run.project_id, event, None)

    def _finished(self, conn: Connection, live: Live, run: Run) -> Run:
        self._end(conn, live, run, Execution())
        self.metrics.runs_finished.labels(run.status.value).inc()
        if run.parent_run_id is not None:
            self._wake(conn, run.project_id, CHILD_EVENT + run.id, None)
        return run

    # -- events -------------------------------------------------------------------------

    def publish(self, principal: Principal, key: str, payload: Any) -> int:
        """Deliver event ``key``: each run waiting for it is queued again; returns how many."""
        with self.db.write() as conn:
            return self._wake(conn, principal.project_id, key, payload)

    def _wake(self, conn: Connection, project_id: str, key: str, payload: Any) -> int:
        now = self.clock()
        woken = 0
        for live in queue.waiting_for(conn, project_id, key):
            steps = run_rows.load_steps(conn, live.pk)
            pending = [s for s in steps if s.status is S.WAITING]
            if pending:
                step = pending[-1]
                output = {
                    **(step.output if isinstance(step.output, dict) else {}),
                    "event": payload,
                }
                delivered = replace(step, status=S.COMPLETED, output=output, finished_at=now)
                run_rows.upsert_step(conn, live.pk, project_id, delivered)
            again = transition(live.run, S.QUEUED, now)
            woken += queue.save(
                conn, live, again, Execution(deadline_at=live.execution.deadline_at)
            )
        return woken

    # -- upkeep --------------------------------------------------------------------------

    def housekeeping(self, batch: int = 100) -> Upkept:
        """One pass: requeue runs whose worker vanished, wake sleepers, time runs out."""
        with self.db.write() as conn:
            now = self.clock()
            requeued = canceled = 0
            for live in queue.expired_leases(conn, now, batch):
                if live.run.status is S.CANCELING:
                    self._finished(conn, live, transition(live.run, S.CANCELED, now))
                    canceled += 1
                else:
                    again = transition(live.run, S.QUEUED, now)
                    queue.save(conn, live, again, Execution(deadline_at=live.execution.deadline_at))
                    requeued += 1
            woken = 0
            for live in queue.due_wakeups(conn, now, batch):
                again = transition(live.run, S.QUEUED, now)
                keep = Execution(deadline_at=live.execution.deadline_at)
                woken += queue.save(conn, live, again, keep)
            timed_out = 0
            for live in queue.past_deadline(conn, now, batch):
                error = "the run exceeded its workflow's time-out"
                ended = transition(live.run, S.TIMED_OUT, now, error=error, failure_reason=error)
                self._finished(conn, live, ended)
                timed_out += 1
            for live in queue.parked_canceling(conn, batch):
                self._finished(conn, live, transition(live.run, S.CANCELED, now))
                canceled += 1
        return Upkept(requeued, woken, timed_out, canceled)
