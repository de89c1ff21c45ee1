"""The ``runyard`` command line: serve, manage and query runs."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from runyard.cli import output
from runyard.cli.client import ApiClient, ApiError, connect
from runyard.config import DEFAULT_DATABASE_URL, Settings
from runyard.core.errors import RunyardError
from runyard.core.query import COUNT_CAP
from runyard.core.times import parse_relative, to_rfc3339, utcnow

app = typer.Typer(
    help="runyard: keeps every workflow run and finds any of them instantly.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
projects_app = typer.Typer(help="Projects (tenants).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
workflows_app = typer.Typer(help="Workflows.", no_args_is_help=True)
runs_app = typer.Typer(help="Find, show and import runs.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (projects_app, "projects"),
    (keys_app, "keys"),
    (workflows_app, "workflows"),
    (runs_app, "runs"),
):
    app.add_typer(sub, name=name)

err = Console(stderr=True)


class Target:
    def __init__(
        self, url: str | None, api_key: str | None, database_url: str, project: str | None
    ):
        self.url, self.api_key, self.database_url, self.project = (
            url,
            api_key,
            database_url,
            project,
        )

    def client(self) -> ApiClient:
        try:
            return connect(self.url, self.api_key, self.database_url, self.project)
        except ApiError as exc:
            fail(exc.detail)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


@app.callback()
def main_options(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            envvar="RUNYARD_URL",
            help="Server to talk to, e.g. http://127.0.0.1:8000. "
            "Without it, the CLI works on --database-url directly.",
        ),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="RUNYARD_API_KEY", help="API key for --url.")
    ] = None,
    database_url: Annotated[
        str, typer.Option(envvar="RUNYARD_DATABASE_URL", help="Database when no --url is given.")
    ] = DEFAULT_DATABASE_URL,
    project: Annotated[
        str | None,
        typer.Option(
            envvar="RUNYARD_PROJECT", help="Project: its id (or, on a database, its name)."
        ),
    ] = None,
) -> None:
    ctx.obj = Target(url, api_key, database_url, project)


def _run(ctx: typer.Context, method: str, path: str, **kwargs: Any) -> Any:
    target: Target = ctx.obj
    client = target.client()
    try:
        return client.request(method, path, **kwargs)
    except ApiError as exc:
        fail(exc.detail)
    finally:
        client.close()


# -- serve and db ------------------------------------------------------------------


@app.command()
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
    from runyard.store.database import Database
    from runyard.worker.sdk import App

    target: Target = ctx.obj
    if processes < 1:
        fail("--processes must be at least 1")
    try:
        settings = Settings.from_env(database_url=target.database_url)
    except ValueError as exc:
        fail(f"configuration: {exc}")
    db = Database.connect(settings.database_url, pool_size=settings.db_pool_size)
    services = prepare(settings, db)
    app_workflows = App()
    for spec in workflows:
        for definition in _load_app(spec):
            app_workflows.add(definition)
    if demo:
        from runyard.demo_workflows import APP as DEMO_APP

        loaded = load_demo(services)
        if loaded:
            err.print(f"demo: loaded {loaded:,} runs into the default project")
        for definition in DEMO_APP:
            app_workflows.add(definition)
    # Without --worker the process still keeps runs moving (requeues, wake-ups, time-outs).
    embedded = _worker(
        db, app_workflows if worker else App(), concurrency if worker else 0,
        metrics=services.metrics, retention=settings.retention,
    )  # fmt: skip
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
        embedded.stop(grace_seconds=10)


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


def _load_app(spec: str) -> Any:
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


def _worker(
    db: Any,
    workflows: Any,
    concurrency: int,
    project: str | None = None,
    lease: float = 30.0,
    metrics: Any = None,
    poll: float = 0.05,
    retention: Any = None,
) -> Any:
    from datetime import timedelta

    from runyard.store import tenancy
    from runyard.worker.runner import Worker

    with db.read() as conn:
        found = (tenancy.project_by_id(conn, project) if project and len(project) == 36
                 else tenancy.project_by_name(conn, project or "default"))  # fmt: skip
    if found is None:
        fail(f"no project {project!r}")
    if lease <= 0:
        fail("--lease must be a positive number of seconds")
    return Worker(db, workflows, project_id=found.id, concurrency=concurrency,
                  lease=timedelta(seconds=lease), metrics=metrics, poll_seconds=poll,
                  retention=retention)  # fmt: skip


def _duration(option: str, text: str) -> Any:
    from runyard.core.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        fail(f"{option}: {exc}")


def _serve_metrics(db: Any, host: str, port: int) -> Any:
    """This worker's ``Metrics``, exposed over HTTP on a thread of its own."""
    from prometheus_client import start_http_server

    from runyard.service.metrics import Metrics

    metrics = Metrics(db)
    try:
        start_http_server(port, addr=host, registry=metrics.registry)
    except OSError as exc:
        fail(f"--metrics-port {port}: {exc.strerror or exc}")
    err.print(f"metrics on http://{host}:{port}/metrics")
    return metrics


@app.command("worker")
def worker_command(
    ctx: typer.Context,
    spec: Annotated[str, typer.Argument(help="module:app, the workflows to execute.")],
    concurrency: Annotated[int, typer.Option(help="Runs executed at once.")] = 16,
    lease: Annotated[
        float,
        typer.Option(
            help="Seconds a claim lasts without a heartbeat (a vanished worker's "
            "runs are requeued after it)."
        ),
    ] = 30.0,
    poll: Annotated[
        float, typer.Option(help="Seconds an idle worker waits before looking for runs again.")
    ] = 0.05,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            help="Serve Prometheus metrics (claim latency, step durations, runs "
            "finished, live runs) at http://HOST:PORT/metrics."
        ),
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="Address for --metrics-port.")] = "127.0.0.1",
    retention: Annotated[
        str | None,
        typer.Option(help="Also prune ended runs older than this (90d, 12h) as housekeeping."),
    ] = None,
) -> None:
    """Execute workflows: register the app's workflows, then claim and run their runs.

    Talks to --database-url directly; any number of workers may share one database.
    SIGTERM or Ctrl-C stops it gracefully (runs in progress get 30 s to finish, then go
    back to the queue and resume after their last recorded step).
    """
    import logging

    from runyard.store.database import Database

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    target: Target = ctx.obj
    db = Database.connect(target.database_url, pool_size=concurrency + 4)
    try:
        db.upgrade()
        if poll <= 0:
            fail("--poll must be a positive number of seconds")
        metrics = _serve_metrics(db, metrics_host, metrics_port) if metrics_port else None
        keep = _duration("--retention", retention) if retention else None
        found = _worker(
            db, _load_app(spec), concurrency, target.project, lease, metrics=metrics, poll=poll,
            retention=keep,
        )  # fmt: skip
        found.run_until_signalled()
    finally:
        db.dispose()


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply every pending migration to --database-url."""
    from runyard.store import migrate
    from runyard.store.database import Database

    target: Target = ctx.obj
    db = Database.connect(target.database_url, pool_size=1)
    try:
        db.upgrade()
        err.print(f"database at revision {migrate.current_revision(db.engine)}")
    finally:
        db.dispose()


@db_app.command("backup")
def db_backup(
    ctx: typer.Context,
    destination: Annotated[Path, typer.Argument(help="New file to write the backup to.")],
) -> None:
    """Copy a SQLite --database-url to a file, while servers and workers keep using it.

    PostgreSQL: use pg_dump (see README, "Backups")."""
    from runyard.store import backup

    target: Target = ctx.obj
    try:
        done = backup.backup(target.database_url, destination)
    except RunyardError as exc:
        fail(exc.detail)
    err.print(
        f"backed up {done.runs:,} runs ({done.bytes:,} bytes, revision {done.revision}) "
        f"to {done.path}"
    )


@db_app.command("restore")
def db_restore(
    ctx: typer.Context,
    backup_file: Annotated[Path, typer.Argument(help="A file written by 'runyard db backup'.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the database without asking.")
    ] = False,
) -> None:
    """Replace a SQLite --database-url with a backup (stop its servers and workers first).

    The backup is checked before anything is replaced; a backup of an older runyard is
    upgraded by 'runyard db upgrade' or the next 'runyard serve'."""
    from runyard.store import backup, migrate

    target: Target = ctx.obj
    try:
        found = backup.inspect(backup_file)
        where = backup.sqlite_path(target.database_url)
        if where.exists() and not yes:
            typer.confirm(f"replace {where} with {found.runs:,} runs from {backup_file}?",
                          abort=True)  # fmt: skip
        done = backup.restore(backup_file, target.database_url)
    except RunyardError as exc:
        fail(exc.detail)
    err.print(f"restored {done.runs:,} runs (revision {done.revision}) into {done.path}")
    if done.revision != migrate.head_revision():
        err.print("the backup is of an older schema: run 'runyard db upgrade' next")


# -- projects and keys ---------------------------------------------------------------


@projects_app.command("create")
def projects_create(ctx: typer.Context, name: str) -> None:
    """Create a project (needs the server-admin key, or a database URL)."""
    project = _run(ctx, "POST", "/api/v1/projects", json={"name": name})
    output.console.print(f"created project [bold]{project['name']}[/bold] id={project['id']}")


@projects_app.command("list")
def projects_list(ctx: typer.Context) -> None:
    """List projects."""
    for project in _run(ctx, "GET", "/api/v1/projects")["items"]:
        output.console.print(f"{project['id']}  {project['name']}")


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    project_id: Annotated[str, typer.Option("--for", help="Project id the key belongs to.")],
    role: Annotated[str, typer.Option(help="read, write or admin.")] = "read",
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
) -> None:
    """Create an API key. Its secret is printed once and cannot be shown again."""
    key = _run(
        ctx, "POST", f"/api/v1/projects/{project_id}/api-keys", json={"name": name, "role": role}
    )
    output.console.print(f"key id={key['id']} role={key['role']}")
    print(key["key"])


# -- workflows -----------------------------------------------------------------------


@workflows_app.command("list")
def workflows_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List workflows with their versions, parameters and run counts."""
    items = _run(ctx, "GET", "/api/v1/workflows")["items"]
    if as_json:
        print(json.dumps(items, indent=2, ensure_ascii=False))
    else:
        output.workflows_table(items)


# -- runs ----------------------------------------------------------------------------


def _since(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return to_rfc3339(parse_relative(value, utcnow()))
    except ValueError as exc:
        fail(f"--{name}: {exc}; or give a relative time such as 24h, 7d, 30m")


@runs_app.command("list")
def runs_list(
    ctx: typer.Context,
    workflow: Annotated[
        list[str], typer.Option("--workflow", "-w", help="Workflow id or name (repeatable).")
    ] = [],  # noqa: B006
    type: Annotated[list[str], typer.Option("--type", help="Workflow type (repeatable).")] = [],  # noqa: B006
    status: Annotated[list[str], typer.Option("--status", "-s", help="Status (repeatable).")] = [],  # noqa: B006
    since: Annotated[
        str | None, typer.Option(help="Created at or after: 24h, 7d or RFC 3339.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Created before: 1h, 2d or RFC 3339.")] = None,
    trigger: Annotated[list[str], typer.Option(help="Trigger type (repeatable).")] = [],  # noqa: B006
    triggered_by: Annotated[list[str], typer.Option(help="Who triggered (repeatable).")] = [],  # noqa: B006
    credential: Annotated[list[str], typer.Option(help="Credential id (repeatable).")] = [],  # noqa: B006
    error_code: Annotated[list[str], typer.Option(help="Step error code (repeatable).")] = [],  # noqa: B006
    search: Annotated[
        str | None,
        typer.Option("--search", "-q", help="Substring of id, input, headers, parameters."),
    ] = None,
    parent: Annotated[str | None, typer.Option(help="Children of this run.")] = None,
    root: Annotated[str | None, typer.Option(help="Runs under this root run.")] = None,
    tag: Annotated[list[str], typer.Option(help="key or key=value (repeatable).")] = [],  # noqa: B006
    test: Annotated[
        bool | None, typer.Option("--test/--no-test", help="Only test runs, or none.")
    ] = None,
    children: Annotated[
        bool | None,
        typer.Option("--children/--top-level", help="Only child runs, or only top-level runs."),
    ] = None,
    requeued: Annotated[
        bool | None,
        typer.Option(
            "--requeued/--first-attempt",
            help="Queued runs count only if queued again (or only on a first attempt).",
        ),
    ] = None,
    sort: Annotated[
        str, typer.Option(help="created_at, started_at, finished_at, duration; -x for descending.")
    ] = "-created_at",
    limit: Annotated[int, typer.Option(help="Runs per page (1-1000).")] = 50,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page.")] = None,
    offset: Annotated[int, typer.Option(help="Skip this many runs.")] = 0,
    total: Annotated[
        bool,
        typer.Option(
            "--total",
            help=f"Also count the matches (past {COUNT_CAP:,}: a lower bound; see --exact).",
        ),
    ] = False,
    exact: Annotated[
        bool, typer.Option("--exact", help="With --total: count every match, however many.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """Find runs: every filter of GET /api/v1/runs."""
    params: list[tuple[str, Any]] = []
    for key, values in (
        ("workflow_id", workflow), ("workflow_type", type), ("status", status),
        ("trigger_type", trigger), ("triggered_by", triggered_by), ("credential_id", credential),
        ("error_code", error_code), ("tag", tag),
    ):  # fmt: skip
        params.extend((key, v) for v in values)
    for key, value in (
        ("created_after", _since(since, "since")), ("created_before", _since(until, "until")),
        ("search", search), ("parent_run_id", parent), ("root_run_id", root),
        ("cursor", cursor),
    ):  # fmt: skip
        if value is not None:
            params.append((key, value))
    for key, flag in (("is_test", test), ("has_parent", children), ("requeued", requeued)):
        if flag is not None:
            params.append((key, str(flag).lower()))
    params += [("sort", sort), ("limit", limit)]
    if offset:
        params.append(("offset", offset))
    if total:
        params.append(("include_total", "true"))
        if exact:
            params.append(("exact_total", "true"))
    page = _run(ctx, "GET", "/api/v1/runs", params=params)
    if as_json:
        print(json.dumps(page, indent=2, ensure_ascii=False))
        return
    output.runs_table(page)


@runs_app.command("trigger")
def runs_trigger(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="Workflow id or name.")],
    input: Annotated[
        str, typer.Option("--input", "-i", help="The run's input, a JSON object.")
    ] = "{}",
    idempotency_key: Annotated[
        str | None, typer.Option(help="A repeated trigger with this key returns the same run.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """Queue a run of a workflow (a worker executes it)."""
    try:
        data = json.loads(input)
    except json.JSONDecodeError as exc:
        fail(f"--input is not JSON: {exc}")
    if not isinstance(data, dict):
        fail('--input must be a JSON object, e.g. \'{"customer_id": "CUST-1"}\'')
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    body = {"input": data, "trigger_type": "manual"}
    run = _run(ctx, "POST", f"/api/v1/workflows/{workflow}/runs", json=body, headers=headers)
    if as_json:
        print(json.dumps(run, indent=2, ensure_ascii=False))
    else:
        output.console.print(f"queued run [bold]{run['id']}[/bold] of {run['workflow_name']}")


@runs_app.command("show")
def runs_show(
    ctx: typer.Context,
    run_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """One run with its steps and errors."""
    run = _run(ctx, "GET", f"/api/v1/runs/{run_id}")
    if as_json:
        print(json.dumps(run, indent=2, ensure_ascii=False))
    else:
        output.run_detail(run)


@runs_app.command("import")
def runs_import(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="JSON lines: one run record per line ('-' for stdin).")
    ],
    batch: Annotated[int, typer.Option(help="Runs per request (1-1000).")] = 1000,
) -> None:
    """Import complete run records; runs whose id exists already are skipped."""
    if not 1 <= batch <= 1000:
        fail("--batch must be between 1 and 1000")
    stream = sys.stdin if str(file) == "-" else None
    if stream is None and not file.exists():
        fail(f"{file}: no such file")
    target: Target = ctx.obj
    client = target.client()
    imported = skipped = 0
    started = time.perf_counter()
    pending: list[Any] = []

    def flush() -> None:
        nonlocal imported, skipped
        if pending:
            try:
                result = client.request("POST", "/api/v1/runs/import", json={"runs": pending})
            except ApiError as exc:
                fail(f"batch ending at line {line_no}: {exc.detail}")
            imported += result["imported"]
            skipped += result["skipped"]
            pending.clear()

    line_no = 0
    try:
        with stream or file.open(encoding="utf-8") as lines:
            for line_no, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    pending.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    fail(f"line {line_no}: not JSON ({exc.msg})")
                if len(pending) >= batch:
                    flush()
            flush()
    finally:
        client.close()
    elapsed = time.perf_counter() - started
    rate = imported / elapsed if elapsed else 0
    output.console.print(
        f"imported {imported:,} runs, skipped {skipped:,} existing ({rate:,.0f} runs/s)"
    )


def main() -> None:
    try:
        app()
    except RunyardError as exc:  # raised outside a command's own handling: no traceback
        err.print(f"[red]error:[/red] {exc.detail}")
        sys.exit(1)


@runs_app.command("prune")
def runs_prune(
    ctx: typer.Context,
    older_than: Annotated[
        str, typer.Option("--older-than", help="Delete ended runs older than this: 90d, 12h, 2w.")
    ],
    dry_run: Annotated[bool, typer.Option(help="Only count what would be deleted.")] = False,
) -> None:
    """Delete the project's ended runs older than an age, with everything they own.

    Deletes in short transactions (1,000 runs; 200 on SQLite), pausing after each, so
    the API and workers carry on meanwhile; live runs are never deleted. Needs an admin
    key. To prune continuously instead, set RUNYARD_RETENTION=90d for `runyard serve`.
    """
    _duration("--older-than", older_than)
    if dry_run:
        found = _run(ctx, "POST", "/api/v1/runs/prune",
                     json={"older_than": older_than, "dry_run": True})  # fmt: skip
        output.console.print(
            f"{found['matched']:,} ended runs were created before {found['cutoff']}"
        )
        return
    deleted, started = 0, time.perf_counter()
    while True:
        done = _run(ctx, "POST", "/api/v1/runs/prune", json={"older_than": older_than})
        deleted += done["deleted"]
        if not done["more"]:
            break
        err.print(f"deleted {deleted:,} runs so far ...")
    elapsed = time.perf_counter() - started
    output.console.print(
        f"deleted {deleted:,} ended runs created before {done['cutoff']} in {elapsed:,.1f} s"
    )
