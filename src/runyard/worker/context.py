"""``Context``: what a workflow function uses to make its work durable.

Each call (a step, a sleep, an event wait, a child run) takes the next position in the
run's history. When a run resumes — after a crash, a retry, a sleep or an event — calls
that are already recorded as completed return their recorded result instead of running
again, so a workflow must make the same calls in the same order (code outside steps is
re-executed and should be deterministic).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import orjson

from runyard.core.models import Run, Step, StepError
from runyard.core.statuses import RunStatus
from runyard.core.times import Clock, parse_timestamp, to_rfc3339
from runyard.service.execution import CHILD_EVENT, ExecutionService
from runyard.worker.sdk import WorkflowError

S = RunStatus


class Suspended(Exception):
    """The run was parked (sleep, event, child): the worker's part is done for now."""


class Stopped(Exception):
    """The run was paused, terminated or lost: stop without touching it."""


class Canceled(Exception):
    """A cancel was requested: end the run as canceled at this step boundary."""


@dataclass
class Control:
    """What the worker's heartbeat last learnt about a run it executes."""

    status: RunStatus = S.RUNNING
    lost: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def update(self, status: RunStatus | None) -> None:
        with self.lock:
            if status is None:
                self.lost = True
            else:
                self.status = status


def _json(value: Any, what: str) -> Any:
    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError as exc:
        raise TypeError(f"{what} must be JSON-serialisable: {exc}") from None


class Context:
    """Passed as the first argument to every workflow function."""

    def __init__(
        self,
        run: Run,
        steps: tuple[Step, ...],
        *,
        owner: str,
        execution: ExecutionService,
        control: Control,
        clock: Clock,
        get_run: Callable[[str], Run],
        start_child: Callable[[str, dict[str, Any], str], Run],
    ) -> None:
        self.run = run
        self.input = run.input
        self._recorded = {s.seq: s for s in steps}
        self._seq = 0
        self._owner = owner
        self._execution = execution
        self._control = control
        self._clock = clock
        self._get_run = get_run
        self._start_child = start_child
        # Whether the error ending this attempt was raised in a step (and recorded there).
        self.failed_in_step = False

    @property
    def run_id(self) -> str:
        return self.run.id

    @property
    def attempt(self) -> int:
        return self.run.attempt

    # -- steps ---------------------------------------------------------------------------

    def step(self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` once: its result is recorded before the next step
        starts, and a resumed run gets the recorded result back instead of running it again.
        A ``WorkflowError`` it raises is recorded with its ``error_code``."""
        seq = self._next()
        recorded = self._recorded.get(seq)
        if recorded is not None and recorded.status is S.COMPLETED:
            return recorded.output
        self.checkpoint()
        started = self._clock()
        self._record(Step(seq, name, S.RUNNING, self.attempt, started_at=started))
        try:
            value = _json(fn(*args, **kwargs), f"the result of step {name!r}")
        except WorkflowError as exc:
            self._record(self._failed(seq, name, started, exc.error_code, exc.message))
            self.failed_in_step = True
            raise
        except Exception as exc:
            self._record(self._failed(seq, name, started, "STEP_FAILED", describe(exc)))
            self.failed_in_step = True
            raise
        finished = self._clock()
        self._record(Step(seq, name, S.COMPLETED, self.attempt, output=value,
                          started_at=started, finished_at=finished))  # fmt: skip
        duration = self._execution.metrics.step_duration.labels(self.run.workflow_name or "")
        duration.observe((finished - started).total_seconds())
        return value

    def progress(self, percent: int) -> None:
        """Report how far the run is, 0-100."""
        if not 0 <= percent <= 100:
            raise ValueError(f"progress is a percentage, 0 to 100, not {percent}")
        self._execution.progress(self._owner, self.run_id, percent)

    def checkpoint(self) -> None:
        """Stop here if the run was canceled, paused or terminated meanwhile."""
        control = self._control
        with control.lock:
            status, lost = control.status, control.lost
        if lost or status in (S.PAUSED, S.TERMINATED) or status.is_terminal:
            raise Stopped(f"run {self.run_id} is {status}{' (lease lost)' if lost else ''}")
        if status is S.CANCELING:
            raise Canceled(self.run_id)

    # -- waiting durably -----------------------------------------------------------------

    def sleep(self, seconds: float) -> None:
        """Wait without holding a worker: the run is parked and resumes when the time is up."""
        seq = self._next()
        recorded = self._recorded.get(seq)
        now = self._clock()
        if recorded is not None and recorded.status is S.COMPLETED:
            return
        if recorded is not None and recorded.status is S.WAITING:
            until = parse_timestamp(str((recorded.output or {}).get("until")))
            if until <= now:
                self._record(replace(recorded, status=S.COMPLETED, finished_at=now))
                return
        else:
            self.checkpoint()
            until = now + timedelta(seconds=seconds)
            self._record(Step(seq, "sleep", S.WAITING, self.attempt,
                              output={"until": to_rfc3339(until)}, started_at=now))  # fmt: skip
        self._execution.suspend(self._owner, self.run_id, until=until)
        raise Suspended(self.run_id)

    def wait_for_event(self, key: str) -> Any:
        """Park the run (status ``waiting``) until ``POST /api/v1/events`` delivers ``key``;
        returns the event's payload."""
        seq = self._next()
        recorded = self._recorded.get(seq)
        if recorded is not None and recorded.status is S.COMPLETED:
            return (recorded.output or {}).get("event")
        if recorded is None:
            self.checkpoint()
            self._record(Step(seq, f"event:{key}", S.WAITING, self.attempt,
                              started_at=self._clock()))  # fmt: skip
        self._execution.suspend(self._owner, self.run_id, event=key)
        raise Suspended(self.run_id)

    def child(self, workflow: str, input: dict[str, Any] | None = None) -> Any:
        """Run another workflow as a child of this run and return its result (the parent
        waits, parked, while the child runs). A child that fails fails this call."""
        seq = self._next()
        recorded = self._recorded.get(seq)
        if recorded is None:
            self.checkpoint()
            # The key makes a repeated start (after a crash) find the same child.
            child = self._start_child(workflow, input or {}, f"{self.run_id}:{seq}")
            started = {"child_run_id": child.id}
            recorded = Step(seq, f"child:{workflow}", S.WAITING, self.attempt,
                            output=started, started_at=self._clock())  # fmt: skip
            self._record(recorded)
        child_id = str((recorded.output or {})["child_run_id"])
        child = self._get_run(child_id)
        if child.status.is_terminal:
            if recorded.status is not S.COMPLETED:
                self._record(replace(recorded, status=S.COMPLETED, finished_at=self._clock()))
            if child.status is not S.COMPLETED:
                raise WorkflowError(f"child run {child_id} ended {child.status}", "CHILD_FAILED")
            return child.result
        self._execution.suspend(self._owner, self.run_id, event=CHILD_EVENT + child_id)
        raise Suspended(self.run_id)

    def record_failure(self, code: str, message: str) -> None:
        """Record an error raised outside any step, so that ``error_code`` finds the run."""
        seq = self._next()
        now = self._clock()
        self._record(self._failed(seq, "workflow", now, code, message))

    # -- helpers -------------------------------------------------------------------------

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _record(self, step: Step) -> None:
        self._recorded[step.seq] = step
        self._execution.record_step(self._owner, self.run_id, step)

    def _failed(self, seq: int, name: str, started: datetime, code: str, message: str) -> Step:
        return Step(seq, name, S.FAILED, self.attempt, errors=(StepError(code, message),),
                    started_at=started, finished_at=self._clock())  # fmt: skip


def describe(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"
