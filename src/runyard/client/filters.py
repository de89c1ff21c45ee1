"""The run filters of ``GET /api/v1/runs`` (and count, stats), as typed keyword arguments.

One vocabulary for ``list_runs``, ``iter_runs``, ``count_runs`` and ``stats`` of both
clients. A multi-valued filter takes one value or a sequence of them (the query repeats
the parameter: any of them matches); different filters all apply. ``workflow`` is
``workflow_id`` under a friendlier name (an id or a name). Times are aware datetimes or
RFC 3339 text; the server refuses a time without an offset, and so does the client for a
naive datetime. A name this client does not know is sent as it is: the server refuses
parameters it does not know (422), so a misspelt filter never widens a query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict

from runyard.core.errors import InvalidInput
from runyard.core.statuses import RunStatus
from runyard.core.times import to_rfc3339

Many = str | Sequence[str]


class RunFilters(TypedDict, total=False):
    workflow: Many
    workflow_id: Many
    workflow_type: Many
    status: RunStatus | Sequence[RunStatus] | Many
    created_after: datetime | str
    created_before: datetime | str
    trigger_type: Many
    triggered_by: Many
    credential_id: Many
    error_code: Many
    tag: Many  # "key" or "key=value"
    search: str
    parent_run_id: str
    root_run_id: str
    is_test: bool
    has_parent: bool  # False: top-level runs only; True: child runs only
    requeued: bool


class RunWalk(RunFilters, total=False):
    """Filters and order: what ``iter_runs`` takes (it pages by cursor itself)."""

    sort: str  # created_at, started_at, finished_at or duration; descending, or "x:asc"
    limit: int  # runs per request, 1-1000


class RunListing(RunWalk, total=False):
    """Filters, order and one page's place: what ``list_runs`` takes."""

    cursor: str
    offset: int
    include_total: bool
    exact_total: bool


def _text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput.field(
                ("query", name), "a datetime without a time zone; give an aware one"
            )
        return str(to_rfc3339(value))
    return str(value)


def encode(filters: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query parameters, in the order given; None values are left out."""
    params: list[tuple[str, str]] = []
    for name, value in filters.items():
        key = "workflow_id" if name == "workflow" else name
        if value is None:
            continue
        if isinstance(value, Sequence) and not isinstance(value, str):
            params.extend((key, _text(key, v)) for v in value)
        else:
            params.append((key, _text(key, value)))
    return params
