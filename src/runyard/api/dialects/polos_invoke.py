"""Polos's invoke calls: ``PolosClient.invoke`` (one run) and ``batch_invoke`` (several
runs, queued in one transaction: all or none).

Options of Polos's queues, deployments and sub-workflows (``queue_name``,
``concurrency_key``, ``initial_state``, ``run_timeout_seconds``, ...) are accepted and
have no effect: runyard's runs take their queueing and time-outs from the workflow a
worker registered.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from runyard.api.dialects import base, schemas
from runyard.api.dialects.polos_access import PrincipalDep
from runyard.api.dialects.polos_render import invoked
from runyard.api.render import JSONResponse
from runyard.core.errors import FieldError, InvalidInput, NotFound
from runyard.core.models import Run
from runyard.service.inputs import TriggerIn

router = APIRouter()
ShortText = Annotated[str, Field(max_length=200)]


class InvokeIn(BaseModel):
    """The body ``PolosClient.invoke`` sends; options runyard has no use for are accepted."""

    model_config = ConfigDict(extra="allow")
    payload: dict[str, Any] | None = None
    session_id: ShortText | None = None
    user_id: ShortText | None = None


class BatchItem(BaseModel):
    """One workflow of a batch; its options runyard has no use for are accepted."""

    model_config = ConfigDict(extra="allow")
    workflow_id: Annotated[str, Field(min_length=1, max_length=200)]
    payload: dict[str, Any] | None = None


class BatchIn(BaseModel):
    """The body ``PolosClient.batch_invoke`` sends."""

    model_config = ConfigDict(extra="allow")
    workflows: Annotated[list[BatchItem], Field(max_length=1000)]
    session_id: ShortText | None = None
    user_id: ShortText | None = None


def _trigger(body: InvokeIn | BatchItem, session_id: str | None, user_id: str | None) -> TriggerIn:
    return TriggerIn(input=body.payload or {}, session_id=session_id, triggered_by=user_id)


@router.post(
    "/api/v1/workflows/batch_run",
    summary="Invoke several workflows at once",
    response_model=schemas.PolosBatchInvoked,
)
def batch_run(request: Request, who: PrincipalDep, body: BatchIn) -> JSONResponse:
    """Queue every run or none: an item that names no workflow, or whose payload its
    workflow's parameters refuse, fails the whole batch, naming the item."""
    made: list[Run] = []
    with base.services(request).runs.triggering(who) as trigger:
        for index, item in enumerate(body.workflows):
            try:
                made.append(
                    trigger(item.workflow_id, _trigger(item, body.session_id, body.user_id))
                )
            except NotFound as exc:
                raise NotFound(f"workflows.{index}.workflow_id: {exc.detail}") from None
            except InvalidInput as exc:
                raise _of_item(index, exc) from None
    return JSONResponse({"executions": [invoked(r) for r in made]})


def _of_item(index: int, exc: InvalidInput) -> InvalidInput:
    """A refusal of one run's fields, as one of the batch's: ``input`` is the item's
    ``payload``."""
    errors = [
        FieldError(("body", "workflows", index, "payload", *e.loc[2:]), e.msg, e.type)
        for e in exc.errors
    ]
    detail = "; ".join(f"{'.'.join(str(p) for p in e.loc[1:])}: {e.msg}" for e in errors)
    return InvalidInput(detail or f"workflows.{index}.payload: {exc.detail}", errors)


@router.post(
    "/api/v1/workflows/{workflow_id}/run",
    summary="Invoke a workflow",
    response_model=schemas.PolosInvoked,
)
def invoke(
    request: Request,
    who: PrincipalDep,
    workflow_id: str,
    body: InvokeIn,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    trigger = _trigger(body, body.session_id, body.user_id)
    run, _ = base.services(request).runs.trigger(who, workflow_id, trigger, idempotency_key)
    return JSONResponse(invoked(run))
