"""The worker: registers an ``App``'s workflows, then claims and executes their runs.

Threads: ``concurrency`` executors (each claims one run at a time), a heartbeat that
renews the leases of the runs being executed and learns of cancels, pauses and
terminations, and (optionally) housekeeping that requeues runs of vanished workers,
wakes sleepers and times runs out. Any number of workers, in any number of processes on
any number of machines, can share one database.
"""

from __future__ import annotations

import inspect
import logging
import os
import queue
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import orjson

from runyard.core.errors import Unavailable
from runyard.core.models import Role, Run
from runyard.core.retry import RetryPolicy
from runyard.core.times import Clock, utcnow
from runyard.service.access import Principal
from runyard.service.callbacks import CallbackService
from runyard.service.execution import Claim, ExecutionService, LeaseLost
from runyard.service.inputs import TriggerIn, WorkflowIn
from runyard.service.metrics import Metrics
from runyard.service.retention import RetentionService
from runyard.service.runs import RunService
from runyard.service.schedules import ScheduleService
from runyard.service.workflows import WorkflowService
from runyard.store.database import Database
from runyard.worker.context import Canceled, Context, Control, Stopped, Suspended, describe
from runyard.worker.sdk import App, WorkflowDef, WorkflowError

log = logging.getLogger("runyard.worker")


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(
        self,
        db: Database,
        app: App,
        *,
        project_id: str,
        concurrency: int = 4,
        lease: timedelta = timedelta(seconds=30),
        poll_seconds: float = 0.05,
        housekeeping: bool = True,
        clock: Clock = utcnow,
        metrics: Metrics | None = None,
        retention: timedelta | None = None,
    ) -> None:
        self.app = app
        self.keep = retention
        self.concurrency = concurrency
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.housekeeping = housekeeping
        self.clock = clock
        self.owner = owner_name()
        self.principal = Principal(project_id, Role.ADMIN)
        self.execution = ExecutionService(db, clock, metrics)
        self.runs = RunService(db, clock)
        self.workflows = WorkflowService(db, clock)
        self.schedules = ScheduleService(db, clock, self.runs)
        self.callbacks = CallbackService(db, clock)
        self.retention = RetentionService(db, clock)
        self.by_id: dict[str, WorkflowDef] = {}
        # Each workflow function's parameters after ``ctx``, read once at registration.
        self._parameters: dict[str, list[inspect.Parameter]] = {}
        self.active: dict[str, Control] = {}
        self._active_lock = threading.Lock()
        self._stopping = threading.Event()  # stop claiming
        self._halt = threading.Event()  # stop everything
        self._completions: queue.Queue[tuple[Claim, Any]] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._slots = threading.BoundedSemaphore(max(concurrency, 1))
        self._pool: ThreadPoolExecutor | None = None

    # -- life cycle ------------------------------------------------------------------------

    def register(self) -> None:
        """Create each workflow, or a new version of it where its code's shape changed."""
        for definition in self.app:
            body = WorkflowIn.model_validate(definition.registration())
            workflow, _ = self.workflows.create_or_version(self.principal, body)
            self.by_id[workflow.id] = definition
            signature = inspect.signature(definition.fn)
            self._parameters[workflow.id] = list(signature.parameters.values())[1:]

    def start(self) -> None:
        self.register()
        loops = [self._heartbeat_loop, self._complete_loop]
        if self.concurrency and self.by_id:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="runyard-run")
            loops.append(self._dispatch_loop)
        if self.housekeeping:
            loops.append(self._housekeeping_loop)
        for index, loop in enumerate(loops):
            thread = threading.Thread(target=loop, name=f"runyard-worker-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        names = ", ".join(d.name for d in self.app)
        log.info("worker %s executing %s (concurrency %d)", self.owner, names, self.concurrency)

    def stop(self, grace_seconds: float = 30.0) -> None:
        """Stop claiming; let runs in progress finish for ``grace_seconds``, then hand the
        rest back to the queue (they resume after their last recorded step)."""
        self._stopping.set()  # no more claims; heartbeats go on while runs finish
        deadline = time.monotonic() + grace_seconds
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        while time.monotonic() < deadline:
            with self._active_lock:
                if not self.active:
                    break
            time.sleep(0.05)
        with self._active_lock:
            unfinished = list(self.active)
        for run_id in unfinished:
            self.execution.requeue(self.owner, run_id)
        self._halt.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.callbacks.close()

    def run_until_signalled(self) -> None:
        """Start, and stop gracefully on SIGTERM or SIGINT (Ctrl-C)."""
        done = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: done.set())
        self.start()
        done.wait()
        log.info("worker %s stopping", self.owner)
        self.stop()

    # -- loops ---------------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        """Claim as many runs as there are free threads, in one transaction, and hand them
        to the pool; wait for a free thread or, when the queue is empty, ``poll_seconds``."""
        timeouts = {
            wid: timedelta(seconds=d.timeout_seconds)
            for wid, d in self.by_id.items()
            if d.timeout_seconds
        }
        pool = self._pool
        assert pool is not None, "start() makes the pool before the dispatcher"
        found_work = False
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=self.poll_seconds):
                continue
            free = 1
            while free < self.concurrency and self._slots.acquire(blocking=False):
                free += 1
            try:
                claims = self.execution.claim(
                    self.principal.project_id, list(self.by_id), self.owner, limit=free,
                    lease=self.lease, timeouts=timeouts, peek=not found_work,
                )  # fmt: skip
            except Unavailable as exc:
                log.warning("claiming runs: %s", exc.detail)
                claims = []
            except Exception:
                log.exception("claiming runs failed; retrying")
                claims = []
            for _ in range(free - len(claims)):
                self._slots.release()
            found_work = bool(claims)
            for claim in claims:
                control = Control()
                with self._active_lock:  # held from now on: renewed, and requeued on stop
                    self.active[claim.run.id] = control
                pool.submit(self._run_in_slot, claim, control)
            if not claims:
                self._stopping.wait(self.poll_seconds)

    def _run_in_slot(self, claim: Claim, control: Control) -> None:
        try:
            self._execute(claim, control)
        finally:
            self._slots.release()

    def _heartbeat_loop(self) -> None:
        interval = self.lease.total_seconds() / 3
        while not self._halt.wait(interval):
            self.beat()

    def beat(self) -> None:
        """Renew the leases of the runs being executed; tell each what its status is."""
        with self._active_lock:
            active = dict(self.active)
        if not active:
            return
        try:
            statuses = self.execution.renew(self.owner, list(active), self.lease)
        except Unavailable as exc:
            log.warning("renewing leases: %s", exc.detail)
            return
        except Exception:
            log.exception("renewing leases failed; retrying")
            return
        for run_id, control in active.items():
            control.update(statuses.get(run_id))

    def _housekeeping_loop(self) -> None:
        while not self._halt.wait(1.0):
            try:
                self.execution.housekeeping()
                self.schedules.fire_due()
                self.callbacks.deliver_due()
                if self.keep is not None:
                    self.retention.prune_due(self.keep)
            except Unavailable as exc:  # the database is down or restarting: try again
                log.warning("housekeeping: %s", exc.detail)
            except Exception:
                log.exception("housekeeping failed; retrying")

    # -- one run -------------------------------------------------------------------------

    def _execute(self, claim: Claim, control: Control) -> None:
        definition = self.by_id[claim.run.workflow_id]
        run = replace(claim.run, workflow_name=definition.name)
        ctx = Context(
            run, claim.steps, owner=self.owner, execution=self.execution, control=control,
            clock=self.clock, get_run=lambda rid: self.runs.get(self.principal, rid),
            start_child=lambda name, data, key: self._start_child(run, name, data, key),
        )  # fmt: skip
        completing = False
        try:
            result = _jsonable(definition.fn(ctx, **self._arguments(run)))
            self._completions.put((claim, result))  # committed with others by the completer
            completing = True
        except Suspended:
            pass
        except Canceled:
            self.execution.canceled(self.owner, run.id)
        except Stopped:
            self.execution.release(self.owner, run.id)
        except LeaseLost as exc:
            log.warning("%s", exc.detail)
        except WorkflowError as exc:
            self._fail(ctx, definition, exc.error_code, exc.message, retryable=exc.retryable)
        except Exception as exc:
            self._fail(ctx, definition, "UNHANDLED_EXCEPTION", describe(exc), retryable=True)
        finally:
            if not completing:
                with self._active_lock:
                    self.active.pop(run.id, None)

    def _complete_loop(self) -> None:
        """Commit finished runs in groups: one transaction for all that finished meanwhile."""
        while True:
            try:
                first = self._completions.get(timeout=0.2)
            except queue.Empty:
                if self._halt.is_set():
                    return
                continue
            batch = [first]
            while len(batch) < 200:
                try:
                    batch.append(self._completions.get_nowait())
                except queue.Empty:
                    break
            self._complete(batch)

    def _complete(self, batch: list[tuple[Claim, Any]]) -> None:
        try:
            misses = set(self.execution.complete_many(self.owner, batch))
        except Exception:
            log.exception("completing %d runs together failed; completing one by one", len(batch))
            misses = set(range(len(batch)))
        for index, (claim, result) in enumerate(batch):
            try:
                if index in misses:
                    self.execution.complete(self.owner, claim.run.id, result)
            except LeaseLost as exc:
                log.warning("%s", exc.detail)
            except Exception:
                log.exception("completing run %s failed; its lease will expire", claim.run.id)
            finally:
                with self._active_lock:
                    self.active.pop(claim.run.id, None)

    def _fail(
        self, ctx: Context, definition: WorkflowDef, code: str, message: str, *, retryable: bool
    ) -> None:
        policy = RetryPolicy(definition.retries, definition.backoff_seconds)
        try:
            if not ctx.failed_in_step:
                ctx.record_failure(code, message)
            self.execution.fail(self.owner, ctx.run_id, message, policy, retryable=retryable)
        except LeaseLost as exc:
            log.warning("%s", exc.detail)

    def _arguments(self, run: Run) -> dict[str, Any]:
        parameters = self._parameters[run.workflow_id]
        if any(p.kind is p.VAR_KEYWORD for p in parameters):
            return dict(run.input)
        names = {p.name for p in parameters}
        missing = [p.name for p in parameters
                   if p.default is p.empty and p.name not in run.input
                   and p.kind is not p.VAR_POSITIONAL]  # fmt: skip
        if missing:
            raise WorkflowError(
                f"input lacks {', '.join(missing)}", "INVALID_INPUT", retryable=False
            )
        return {k: v for k, v in run.input.items() if k in names}

    def _start_child(self, parent: Run, workflow: str, data: dict[str, Any], key: str) -> Run:
        body = TriggerIn.model_validate({"input": data, "parent_run_id": parent.id})
        return self.execution.start_child(
            self.owner, parent.id, lambda: self.runs.trigger(self.principal, workflow, body, key)[0]
        )


def _jsonable(value: Any) -> Any:
    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError as exc:
        raise WorkflowError(f"the workflow's result is not JSON: {exc}", "INVALID_RESULT",
                            retryable=False) from None  # fmt: skip
