"""Skyvern's workflow (agent) calls: ``get_workflows``, ``get_workflow``, ``delete_workflow``.

A runyard workflow is a Skyvern workflow with its ``workflow_permanent_id`` = runyard's
id, ``workflow_id`` = the id of its current version, and its parameters as Skyvern
``workflow`` parameters. Its definition is runyard's own (the worker's code), not
Skyvern blocks, so ``blocks`` is empty. runyard has no folders, saved tasks, templates
or workflow tags: a filter on them matches no workflow; every workflow is
``published``.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from runyard.api.dialects import base, schemas
from runyard.api.dialects.skyvern_access import PrincipalDep
from runyard.api.dialects.skyvern_words import PARAMETER_TYPE
from runyard.api.render import JSONResponse
from runyard.core.errors import FieldError, InvalidInput, NotFound
from runyard.core.models import Workflow
from runyard.core.times import to_rfc3339

STATUSES = ("published", "draft", "auto_generated", "importing", "import_failed")


def workflow(w: Workflow) -> dict[str, Any]:
    """A Skyvern ``Workflow``."""
    created, modified = to_rfc3339(w.created_at), to_rfc3339(w.modified_at)
    parameters = [
        {
            "parameter_type": "workflow",
            "key": p.key,
            "description": p.description or None,
            "workflow_parameter_id": f"{w.version_id}:{p.key}",
            "workflow_parameter_type": PARAMETER_TYPE.get(p.type, "json"),
            "workflow_id": w.version_id,
            "default_value": p.default,
            "created_at": created,
            "modified_at": modified,
            "deleted_at": to_rfc3339(p.deleted_at),
        }
        for p in w.parameters
    ]
    return {
        "workflow_id": w.version_id,
        "organization_id": w.project_id,
        "title": w.title,
        "workflow_permanent_id": w.id,
        "agent_id": w.id,
        "version": w.version,
        "is_saved_task": False,
        "is_template": False,
        "description": w.description or None,
        "workflow_definition": {"parameters": parameters, "blocks": []},
        "status": "published",
        "created_at": created,
        "modified_at": modified,
        "deleted_at": to_rfc3339(w.deleted_at),
    }


def _statuses(words: list[str]) -> list[str]:
    for index, word in enumerate(words):
        if word not in STATUSES:
            allowed = ", ".join(STATUSES)
            raise InvalidInput(
                f"status: {word!r} is not one of {allowed}",
                [FieldError(("query", "status", index), f"must be one of {allowed}")],
            )
    return words


router = APIRouter()
Flag = Annotated[bool, Query(description="Skyvern's; runyard has none of these")]


def get_workflows(
    request: Request,
    who: PrincipalDep,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 10,
    only_saved_tasks: Flag = False,
    only_workflows: Annotated[bool, Query(description="All runyard workflows are")] = False,
    only_templates: Flag = False,
    search_key: Annotated[
        str | None, Query(max_length=500, description="Substring of the name or title")
    ] = None,
    title: Annotated[str, Query(max_length=500, description="Deprecated: search_key")] = "",
    folder_id: Annotated[str | None, Query(description="runyard has no folders")] = None,
    status: Annotated[list[str] | None, Query(description="Workflow statuses")] = None,
    tags: Annotated[list[str] | None, Query(description="runyard workflows have no tags")] = None,
    template: Flag = False,
) -> JSONResponse:
    """The project's live workflows, newest first, a page at a time."""
    wanted = _statuses(status or [])
    if only_saved_tasks or only_templates or template or folder_id or tags:
        return JSONResponse([])
    if wanted and "published" not in wanted:
        return JSONResponse([])
    found = base.services(request).workflows.all(
        who, with_counts=False, search=search_key or title or None
    )
    found.sort(key=lambda w: (w.created_at, w.id), reverse=True)
    start = base.paged_offset(page, page_size)
    return JSONResponse([workflow(w) for w in found[start : start + page_size]])


def get_workflow(
    request: Request,
    who: PrincipalDep,
    workflow_permanent_id: str,
    version: Annotated[int | None, Query(ge=1, description="Only the current one")] = None,
    template: Flag = False,
) -> JSONResponse:
    """One workflow by its permanent id (or runyard name), at its current version."""
    if template:
        raise NotFound("runyard does not serve Skyvern's workflow templates")
    found = base.services(request).workflows.get(who, workflow_permanent_id)
    if version is not None and version != found.version:
        raise NotFound(
            f"workflow {workflow_permanent_id!r} is at version {found.version}; "
            "runyard serves only a workflow's current version"
        )
    return JSONResponse(workflow(found))


def delete_workflow(request: Request, who: PrincipalDep, workflow_id: str) -> Response:
    """Soft delete: the workflow's runs stay, as Skyvern keeps them."""
    base.services(request).workflows.delete(who, workflow_id)
    return Response(orjson.dumps(None), media_type="application/json")


for _prefix in ("/v1/agents", "/v1/workflows"):
    router.add_api_route(
        _prefix,
        get_workflows,
        methods=["GET"],
        summary="Get all agents",
        response_model=list[schemas.SkyvernWorkflow],
    )
    router.add_api_route(
        _prefix + "/{workflow_permanent_id}",
        get_workflow,
        methods=["GET"],
        summary="Get an agent by id",
        response_model=schemas.SkyvernWorkflow,
    )
    router.add_api_route(
        _prefix + "/{workflow_id}/delete",
        delete_workflow,
        methods=["POST"],
        summary="Delete an agent",
    )
