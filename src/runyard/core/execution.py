"""What a worker and runyard tell each other about executing runs: claims, and how a
worker's part in a run ended. Plain data, the same whether the worker runs beside the
database or talks to a server over the worker routes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from runyard.core.errors import IllegalTransition, LeaseLost, NotFound
from runyard.core.models import Run, Step
from runyard.core.statuses import RunStatus

CHILD_EVENT = "run:"  # a parent waits, parked, for event "run:<child id>"


class Outcome(StrEnum):
    """How a worker's part in a run ended."""

    COMPLETED = "completed"  # returned: completed (canceled, if a cancel came in meanwhile)
    FAILED = "failed"  # raised: queued again while the retry policy allows, else failed
    CANCELED = "canceled"  # stopped at a step boundary on seeing a cancel
    RELEASED = "released"  # paused or terminated under the worker: left as it is
    REQUEUED = "requeued"  # the worker is stopping: queued again, attempt + 1


@dataclass(frozen=True, slots=True)
class Claim:
    run: Run
    steps: tuple[Step, ...]
    ready_at: datetime  # since when it could have been claimed (queued, or its back-off over)


@dataclass(frozen=True, slots=True)
class Ending:
    """One run's end of execution, with the steps still to record before it."""

    run_id: str
    outcome: Outcome
    result: Any = None
    error: str | None = None
    retryable: bool = True
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True)
class Ended:
    """What became of an ``Ending``: the run's new status, or why nothing was done."""

    run_id: str
    status: RunStatus | None
    refused: LeaseLost | IllegalTransition | NotFound | None = None
