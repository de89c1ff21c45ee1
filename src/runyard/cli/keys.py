"""``runyard keys``: API keys of a project."""

from __future__ import annotations

from typing import Annotated

import typer

from runyard.cli import output
from runyard.cli.client import connected

app = typer.Typer(help="API keys.", no_args_is_help=True)


@app.command("create")
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
    with connected(ctx) as client:
        key = client.create_key(project_id, role=role, name=name)
    output.console.print(f"key id={key.id} role={key.role}")
    print(key.key)
