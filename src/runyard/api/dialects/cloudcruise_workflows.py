"""CloudCruise's workflow calls and ``POST /run``, as ``cc.workflows`` and ``cc.runs.start``
make them.

``runs.start`` first reads the workflow's metadata and checks the input against its
``input_schema`` (built from the workflow's parameters), opens the client's event stream
(``cloudcruise_events``), then posts the run. The run is an ordinary runyard run, queued
through the same ``RunService.trigger`` as the native API's, so runyard's workers execute
it; its ``triggered_by`` names the client, which is how the stream finds it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from runyard.api.dialects import base, schemas
from runyard.api.dialects.cloudcruise_wire import (
    INPUT_FIELD,
    ClientId,
    PrincipalDep,
    metadata,
    started_by,
    workflow,
)
from runyard.api.render import JSONResponse
from runyard.core.errors import FieldError, InvalidInput
from runyard.service.inputs import TriggerIn

router = APIRouter()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DryRunIn(Strict):
    enabled: bool
    add_to_output: dict[str, Any] | None = None


class StartRunIn(Strict):
    """The body ``cc.runs.start`` sends (its ``StartRunRequest``, every key present)."""

    workflow_id: Annotated[str, Field(min_length=1, max_length=200)]
    run_input_variables: dict[str, Any] | None = None
    dry_run: DryRunIn | None = None
    webhook: dict[str, Any] | None = None
    additional_context: dict[str, Any] | None = None
    client_id: ClientId | None = None


# Options of a CloudCruise run that runyard cannot honour: refused, never dropped.
UNSERVED_OPTIONS = {
    "webhook": "runyard does not send CloudCruise's per-run webhooks; leave it out (runyard's "
    "own completion callbacks are set through its native API)",
    "additional_context": "runyard runs code, not a browser agent: it has no use for "
    "additional_context; leave it out",
}


def _refused(loc: tuple[str, ...], why: str) -> InvalidInput:
    """A body field refused, named as a refusal by validation names it (no ``body.``)."""
    return InvalidInput(f"{'.'.join(loc)}: {why}", [FieldError(("body", *loc), why)])


def _refuse_unserved(body: StartRunIn) -> None:
    for name, why in UNSERVED_OPTIONS.items():
        if getattr(body, name) is not None:
            raise _refused((name,), why)
    if body.dry_run is not None and body.dry_run.add_to_output is not None:
        raise _refused(("dry_run", "add_to_output"), "runyard does not add to a run's output")


def _as_run_input(exc: InvalidInput) -> InvalidInput:
    """runyard's refusal of an input (``body.input.<key>``) under CloudCruise's name for
    the input, so the envelope lists it in ``run_input_variables_errors``."""
    errors = [
        FieldError(("body", INPUT_FIELD, *e.loc[2:]), e.msg, e.type)
        if e.loc[:2] == ("body", "input")
        else e
        for e in exc.errors
    ]
    if errors == exc.errors:
        return exc
    detail = "; ".join(f"{'.'.join(str(p) for p in e.loc[1:])}: {e.msg}" for e in errors)
    return InvalidInput(detail, errors)


@router.get(
    "/workflows", summary="List workflows", response_model=list[schemas.CloudCruiseWorkflow]
)
def list_workflows(request: Request, who: PrincipalDep) -> JSONResponse:
    found = base.services(request).workflows.all(who, with_counts=False)
    return JSONResponse([workflow(w) for w in found])


@router.get(
    "/workflows/{workflow_id}/metadata",
    summary="A workflow's input schema",
    response_model=schemas.CloudCruiseWorkflowMetadata,
)
def workflow_metadata(request: Request, who: PrincipalDep, workflow_id: str) -> JSONResponse:
    return JSONResponse(metadata(base.services(request).workflows.get(who, workflow_id)))


@router.post("/run", summary="Start a run", response_model=schemas.CloudCruiseStarted)
def start_run(request: Request, who: PrincipalDep, body: StartRunIn) -> JSONResponse:
    _refuse_unserved(body)
    trigger = TriggerIn(
        input=body.run_input_variables or {},
        dry_run=body.dry_run.enabled if body.dry_run is not None else False,
        triggered_by=started_by(body.client_id),
    )
    try:
        run, _ = base.services(request).runs.trigger(who, body.workflow_id, trigger)
    except InvalidInput as exc:
        raise _as_run_input(exc) from None
    return JSONResponse({"session_id": run.id})
