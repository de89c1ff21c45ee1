"""A page's cursor: where the page ended, bound to the query it is a page of.

The cursor holds the last row's ``Position`` and a fingerprint of the query's filters
and order (every filter of ``core/filters.py``'s table, in its order), so a cursor
cannot continue another query; the page size and paging flags are not part of it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from runyard.core.errors import InvalidInput
from runyard.core.filters import FILTERS, Filter, Kind
from runyard.core.ids import canonical_uuid
from runyard.core.query import Position, RunQuery, SortField


def _part(f: Filter, value: Any) -> Any:
    """A filter's value as the fingerprint takes it: lists in order, times as text."""
    if f.kind is Kind.TAG:
        return sorted((t.key, sorted(set(t.values))) for t in value)
    if f.many:
        return sorted(value)
    if f.kind is Kind.TIME:
        return value.isoformat() if value else None
    return value


# The filters of the first fingerprint, each always in it. A filter added after them is in
# it only when set, so adding one leaves every cursor in use valid.
FIRST_FILTERS = 16


def fingerprint(query: RunQuery) -> str:
    """Identifies the filters and order, so a cursor cannot be used on another query."""
    values = [(f, getattr(query, f.field)) for f in FILTERS]
    parts = [
        query.project_id,
        *(_part(f, value) for f, value in values[:FIRST_FILTERS]),
        str(query.sort),
        *([f.name, _part(f, v)] for f, v in values[FIRST_FILTERS:] if v not in (None, ())),
    ]
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
    return digest[:16]


CURSOR_VERSION = 1
# Microseconds since 1970 of the years 1 and 9999: the range a timestamp sort value has.
_MIN_TIME_MICROS = -62_135_596_800_000_000
_MAX_TIME_MICROS = 253_402_300_799_999_999


def _in_range(field: SortField, value: int) -> bool:
    if field is SortField.DURATION:
        return -(2**63) < value < 2**63
    return _MIN_TIME_MICROS <= value <= _MAX_TIME_MICROS


def _is_run_id(value: object) -> bool:
    """A run id as runyard writes it: a canonical UUID (so an edited cursor carries no
    text the database would refuse, such as a NUL or a lone surrogate)."""
    return isinstance(value, str) and canonical_uuid(value) == value


def encode_cursor(query: RunQuery, position: Position) -> str:
    payload = {
        "v": CURSOR_VERSION,
        "f": fingerprint(query),
        "p": position.value,
        "i": position.run_id,
    }
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(query: RunQuery, cursor: str) -> Position:
    """The position a cursor names, checked to belong to ``query`` (same filters, same order)."""
    loc = ("query", "cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(payload, dict) or payload.get("v") != CURSOR_VERSION:
            raise ValueError
        value, run_id, found = payload["p"], payload["i"], payload["f"]
        if (value is not None and type(value) is not int) or not _is_run_id(run_id):
            raise ValueError
    except (ValueError, KeyError, TypeError, UnicodeError, RecursionError):
        raise InvalidInput.field(loc, "malformed cursor; pass next_cursor back unchanged") from None
    if value is not None and not _in_range(query.sort.field, value):
        raise InvalidInput.field(loc, "malformed cursor; pass next_cursor back unchanged")
    if found != fingerprint(query):
        raise InvalidInput.field(
            loc, "this cursor belongs to another query; keep the filters and sort of its page"
        )
    return Position(value, run_id)
