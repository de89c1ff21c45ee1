"""Pure status changes: what a run looks like after a transition."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from runyard.core.models import Run
from runyard.core.statuses import RunStatus, check_transition


def transition(run: Run, target: RunStatus, now: datetime, **changes: Any) -> Run:
    """``run`` moved to ``target`` at ``now``, through the transition table.

    Raises ``IllegalTransition`` (and changes nothing) when the table refuses. Stamps
    the times a status implies: ``queued_at`` on (re)queueing, ``started_at`` when it
    first runs, ``finished_at`` when it ends; a requeue of a queued or running run is a
    new attempt.
    """
    check_transition(run.status, target)
    stamps: dict[str, Any] = {"status": target, "modified_at": now}
    if target is RunStatus.QUEUED:
        stamps["queued_at"] = now
        if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
            stamps["attempt"] = run.attempt + 1
    if target is RunStatus.RUNNING and run.started_at is None:
        stamps["started_at"] = now
    if target.is_terminal:
        stamps["finished_at"] = now
        if target is RunStatus.COMPLETED:
            stamps["progress"] = 100
    return replace(run, **{**stamps, **changes})
