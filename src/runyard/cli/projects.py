"""``runyard projects``: create and list projects (tenants)."""

from __future__ import annotations

import typer

from runyard.cli import output
from runyard.cli.client import connected

app = typer.Typer(help="Projects (tenants).", no_args_is_help=True)


@app.command("create")
def projects_create(ctx: typer.Context, name: str) -> None:
    """Create a project (needs the server-admin key, or a database URL)."""
    with connected(ctx) as client:
        project = client.create_project(name)
    output.console.print(f"created project [bold]{project.name}[/bold] id={project.id}")


@app.command("list")
def projects_list(ctx: typer.Context) -> None:
    """List projects."""
    with connected(ctx) as client:
        projects = client.projects()
    for project in projects:
        output.console.print(f"{project.id}  {project.name}")
