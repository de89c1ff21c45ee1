"""The explorer's URL and form: every filter, the sort and the page, to and from a ``RunQuery``.

The filters are the table's (``core/filters.py``), read the same way and under the same
names as the native API's parameters (``status``, ``workflow_id``, ``error_code``…), so a
dashboard URL and an API call read alike. Two are the dashboard's own: ``range``, a
preset window relative to now (``24h``), and ``at``, the "now" a relative window was
taken at, which page links carry so that page 2 continues page 1's window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from runyard.core.cursors import decode_cursor, encode_cursor
from runyard.core.errors import InvalidInput
from runyard.core.filters import BY_NAME, FILTERS, Filter, Kind, query_fields
from runyard.core.models import Workflow
from runyard.core.query import Page, RunQuery, Sort
from runyard.core.times import parse_timestamp, to_rfc3339

PRESETS = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
PAGE_SIZES = (25, 50, 100, 200)
OWN = ("range", "sort", "limit", "at")  # the dashboard's own parameters; the rest: FILTERS


@dataclass(frozen=True, slots=True)
class Option:
    """A value a picker offers; ``also`` are other values that mean it (a workflow's id)."""

    value: str
    label: str
    also: tuple[str, ...] = ()


# The form, drawn from the table: a picker of checkboxes for each filter of a few known
# values (the project's workflows, and the enumerations), the time window, and text
# boxes and yes/no choices for the rest.
PICKED = tuple(
    sorted(  # status first, the rest in the table's order
        (f for f in FILTERS if f.kind is Kind.CHOICE or f.name == "workflow_id"),
        key=lambda f: f.name != "status",
    )
)
TEXTS = tuple(f for f in FILTERS if f.kind in (Kind.TEXT, Kind.TAG) and f not in PICKED)
FLAGS = tuple(f for f in FILTERS if f.kind is Kind.FLAG)
FORM: Mapping[str, Any] = {
    "search": BY_NAME["search"],
    "window": (BY_NAME["created_after"], BY_NAME["created_before"]),
    "texts": TEXTS,
    "flags": FLAGS,
    "presets": list(PRESETS),
    "page_sizes": PAGE_SIZES,
}


def pickers(workflows: Sequence[Workflow]) -> list[tuple[Filter, list[Option]]]:
    """Each picked filter with the values it offers."""
    return [(f, _options(f, workflows)) for f in PICKED]


def _options(f: Filter, workflows: Sequence[Workflow]) -> list[Option]:
    if f.choices is None:  # workflow_id: the project's workflows, by name
        return [Option(w.name, w.name, (w.id,)) for w in workflows]
    return [Option(c.value, c.value.replace("_", " ")) for c in f.choices]


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

    def picked(self, name: str, option: Option) -> bool:
        return any(self.has(name, v) for v in (option.value, *option.also))

    def chosen(self, filters: Sequence[Filter]) -> int:
        """How many of ``filters`` the view sets."""
        return sum(1 for f in filters if self.values.get(f.name))

    def flag(self, f: Filter) -> bool | None:
        """A yes/no filter's value in the query (``None``: either)."""
        value: bool | None = getattr(self.query, f.field)
        return value

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


def _values(params: QueryParams) -> dict[str, list[str]]:
    """The URL's values by name: a repeatable filter's non-blank ones, or one stripped."""
    values = {f.name: [v for v in params.getlist(f.name) if v.strip()] for f in FILTERS if f.many}
    for name in (*(f.name for f in FILTERS if not f.many), *OWN):
        value = params.get(name, "").strip()
        values[name] = [value] if value else []
    return values


def _page(values: dict[str, list[str]]) -> tuple[Sort, int]:
    """The sort and the page size a URL asks for."""
    sort, limit = (values[name][0] if values[name] else "" for name in ("sort", "limit"))
    try:
        order = Sort.parse(sort or "-created_at")
    except ValueError as exc:
        raise InvalidInput.field(("query", "sort"), str(exc)) from None
    size = int(limit) if limit.isdigit() else 50
    if size not in PAGE_SIZES:
        raise InvalidInput.field(("query", "limit"), f"one of {', '.join(map(str, PAGE_SIZES))}")
    return order, size


def parse(params: QueryParams, project_id: str, now: datetime) -> View:
    """The view a URL asks for; ``InvalidInput`` names the first parameter that is wrong."""
    values = _values(params)
    fields = query_fields(values, _time)
    at = _time("at", values["at"][0]) if values["at"] else now
    if values["range"]:
        preset = values["range"][0]
        if preset not in PRESETS:
            raise InvalidInput.field(("query", "range"), f"one of {', '.join(PRESETS)}")
        fields.update(created_after=at - PRESETS[preset], created_before=None)
    sort, limit = _page(values)
    query = RunQuery(project_id=project_id, **fields, sort=sort, limit=limit)
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
