"""``Context``: what a workflow function uses to make its work durable.

Each call (a step, a sleep, an event wait, a child run) takes the next position in the
run's history. When a run resumes — after a crash, a retry, a sleep or an event — calls
that are already recorded as completed return their recorded result instead of running
again, so a workflow must make the same calls in the same order (code outside steps is
re-executed and should be deterministic).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import orjson

from runyard.core.execution import CHILD_EVENT
from runyard.core.models import Run, Step, StepError
from runyard.core.statuses import RunStatus
from runyard.core.times import Clock, parse_timestamp, to_rfc3339
from runyard.worker import logs
from runyard.worker.links import RunLink
from runyard.worker.sdk import WorkflowError

S = RunStatus


class Suspended(Exception):
    """The run was parked (sleep, event, child): the worker's part is done for now."""


class Stopped(Exception):
    """The run was paused, terminated or lost: stop without touching it."""


class Canceled(Exception):
    """A cancel was requested: end the run as canceled at this step boundary."""


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
        link: RunLink,
        clock: Clock,
        on_step: Callable[[str, float], None] | None = None,
    ) -> None:
        self.run = run
        self.input = run.input
        self._recorded = {s.seq: s for s in steps}
        self._seq = 0
        # A resumed run replays its recorded calls up to the last one: what its code
        # writes until then it wrote in an earlier attempt (not its log a second time).
        self._replay_until = max(self._recorded, default=0)
        logs.replaying(self._replay_until > 0)
        self._link = link
        self._clock = clock
        self._on_step = on_step  # (step name, seconds) of each step executed here
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
        A ``WorkflowError`` it raises is recorded with its ``error_code``. What it prints
        or logs is the run's log, marked with the step's name."""
        seq = self._next()
        recorded = self._recorded.get(seq)
        if recorded is not None and recorded.status is S.COMPLETED:
            return recorded.output
        self._link.flush()  # the steps before this one have landed before it starts
        self.checkpoint()
        started = self._clock()
        self._record(Step(seq, name, S.RUNNING, self.attempt, started_at=started))
        try:
            with logs.in_step(name):
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
        self._record(
            Step(
                seq,
                name,
                S.COMPLETED,
                self.attempt,
                output=value,
                started_at=started,
                finished_at=finished,
            ),
            must_land=True,
        )
        if self._on_step is not None:
            self._on_step(name, (finished - started).total_seconds())
        return value

    def progress(self, percent: int) -> None:
        """Report how far the run is, 0-100 (sent with the next record, or within a
        moment)."""
        if not 0 <= percent <= 100:
            raise ValueError(f"progress is a percentage, 0 to 100, not {percent}")
        self._link.note_progress(percent)

    def checkpoint(self) -> None:
        """Stop here if the run was canceled, paused or terminated meanwhile."""
        status, lost = self._link.seen()
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
            self._record(
                Step(
                    seq,
                    "sleep",
                    S.WAITING,
                    self.attempt,
                    output={"until": to_rfc3339(until)},
                    started_at=now,
                )
            )
        self._link.suspend(until=until)
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
            self._record(
                Step(seq, f"event:{key}", S.WAITING, self.attempt, started_at=self._clock())
            )
        self._link.suspend(event=key)
        raise Suspended(self.run_id)

    def child(self, workflow: str, input: dict[str, Any] | None = None) -> Any:
        """Run another workflow as a child of this run and return its result (the parent
        waits, parked, while the child runs). A child that fails fails this call."""
        seq = self._next()
        recorded = self._recorded.get(seq)
        if recorded is None:
            self.checkpoint()
            # The key makes a repeated start (after a crash) find the same child.
            child = self._link.start_child(workflow, input or {}, f"{self.run_id}:{seq}")
            started = {"child_run_id": child.id}
            recorded = Step(
                seq,
                f"child:{workflow}",
                S.WAITING,
                self.attempt,
                output=started,
                started_at=self._clock(),
            )
            self._record(recorded)
        child_id = str((recorded.output or {})["child_run_id"])
        child = self._link.child(child_id)
        if child.status.is_terminal:
            if recorded.status is not S.COMPLETED:
                self._record(
                    replace(recorded, status=S.COMPLETED, finished_at=self._clock()), must_land=True
                )
            if child.status is not S.COMPLETED:
                raise WorkflowError(f"child run {child_id} ended {child.status}", "CHILD_FAILED")
            return child.result
        self._link.suspend(event=CHILD_EVENT + child_id)
        raise Suspended(self.run_id)

    def record_failure(self, code: str, message: str) -> Step:
        """The record of an error raised outside any step, so that ``error_code`` finds
        the run (it travels with the run's ending)."""
        seq = self._next()
        now = self._clock()
        failed = self._failed(seq, "workflow", now, code, message)
        self._record(failed)
        return failed

    # -- helpers -------------------------------------------------------------------------

    def _next(self) -> int:
        self._seq += 1
        if self._seq >= self._replay_until:
            logs.replaying(False)
        return self._seq

    def _record(self, step: Step, *, must_land: bool = False) -> None:
        self._recorded[step.seq] = step
        self._link.note(step, must_land=must_land)

    def _failed(self, seq: int, name: str, started: datetime, code: str, message: str) -> Step:
        return Step(
            seq,
            name,
            S.FAILED,
            self.attempt,
            errors=(StepError(code, message),),
            started_at=started,
            finished_at=self._clock(),
        )


def describe(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"
