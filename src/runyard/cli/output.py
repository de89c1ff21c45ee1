"""What the CLI prints: runs and workflows for a person (``--json`` is for scripts), and
an error as one line on stderr."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from runyard.core.errors import RunyardError

console = Console()
err = Console(stderr=True)

STATUS_STYLE = {
    "completed": "green",
    "failed": "red",
    "timed_out": "red",
    "terminated": "magenta",
    "canceled": "magenta",
    "canceling": "magenta",
    "running": "cyan",
    "queued": "yellow",
    "created": "yellow",
    "waiting": "blue",
    "paused": "blue",
}

# The fields ``run_detail`` shows, when set: (label, key).
DETAIL_FIELDS = (
    ("workflow", "workflow_name"),
    ("version", "workflow_version"),
    ("trigger", "trigger_type"),
    ("triggered by", "triggered_by"),
    ("credential", "credential_id"),
    ("parent", "parent_run_id"),
    ("root", "root_run_id"),
    ("retry of", "source_run_id"),
    ("created", "created_at"),
    ("started", "started_at"),
    ("finished", "finished_at"),
    ("error", "error"),
)


def fail(message: str, code: int = 1) -> NoReturn:
    """End the command with ``message`` on stderr and exit ``code``."""
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def one_line(exc: RunyardError) -> str:
    """An error as one line, the HTTP status first when a server answered."""
    detail = " ".join(exc.detail.split())
    return f"{exc.status}: {detail}" if exc.status else detail


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def _status(value: str) -> str:
    return f"[{STATUS_STYLE.get(value, 'white')}]{value}[/]"


def runs_table(page: dict[str, Any]) -> None:
    table = Table(show_lines=False, header_style="bold")
    for column in ("id", "workflow", "status", "created (UTC)", "duration", "trigger", "error"):
        table.add_column(column, overflow="fold")
    for run in page["items"]:
        table.add_row(
            run["id"],
            run.get("workflow_name") or run["workflow_id"],
            _status(run["status"]),
            _when(run["created_at"]),
            _duration(run.get("duration_seconds")),
            run["trigger_type"],
            (run.get("error") or "")[:60],
        )
    console.print(table)
    summary = f"{len(page['items'])} runs"
    if page.get("total") is not None:
        bound = "" if page.get("total_exact", True) else "at least "
        summary += f" of {bound}{page['total']:,}"
    console.print(summary)
    if page.get("next_cursor"):
        console.print(f"more: --cursor {page['next_cursor']}")


def workflows_table(items: list[dict[str, Any]]) -> None:
    table = Table(header_style="bold")
    for column in ("name", "type", "version", "parameters", "runs", "last run (UTC)", "id"):
        table.add_column(column, overflow="fold")
    for w in items:
        table.add_row(
            w["name"],
            w["type"],
            str(w["version"]),
            ", ".join(p["key"] for p in w["parameters"]),
            f"{w['runs_count'] or 0:,}",
            _when(w.get("last_run_at")),
            w["id"],
        )
    console.print(table)


def run_detail(run: dict[str, Any]) -> None:
    console.print(f"[bold]{run['id']}[/bold]  {_status(run['status'])}  attempt {run['attempt']}")
    for label, key in DETAIL_FIELDS:
        if run.get(key) not in (None, ""):
            console.print(f"  {label:<13}{run[key]}")
    console.print(f"  {'input':<13}{json.dumps(run['input'], ensure_ascii=False)}")
    if run.get("tags"):
        console.print(f"  {'tags':<13}{json.dumps(run['tags'], ensure_ascii=False)}")
    if run.get("result") is not None:
        console.print(f"  {'result':<13}{json.dumps(run['result'], ensure_ascii=False)}")
    steps = run.get("steps") or []
    if steps:
        table = Table(title="steps", header_style="bold")
        for column in ("#", "name", "status", "errors"):
            table.add_column(column, overflow="fold")
        for step in steps:
            errors = "; ".join(f"{e['error_code']}: {e.get('message', '')}" for e in step["errors"])
            table.add_row(str(step["seq"]), step["name"], _status(step["status"]), errors)
        console.print(table)
