"""The services an app instance serves, and the FastAPI dependencies that reach them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from runyard.api.rate_limit import RateLimiter
from runyard.config import Settings
from runyard.core.models import Role
from runyard.core.times import Clock
from runyard.service.access import Authenticator, Principal
from runyard.service.bulk import BulkService
from runyard.service.execution import ExecutionService
from runyard.service.metrics import Metrics
from runyard.service.projects import ProjectService
from runyard.service.retention import RetentionService
from runyard.service.run_logs import LogService
from runyard.service.runs import RunService
from runyard.service.schedules import ScheduleService
from runyard.service.webhooks import WebhookService
from runyard.service.workflows import WorkflowService
from runyard.store.database import Database


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    clock: Clock
    auth: Authenticator
    projects: ProjectService
    workflows: WorkflowService
    runs: RunService
    bulk: BulkService
    retention: RetentionService
    execution: ExecutionService
    logs: LogService
    schedules: ScheduleService
    webhooks: WebhookService
    metrics: Metrics
    limiter: RateLimiter | None = None

    @classmethod
    def build(cls, settings: Settings, db: Database, clock: Clock) -> Services:
        runs = RunService(db, clock)
        metrics = Metrics(db)
        auth = Authenticator(db)
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            auth=auth,
            projects=ProjectService(db, clock, on_revoke=auth.forget),
            workflows=WorkflowService(db, clock),
            runs=runs,
            bulk=BulkService(runs, clock),
            retention=RetentionService(db, clock),
            execution=ExecutionService(db, clock),
            logs=LogService(db, clock, settings.log_cap),
            schedules=ScheduleService(db, clock, runs),
            webhooks=WebhookService(db, clock, runs),
            metrics=metrics,
            limiter=RateLimiter(settings.rate_limit) if settings.rate_limit else None,
        )


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_services(request: Request) -> Services:
    """The dependency (async, so FastAPI calls it without a hop to a worker thread)."""
    return services_of(request)


async def principal_of(
    services: Services, secret: str | None, project: str | None, *, worker_routes: bool = False
) -> Principal:
    """The caller behind a key: from memory when the key was seen in the last seconds (no
    thread hop, no database read), else looked up on a worker thread; then its rate
    limit, if one is set, is spent (``RateLimited`` when exhausted). A worker key is
    refused (403) unless ``worker_routes``."""
    auth = services.auth
    known = auth.remembered(secret, project, worker_routes=worker_routes)
    if known is None:
        known = await run_in_threadpool(
            lambda: auth.authenticate(secret, project, worker_routes=worker_routes)
        )
    if services.limiter is not None:
        services.limiter.take(known.key_id or "")
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
        services: Annotated[Services, Depends(get_services)],
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
        found = await principal_of(services, secret, x_project_id, worker_routes=worker_routes)
        if worker_routes:
            found.require(Role.WORKER)
        return found

    return principal


get_principal = _principal_dependency(worker_routes=False)
get_worker_principal = _principal_dependency(worker_routes=True)
ServicesDep = Annotated[Services, Depends(get_services)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
WorkerDep = Annotated[Principal, Depends(get_worker_principal)]
