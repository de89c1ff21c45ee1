"""The shape of a database upkeep thread (see sqlite_checkpointer, postgres_maintenance)."""

from __future__ import annotations

from typing import Protocol


class Upkeep(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def nudge(self) -> None:
        """A bulk write just committed: do a pass soon rather than at the next tick."""
