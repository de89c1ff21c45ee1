"""Webhook triggers: manage them (API key), and fire them (``POST /hooks/{id}`` + secret)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header

from runyard.api import schemas
from runyard.api.fast_json import OrjsonRoute
from runyard.api.render import JSONResponse
from runyard.api.services import PrincipalDep, ServicesDep
from runyard.core.errors import InvalidInput
from runyard.core.models import Hook
from runyard.core.times import to_rfc3339

router = APIRouter(tags=["webhooks"], route_class=OrjsonRoute)


def _hook(hook: Hook) -> dict[str, Any]:
    return {
        "id": hook.id,
        "workflow_id": hook.workflow_id,
        "url": f"/hooks/{hook.id}",
        "created_at": to_rfc3339(hook.created_at),
    }


@router.post(
    "/api/v1/workflows/{id_or_name}/webhooks",
    status_code=201,
    summary="A URL that starts runs of the workflow (its secret is shown once)",
    response_model=schemas.NewWebhookOut,
)
def create_webhook(services: ServicesDep, principal: PrincipalDep, id_or_name: str) -> JSONResponse:
    hook, secret = services.webhooks.create(principal, id_or_name)
    return JSONResponse({**_hook(hook), "secret": secret}, status_code=201)


@router.get(
    "/api/v1/webhooks",
    summary="The project's webhook triggers",
    response_model=schemas.WebhooksOut,
)
def list_webhooks(services: ServicesDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse({"items": [_hook(h) for h in services.webhooks.all(principal)]})


@router.delete("/api/v1/webhooks/{hook_id}", status_code=204, summary="Delete a webhook trigger")
def delete_webhook(services: ServicesDep, principal: PrincipalDep, hook_id: str) -> None:
    services.webhooks.delete(principal, hook_id)


@router.post(
    "/hooks/{hook_id}",
    status_code=202,
    summary="Start a run (the body is its input)",
    response_model=schemas.FiredOut,
)
def fire_webhook(
    services: ServicesDep,
    hook_id: str,
    body: Annotated[Any, Body()] = None,
    x_runyard_secret: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    if body is not None and not isinstance(body, dict):
        raise InvalidInput.field(("body",), "must be a JSON object: it becomes the run's input")
    run, created = services.webhooks.fire(hook_id, x_runyard_secret, body or {}, idempotency_key)
    return JSONResponse({"run_id": run.id, "status": run.status.value, "created": created}, 202)
