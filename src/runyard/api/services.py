"""The FastAPI dependencies that reach an app's ``Services`` (on ``app.state.services``)
and its caller, whose key spends the app's rate limit (``app.state.limiter``, if set)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from runyard.api.rate_limit import RateLimiter
from runyard.core.models import Role
from runyard.service.access import Principal
from runyard.service.services import Services


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_services(request: Request) -> Services:
    """The dependency (async, so FastAPI calls it without a hop to a worker thread)."""
    return services_of(request)


def limiter_of(request: Request) -> RateLimiter | None:
    limiter: RateLimiter | None = request.app.state.limiter
    return limiter


async def principal_of(
    request: Request, secret: str | None, project: str | None, *, worker_routes: bool = False
) -> Principal:
    """The caller behind a key: from memory when the key was seen in the last seconds (no
    thread hop, no database read), else looked up on a worker thread; then its rate
    limit, if the app has one, is spent (``RateLimited`` when exhausted). A worker key is
    refused (403) unless ``worker_routes``."""
    auth = services_of(request).auth
    known = auth.remembered(secret, project, worker_routes=worker_routes)
    if known is None:
        known = await run_in_threadpool(
            lambda: auth.authenticate(secret, project, worker_routes=worker_routes)
        )
    limiter = limiter_of(request)
    if limiter is not None:
        limiter.take(known.key_id or "")
    return known


def bearer_or_key(authorization: str | None, api_key: str | None) -> str | None:
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return api_key or None


def _principal_dependency(*, worker_routes: bool) -> Callable[..., Awaitable[Principal]]:
    """The dependency giving a route its caller; on the worker routes a ``worker`` key, or
    a ``write`` or ``admin`` one, elsewhere any key but a ``worker`` key."""

    async def principal(
        request: Request,
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
        x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
        x_project_id: Annotated[
            str | None,
            Header(
                description="Project to act on (server-admin key); defaults to the key's project"
            ),
        ] = None,
    ) -> Principal:
        secret = bearer_or_key(authorization, x_api_key)
        found = await principal_of(request, secret, x_project_id, worker_routes=worker_routes)
        if worker_routes:
            found.require(Role.WORKER)
        return found

    return principal


get_principal = _principal_dependency(worker_routes=False)
get_worker_principal = _principal_dependency(worker_routes=True)
ServicesDep = Annotated[Services, Depends(get_services)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
WorkerDep = Annotated[Principal, Depends(get_worker_principal)]
