"""``runyard serve``: the API server, its housekeeping, and its embedded worker."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from runyard.cli.output import err, fail
from runyard.cli.worker import direct_transport, load_app, new_worker
from runyard.config import Settings

if TYPE_CHECKING:
    from runyard.service.services import Services
    from runyard.worker.sdk import App

Host = Annotated[str, typer.Option(help="Interface to listen on.")]
Port = Annotated[int, typer.Option(help="Port to listen on.")]
Demo = Annotated[
    bool, typer.Option(help="Fill an empty database with demo runs, and execute demo workflows.")
]
Embedded = Annotated[
    bool, typer.Option(help="Execute workflows in this process (an embedded worker).")
]
Apps = Annotated[
    list[str],
    typer.Option("--app", help="module:app whose workflows the embedded worker executes."),
]
Concurrency = Annotated[int, typer.Option(help="Runs the embedded worker executes at once.")]
Processes = Annotated[
    int,
    typer.Option(
        help="Server processes answering requests on the port (the embedded worker "
        "runs once, in the parent)."
    ),
]


def serve(
    ctx: typer.Context,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    demo: Demo = False,
    worker: Embedded = True,
    workflows: Apps = [],  # noqa: B006 - typer copies defaults
    concurrency: Concurrency = 4,
    processes: Processes = 1,
) -> None:
    """Run the API server (migrating the database first), with an embedded worker."""
    import uvicorn

    from runyard.api.app import create_app, prepare
    from runyard.service.housekeeping import Housekeeper
    from runyard.store.database import Database

    if processes < 1:
        fail("--processes must be at least 1")
    try:
        settings = Settings.from_env(database_url=ctx.obj.database_url)
    except ValueError as exc:
        fail(f"configuration: {exc}")
    db = Database.connect(settings.database_url, pool_size=settings.db_pool_size)
    services = prepare(settings, db)
    executed = _workflows(services, workflows, demo)
    # Whether or not it executes workflows, the server keeps runs moving (requeues,
    # wake-ups, time-outs, schedules, callbacks, retention) for every worker.
    housekeeper = Housekeeper(services, retention=settings.retention, metrics=services.metrics)
    housekeeper.start()
    embedded = None
    if worker and executed.workflows:
        transport = direct_transport(services, None)
        embedded = new_worker(transport, executed, concurrency, metrics=services.metrics)
        embedded.start()
    if demo and worker:
        from runyard.api.demo_data import start_demo_runs

        start_demo_runs(services)
    _announce(settings, host, port)
    # Open live streams (dashboard tabs) would hold a shutdown open: give requests 5 s.
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "timeout_graceful_shutdown": 5,
    }
    try:
        if processes == 1:
            uvicorn.run(create_app(settings, db, services=services), **options)
        else:
            _serve_processes(settings, processes, options)
    finally:
        if embedded is not None:
            embedded.stop(grace_seconds=10)
        housekeeper.stop()


def _workflows(services: Services, specs: list[str], demo: bool) -> App:
    """The workflows the embedded worker executes: the named apps', and with ``demo`` the
    demo workflows (the demo runs loaded first, into an empty database)."""
    from runyard.api.demo_data import load_demo
    from runyard.worker.sdk import App

    executed = App()
    for spec in specs:
        for definition in load_app(spec):
            executed.add(definition)
    if demo:
        from runyard.demo_workflows import APP as DEMO_APP

        loaded = load_demo(services)
        if loaded:
            err.print(f"demo: loaded {loaded:,} runs into the default project")
        for definition in DEMO_APP:
            executed.add(definition)
    return executed


def _announce(settings: Settings, host: str, port: int) -> None:
    err.print(f"runyard serving on http://{host}:{port} (database {settings.database_url})")
    hint = ""
    if not settings.bootstrap_api_key:
        hint = " (set RUNYARD_BOOTSTRAP_API_KEY, or `runyard keys create`)"
    err.print(f"dashboard: http://{host}:{port}/ — sign in with an API key{hint}")


def _serve_processes(settings: Settings, processes: int, options: dict[str, Any]) -> None:
    """``processes`` uvicorn processes on one listening socket, each building its app from
    the environment, as this process did (uvicorn.run's multi-process path, plus one fix)."""
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ["RUNYARD_DATABASE_URL"] = settings.database_url
    config = uvicorn.Config(
        "runyard.api.app:from_environment", factory=True, workers=processes, **options
    )
    listening = config.bind_socket()
    # uvicorn's socket is made with protocol 0, so asyncio does not set TCP_NODELAY on the
    # connections it accepts (it looks for IPPROTO_TCP) and each response waited ~40 ms
    # for a delayed ACK. Set on the listening socket, accepted ones inherit it.
    listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[listening]).run()
