"""Events: deliver one to the runs waiting for it (``ctx.wait_for_event``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from runyard.api import schemas
from runyard.api.fast_json import OrjsonRoute
from runyard.api.render import JSONResponse
from runyard.api.services import PrincipalDep, ServicesDep
from runyard.core.models import Role

router = APIRouter(prefix="/api/v1", tags=["events"], route_class=OrjsonRoute)


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Annotated[str, Field(min_length=1, max_length=200)]
    payload: Any = None


@router.post(
    "/events",
    summary="Deliver an event to the runs waiting for its key",
    response_model=schemas.EventOut,
)
def publish(services: ServicesDep, principal: PrincipalDep, body: EventIn) -> JSONResponse:
    principal.require(Role.WRITE)
    delivered = services.execution.publish(principal, body.key, body.payload)
    return JSONResponse({"key": body.key, "delivered": delivered})
