"""``RunQuery``: the one description of "which runs, in what order, which page".

Every edge (native API, CLI, dashboard, vendor dialects) builds a ``RunQuery``, its
filters read as ``core/filters.py`` tables them; the store's query compiler is the only
place that turns it into SQL. A page's cursor is in ``core/cursors.py``.

Semantics (DESIGN.md §3): filters AND together, a multi-valued filter ORs within
itself; ``created_after`` is inclusive, ``created_before`` exclusive; the order is a
sort key then the run id in the same direction, runs without a value for the sort key
last; a cursor is a keyset position that never skips or repeats a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from runyard.core.errors import InvalidInput
from runyard.core.models import RunCount, RunHead
from runyard.core.search_text import MAX_TERM_LENGTH
from runyard.core.statuses import RunStatus

MAX_LIMIT = 1000  # runs per page of the native API
# The most any edge may ask for in one page (CloudCruise's ``limit`` goes to 10,000).
ENGINE_MAX_LIMIT = 10_000
DEFAULT_LIMIT = 50
MAX_OFFSET = 1_000_000
# Counting stops after this many matches unless asked to be exact, and the count is then
# "at least COUNT_CAP" (``RunCount.exact`` False), as in search engines' "10,000+". Past
# the kept counts, counting costs in proportion to the matches: 10,000 take 3-30 ms
# (an index range, or each row tested for a search term); the 1,800,000 runs holding a
# common term take seconds at 10M runs (BENCHMARKS.md, "Counts").
COUNT_CAP = 10_000


class SortField(StrEnum):
    CREATED_AT = "created_at"
    STARTED_AT = "started_at"
    FINISHED_AT = "finished_at"
    DURATION = "duration"


@dataclass(frozen=True, slots=True)
class Sort:
    field: SortField = SortField.CREATED_AT
    descending: bool = True

    @classmethod
    def parse(cls, text: str) -> Sort:
        """``created_at``, ``-created_at`` (descending), ``duration:asc``, ``started_at:desc``."""
        raw = text.strip()
        descending = True
        if raw.startswith("-"):
            raw = raw[1:]
        elif raw.startswith("+"):
            raw, descending = raw[1:], False
        elif ":" in raw:
            raw, _, direction = raw.partition(":")
            if direction not in ("asc", "desc"):
                raise ValueError(f"direction must be 'asc' or 'desc', not {direction!r}")
            descending = direction == "desc"
        try:
            return cls(SortField(raw), descending)
        except ValueError:
            names = ", ".join(f.value for f in SortField)
            raise ValueError(
                f"unknown sort {text!r}; use one of {names}, e.g. -created_at"
            ) from None

    def __str__(self) -> str:
        return f"{self.field.value}:{'desc' if self.descending else 'asc'}"


@dataclass(frozen=True, slots=True)
class TagFilter:
    """Runs with tag ``key``: any value if ``values`` is empty, else one of ``values``."""

    key: str
    values: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> TagFilter:
        """``key`` (any value) or ``key=value``."""
        key, sep, value = text.partition("=")
        if not key:
            raise ValueError(f"tag filter {text!r} needs a key: 'key' or 'key=value'")
        return cls(key, (value,) if sep else ())


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended: the last row's sort value (µs, ``None`` if it had none) and id."""

    value: int | None
    run_id: str


@dataclass(frozen=True, slots=True)
class RunQuery:
    project_id: str
    workflow_ids: tuple[str, ...] = ()
    workflow_types: tuple[str, ...] = ()
    statuses: tuple[RunStatus, ...] = ()
    created_after: datetime | None = None
    created_before: datetime | None = None
    trigger_types: tuple[str, ...] = ()
    triggered_by: tuple[str, ...] = ()
    credential_ids: tuple[str, ...] = ()
    error_codes: tuple[str, ...] = ()
    search: str | None = None
    parent_run_id: str | None = None
    root_run_id: str | None = None
    tags: tuple[TagFilter, ...] = ()
    is_test: bool | None = None
    # False: top-level runs only (no parent); True: child runs only.
    has_parent: bool | None = None
    # Qualifies queued runs only: True keeps those put back in the queue after their
    # worker vanished (attempt > 1), False those on their first attempt. Runs of other
    # statuses are unaffected, so ``statuses`` decides which of them match.
    requeued: bool | None = None
    sort: Sort = field(default_factory=Sort)
    limit: int = DEFAULT_LIMIT
    after: Position | None = None
    offset: int = 0
    include_total: bool = False
    # The total counted however many runs match, not stopped at ``COUNT_CAP``.
    exact_total: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= ENGINE_MAX_LIMIT:
            raise InvalidInput.field(
                ("query", "limit"),
                f"must be between 1 and {ENGINE_MAX_LIMIT}, got {self.limit}",
            )
        if not 0 <= self.offset <= MAX_OFFSET:
            raise InvalidInput.field(
                ("query", "offset"), f"must be between 0 and {MAX_OFFSET}, got {self.offset}"
            )
        if self.after is not None and self.offset:
            raise InvalidInput.field(("query", "offset"), "cannot be combined with a cursor")
        if self.search is not None and len(self.search) > MAX_TERM_LENGTH:
            raise InvalidInput.field(
                ("query", "search"),
                f"at most {MAX_TERM_LENGTH} characters, got {len(self.search)}",
            )
        if (
            self.created_after is not None
            and self.created_before is not None
            and self.created_after > self.created_before
        ):
            raise InvalidInput.field(
                ("query", "created_after"), "must not be later than created_before"
            )

    def filters_only(self) -> RunQuery:
        """The same filters with no paging: what counts and exports use."""
        return replace(self, after=None, offset=0, include_total=False, exact_total=False)


R = TypeVar("R", bound=RunHead)


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    runs: list[R]
    has_more: bool
    last: Position | None  # where the page ended; the next page starts after it
    total: RunCount | None = None


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    counts: dict[str, int]
