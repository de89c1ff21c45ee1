"""What an import asks of a vendor, and what each vendor module provides: its headers,
the lists to walk, how to read a page, and a translator from its run to a runyard run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runyard.core.errors import InvalidInput
from runyard.vendor_import.paging import Item, Listing
from runyard.vendor_import.records import Ids, Translated, parse_time


@dataclass(frozen=True)
class Ask:
    """The user's request: where the vendor is, as whom, and which runs."""

    url: str
    key: str
    project: str | None = None  # the vendor's project, org or workspace, where it needs one
    workflows: tuple[str, ...] = ()  # the vendor's workflow ids; () = every run listed
    since: datetime | None = None  # runs created at or after this
    until: datetime | None = None  # a walk's fixed end where the vendor filters by time
    details: bool = True  # per-run calls for what a vendor's list leaves out


class Vendor:
    """The defaults; each vendor module overrides what its wire does differently."""

    name = ""
    title = ""

    def ids(self, ask: Ask) -> Ids:
        return Ids(self.name, ask.project or "")

    def headers(self, ask: Ask) -> dict[str, str]:
        raise NotImplementedError

    def listings(self, ask: Ask) -> list[Listing]:
        raise NotImplementedError

    def items(self, body: Any) -> list[Item]:
        """The runs of a page's body (a bare array unless the vendor wraps it)."""
        if not isinstance(body, list):
            raise InvalidInput(f"{self.title} answered a list of runs with {type(body).__name__}")
        return [item for item in body if isinstance(item, dict)]

    def listed_at(self, item: Item) -> datetime | None:
        """The time the vendor orders its list by, newest first (for ``--since``)."""
        try:
            return parse_time(item.get("created_at"))
        except ValueError:
            return None

    def translate(self, item: Item, ask: Ask, listing: Listing) -> Translated:
        """The run as an import record; ``Unreadable`` when it cannot be one."""
        raise NotImplementedError

    def detail(self, run: Translated, body: Any, ask: Ask) -> None:
        """Add what a per-run call (``Translated.detail_path``) answered."""

    def message(self, body: Any) -> str | None:
        """The message of the vendor's error envelope."""
        if not isinstance(body, Mapping):
            return None
        for key in ("message", "error", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if key == "detail" and isinstance(value, list) and value:
                first = value[0]
                if isinstance(first, Mapping):
                    where = ".".join(str(p) for p in first.get("loc", ()))
                    return f"{where}: {first.get('msg', '')}".strip(": ")
        return None
