"""Noxus's wire (seed 004, ``noxus-sdk``): who calls, its words, its run and workflow shapes.

Noxus's words: group = project, ``source`` = ``trigger_type``, ``output`` = result; each
run embeds its workflow. Noxus knows three workflow types (``flow | handler | ingestion``)
where runyard knows six: runyard's ``workflow``, ``agent`` and ``tool`` are all runnable
flows, so they read ``flow``; ``flow``, ``handler`` and ``ingestion`` read as themselves.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request

from runyard.api.dialects import base
from runyard.core import vendor_words
from runyard.core.errors import InvalidInput
from runyard.core.models import Run, Workflow
from runyard.core.times import to_rfc3339
from runyard.service.access import Principal
from runyard.service.workflows import WorkflowsOfRuns

STATUS = vendor_words.NOXUS_STATUS  # core/vendor_words.py: shared with runyard.vendor_import
TYPES = vendor_words.NOXUS_TYPE  # core/vendor_words.py: shared with runyard.vendor_import
ERRORS = base.ErrorStatuses(invalid=422)


async def principal(
    request: Request,
    x_api_key: Annotated[str | None, Header(description="Your runyard API key")] = None,
) -> Principal:
    if not x_api_key:
        raise base.Unauthenticated("missing API key: send it in the X-API-Key header")
    return await base.authenticate(request, x_api_key)


PrincipalDep = Annotated[Principal, Depends(principal)]


def runyard_types(noxus_type: str | None) -> tuple[str, ...]:
    """The runyard workflow types that read as ``noxus_type`` (none: every type)."""
    if noxus_type is None:
        return ()
    found = tuple(t.value for t, word in TYPES.items() if word == noxus_type)
    if not found:
        words = ", ".join(sorted(set(TYPES.values())))
        raise InvalidInput.field(("query", "type"), f"must be one of {words}")
    return found


def workflow(w: Workflow) -> dict[str, Any]:
    """A Noxus workflow. Its ``definition`` is a Noxus node graph, which runyard does not
    keep (runyard's workflows are code): the graph is empty, so ``noxus-sdk`` can read it
    without a node catalogue, and runyard's own definition rides along under ``runyard``."""
    return {
        "id": w.id,
        "group_id": w.project_id,
        "name": w.title or w.name,
        "type": TYPES[w.type],
        "definition": {"flow_version": "v1", "nodes": [], "edges": [], "runyard": w.definition},
        "last_updated_at": to_rfc3339(w.modified_at),
        "last_run_at": to_rfc3339(w.last_run_at),
        "created_at": to_rfc3339(w.created_at),
        "deleted_at": to_rfc3339(w.deleted_at),
        "runs_count": w.runs_count,
        "author_name": None,
        "description": w.description,
        "saved": True,
        "error_handler": w.error_handler_id,
    }


def run(r: Run, context: WorkflowsOfRuns | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": r.id,
        "group_id": r.project_id,
        "workflow_id": r.workflow_id,
        "input": r.input,
        "node_ids": r.node_ids,
        "status": STATUS[r.status],
        "progress": r.progress,
        "definitions": {},
        "created_at": to_rfc3339(r.created_at),
        "finished_at": to_rfc3339(r.finished_at),
        "source": r.trigger_type.value,
        "output": base.json_dict(r.result) if r.result is not None else None,
    }
    if context is not None:
        body["workflow"] = workflow(context.of(r))
    return body
