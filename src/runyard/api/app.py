"""The FastAPI application: built from settings, with its services passed in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import runyard
from runyard import web
from runyard.api import dialects, problems
from runyard.api.rate_limit import RateLimiter
from runyard.api.request_guards import RequestGuards
from runyard.api.response_headers import AlwaysHeaders
from runyard.api.routes import (
    events,
    health,
    logs,
    projects,
    runs,
    schedules,
    webhooks,
    worker,
    workflows,
)
from runyard.config import Settings
from runyard.core.times import Clock, utcnow
from runyard.service.services import Services
from runyard.store.database import Database

# What the API's and the dialects' clients send besides simple headers.
CORS_HEADERS = [
    "Authorization",
    "Content-Type",
    "X-API-Key",
    "X-Project-ID",
    "Idempotency-Key",
    "cc-key",
]


def prepare(settings: Settings, db: Database, clock: Clock = utcnow) -> Services:
    """Migrate the database, create ``default`` and the bootstrap key: start-up work."""
    db.upgrade()
    services = Services.build(db, clock, log_cap=settings.log_cap)
    services.projects.bootstrap(settings.bootstrap_api_key)
    return services


def create_app(
    settings: Settings,
    db: Database | None = None,
    clock: Clock = utcnow,
    services: Services | None = None,
) -> FastAPI:
    """The application; ``services`` already prepared (by ``runyard serve``, whose embedded
    worker shares them and their metrics) are used as they are. Its services and its rate
    limiter (None without ``settings.rate_limit``) are on ``app.state``, and on each
    dialect's application's."""
    database = db or Database.connect(settings.database_url, pool_size=settings.db_pool_size)
    limiter = RateLimiter(settings.rate_limit) if settings.rate_limit else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = services or prepare(settings, database, clock)
        for sub in compat.values():
            sub.state.services = app.state.services
        yield
        if db is None:
            database.dispose()

    app = FastAPI(
        title="runyard",
        version=runyard.__version__,
        summary="Keeps every workflow run and finds any of them instantly.",
        lifespan=lifespan,
        responses=problems.NATIVE_ERRORS,
        openapi_tags=[{"name": "worker", "description": worker.PROTOCOL}],
    )
    problems.install(app)
    for module in (health, projects, workflows, runs, logs, events, schedules, webhooks, worker):
        app.include_router(module.router)
    compat = dialects.mount(app)
    for sub in (app, *compat.values()):
        sub.state.limiter = limiter
    web.install(app)
    refusals = {prefix: sub.state.refusal for prefix, sub in compat.items()}
    app.add_middleware(RequestGuards, max_bytes=settings.max_body_bytes, refusals=refusals)
    if settings.cors_origins:  # off unless origins are named: no browser page elsewhere may call
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=CORS_HEADERS,
            expose_headers=["Retry-After"],
            max_age=600,
        )
    app.add_middleware(AlwaysHeaders)  # outermost: every answer, refusals included
    return app


def from_environment() -> FastAPI:
    """The application as configured by the environment (``runyard serve --processes``
    builds one in each server process with it)."""
    return create_app(Settings.from_env())
