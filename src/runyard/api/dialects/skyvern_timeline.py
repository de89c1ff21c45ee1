"""``get_run_timeline`` (``GET /v1/runs/{id}/timeline``): a run's steps and statuses.

Skyvern's timeline lists a run's blocks and its agent's thoughts, newest first. runyard
has no blocks or thoughts, but it has the two things they tell: each step becomes a
``block`` (of type ``code``: a runyard step is a function of the worker's code), and each
status the run took becomes a ``thought`` of type ``metadata`` saying so, at the moment
it took it. At one moment a step counts as later than a status change, and steps (and
status changes) keep their own order.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from runyard.api.dialects import base, schemas
from runyard.api.dialects.skyvern_access import PrincipalDep
from runyard.api.dialects.skyvern_words import STATUS
from runyard.api.render import JSONResponse
from runyard.core.models import Run, StatusChange, Step
from runyard.core.statuses import RunStatus
from runyard.core.times import to_rfc3339


def block(run: Run, step: Step) -> dict[str, Any]:
    """A step as a ``WorkflowRunBlock``."""
    began = step.started_at or run.created_at
    output = step.output if isinstance(step.output, dict | list | str) else None
    if output is None and step.output is not None:
        output = {"value": step.output}
    return {
        "workflow_run_block_id": f"{run.id}:{step.seq}",
        "workflow_run_id": run.id,
        "organization_id": run.project_id,
        "block_type": "code",
        "label": step.name,
        "status": STATUS[step.status],
        "output": output,
        "failure_reason": step.errors[0].message if step.errors else None,
        "error_codes": [e.error_code for e in step.errors],
        "created_at": to_rfc3339(began),
        "modified_at": to_rfc3339(step.finished_at or began),
        "duration": (
            (step.finished_at - step.started_at).total_seconds()
            if step.started_at and step.finished_at
            else None
        ),
    }


def thought(run: Run, index: int, change: StatusChange) -> dict[str, Any]:
    """A status change as a ``Thought`` of type ``metadata``."""
    word = STATUS[RunStatus(change.status)]
    return {
        "thought_id": f"{run.id}:status:{index}",
        "task_id": run.id,
        "organization_id": run.project_id,
        "workflow_run_id": run.id,
        "workflow_permanent_id": run.workflow_id,
        "thought": f"run {word} (attempt {change.attempt})",
        "thought_type": "metadata",
        "output": {"status": word, "attempt": change.attempt},
        "created_at": to_rfc3339(change.at),
        "modified_at": to_rfc3339(change.at),
    }


def timeline(run: Run, history: list[StatusChange]) -> list[dict[str, Any]]:
    """Every entry, newest first."""
    entries = [entry("thought", thought(run, i, change)) for i, change in enumerate(history)]
    entries += [entry("block", block(run, step)) for step in run.steps or ()]
    entries.reverse()  # the sort is stable: of two entries at one moment, the later first
    entries.sort(key=lambda e: e["created_at"], reverse=True)
    return entries


def entry(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """A ``WorkflowRunTimeline`` holding a block or a thought."""
    return {
        "type": kind,
        "block": body if kind == "block" else None,
        "thought": body if kind == "thought" else None,
        "children": [],
        "created_at": body["created_at"],
        "modified_at": body["modified_at"],
    }


router = APIRouter()


@router.get(
    "/v1/runs/{run_id}/timeline",
    summary="Get a run's timeline",
    response_model=list[schemas.SkyvernTimelineEntry],
)
def get_run_timeline(request: Request, who: PrincipalDep, run_id: str) -> JSONResponse:
    runs = base.services(request).runs
    run = runs.get(who, run_id)  # an unknown run is a 404 before the history is read
    return JSONResponse(timeline(run, runs.history(who, run_id)))
