"""The worker: registers an ``App``'s workflows, then claims and executes their runs.

One loop over any ``Transport`` (in-process over the database, or over HTTP holding only
a project key). Threads: a dispatcher that claims as many runs as there are free
executor threads, in one call that waits for work when there is none; the
``concurrency`` executors; a heartbeat that renews the leases of the runs being executed
and learns of cancels, pauses and terminations; a finisher that ends finished runs in
batches (one call for all that finished meanwhile); and a shipper that sends the runs'
logs, and step records that have waited a moment, in batches.
"""

from __future__ import annotations

import inspect
import logging
import queue
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import replace
from datetime import timedelta
from typing import Any

import orjson

from runyard.core.errors import LeaseLost, Unavailable
from runyard.core.execution import Claim, Ended, Ending, Outcome
from runyard.core.models import Run
from runyard.core.times import Clock, utcnow
from runyard.service.metrics import Metrics
from runyard.worker import logs
from runyard.worker.context import Canceled, Context, Stopped, Suspended, describe
from runyard.worker.links import Disconnected, RunLink
from runyard.worker.sdk import App, WorkflowDef, WorkflowError
from runyard.worker.transport import Transport

log = logging.getLogger("runyard.worker")

FINISH_BATCH = 200  # endings sent together at most
SHIP_EVERY = 0.2  # seconds between shipments of logs and of step records that waited
GATHER_SECONDS = 0.005  # a busy worker's wait for more free threads before it claims


class Worker:
    def __init__(
        self,
        transport: Transport,
        app: App,
        *,
        concurrency: int = 4,
        lease: timedelta = timedelta(seconds=30),
        claim_wait: float = 10.0,
        clock: Clock = utcnow,
        metrics: Metrics | None = None,
    ) -> None:
        self.transport = transport
        self.app = app
        self.concurrency = concurrency
        self.lease = lease
        self.claim_wait = claim_wait
        self.clock = clock
        self.metrics = metrics
        self.owner = transport.owner
        self.log_buffer = logs.LogBuffer(clock)
        self.by_id: dict[str, WorkflowDef] = {}
        # Each workflow function's parameters after ``ctx``, read once at registration.
        self._parameters: dict[str, list[inspect.Parameter]] = {}
        self.active: dict[str, RunLink] = {}
        self._active_lock = threading.Lock()
        self._stopping = threading.Event()  # stop claiming
        self._halt = threading.Event()  # stop everything
        self._endings: queue.Queue[Ending] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._dispatcher: threading.Thread | None = None
        self._slots = threading.BoundedSemaphore(max(concurrency, 1))
        self._shipping = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    # -- life cycle ------------------------------------------------------------------------

    def register(self) -> None:
        """Create each workflow, or a new version of it where its code's shape changed."""
        definitions = list(self.app)
        ids = self.transport.register([d.registration() for d in definitions])
        for workflow_id, definition in zip(ids, definitions, strict=True):
            self.by_id[workflow_id] = definition
            signature = inspect.signature(definition.fn)
            self._parameters[workflow_id] = list(signature.parameters.values())[1:]

    def start(self) -> None:
        self.register()
        logs.install()
        loops = [self._heartbeat_loop, self._finish_loop, self._ship_loop]
        if self.concurrency and self.by_id:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="runyard-run")
            loops.append(self._dispatch_loop)
        for index, loop in enumerate(loops):
            thread = threading.Thread(target=loop, name=f"runyard-worker-{index}", daemon=True)
            thread.start()
            if loop == self._dispatch_loop:
                self._dispatcher = thread
            else:
                self._threads.append(thread)
        names = ", ".join(d.name for d in self.app)
        log.info("worker %s executing %s (concurrency %d)", self.owner, names, self.concurrency)

    def stop(self, grace_seconds: float = 30.0) -> None:
        """Stop claiming; let runs in progress finish for ``grace_seconds``, then hand the
        rest back to the queue (they resume after their last recorded step)."""
        self._stopping.set()  # no more claims; heartbeats go on while runs finish
        self.transport.interrupt()
        deadline = time.monotonic() + grace_seconds
        if self._dispatcher is not None:
            self._dispatcher.join(timeout=max(grace_seconds, 1.0))
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        while time.monotonic() < deadline:
            with self._active_lock:
                if not self.active:
                    break
            time.sleep(0.05)
        with self._active_lock:
            unfinished = list(self.active.values())
        for link in unfinished:  # with the results its steps recorded meanwhile
            self._endings.put(Ending(link.run_id, Outcome.REQUEUED, steps=link.take_for_ending()))
        self._halt.set()
        for thread in self._threads:
            thread.join(timeout=15)
        logs.uninstall()
        self.transport.close()

    def run_until_signalled(self) -> None:
        """Start, and stop gracefully on SIGTERM or SIGINT (Ctrl-C). A signal while it is
        still starting (waiting for an unreachable server, say) ends it at once, with
        ``KeyboardInterrupt``: it holds no run yet."""
        done = threading.Event()
        started = False

        def stop(*_: object) -> None:
            if not started:
                raise KeyboardInterrupt
            done.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, stop)
        self.start()
        started = True
        done.wait()
        log.info("worker %s stopping", self.owner)
        self.stop()

    # -- loops ---------------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        """Claim as many runs as there are free threads, in one call that waits for work
        when there is none, and hand them to the pool."""
        pool = self._pool
        assert pool is not None, "start() makes the pool before the dispatcher"
        workflow_ids = list(self.by_id)
        busy = False  # the last claim took all it asked for: more work is likely queued
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=0.1):
                continue
            free = 1
            # Busy, wait a moment for more threads to come free, so as to claim for them
            # in the same call: fewer, fuller claims when runs are short.
            gather_until = time.monotonic() + (GATHER_SECONDS if busy else 0)
            while free < self.concurrency and self._slots.acquire(
                timeout=max(gather_until - time.monotonic(), 0)
            ):
                free += 1
            claims: list[Claim] = []
            sent_at = time.monotonic()
            try:
                claims = self.transport.claim(
                    workflow_ids,
                    limit=free,
                    lease=self.lease,
                    wait=self.claim_wait,
                    stop=self._stopping,
                )
                self.transport.outage.ended(sent_at)
            except Unavailable as exc:
                if not self._stopping.is_set():
                    self.transport.outage.failed(exc)
                    self._stopping.wait(1.0)
            except Exception:
                log.exception("claiming runs failed; retrying")
                self._stopping.wait(1.0)
            busy = len(claims) == free
            for _ in range(free - len(claims)):
                self._slots.release()
            for claim in claims:
                self._begin(pool, claim)

    def _begin(self, pool: ThreadPoolExecutor, claim: Claim) -> None:
        if self.metrics is not None:
            waited = (self.clock() - claim.ready_at).total_seconds()
            self.metrics.claim_latency.observe(max(waited, 0.0))
        link = RunLink(claim.run.id, self.transport)
        with self._active_lock:  # held from now on: renewed, and requeued on stop
            self.active[claim.run.id] = link
        try:
            pool.submit(self._run_in_slot, claim, link)
        except RuntimeError:  # the pool was shut down (stopping): stop() requeues it
            self._slots.release()

    def _run_in_slot(self, claim: Claim, link: RunLink) -> None:
        try:
            with logs.bound(self.log_buffer, claim.run.id):
                self._execute(claim, link)
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
        sent_at = time.monotonic()
        try:
            statuses = self.transport.renew(list(active), self.lease)
            self.transport.outage.ended(sent_at)
        except Unavailable as exc:
            self.transport.outage.failed(exc)
            return
        except Exception:
            log.exception("renewing leases failed; retrying")
            return
        for run_id, link in active.items():
            link.learn(statuses.get(run_id))

    def _finish_loop(self) -> None:
        """End finished runs in batches: one call for all that finished meanwhile."""
        while True:
            try:
                first = self._endings.get(timeout=0.2)
            except queue.Empty:
                if self._halt.is_set():
                    return
                continue
            batch = [first]
            while len(batch) < FINISH_BATCH:
                try:
                    batch.append(self._endings.get_nowait())
                except queue.Empty:
                    break
            self._finish(batch)

    def _finish(self, batch: list[Ending]) -> None:
        self._ship_logs()  # a run's log is whole by the time it ends
        results = self._send_endings(batch)
        for ended in results:
            if ended.status is None:
                reason = ended.refused.detail if ended.refused else "refused"
                log.warning("run %s was not ended here: %s", ended.run_id, reason)
            elif self.metrics is not None and ended.status.is_terminal:
                self.metrics.runs_finished.labels(ended.status.value).inc()
        with self._active_lock:
            for ending in batch:
                self.active.pop(ending.run_id, None)

    def _send_endings(self, batch: list[Ending]) -> list[Ended]:
        """What became of each ending, trying again while runyard is away (a few times
        only once the worker is halting); none if they could not be sent."""
        attempt = 0
        while True:
            attempt += 1
            sent_at = time.monotonic()
            try:
                results = self.transport.finish(batch)
                self.transport.outage.ended(sent_at)
                return results
            except Unavailable as exc:
                self.transport.outage.failed(exc)
                if self._halt.is_set() and attempt > 3:
                    log.warning("giving up ending %d runs: %s", len(batch), exc.detail)
                    return []
                self._halt.wait(min(0.2 * 2**attempt, 5.0))
            except Exception:
                log.exception("ending %d runs failed; their leases will expire", len(batch))
                return []

    def _ship_loop(self) -> None:
        """Ship log lines, and step records that waited ``SHIP_EVERY``; a last time once
        halted."""
        while True:
            halted = self._halt.wait(SHIP_EVERY)
            self._ship_logs()
            with self._active_lock:
                links = list(self.active.values())
            for link in links:
                if link.waited(SHIP_EVERY):
                    # A lost lease or an outage: the run's own thread finds out next call.
                    with suppress(LeaseLost, Disconnected):
                        link.flush(all_of_it=True)
            if halted:
                return

    def _ship_logs(self) -> None:
        with self._shipping:  # one shipment at a time: each run's lines stay in order
            self._ship_buffered()

    def _ship_buffered(self) -> None:
        while lines := self.log_buffer.take():
            try:
                self.transport.write_logs(lines)
            except Unavailable as exc:  # kept (bounded) for the next shipment
                self.log_buffer.put_back(lines)
                self.transport.outage.failed(exc)
                return
            except Exception as exc:  # refused: never sent again, or they would block the rest
                log.warning("%d log lines were refused: %s", len(lines), exc)

    # -- one run -------------------------------------------------------------------------

    def _execute(self, claim: Claim, link: RunLink) -> None:
        definition = self.by_id[claim.run.workflow_id]
        run = replace(claim.run, workflow_name=definition.name)
        ctx = Context(run, claim.steps, link=link, clock=self.clock, on_step=self._observe(run))
        ending: Ending | None = None
        try:
            result = _jsonable(definition.fn(ctx, **self._arguments(run)))
            ending = Ending(run.id, Outcome.COMPLETED, result=result)
        except Suspended:
            pass
        except Canceled:
            ending = Ending(run.id, Outcome.CANCELED)
        except Stopped:
            _, lost = link.seen()
            ending = None if lost else Ending(run.id, Outcome.RELEASED)
        except LeaseLost as exc:
            log.warning("%s", exc.detail)
        except Disconnected as exc:  # runyard is away: the lease expires, the run resumes
            log.warning("run %s: %s; it resumes once its lease expires", run.id, exc)
        except WorkflowError as exc:
            ending = self._failure(ctx, exc.error_code, exc.message, retryable=exc.retryable)
        except Exception as exc:
            ending = self._failure(ctx, "UNHANDLED_EXCEPTION", describe(exc), retryable=True)
        if ending is None:
            with self._active_lock:
                self.active.pop(run.id, None)
            return
        # Ended by the finisher, with the records still waiting in the run's outbox.
        self._endings.put(replace(ending, steps=link.take_for_ending()))

    def _failure(self, ctx: Context, code: str, message: str, *, retryable: bool) -> Ending:
        if not ctx.failed_in_step:
            ctx.record_failure(code, message)
        return Ending(ctx.run_id, Outcome.FAILED, error=message, retryable=retryable)

    def _observe(self, run: Run) -> Any:
        if self.metrics is None:
            return None
        duration = self.metrics.step_duration.labels(run.workflow_name or "")
        return lambda _name, seconds: duration.observe(seconds)

    def _arguments(self, run: Run) -> dict[str, Any]:
        parameters = self._parameters[run.workflow_id]
        if any(p.kind is p.VAR_KEYWORD for p in parameters):
            return dict(run.input)
        names = {p.name for p in parameters}
        missing = [
            p.name
            for p in parameters
            if p.default is p.empty and p.name not in run.input and p.kind is not p.VAR_POSITIONAL
        ]
        if missing:
            raise WorkflowError(
                f"input lacks {', '.join(missing)}", "INVALID_INPUT", retryable=False
            )
        return {k: v for k, v in run.input.items() if k in names}


def _jsonable(value: Any) -> Any:
    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError as exc:
        raise WorkflowError(
            f"the workflow's result is not JSON: {exc}", "INVALID_RESULT", retryable=False
        ) from None
