"""How a vendor's list-runs API pages, in the three ways the seeds describe, and where a
walk through them stands (what a checkpoint stores).

A page's *state* is plain JSON (an offset, a page number, a cursor), so a position can be
written down and a walk resumed from it by another process. Every list is newest first:
runs that arrive meanwhile push the older ones down, so an offset page may show a run
again (the import skips it) but never hides one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

Item = dict[str, Any]


@dataclass(frozen=True)
class Position:
    """Where a walk resumes: the ``listing``-th list, at ``page``, past its first ``skip``
    runs (None ``page``: that list's first page)."""

    listing: int = 0
    page: Any = None
    skip: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"listing": self.listing, "page": self.page, "skip": self.skip}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Position:
        return cls(int(data["listing"]), data.get("page"), int(data.get("skip", 0)))


class Paging(Protocol):
    @property
    def size(self) -> int: ...

    def first(self) -> Any: ...

    def params(self, page: Any) -> dict[str, Any]: ...

    def after(self, page: Any, items: Sequence[Item], index: int) -> tuple[Any, int]:
        """The position (page, skip) from which the run after ``items[index]`` comes."""
        ...

    def next(self, page: Any, items: Sequence[Item], body: Any) -> Any | None:
        """The page after ``page`` (None: it was the last)."""
        ...


@dataclass(frozen=True)
class Offset:
    """``limit``/``offset`` (Polos, B3OS); ``more`` reads a "has more" flag when the
    vendor sends one."""

    size: int
    limit_param: str = "limit"
    offset_param: str = "offset"
    more: Callable[[Any], bool | None] = field(default=lambda body: None)

    def first(self) -> int:
        return 0

    def params(self, page: Any) -> dict[str, Any]:
        return {self.limit_param: self.size, self.offset_param: int(page)}

    def after(self, page: Any, items: Sequence[Item], index: int) -> tuple[Any, int]:
        return int(page) + index + 1, 0  # any offset can start a page

    def next(self, page: Any, items: Sequence[Item], body: Any) -> Any | None:
        if len(items) < self.size or self.more(body) is False:
            return None
        return int(page) + len(items)


@dataclass(frozen=True)
class PageNumber:
    """``page`` (from 1) and a page size (Skyvern ``page_size``, Noxus ``size``)."""

    size: int
    size_param: str
    page_param: str = "page"
    more: Callable[[Any, int], bool | None] = field(default=lambda body, page: None)

    def first(self) -> int:
        return 1

    def params(self, page: Any) -> dict[str, Any]:
        return {self.page_param: int(page), self.size_param: self.size}

    def after(self, page: Any, items: Sequence[Item], index: int) -> tuple[Any, int]:
        return int(page), index + 1

    def next(self, page: Any, items: Sequence[Item], body: Any) -> Any | None:
        if len(items) < self.size or self.more(body, int(page)) is False:
            return None
        return int(page) + 1


@dataclass(frozen=True)
class CreatedCursor:
    """CloudCruise: ``cursor`` = the last row's ``created_at``, answering rows strictly
    before it, and ``start_time``/``end_time``, both inclusive.

    Rows sharing the last row's timestamp may not all fit in a full page, and the next
    page starts strictly before it; so a full page is followed by the rows *at* that
    timestamp (``start_time = end_time = t``) before going on from the cursor. A walk
    resumes the same way from the last run it imported: nothing is missed, and the
    runs at that instant already imported are skipped by the import.
    """

    size: int
    time_key: str = "created_at"

    def first(self) -> Any:
        return {}

    def params(self, page: Any) -> dict[str, Any]:
        found: dict[str, Any] = {"limit": self.size}
        if "at" in page:
            found.update(start_time=page["at"], end_time=page["at"])
        elif "before" in page:
            found["cursor"] = page["before"]
        return found

    def after(self, page: Any, items: Sequence[Item], index: int) -> tuple[Any, int]:
        at = items[index].get(self.time_key)
        return ({"at": at}, 0) if at else (page, index + 1)

    def next(self, page: Any, items: Sequence[Item], body: Any) -> Any | None:
        if "at" in page:
            return {"before": page["at"]}
        if len(items) < self.size or not items[-1].get(self.time_key):
            return None
        return {"at": items[-1][self.time_key]}


@dataclass(frozen=True)
class Listing:
    """One list to walk: a path, its fixed parameters, how it pages."""

    path: str
    params: dict[str, Any]
    paging: Paging
    label: str = ""
