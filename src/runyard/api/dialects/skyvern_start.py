"""Starting runs the Skyvern way: ``run_workflow`` and ``retry_workflow_run``.

``run_workflow`` posts to ``/v1/run/agents`` (client 1.0.56); Skyvern's server keeps
``/v1/run/workflows`` as an alias, and so does runyard. The body names the workflow as
``agent_id`` (or ``workflow_id``) — runyard's workflow id, Skyvern's
``workflow_permanent_id``, or its runyard name — and its ``parameters`` become the run's
input. The run is an ordinary queued runyard run: a worker that registered the workflow
runs it, else it waits in the queue.

Skyvern's options for its browser (proxy, TOTP, screenshots, CDP, AI fallback, ...) mean
nothing to runyard and are accepted and ignored; a browser session or profile to reuse is
refused (runyard keeps none), as is an unknown field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from runyard.api.dialects import base, schemas
from runyard.api.dialects.skyvern_access import PrincipalDep
from runyard.api.dialects.skyvern_runs import run_response
from runyard.api.render import JSONResponse
from runyard.core.errors import FieldError, InvalidInput, NotFound
from runyard.service.inputs import TriggerIn

TagKey = Annotated[str, Field(min_length=1, max_length=200)]
TagValue = Annotated[str, Field(max_length=500)]


class StartIn(BaseModel):
    """The body ``Skyvern.run_workflow`` sends (only the fields it was given)."""

    model_config = ConfigDict(extra="forbid")
    agent_id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    workflow_id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    parameters: dict[str, Any] | None = None
    webhook_url: Annotated[str, Field(max_length=2000)] | None = None
    extra_http_headers: dict[str, str] | None = None
    run_metadata: dict[TagKey, TagValue] | None = None
    browser_session_id: str | None = None
    browser_profile_id: str | None = None
    # Browser options runyard has no use for: accepted, not kept.
    title: str | None = None
    proxy_location: Any = None
    totp_url: str | None = None
    totp_identifier: str | None = None
    max_screenshot_scrolls: int | None = None
    max_elapsed_time_minutes: int | None = None
    cdp_connect_headers: dict[str, str | None] | None = None
    browser_address: str | None = None
    ai_fallback: bool | None = None
    run_with: str | None = None

    def trigger(self) -> TriggerIn:
        """The runyard trigger this asks for (a refused field is a 422 naming it)."""
        for name, what in (
            ("browser_session_id", "browser sessions"),
            ("browser_profile_id", "browser profiles"),
        ):
            if getattr(self, name) is not None:
                raise InvalidInput.field(("body", name), f"runyard does not keep {what}")
        return TriggerIn(
            input=self.parameters or {},
            webhook_callback_url=self.webhook_url,
            extra_http_headers=self.extra_http_headers,
            tags=self.run_metadata or {},
        )


router = APIRouter()


def run_workflow(
    request: Request,
    who: PrincipalDep,
    body: StartIn,
    template: Annotated[bool, Query(description="Run a Skyvern template (none here)")] = False,
) -> JSONResponse:
    """Queue a run of the workflow's current version with ``parameters`` as its input."""
    workflow = body.agent_id or body.workflow_id
    if workflow is None:
        raise InvalidInput.field(("body", "agent_id"), "Field required")
    if body.agent_id and body.workflow_id and body.agent_id != body.workflow_id:
        raise InvalidInput.field(("body", "workflow_id"), "names another workflow than agent_id")
    if template:
        raise NotFound("runyard does not serve Skyvern's workflow templates")
    try:
        run, _ = base.services(request).runs.trigger(who, workflow, body.trigger())
    except InvalidInput as exc:  # runyard's "input" is Skyvern's "parameters"
        raise _as_parameters(exc) from None
    return JSONResponse(run_response(run))


def _as_parameters(exc: InvalidInput) -> InvalidInput:
    errors = [
        FieldError(("body", "parameters", *e.loc[2:]), e.msg, e.type)
        if e.loc[:2] == ("body", "input")
        else e
        for e in exc.errors
    ]
    return InvalidInput(exc.detail.replace("input.", "parameters."), errors)


def retry_workflow_run(request: Request, who: PrincipalDep, workflow_run_id: str) -> JSONResponse:
    """A new queued run with the same workflow and input; only an ended run is retried."""
    return JSONResponse(run_response(base.services(request).runs.retry(who, workflow_run_id)))


for _path in ("/v1/run/agents", "/v1/run/workflows"):
    for _suffix in ("", "/"):
        router.add_api_route(
            _path + _suffix,
            run_workflow,
            methods=["POST"],
            summary="Run an agent",
            response_model=schemas.SkyvernRunResponse,
            include_in_schema=not _suffix,
        )
for _path in (
    "/v1/agents/runs/{workflow_run_id}/retry",
    "/v1/workflows/runs/{workflow_run_id}/retry",
):
    router.add_api_route(
        _path,
        retry_workflow_run,
        methods=["POST"],
        summary="Retry a run",
        response_model=schemas.SkyvernRunResponse,
    )
