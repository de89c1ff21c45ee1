"""The ``runyard`` command line: the root command, its options, and its subjects.

Each subject is a module of its own: ``serve``, ``worker``, ``db``, ``projects``,
``keys``, ``workflows`` and ``runs``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from runyard.cli import db, keys, projects, runs, serve, worker, workflows
from runyard.cli.client import Target
from runyard.cli.output import err, one_line
from runyard.config import DEFAULT_DATABASE_URL
from runyard.core.errors import RunyardError

app = typer.Typer(
    help="runyard: keeps every workflow run and finds any of them instantly.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(serve.serve)
app.command("worker")(worker.worker)
for subject, name in (
    (db.app, "db"),
    (projects.app, "projects"),
    (keys.app, "keys"),
    (workflows.app, "workflows"),
    (runs.app, "runs"),
):
    app.add_typer(subject, name=name)


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


def main() -> None:
    try:
        app()
    except RunyardError as exc:  # raised outside a command's own handling: no traceback
        err.print(f"[red]error:[/red] {escape(one_line(exc))}", soft_wrap=True)
        sys.exit(1)
