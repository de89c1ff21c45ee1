"""Executing runs on runyard's workers: claims, leases, steps, endings, upkeep.

A worker claims queued runs with a lease, renews it while it executes, records each step
before the next starts, and ends the run through the transition table. Every call takes
the worker's principal (its project) and its ``owner`` name, and every change is guarded
by the lease: a worker that lost its lease (it stalled past the expiry and the run was
requeued) can no longer write anything to the run (``LeaseLost``). The same calls serve a
worker in this process and a worker anywhere over the HTTP worker routes.

Retry policies and time-outs are read from the workflow's stored definition (what its
worker registered), so every worker of a workflow applies the same ones.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from runyard.core.errors import IllegalTransition, InvalidInput, LeaseLost, NotFound
from runyard.core.execution import CHILD_EVENT, Claim, Ended, Ending, Outcome
from runyard.core.lifecycle import transition
from runyard.core.models import Role, Run, Step
from runyard.core.retry import RetryPolicy, timeout_of
from runyard.core.statuses import RunStatus
from runyard.core.times import Clock
from runyard.core.waiting import Waiter
from runyard.service.access import Principal
from runyard.service.inputs import TriggerIn
from runyard.service.runs import RunService
from runyard.store import queue, run_rows, signals, workflow_rows
from runyard.store.database import Database, Tx
from runyard.store.queue import Execution, Live

log = logging.getLogger("runyard.execution")
S = RunStatus
HELD = (S.RUNNING, S.CANCELING)


@dataclass(frozen=True, slots=True)
class Upkept:
    """What one housekeeping pass did."""

    requeued: int = 0
    woken: int = 0
    timed_out: int = 0
    canceled: int = 0


class ExecutionService:
    def __init__(self, db: Database, clock: Clock, runs: RunService) -> None:
        self.db = db
        self.clock = clock
        self.runs = runs  # child runs are triggered through it

    # -- claims and leases -------------------------------------------------------------

    def claim(
        self,
        principal: Principal,
        owner: str,
        workflow_ids: Sequence[str],
        *,
        limit: int = 1,
        lease: timedelta,
        peek: bool = False,
    ) -> list[Claim]:
        """Start up to ``limit`` queued runs of these workflows under ``owner``'s lease.

        ``peek`` looks first in a read-only transaction, so that polling an empty queue
        takes no write lock; a worker that just found work skips it.
        """
        principal.require(Role.WORKER)
        project_id = principal.project_id
        if peek:
            with self.db.read() as conn:
                now = self.clock()
                if not queue.claimable(conn, project_id, workflow_ids, now, 1, lock=False):
                    return []
        with self.db.write() as conn:
            now = self.clock()
            found = queue.claimable(conn, project_id, workflow_ids, now, limit)
            timeouts = self._timeouts(conn, project_id, {live.run.workflow_id for live in found})
            plain: list[tuple[Live, Run]] = []  # no time-out to set: started in one statement
            started_runs: list[tuple[int, Run, datetime]] = []
            for live in found:
                started = transition(live.run, S.RUNNING, now)
                timeout = timeouts.get(live.run.workflow_id)
                deadline = live.execution.deadline_at
                if deadline is None and timeout is not None:
                    deadline = (started.started_at or now) + timeout
                    execution = Execution(owner, now + lease, deadline_at=deadline)
                    if not queue.save(conn, live, started, execution):
                        continue
                else:
                    plain.append((live, started))
                ready = max(
                    filter(None, (live.run.queued_at, live.execution.available_at)), default=now
                )
                started_runs.append((live.pk, started, ready))
            queue.start_claimed(conn, [live.pk for live, _ in plain], owner, now, now + lease)
            run_rows.record_status(conn, [(live.pk, started) for live, started in plain])
            steps = run_rows.load_steps_of(conn, [pk for pk, _, _ in started_runs])
            return [Claim(run, steps[pk], ready) for pk, run, ready in started_runs]

    def check_workflows(self, principal: Principal, workflow_ids: Sequence[str]) -> None:
        """``NotFound`` unless each id names a workflow of the project."""
        with self.db.read() as conn:
            found = workflow_rows.workflows_by_id(conn, principal.project_id, workflow_ids)
        missing = [w for w in workflow_ids if w not in found]
        if missing:
            raise NotFound(f"workflow {missing[0]} does not exist (register it first)")

    def watch_queue(self, principal: Principal) -> AbstractContextManager[Waiter]:
        """A waiter woken when runs of the project are queued through this process."""
        return self.db.signals.subscribe(signals.queued(principal.project_id))

    def _timeouts(
        self, conn: Tx, project_id: str, workflow_ids: Iterable[str]
    ) -> dict[str, timedelta]:
        found = workflow_rows.workflows_by_id(conn, project_id, sorted(workflow_ids))
        limits = {wid: timeout_of(w.definition) for wid, w in found.items()}
        return {wid: limit for wid, limit in limits.items() if limit is not None}

    def renew(
        self, principal: Principal, owner: str, run_ids: Sequence[str], lease: timedelta
    ) -> dict[str, RunStatus]:
        """Extend ``owner``'s leases; each run still held, with its current status."""
        principal.require(Role.WORKER)
        with self.db.write() as conn:
            held = queue.renew(conn, principal.project_id, owner, run_ids, self.clock() + lease)
        return {run_id: RunStatus(status) for run_id, status in held.items()}

    def _held(self, conn: Tx, principal: Principal, owner: str, run_id: str) -> Live:
        found = queue.held(conn, principal.project_id, owner, [run_id])
        if not found or found[0].run.status not in HELD:
            raise self._not_held(conn, principal, owner, run_id)
        return found[0]

    def _not_held(
        self, conn: Tx, principal: Principal, owner: str, run_id: str
    ) -> NotFound | LeaseLost:
        """Why ``owner`` may not write to the run: there is no such run in the project,
        or the worker's lease is gone (it expired, or the run was ended or moved on)."""
        found = run_rows.pks_and_statuses(conn, principal.project_id, [run_id])
        if run_id not in found:
            return NotFound(f"run {run_id} does not exist")
        status = found[run_id][1]
        return LeaseLost(f"run {run_id} is {status}, not held by worker {owner!r}: drop it")

    # -- during a run ------------------------------------------------------------------

    def record(
        self,
        principal: Principal,
        owner: str,
        run_id: str,
        steps: Sequence[Step],
        progress: int | None = None,
    ) -> RunStatus:
        """Record steps (and progress) of a run ``owner`` holds; returns the run's status,
        so the worker learns of a cancel at once."""
        principal.require(Role.WORKER)
        with self.db.write() as conn:
            live = self._held(conn, principal, owner, run_id)
            run_rows.upsert_steps(conn, principal.project_id, [(live.pk, s) for s in steps])
            if progress is not None and progress != live.run.progress:
                moved = replace(live.run, progress=progress, modified_at=self.clock())
                self._save(conn, live, moved, live.execution)
            return live.run.status

    def suspend(
        self,
        principal: Principal,
        owner: str,
        run_id: str,
        steps: Sequence[Step] = (),
        *,
        until: datetime | None = None,
        event: str | None = None,
    ) -> None:
        """Park a run as ``waiting`` without a worker: until a time, or until an event."""
        principal.require(Role.WORKER)
        if (until is None) == (event is None):
            raise InvalidInput("a run waits either until a time or for an event")
        with self.db.write() as conn:
            live = self._held(conn, principal, owner, run_id)
            run_rows.upsert_steps(conn, principal.project_id, [(live.pk, s) for s in steps])
            waiting = transition(live.run, S.WAITING, self.clock())
            execution = Execution(
                available_at=until, waiting_for=event, deadline_at=live.execution.deadline_at
            )
            self._save(conn, live, waiting, execution)
            if event is not None and event.startswith(CHILD_EVENT):
                child = run_rows.run_pk_and_record(
                    conn, live.run.project_id, event[len(CHILD_EVENT) :]
                )
                if child is not None and child[1].status.is_terminal:
                    self._wake(conn, live.run.project_id, event, None)

    def start_child(
        self,
        principal: Principal,
        owner: str,
        parent_id: str,
        workflow: str,
        data: dict[str, Any],
        key: str,
        steps: Sequence[Step] = (),
    ) -> Run:
        """Queue a child run of a run ``owner`` holds. ``key`` makes the start idempotent:
        a parent that starts the same child again (after a crash) gets the first one."""
        principal.require(Role.WORKER)
        with self.db.write() as conn:
            live = self._held(conn, principal, owner, parent_id)  # (a run id, if held)
            body = TriggerIn(input=data, parent_run_id=UUID(live.run.id))
            run_rows.upsert_steps(conn, principal.project_id, [(live.pk, s) for s in steps])
            made = self.runs.create_in(conn, principal, workflow, body, key)
        return made[0] if isinstance(made, tuple) else made

    def child(self, principal: Principal, parent_id: str, child_id: str) -> Run:
        """A child run of ``parent_id`` (its status and result), for the parent's worker."""
        principal.require(Role.WORKER)
        with self.db.read() as conn:
            found = run_rows.run_pk_and_record(conn, principal.project_id, child_id)
        if found is None or found[1].parent_run_id != parent_id:
            raise NotFound(f"run {parent_id} has no child run {child_id}")
        return found[1]

    # -- how a worker's part ends ------------------------------------------------------

    def finish(self, principal: Principal, owner: str, endings: Sequence[Ending]) -> list[Ended]:
        """End several runs in one transaction (one commit for a worker's batch): each
        ending's steps are recorded, then the run moves on through the transition table.
        A run ``owner`` no longer holds is left alone (its ``Ended`` says ``LeaseLost``)."""
        principal.require(Role.WORKER)
        project_id = principal.project_id
        with self.db.write() as conn:
            now = self.clock()
            ids = [e.run_id for e in endings]
            held = {live.run.id: live for live in queue.held(conn, project_id, owner, ids)}
            run_rows.upsert_steps(
                conn,
                project_id,
                [(held[e.run_id].pk, s) for e in endings if e.run_id in held for s in e.steps],
            )
            policies = self._policies(conn, project_id, endings, held)
            done: list[Ended] = []
            changed: list[tuple[int, Run]] = []
            for ending in endings:
                live = held.pop(ending.run_id, None)  # a run named twice ends once
                if live is None or (
                    live.run.status not in HELD and ending.outcome is not Outcome.RELEASED
                ):
                    refused = self._not_held(conn, principal, owner, ending.run_id)
                    done.append(Ended(ending.run_id, None, refused))
                    continue
                try:
                    run, execution = _after(live, ending, now, policies.get(live.run.workflow_id))
                except IllegalTransition as exc:
                    done.append(Ended(ending.run_id, None, exc))
                    continue
                if not queue.save(conn, live, run, execution, record=False):
                    done.append(Ended(ending.run_id, None, LeaseLost("the run changed")))
                    continue
                if run.status is not live.run.status:
                    changed.append((live.pk, run))
                if run.status.is_terminal and run.parent_run_id is not None:
                    self._wake(conn, project_id, CHILD_EVENT + run.id, None)
                done.append(Ended(ending.run_id, run.status))
            run_rows.record_status(conn, changed)
        return done

    def _policies(
        self, conn: Tx, project_id: str, endings: Sequence[Ending], held: dict[str, Live]
    ) -> dict[str, RetryPolicy]:
        failing = {
            held[e.run_id].run.workflow_id
            for e in endings
            if e.outcome is Outcome.FAILED and e.run_id in held
        }
        found = workflow_rows.workflows_by_id(conn, project_id, sorted(failing))
        return {wid: RetryPolicy.from_definition(w.definition) for wid, w in found.items()}

    def _save(self, conn: Tx, live: Live, run: Run, execution: Execution) -> None:
        if not queue.save(conn, live, run, execution):
            raise LeaseLost(f"run {run.id} changed under its worker")

    # -- events -------------------------------------------------------------------------

    def publish(self, principal: Principal, key: str, payload: Any) -> int:
        """Deliver event ``key``: each run waiting for it is queued again; returns how many."""
        principal.require(Role.WRITE)
        with self.db.write() as conn:
            return self._wake(conn, principal.project_id, key, payload)

    def _wake(self, conn: Tx, project_id: str, key: str, payload: Any) -> int:
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
                run_rows.upsert_steps(conn, project_id, [(live.pk, delivered)])
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

    def _finished(self, conn: Tx, live: Live, run: Run) -> None:
        self._save(conn, live, run, Execution())
        if run.parent_run_id is not None:
            self._wake(conn, run.project_id, CHILD_EVENT + run.id, None)


def _after(
    live: Live, ending: Ending, now: datetime, policy: RetryPolicy | None
) -> tuple[Run, Execution]:
    """The run and its execution columns after ``ending`` (``IllegalTransition`` if the
    transition table refuses)."""
    run, kept = live.run, Execution(deadline_at=live.execution.deadline_at)
    canceling = run.status is S.CANCELING
    match ending.outcome:
        case Outcome.COMPLETED:
            target = S.CANCELED if canceling else S.COMPLETED
            ended = transition(
                run, target, now, result=ending.result, error=None, failure_reason=None
            )
            return ended, Execution()
        case Outcome.FAILED:
            error = ending.error or "the run failed"
            policy = policy or RetryPolicy()
            if not canceling and ending.retryable and policy.allows_another(run.attempt):
                again = transition(run, S.QUEUED, now, error=error)
                return again, replace(kept, available_at=now + policy.delay(run.attempt))
            target = S.CANCELED if canceling else S.FAILED
            return transition(run, target, now, error=error, failure_reason=error), Execution()
        case Outcome.CANCELED:
            return transition(run, S.CANCELED, now), Execution()
        case Outcome.RELEASED:
            return run, replace(live.execution, lease_owner=None, lease_expires_at=None)
        case Outcome.REQUEUED:
            if canceling:
                return transition(run, S.CANCELED, now), Execution()
            return transition(run, S.QUEUED, now), kept
