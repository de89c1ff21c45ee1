"""What a person sees while an import runs: a live line on stderr (runs imported and
skipped, pages read, time taken); nothing moves when stderr is not a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from runyard.vendor_import.driver import Totals


def describe(totals: Totals) -> str:
    return f"{totals.imported:,} imported, {totals.skipped:,} skipped, {totals.pages:,} pages"


class ProgressLine:
    """A context manager; ``report`` is the driver's callback."""

    def __init__(self, console: Console, vendor: str) -> None:
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        if console.is_terminal:
            self.bar = Progress(
                SpinnerColumn(),
                TextColumn(f"[bold]{vendor}[/bold]"),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )

    def __enter__(self) -> ProgressLine:
        if self.bar is not None:
            self.bar.start()
            self.task = self.bar.add_task("starting", total=None)
        return self

    def __exit__(self, *_: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def report(self, totals: Totals) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, description=describe(totals))
