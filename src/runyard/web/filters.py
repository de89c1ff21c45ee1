"""The explorer's URL: every filter, the sort and the page, to and from a ``RunQuery``.

The parameter names are the native API's (``status``, ``workflow_id``, ``error_code``…),
so a dashboard URL and an API call read alike. Two are the dashboard's own: ``range``, a
preset window relative to now (``24h``), and ``at``, the "now" a relative window was
taken at, which page links carry so that page 2 continues page 1's window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from runyard.core.cursors import decode_cursor, encode_cursor
from runyard.core.errors import InvalidInput
from runyard.core.models import TriggerType, WorkflowType
from runyard.core.query import Page, RunQuery, Sort, TagFilter
from runyard.core.search_text import MAX_TERM_LENGTH
from runyard.core.statuses import RunStatus
from runyard.core.times import parse_timestamp, to_rfc3339

PRESETS = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
PAGE_SIZES = (25, 50, 100, 200)
MULTI = ("workflow_id", "workflow_type", "status", "trigger_type", "credential_id",
         "error_code", "tag")  # fmt: skip
SINGLE = ("search", "range", "created_after", "created_before", "parent_run_id", "sort", "limit",
          "at")  # fmt: skip


def _time(name: str, value: str) -> datetime:
    """RFC 3339, or a browser's ``datetime-local`` value (no offset), which the form labels UTC."""
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        try:
            naive = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput.field(("query", name), str(exc)) from None
        if naive.tzinfo is not None:
            raise InvalidInput.field(("query", name), str(exc)) from None
        return naive.replace(tzinfo=UTC)


def _enum(name: str, kind: type[StrEnum], values: list[str]) -> tuple[str, ...]:
    try:
        return tuple(kind(v).value for v in values)
    except ValueError:
        bad = next(v for v in values if v not in {k.value for k in kind})
        raise InvalidInput.field(("query", name), f"{bad!r} is not one of its values") from None


@dataclass(frozen=True, slots=True)
class View:
    """What the explorer shows: the chosen values, and the query they make."""

    values: dict[str, list[str]]
    query: RunQuery
    now: datetime
    cursor: str | None = None

    def one(self, name: str) -> str:
        found = self.values.get(name) or [""]
        return found[0]

    def has(self, name: str, value: str) -> bool:
        return value in self.values.get(name, [])

    @property
    def limit(self) -> int:
        return self.query.limit

    @property
    def sort(self) -> str:
        return self.one("sort") or "-created_at"

    @property
    def is_first_page(self) -> bool:
        return self.cursor is None

    def params(self, **changes: str | None) -> list[tuple[str, str]]:
        """The view's parameters, with some changed (``None`` drops one)."""
        merged = {k: list(v) for k, v in self.values.items()}
        for key, value in changes.items():
            merged[key] = [] if value is None else [value]
        if merged.get("range") and not merged.get("at") and "at" not in changes:
            merged["at"] = [to_rfc3339(self.now) or ""]  # page links keep page 1's "now"
        return [(k, v) for k, vs in merged.items() for v in vs if v != ""]

    def url(self, path: str = "/", **changes: str | None) -> str:
        pairs = self.params(**changes)
        return path + ("?" + urlencode(pairs) if pairs else "")

    def filter_query(self) -> str:
        """The filters alone, as a query string (for counts, charts, exports, bulk)."""
        return urlencode(self.params(sort=None, limit=None, cursor=None))

    def next_url(self, page: Page[Any]) -> str | None:
        if not page.has_more or page.last is None:
            return None
        return self.url(cursor=encode_cursor(self.query, page.last))

    def sort_url(self, field: str) -> str:
        """Sorting by ``field``: descending first, ascending on a second click."""
        current = self.query.sort
        descending = current.field.value == field and current.descending
        target = f"{field}:asc" if descending else f"-{field}"
        return self.url(sort=target, cursor=None)

    def window(self) -> tuple[datetime | None, datetime | None]:
        return self.query.created_after, self.query.created_before


def parse(params: QueryParams, project_id: str, now: datetime) -> View:
    """The view a URL asks for; ``InvalidInput`` names the first parameter that is wrong."""
    values = {name: [v for v in params.getlist(name) if v.strip()] for name in MULTI}
    for name in SINGLE:
        value = params.get(name, "").strip()
        values[name] = [value] if value else []
    for name in MULTI:
        if any(len(v) > 200 for v in values[name]):
            raise InvalidInput.field(("query", name), "each value must be at most 200 characters")

    def single(name: str) -> str:
        return values[name][0] if values[name] else ""

    search = single("search")
    if len(search) > MAX_TERM_LENGTH:
        raise InvalidInput.field(("query", "search"), f"at most {MAX_TERM_LENGTH} characters")
    at = _time("at", single("at")) if single("at") else now
    after = _time("created_after", single("created_after")) if single("created_after") else None
    before = _time("created_before", single("created_before")) if single("created_before") else None
    if single("range"):
        if single("range") not in PRESETS:
            raise InvalidInput.field(("query", "range"), f"one of {', '.join(PRESETS)}")
        after, before = at - PRESETS[single("range")], None
    try:
        sort = Sort.parse(single("sort") or "-created_at")
    except ValueError as exc:
        raise InvalidInput.field(("query", "sort"), str(exc)) from None
    limit = int(single("limit")) if single("limit").isdigit() else 50
    if limit not in PAGE_SIZES:
        raise InvalidInput.field(("query", "limit"), f"one of {', '.join(map(str, PAGE_SIZES))}")
    try:
        tags = tuple(TagFilter.parse(t) for t in values["tag"])
    except ValueError as exc:
        raise InvalidInput.field(("query", "tag"), str(exc)) from None
    query = RunQuery(
        project_id=project_id,
        workflow_ids=tuple(values["workflow_id"]),
        workflow_types=_enum("workflow_type", WorkflowType, values["workflow_type"]),
        statuses=tuple(RunStatus(s) for s in _enum("status", RunStatus, values["status"])),
        created_after=after,
        created_before=before,
        trigger_types=_enum("trigger_type", TriggerType, values["trigger_type"]),
        credential_ids=tuple(values["credential_id"]),
        error_codes=tuple(values["error_code"]),
        search=search or None,
        parent_run_id=single("parent_run_id") or None,
        tags=tags,
        sort=sort,
        limit=limit,
    )
    cursor = params.get("cursor") or None
    if cursor:
        query = replace(query, after=decode_cursor(query, cursor))
    return View(values, query, at, cursor)


def bucket_for(view: View) -> int:
    """A chart bucket (seconds, one the stats accept) giving at most about 60 bars."""
    after, before = view.window()
    if after is None:
        return 86400
    span = ((before or view.now) - after).total_seconds()
    for seconds in (60, 300, 900, 3600, 21600, 86400):
        if span / seconds <= 60:
            return seconds
    return 604800
