"""``runyard runs``: find, show, trigger, import and prune runs."""

from __future__ import annotations

import functools
import inspect
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from runyard.cli import output, vendor
from runyard.cli.client import connected
from runyard.cli.output import err, fail, one_line
from runyard.client import LogLine
from runyard.core.errors import RunyardError
from runyard.core.filters import FILTERS, Filter, Kind
from runyard.core.query import COUNT_CAP
from runyard.core.times import parse_relative, to_rfc3339, utcnow

app = typer.Typer(help="Find, show and import runs.", no_args_is_help=True)
ApiJson = Annotated[bool, typer.Option("--json", help="Print the API's JSON.")]

# -- runs list: a filter option per entry of the filter table (core/filters.py) ---------


def _filter_option(f: Filter) -> inspect.Parameter:
    """``runs list``'s option for one filter: repeatable for a filter of many values, a
    ``--yes/--no`` pair for a flag; time filters also take a relative time (24h, 7d)."""
    help = f"{f.help}." if f.kind is not Kind.TIME else f"{f.help}; or 24h, 7d, 30m ago."
    option = typer.Option(*f.cli, help=help)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    if f.many:
        return inspect.Parameter(f.name, kind, default=[], annotation=Annotated[list[str], option])
    if f.kind is Kind.FLAG:
        return inspect.Parameter(
            f.name, kind, default=None, annotation=Annotated[bool | None, option]
        )
    return inspect.Parameter(f.name, kind, default=None, annotation=Annotated[str | None, option])


class with_filter_options:
    """``command`` taking, besides its own options, one option per filter of the table,
    handed to it as one ``filters`` dict of the API's parameters (unset ones left out)."""

    def __init__(self, command: Callable[..., None]) -> None:
        functools.update_wrapper(self, command)
        self.command = command
        ctx, *own = [
            p
            for p in inspect.signature(command, eval_str=True).parameters.values()
            if p.name != "filters"
        ]
        self.__signature__ = inspect.Signature([ctx, *map(_filter_option, FILTERS), *own])

    def __call__(self, **values: Any) -> None:
        filters = {f.name: _cli_value(f, values.pop(f.name)) for f in FILTERS}
        self.command(**values, filters={k: v for k, v in filters.items() if v not in (None, [])})


def _cli_value(f: Filter, value: Any) -> Any:
    if f.kind is Kind.TIME and value is not None:
        return _since(value, f.cli[0].removeprefix("--"))
    return value


Sort = Annotated[
    str, typer.Option(help="created_at, started_at, finished_at, duration; -x for descending.")
]
Limit = Annotated[int, typer.Option(help="Runs per page (1-1000).")]
Cursor = Annotated[str | None, typer.Option(help="next_cursor of the previous page.")]
Offset = Annotated[int, typer.Option(help="Skip this many runs.")]
Total = Annotated[
    bool,
    typer.Option(
        "--total", help=f"Also count the matches (past {COUNT_CAP:,}: a lower bound; see --exact)."
    ),
]
Exact = Annotated[
    bool, typer.Option("--exact", help="With --total: count every match, however many.")
]


@app.command("list")
@with_filter_options
def runs_list(
    ctx: typer.Context,
    filters: dict[str, Any],
    sort: Sort = "-created_at",
    limit: Limit = 50,
    cursor: Cursor = None,
    offset: Offset = 0,
    total: Total = False,
    exact: Exact = False,
    as_json: ApiJson = False,
) -> None:
    """Find runs: every filter of GET /api/v1/runs."""
    query: dict[str, Any] = {
        **filters,
        "cursor": cursor,
        "sort": sort,
        "limit": limit,
        "offset": offset or None,
        "include_total": total or None,
        "exact_total": (total and exact) or None,
    }
    with connected(ctx) as client:
        page = client.list_runs(**query).raw
    if as_json:
        output.print_json(page)
    else:
        output.runs_table(page)


def _since(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return to_rfc3339(parse_relative(value, utcnow()))
    except ValueError as exc:
        fail(f"--{name}: {exc}; or give a relative time such as 24h, 7d, 30m")


# -- one run -------------------------------------------------------------------------


@app.command("trigger")
def runs_trigger(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="Workflow id or name.")],
    input: Annotated[
        str, typer.Option("--input", "-i", help="The run's input, a JSON object.")
    ] = "{}",
    idempotency_key: Annotated[
        str | None, typer.Option(help="A repeated trigger with this key returns the same run.")
    ] = None,
    as_json: ApiJson = False,
) -> None:
    """Queue a run of a workflow (a worker executes it)."""
    try:
        data = json.loads(input)
    except json.JSONDecodeError as exc:
        fail(f"--input is not JSON: {exc}")
    if not isinstance(data, dict):
        fail('--input must be a JSON object, e.g. \'{"customer_id": "CUST-1"}\'')
    with connected(ctx) as client:
        run = client.trigger(workflow, data, idempotency_key=idempotency_key, trigger_type="manual")
    if as_json:
        output.print_json(run.raw)
    else:
        output.console.print(f"queued run [bold]{run.id}[/bold] of {run.workflow_name}")


@app.command("show")
def runs_show(ctx: typer.Context, run_id: str, as_json: ApiJson = False) -> None:
    """One run with its steps and errors."""
    with connected(ctx) as client:
        run = client.get_run(run_id).raw
    if as_json:
        output.print_json(run)
    else:
        output.run_detail(run)


def _log_line(line: LogLine) -> str:
    step = f" [{line.step}]" if line.step else ""
    return f"{line.raw.get('ts', line.ts.isoformat())} {line.level}{step} {line.message}"


@app.command("logs")
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
    with connected(ctx) as client:
        lines = client.follow_logs(run_id) if follow else client.iter_logs(run_id)
        for line in lines:
            text = json.dumps(line.raw, ensure_ascii=False) if as_json else _log_line(line)
            print(text, flush=True)


# -- many runs -----------------------------------------------------------------------


@app.command("import")
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
    if source is None:
        assert file is not None
        _import_file(ctx, file, batch)
        return
    try:
        vendor.import_from_vendor(
            ctx.obj,
            source.value,
            vendor_url,
            vendor_key,
            since,
            vendor_project,
            vendor_workflow,
            checkpoint,
            restart,
            details,
            batch,
        )
    except RunyardError as exc:  # what was imported stays; a rerun resumes
        fail(one_line(exc))


def _import_file(ctx: typer.Context, file: Path, batch: int) -> None:
    """Import the run records of a JSON-lines file (``-``: stdin), ``batch`` a request."""
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
    with connected(ctx) as client:
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


@app.command("prune")
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
        with connected(ctx) as client:
            found = client.prune(older_than, dry_run=True)
        output.console.print(
            f"{found.matched or 0:,} ended runs were created before {found.raw['cutoff']}"
        )
        return
    deleted, started = 0, time.perf_counter()
    with connected(ctx) as client:
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


def _duration(option: str, text: str) -> Any:
    from runyard.core.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        fail(f"{option}: {exc}")
