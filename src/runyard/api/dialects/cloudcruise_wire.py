"""CloudCruise's words and shapes: status words, the ``cc-key`` caller, the ``{"message"}``
error envelope, and runs and workflows rendered as the ``cloudcruise`` SDK reads them.

The routes (``cloudcruise.py``, ``cloudcruise_workflows.py``, ``cloudcruise_events.py``,
``cloudcruise_unserved.py``) share this module so that a run reads the same in a list, a
result, and an event of the run's stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from pydantic import Field
from starlette.responses import Response

from runyard.api.dialects import base
from runyard.api.render import JSONResponse
from runyard.core import vendor_words
from runyard.core.errors import FieldError
from runyard.core.models import Parameter, Run, RunHead, Workflow
from runyard.core.statuses import RunStatus
from runyard.core.times import to_rfc3339
from runyard.service.access import Principal

# A queued run renders as execution.requeued from its second attempt on (see ``word``).
STATUS = vendor_words.CLOUDCRUISE_STATUS  # core/vendor_words.py: shared with runyard.vendor_import
QUEUED, REQUEUED = vendor_words.CLOUDCRUISE_QUEUED, vendor_words.CLOUDCRUISE_REQUEUED
WORDS = sorted({*STATUS.values(), REQUEUED})
ERRORS = base.ErrorStatuses(invalid=400)
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string"},
        "run_input_variables_errors": {"type": "array", "items": {"type": "object"}},
    },
}
# Where ``POST /run`` puts a run's input, and so where the SDK looks for its errors.
INPUT_FIELD = "run_input_variables"
# The SDK names itself by a fresh UUID per process; its runs carry it so that its stream
# (``GET /run/clients/{client_id}/events``) finds them.
CLIENT_ID = r"^[A-Za-z0-9._~-]{1,100}$"
ClientId = Annotated[str, Field(pattern=CLIENT_ID)]
# Parameter types that are JSON Schema types as they are; runyard's "json" takes anything.
SCHEMA_TYPES = frozenset({"string", "integer", "number", "boolean", "object", "array"})


def status_word(status: RunStatus, attempt: int) -> str:
    if status is RunStatus.QUEUED and attempt > 1:
        return REQUEUED
    return STATUS[status]


def started_by(client_id: str | None) -> str:
    """The ``triggered_by`` of the runs a client starts: its stream reads runs by it."""
    return f"cloudcruise:{client_id}" if client_id else "cloudcruise"


def word(run: RunHead) -> str:
    return status_word(run.status, run.attempt)


def input_errors(errors: Sequence[FieldError]) -> list[dict[str, Any]]:
    """The ``run_input_variables_errors`` of field errors about the run's input: the SDK
    turns them into an ``InputValidationError`` naming each field."""
    found = []
    for e in errors:
        if e.loc[:2] != ("body", INPUT_FIELD) or len(e.loc) < 3:
            continue
        key = str(e.loc[2])
        expected = e.msg.removeprefix("must be of type ")
        typed = expected != e.msg
        found.append(
            {
                "field": "/" + key.replace("~", "~0").replace("/", "~1"),  # a JSON pointer
                "keyword": "type" if typed else "validation",
                "message": e.msg,
                "expected": {"type": expected} if typed else {},
            }
        )
    return found


def envelope(status: int, detail: str, _code: str, errors: list[FieldError]) -> Response:
    """``{"message": ...}`` with a JSON content type: what the SDK reads errors from; a
    refused input also lists its fields under ``run_input_variables_errors``."""
    body: dict[str, Any] = {"message": detail}
    refused = input_errors(errors)
    if refused:
        body["run_input_variables_errors"] = refused
    return JSONResponse(body, status_code=status)


async def principal(
    request: Request,
    cc_key: Annotated[str | None, Header(description="Your runyard API key")] = None,
) -> Principal:
    if not cc_key:
        raise base.Unauthenticated("missing API key: send it in the cc-key header")
    return await base.authenticate(request, cc_key)


PrincipalDep = Annotated[Principal, Depends(principal)]


# -- runs -----------------------------------------------------------------------------------


def summary(run: RunHead) -> dict[str, Any]:
    return {
        "session_id": run.id,
        "status": word(run),
        "created_at": to_rfc3339(run.created_at),
        "workflow_id": run.workflow_id,
        "workspace_id": run.project_id,
        "execution_start": to_rfc3339(run.started_at),
        "execution_end": to_rfc3339(run.finished_at),
        "dry_run": run.dry_run,
    }


def run_errors(run: Run) -> list[dict[str, Any]]:
    """The run's step errors as CloudCruise's ``errors`` items."""
    return [
        {
            **e.extra,
            "message": e.message,
            "error_code": e.error_code,
            "node_id": step.name,
            "created_at": to_rfc3339(step.finished_at),
        }
        for step in run.steps or ()
        for e in step.errors
    ]


def result(run: Run) -> dict[str, Any]:
    """``GET /run/{id}``: the fields of the SDK's ``RunResult``."""
    return {
        **summary(run),
        "input_variables": run.input,
        "data": base.json_dict(run.result),
        "video_urls": [],
        "file_urls": [],
        "screenshot_urls": [],
        "errors": run_errors(run) or None,
        "permissioned_user_id": run.credential_id,
    }


# -- workflows ------------------------------------------------------------------------------


def workflow(w: Workflow) -> dict[str, Any]:
    """A workflow as the SDK's ``Workflow``: every field it requires is present; the
    browser-recovery switches are off (runyard runs code, not a browser) and runyard
    does not record who made a workflow."""
    return {
        "id": w.id,
        "name": w.title or w.name,
        "description": w.description or None,
        "created_at": to_rfc3339(w.created_at),
        "updated_at": to_rfc3339(w.modified_at),
        "workspace_id": w.project_id,
        "created_by": None,
        "enable_popup_handling": False,
        "enable_xpath_recovery": False,
        "enable_error_code_generation": False,
        "enable_service_unavailable_recovery": False,
        "enable_action_timing_recovery": False,
    }


def input_schema(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """The workflow's parameters as the JSON Schema (draft 7) the SDK checks an input
    against before ``POST /run``: a parameter without a default is required, and keys
    the workflow does not declare are allowed, as runyard passes them through."""
    properties: dict[str, Any] = {}
    for p in parameters:
        prop: dict[str, Any] = {"type": p.type} if p.type in SCHEMA_TYPES else {}
        if p.description:
            prop["description"] = p.description
        if p.default is not None:
            prop["default"] = p.default
        properties[p.key] = prop
    return {
        "type": "object",
        "properties": properties,
        "required": [p.key for p in parameters if p.default is None],
        "additionalProperties": True,
    }


def metadata(w: Workflow) -> dict[str, Any]:
    """``GET /workflows/{id}/metadata``: runyard keeps no vault, so ``vault_schema`` is empty."""
    return {
        "input_schema": input_schema(w.parameters),
        "workspace_id": w.project_id,
        "vault_schema": {},
    }
