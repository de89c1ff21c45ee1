"""``runyard runs import --from VENDOR``: a vendor's run history into runyard.

The options of the vendor form of ``runs import`` (declared here, used by the command in
``runs.py``) and the glue from them to ``runyard.vendor_import``: the checkpoint's
place, the progress line, the final count.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from runyard.cli import output
from runyard.cli.client import Target
from runyard.core.errors import InvalidInput
from runyard.core.times import parse_relative, to_rfc3339, utcnow
from runyard.vendor_import import (
    VENDORS,
    Ask,
    Checkpoint,
    Options,
    Totals,
    default_path,
    run_import,
)
from runyard.vendor_import.progress import ProgressLine


class VendorName(StrEnum):
    POLOS = "polos"
    B3OS = "b3os"
    SKYVERN = "skyvern"
    CLOUDCRUISE = "cloudcruise"
    NOXUS = "noxus"


From = Annotated[
    VendorName | None,
    typer.Option("--from", help="Import from this vendor's list-runs API instead of a FILE."),
]
VendorUrl = Annotated[
    str | None,
    typer.Option(
        help="The vendor's API base URL, e.g. https://api.skyvern.com.", show_default=False
    ),
]
VendorKey = Annotated[
    str | None,
    typer.Option(envvar="RUNYARD_VENDOR_KEY", help="The vendor's API key.", show_default=False),
]
Since = Annotated[
    str | None, typer.Option(help="Only runs created at or after: 30d, 12h or RFC 3339.")
]
VendorProject = Annotated[
    str | None,
    typer.Option(help="The vendor's project: Polos' X-Project-ID (required), B3OS' X-Org-ID."),
]
VendorWorkflow = Annotated[
    list[str],
    typer.Option(
        help="A vendor workflow id (repeatable): B3OS needs one; Skyvern and Noxus then "
        "walk those workflows' lists (Skyvern's bring their child runs); Polos and "
        "CloudCruise filter by them."
    ),
]
CheckpointFile = Annotated[
    Path | None,
    typer.Option(
        "--checkpoint",
        help="Where the import notes its progress (default: under ~/.cache/runyard/imports).",
    ),
]
Restart = Annotated[
    bool,
    typer.Option(
        "--restart",
        help="Ignore the checkpoint: walk every run again (by default a rerun resumes an "
        "interrupted import, or brings only the runs created since the last one).",
    ),
]
Details = Annotated[
    bool,
    typer.Option(
        help="Ask each run for what the vendor's list leaves out (Skyvern's errors, "
        "CloudCruise's input, errors and credential, Polos' parent)."
    ),
]


def import_from_vendor(
    target: Target,
    vendor_name: str,
    url: str | None,
    key: str | None,
    since: str | None,
    project: str | None,
    workflows: list[str],
    checkpoint_file: Path | None,
    restart: bool,
    details: bool,
    batch: int,
) -> None:
    """Run the import; a ``RunyardError`` (a refused key, a vendor that stays away)
    reaches the caller, which prints it on one line."""
    if not url:
        raise InvalidInput("--vendor-url is needed with --from")
    if not key:
        raise InvalidInput("--vendor-key (or RUNYARD_VENDOR_KEY) is needed with --from")
    vendor = VENDORS[vendor_name]
    try:
        start = parse_relative(since, utcnow()) if since else None
    except ValueError as exc:
        raise InvalidInput(f"--since: {exc}; or give a relative time such as 30d") from None
    ask = Ask(url, key, project, tuple(workflows), start, details=details)
    identity = {
        "vendor": vendor.name,
        "url": url.rstrip("/"),
        "project": project,
        "workflows": sorted(workflows),
        "since": since,
        "target": [target.url or target.database_url, target.project],
    }
    checkpoint = Checkpoint(checkpoint_file or default_path(identity), identity)
    err = Console(stderr=True)
    try:
        with target.client() as client, ProgressLine(err, vendor.title) as line:
            options = Options(restart=restart, batch=batch, report=line.report)
            totals = run_import(vendor, ask, client, checkpoint, options)
    except KeyboardInterrupt:
        err.print(f"interrupted; run the same command again to resume ({checkpoint.path})")
        raise typer.Exit(130) from None
    _summary(err, totals)


def _summary(err: Console, totals: Totals) -> None:
    for reason in totals.reasons:
        err.print(f"[yellow]not imported:[/yellow] {escape(reason)}", soft_wrap=True)
    if totals.unreadable > len(totals.reasons):
        err.print(f"... and {totals.unreadable - len(totals.reasons):,} more not imported")
    resumed = ""
    if totals.earlier is not None:
        earlier = totals.earlier
        resumed = f" (resumed after {earlier.imported:,} imported in {earlier.pages:,} pages)"
    if totals.since_last is not None:
        resumed = (
            f" (new since the last import: from {to_rfc3339(totals.since_last)}; --restart for all)"
        )
    made = f", {totals.workflows_created:,} workflows created" if totals.workflows_created else ""
    output.console.print(
        f"imported {totals.imported:,} runs, skipped {totals.skipped:,} existing, "
        f"{totals.pages:,} pages{made}{resumed}",
        soft_wrap=True,
    )
