"""The commands that run for as long as they are let: ``runyard serve`` and ``runyard
worker`` (registered on the CLI by ``cli/main.py``)."""

from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from runyard.config import Settings

if TYPE_CHECKING:
    from runyard.service.metrics import Metrics
    from runyard.service.services import Services
    from runyard.worker.sdk import App
    from runyard.worker.transport import Transport

err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(help="Fill an empty database with demo runs, and execute demo workflows."),
    ] = False,
    worker: Annotated[
        bool, typer.Option(help="Execute workflows in this process (an embedded worker).")
    ] = True,
    workflows: Annotated[
        list[str],
        typer.Option("--app", help="module:app whose workflows the embedded worker executes."),
    ] = [],  # noqa: B006 - typer copies defaults
    concurrency: Annotated[
        int, typer.Option(help="Runs the embedded worker executes at once.")
    ] = 4,
    processes: Annotated[
        int,
        typer.Option(
            help="Server processes answering requests on the port (the embedded worker "
            "runs once, in the parent)."
        ),
    ] = 1,
) -> None:
    """Run the API server (migrating the database first), with an embedded worker."""
    import uvicorn

    from runyard.api.app import create_app, prepare
    from runyard.api.demo_data import load_demo
    from runyard.service.housekeeping import Housekeeper
    from runyard.store.database import Database
    from runyard.worker.sdk import App

    if processes < 1:
        fail("--processes must be at least 1")
    try:
        settings = Settings.from_env(database_url=ctx.obj.database_url)
    except ValueError as exc:
        fail(f"configuration: {exc}")
    db = Database.connect(settings.database_url, pool_size=settings.db_pool_size)
    services = prepare(settings, db)
    app_workflows = App()
    for spec in workflows:
        for definition in load_app(spec):
            app_workflows.add(definition)
    if demo:
        from runyard.demo_workflows import APP as DEMO_APP

        loaded = load_demo(services)
        if loaded:
            err.print(f"demo: loaded {loaded:,} runs into the default project")
        for definition in DEMO_APP:
            app_workflows.add(definition)
    # Whether or not it executes workflows, the server keeps runs moving (requeues,
    # wake-ups, time-outs, schedules, callbacks, retention) for every worker.
    housekeeper = Housekeeper(services, retention=settings.retention, metrics=services.metrics)
    housekeeper.start()
    embedded = None
    if worker and app_workflows.workflows:
        transport = _direct(services, None)
        embedded = _worker(transport, app_workflows, concurrency, metrics=services.metrics)
        embedded.start()
    if demo and worker:
        from runyard.api.demo_data import start_demo_runs

        start_demo_runs(services)
    err.print(f"runyard serving on http://{host}:{port} (database {settings.database_url})")
    err.print(f"dashboard: http://{host}:{port}/ — sign in with an API key"
              + ("" if settings.bootstrap_api_key else
                 " (set RUNYARD_BOOTSTRAP_API_KEY, or `runyard keys create`)"))  # fmt: skip
    # Open live streams (dashboard tabs) would hold a shutdown open: give requests 5 s.
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "info",
                               "timeout_graceful_shutdown": 5}  # fmt: skip
    try:
        if processes == 1:
            uvicorn.run(create_app(settings, db, services=services), **options)
        else:
            _serve_processes(settings, processes, options)
    finally:
        if embedded is not None:
            embedded.stop(grace_seconds=10)
        housekeeper.stop()


def _serve_processes(settings: Settings, processes: int, options: dict[str, Any]) -> None:
    """``processes`` uvicorn processes on one listening socket, each building its app from
    the environment, as this process did (uvicorn.run's multi-process path, plus one fix)."""
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ["RUNYARD_DATABASE_URL"] = settings.database_url
    config = uvicorn.Config("runyard.api.app:from_environment", factory=True,
                            workers=processes, **options)  # fmt: skip
    listening = config.bind_socket()
    # uvicorn's socket is made with protocol 0, so asyncio does not set TCP_NODELAY on the
    # connections it accepts (it looks for IPPROTO_TCP) and each response waited ~40 ms
    # for a delayed ACK. Set on the listening socket, accepted ones inherit it.
    listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[listening]).run()


def load_app(spec: str) -> App:
    """The ``App`` named by ``module:attribute`` (the current directory is importable)."""
    import importlib

    from runyard.worker.sdk import App

    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        fail(f"{spec!r}: name an app as module:attribute, e.g. myflows:app")
    sys.path.insert(0, str(Path.cwd()))
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        fail(f"cannot load {spec}: {exc}")
    if not isinstance(found, App):
        fail(f"{spec} is a {type(found).__name__}, not a runyard.worker.App")
    return found


def _direct(services: Services, project: str | None, *, poll: float = 0.05) -> Transport:
    """A transport over the services' database, acting on ``project`` (id or name;
    ``default``, made if the database is new)."""
    from runyard.worker.direct import DirectTransport

    projects = services.projects
    found = projects.bootstrap(None) if project is None else projects.find(project)
    if found is None:
        fail(f"no project {project!r}")
    return DirectTransport(services, found.id, poll_seconds=poll)


def _worker(
    transport: Transport,
    workflows: App,
    concurrency: int,
    lease: float = 30.0,
    metrics: Metrics | None = None,
) -> Any:
    from runyard.worker.runner import Worker

    if lease <= 0:
        fail("--lease must be a positive number of seconds")
    if concurrency < 1:
        fail("--concurrency must be at least 1")
    return Worker(transport, workflows, concurrency=concurrency,
                  lease=timedelta(seconds=lease), metrics=metrics)  # fmt: skip


def _serve_metrics(metrics: Metrics, host: str, port: int) -> Metrics:
    """This worker's ``metrics``, exposed over HTTP on a thread of its own (live run
    counts too when they were built with the database)."""
    from prometheus_client import start_http_server

    try:
        start_http_server(port, addr=host, registry=metrics.registry)
    except OSError as exc:
        fail(f"--metrics-port {port}: {exc.strerror or exc}")
    err.print(f"metrics on http://{host}:{port}/metrics")
    return metrics


def worker(
    ctx: typer.Context,
    spec: Annotated[str, typer.Argument(help="module:app, the workflows to execute.")],
    url: Annotated[
        str | None,
        typer.Option(
            help="Execute over this server's worker routes (e.g. https://runyard.example.com), "
            "holding only --api-key: no database credentials. Without it, the worker "
            "works on --database-url directly. Default: runyard's --url / RUNYARD_URL."
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            help="Key for --url: a worker key (runyard keys create --role worker) or a "
            "write/admin key. Default: runyard's --api-key / RUNYARD_API_KEY."
        ),
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Runs executed at once.")] = 16,
    lease: Annotated[
        float,
        typer.Option(
            help="Seconds a claim lasts without a heartbeat (a vanished worker's "
            "runs are requeued after it)."
        ),
    ] = 30.0,
    poll: Annotated[
        float,
        typer.Option(
            help="Database-direct: seconds an idle worker waits before looking for runs "
            "again (over --url the server tells it at once)."
        ),
    ] = 0.05,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            help="Serve Prometheus metrics (claim latency, step durations, runs "
            "finished; live runs when database-direct) at http://HOST:PORT/metrics."
        ),
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="Address for --metrics-port.")] = "127.0.0.1",
    retention: Annotated[
        str | None,
        typer.Option(
            help="Database-direct: also prune ended runs older than this (90d, 12h) as "
            "housekeeping (over --url, the server's RUNYARD_RETENTION does)."
        ),
    ] = None,
) -> None:
    """Execute workflows: register the app's workflows, then claim and run their runs.

    Over a server (--url and --api-key, or RUNYARD_URL and RUNYARD_API_KEY) the worker
    needs no database access at all and can run anywhere that reaches the server; it
    retries with back-off while the server is away. Without --url it works on
    --database-url directly, and also does the housekeeping a server would. Any number
    of workers may run at once. What a workflow prints or logs is its run's log.
    SIGTERM or Ctrl-C stops it gracefully (runs in progress get 30 s to finish, then go
    back to the queue and resume after their last recorded step).
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    url = url or ctx.obj.url
    if poll <= 0:
        fail("--poll must be a positive number of seconds")
    if url:
        if retention:
            fail("--retention is the server's housekeeping over --url: set RUNYARD_RETENTION "
                 "for runyard serve")  # fmt: skip
        _remote_worker(ctx, spec, url, api_key or ctx.obj.api_key, concurrency, lease,
                       metrics_port, metrics_host)  # fmt: skip
    else:
        _direct_worker(ctx, spec, concurrency, lease, poll, metrics_port, metrics_host, retention)


def _remote_worker(
    ctx: typer.Context,
    spec: str,
    url: str,
    api_key: str | None,
    concurrency: int,
    lease: float,
    metrics_port: int | None,
    metrics_host: str,
) -> None:
    from runyard.core.errors import RunyardError
    from runyard.service.metrics import Metrics
    from runyard.worker.remote import HttpTransport

    if not api_key:
        fail("--url needs --api-key (or RUNYARD_API_KEY): a worker, write or admin key")
    app = load_app(spec)
    metrics = _serve_metrics(Metrics(), metrics_host, metrics_port) if metrics_port else None
    transport = HttpTransport(url, api_key, project=ctx.obj.project)
    try:
        _worker(transport, app, concurrency, lease, metrics).run_until_signalled()
    except RunyardError as exc:  # a refused key, say: one line, not a traceback
        fail(exc.detail)
    except KeyboardInterrupt:
        fail("stopped before it started", 130)
    finally:
        transport.close()


def _direct_worker(
    ctx: typer.Context,
    spec: str,
    concurrency: int,
    lease: float,
    poll: float,
    metrics_port: int | None,
    metrics_host: str,
    retention: str | None,
) -> None:
    from runyard.core.durations import parse_duration
    from runyard.service.housekeeping import Housekeeper
    from runyard.service.services import Services
    from runyard.store.database import Database

    try:
        settings = Settings.from_env(database_url=ctx.obj.database_url)
        keep = parse_duration(retention) if retention else None
    except ValueError as exc:
        fail(f"configuration: {exc}")
    db = Database.connect(settings.database_url, pool_size=concurrency + 4)
    try:
        db.upgrade()
        services = Services.build(db, log_cap=settings.log_cap)
        metrics = None
        if metrics_port:
            metrics = _serve_metrics(services.metrics, metrics_host, metrics_port)
        transport = _direct(services, ctx.obj.project, poll=poll)
        found = _worker(transport, load_app(spec), concurrency, lease, metrics)
        housekeeper = Housekeeper(services, retention=keep, metrics=metrics)
        housekeeper.start()
        try:
            found.run_until_signalled()
        finally:
            housekeeper.stop()
    finally:
        db.dispose()
