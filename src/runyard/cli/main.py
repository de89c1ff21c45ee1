"""The ``runyard`` command line: serve, manage and query runs."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from runyard.cli import output, processes, vendor
from runyard.cli.client import connect
from runyard.client import Client, LogLine
from runyard.config import DEFAULT_DATABASE_URL
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

    def client(self) -> Client:
        return connect(self.url, self.api_key, self.database_url, self.project)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def one_line(exc: RunyardError) -> str:
    """An error as one line, the HTTP status first when a server answered."""
    detail = " ".join(exc.detail.split())
    return f"{exc.status}: {detail}" if exc.status else detail


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


@contextmanager
def _api(ctx: typer.Context, failing: str = "") -> Iterator[Client]:
    """A client of the server or database the command is pointed at; a ``RunyardError``
    ends the command with its message (after ``failing``) on one line."""
    target: Target = ctx.obj
    try:
        with target.client() as client:
            yield client
    except RunyardError as exc:
        fail(f"{failing}{one_line(exc)}")


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


# -- serve and db ------------------------------------------------------------------


def _duration(option: str, text: str) -> Any:
    from runyard.core.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        fail(f"{option}: {exc}")


app.command()(processes.serve)
app.command("worker")(processes.worker)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply every pending migration to --database-url."""
    from runyard.store.database import Database

    target: Target = ctx.obj
    db = Database.connect(target.database_url, pool_size=1)
    try:
        db.upgrade()
        err.print(f"database at revision {db.revision()}")
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
    from runyard.store import backup

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
    if not done.current:
        err.print("the backup is of an older schema: run 'runyard db upgrade' next")


# -- projects and keys ---------------------------------------------------------------


@projects_app.command("create")
def projects_create(ctx: typer.Context, name: str) -> None:
    """Create a project (needs the server-admin key, or a database URL)."""
    with _api(ctx) as client:
        project = client.create_project(name)
    output.console.print(f"created project [bold]{project.name}[/bold] id={project.id}")


@projects_app.command("list")
def projects_list(ctx: typer.Context) -> None:
    """List projects."""
    with _api(ctx) as client:
        projects = client.projects()
    for project in projects:
        output.console.print(f"{project.id}  {project.name}")


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    project_id: Annotated[str, typer.Option("--for", help="Project id the key belongs to.")],
    role: Annotated[
        str,
        typer.Option(help="read, write, admin, or worker (executes runs: runyard worker --url)."),
    ] = "read",
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
) -> None:
    """Create an API key. Its secret is printed once and cannot be shown again."""
    with _api(ctx) as client:
        key = client.create_key(project_id, role=role, name=name)
    output.console.print(f"key id={key.id} role={key.role}")
    print(key.key)


# -- workflows -----------------------------------------------------------------------


@workflows_app.command("list")
def workflows_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List workflows with their versions, parameters and run counts."""
    with _api(ctx) as client:
        items = [w.raw for w in client.workflows()]
    if as_json:
        _print_json(items)
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
    query: dict[str, Any] = {
        "workflow_id": workflow, "workflow_type": type, "status": status,
        "trigger_type": trigger, "triggered_by": triggered_by, "credential_id": credential,
        "error_code": error_code, "tag": tag, "created_after": _since(since, "since"),
        "created_before": _since(until, "until"), "search": search, "parent_run_id": parent,
        "root_run_id": root, "cursor": cursor, "is_test": test, "has_parent": children,
        "requeued": requeued, "sort": sort, "limit": limit, "offset": offset or None,
        "include_total": total or None, "exact_total": (total and exact) or None,
    }  # fmt: skip
    with _api(ctx) as client:
        page = client.list_runs(**query).raw
    if as_json:
        _print_json(page)
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
    with _api(ctx) as client:
        run = client.trigger(workflow, data, idempotency_key=idempotency_key, trigger_type="manual")
    if as_json:
        _print_json(run.raw)
    else:
        output.console.print(f"queued run [bold]{run.id}[/bold] of {run.workflow_name}")


@runs_app.command("show")
def runs_show(
    ctx: typer.Context,
    run_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """One run with its steps and errors."""
    with _api(ctx) as client:
        run = client.get_run(run_id).raw
    if as_json:
        _print_json(run)
    else:
        output.run_detail(run)


def _log_line(line: LogLine) -> str:
    step = f" [{line.step}]" if line.step else ""
    return f"{line.raw.get('ts', line.ts.isoformat())} {line.level}{step} {line.message}"


@runs_app.command("logs")
def runs_logs(
    ctx: typer.Context,
    run_id: str,
    follow: Annotated[
        bool,
        typer.Option("--follow", "-f", help="Keep printing new lines until the run ends."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """A run's log, one line each: time, level, [step] and message."""
    with _api(ctx) as client:
        lines = client.follow_logs(run_id) if follow else client.iter_logs(run_id)
        for line in lines:
            text = json.dumps(line.raw, ensure_ascii=False) if as_json else _log_line(line)
            print(text, flush=True)


@runs_app.command("import")
def runs_import(
    ctx: typer.Context,
    file: Annotated[
        Path | None, typer.Argument(help="JSON lines: one run record per line ('-' for stdin).")
    ] = None,
    batch: Annotated[int, typer.Option(help="Runs per request (1-1000).")] = 1000,
    source: vendor.From = None,
    vendor_url: vendor.VendorUrl = None,
    vendor_key: vendor.VendorKey = None,
    since: vendor.Since = None,
    vendor_project: vendor.VendorProject = None,
    vendor_workflow: vendor.VendorWorkflow = [],  # noqa: B006
    checkpoint: vendor.CheckpointFile = None,
    restart: vendor.Restart = False,
    details: vendor.Details = True,
) -> None:
    """Import complete run records (a FILE), or a vendor's run history (--from, see
    README); runs whose id exists already are skipped."""
    if (file is None) == (source is None):
        fail("give exactly one of FILE or --from VENDOR")
    if not 1 <= batch <= 1000:
        fail("--batch must be between 1 and 1000")
    if source is not None:
        try:
            vendor.import_from_vendor(
                ctx.obj, source.value, vendor_url, vendor_key, since, vendor_project,
                vendor_workflow, checkpoint, restart, details, batch,
            )  # fmt: skip
        except RunyardError as exc:  # what was imported stays; a rerun resumes
            fail(one_line(exc))
        return
    assert file is not None
    stream = sys.stdin if str(file) == "-" else None
    if stream is None and not file.exists():
        fail(f"{file}: no such file")
    line_no = 0

    def records() -> Iterator[Any]:
        nonlocal line_no
        with stream or file.open(encoding="utf-8") as lines:
            for line_no, line in enumerate(lines, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:
                        fail(f"line {line_no}: not JSON ({exc.msg})")

    started = time.perf_counter()
    with _api(ctx) as client:
        try:
            result = client.import_runs(records(), batch=batch)
        except RunyardError as exc:  # the batches before this one stay imported
            fail(f"batch ending at line {line_no}: {one_line(exc)}")
    elapsed = time.perf_counter() - started
    rate = result.imported / elapsed if elapsed else 0
    output.console.print(
        f"imported {result.imported:,} runs, skipped {result.skipped:,} existing"
        f" ({rate:,.0f} runs/s)"
    )


def main() -> None:
    try:
        app()
    except RunyardError as exc:  # raised outside a command's own handling: no traceback
        err.print(f"[red]error:[/red] {escape(one_line(exc))}", soft_wrap=True)
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
        with _api(ctx) as client:
            found = client.prune(older_than, dry_run=True)
        output.console.print(
            f"{found.matched or 0:,} ended runs were created before {found.raw['cutoff']}"
        )
        return
    deleted, started = 0, time.perf_counter()
    with _api(ctx) as client:
        while True:
            done = client.prune(older_than)
            deleted += done.deleted
            if not done.more:
                break
            err.print(f"deleted {deleted:,} runs so far ...")
    elapsed = time.perf_counter() - started
    output.console.print(
        f"deleted {deleted:,} ended runs created before {done.raw['cutoff']} in {elapsed:,.1f} s"
    )
