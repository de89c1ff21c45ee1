"""``runyard workflows``: the project's workflows."""

from __future__ import annotations

from typing import Annotated

import typer

from runyard.cli import output
from runyard.cli.client import connected

app = typer.Typer(help="Workflows.", no_args_is_help=True)


@app.command("list")
def workflows_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List workflows with their versions, parameters and run counts."""
    with connected(ctx) as client:
        items = [w.raw for w in client.workflows()]
    if as_json:
        output.print_json(items)
    else:
        output.workflows_table(items)
