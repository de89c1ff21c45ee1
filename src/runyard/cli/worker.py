"""``runyard worker``: execute an app's workflows, over a server or on a database; and the
pieces of a worker that ``runyard serve``'s embedded one shares (``serve.py``)."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from runyard.cli.output import err, fail
from runyard.config import Settings

if TYPE_CHECKING:
    from runyard.service.metrics import Metrics
    from runyard.service.services import Services
    from runyard.worker.runner import Worker
    from runyard.worker.sdk import App
    from runyard.worker.transport import Transport

Spec = Annotated[str, typer.Argument(help="module:app, the workflows to execute.")]
Url = Annotated[
    str | None,
    typer.Option(
        help="Execute over this server's worker routes (e.g. https://runyard.example.com), "
        "holding only --api-key: no database credentials. Without it, the worker "
        "works on --database-url directly. Default: runyard's --url / RUNYARD_URL."
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        help="Key for --url: a worker key (runyard keys create --role worker) or a "
        "write/admin key. Default: runyard's --api-key / RUNYARD_API_KEY."
    ),
]
Concurrency = Annotated[int, typer.Option(help="Runs executed at once.")]
Lease = Annotated[
    float,
    typer.Option(
        help="Seconds a claim lasts without a heartbeat (a vanished worker's "
        "runs are requeued after it)."
    ),
]
Poll = Annotated[
    float,
    typer.Option(
        help="Database-direct: seconds an idle worker waits before looking for runs "
        "again (over --url the server tells it at once)."
    ),
]
MetricsPort = Annotated[
    int | None,
    typer.Option(
        help="Serve Prometheus metrics (claim latency, step durations, runs "
        "finished; live runs when database-direct) at http://HOST:PORT/metrics."
    ),
]
MetricsHost = Annotated[str, typer.Option(help="Address for --metrics-port.")]
Retention = Annotated[
    str | None,
    typer.Option(
        help="Database-direct: also prune ended runs older than this (90d, 12h) as "
        "housekeeping (over --url, the server's RUNYARD_RETENTION does)."
    ),
]


def worker(
    ctx: typer.Context,
    spec: Spec,
    url: Url = None,
    api_key: ApiKey = None,
    concurrency: Concurrency = 16,
    lease: Lease = 30.0,
    poll: Poll = 0.05,
    metrics_port: MetricsPort = None,
    metrics_host: MetricsHost = "127.0.0.1",
    retention: Retention = None,
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
            fail(
                "--retention is the server's housekeeping over --url: set RUNYARD_RETENTION "
                "for runyard serve"
            )
        key = api_key or ctx.obj.api_key
        _remote_worker(ctx, spec, url, key, concurrency, lease, metrics_port, metrics_host)
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
        new_worker(transport, app, concurrency, lease, metrics).run_until_signalled()
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
        transport = direct_transport(services, ctx.obj.project, poll=poll)
        found = new_worker(transport, load_app(spec), concurrency, lease, metrics)
        housekeeper = Housekeeper(services, retention=keep, metrics=metrics)
        housekeeper.start()
        try:
            found.run_until_signalled()
        finally:
            housekeeper.stop()
    finally:
        db.dispose()


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


def direct_transport(services: Services, project: str | None, *, poll: float = 0.05) -> Transport:
    """A transport over the services' database, acting on ``project`` (id or name;
    ``default``, made if the database is new)."""
    from runyard.worker.direct import DirectTransport

    projects = services.projects
    found = projects.bootstrap(None) if project is None else projects.find(project)
    if found is None:
        fail(f"no project {project!r}")
    return DirectTransport(services, found.id, poll_seconds=poll)


def new_worker(
    transport: Transport,
    workflows: App,
    concurrency: int,
    lease: float = 30.0,
    metrics: Metrics | None = None,
) -> Worker:
    """A worker of ``workflows`` over ``transport`` (not started)."""
    from runyard.worker.runner import Worker

    if lease <= 0:
        fail("--lease must be a positive number of seconds")
    if concurrency < 1:
        fail("--concurrency must be at least 1")
    seconds = timedelta(seconds=lease)
    return Worker(transport, workflows, concurrency=concurrency, lease=seconds, metrics=metrics)


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
