"""RunQuery validation, sorts, tag filters and cursors (core/query.py)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runyard.core.cursors import decode_cursor, encode_cursor
from runyard.core.errors import InvalidInput
from runyard.core.query import (
    DEFAULT_LIMIT,
    ENGINE_MAX_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    Position,
    RunQuery,
    Sort,
    SortField,
    TagFilter,
)
from runyard.core.statuses import RunStatus

T0 = datetime(2026, 5, 1, tzinfo=UTC)
# The instants a timestamp sort value may take: years 1 to 9999, in microseconds.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
MIN_TIME_US = (datetime(1, 1, 1, tzinfo=UTC) - EPOCH) // US
MAX_TIME_US = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - EPOCH) // US
TIME_FIELDS = [SortField.CREATED_AT, SortField.STARTED_AT, SortField.FINISHED_AT]

RID = "0190a0b0-0000-7000-8000-00000000abcd"  # a run id, as cursors carry them


def _invalid(field: str, **fields: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        RunQuery("p", **fields)
    error = caught.value
    assert [e.loc for e in error.errors] == [("query", field)]
    assert error.detail.startswith(f"query.{field}: ")
    assert error.code == "invalid_input"
    return error


# -- validation -----------------------------------------------------------------------------


def test_defaults() -> None:
    query = RunQuery("p")
    assert query.limit == DEFAULT_LIMIT == 50
    assert query.offset == 0
    assert query.after is None
    assert query.sort == Sort(SortField.CREATED_AT, descending=True)
    assert not query.include_total


@pytest.mark.parametrize("limit", [1, 2, 50, 999, MAX_LIMIT, ENGINE_MAX_LIMIT])
def test_limits_in_range_are_accepted(limit: int) -> None:
    assert RunQuery("p", limit=limit).limit == limit


@pytest.mark.parametrize("limit", [-1, 0, ENGINE_MAX_LIMIT + 1, 10**9])
def test_limits_out_of_range_are_refused(limit: int) -> None:
    error = _invalid("limit", limit=limit)
    assert "between 1 and 1000" in error.errors[0].msg
    assert str(limit) in error.errors[0].msg


@pytest.mark.parametrize("offset", [0, 1, MAX_OFFSET])
def test_offsets_in_range_are_accepted(offset: int) -> None:
    assert RunQuery("p", offset=offset).offset == offset


@pytest.mark.parametrize("offset", [-1, MAX_OFFSET + 1])
def test_offsets_out_of_range_are_refused(offset: int) -> None:
    assert str(offset) in _invalid("offset", offset=offset).errors[0].msg


def test_a_cursor_and_an_offset_are_refused_together() -> None:
    error = _invalid("offset", offset=10, after=Position(1, RID))
    assert "cursor" in error.errors[0].msg
    # A cursor alone, or an offset alone, is fine.
    assert RunQuery("p", after=Position(1, RID)).after == Position(1, RID)
    assert RunQuery("p", offset=10).offset == 10


def test_search_is_limited_to_500_characters() -> None:
    assert RunQuery("p", search="x" * 500).search == "x" * 500
    # Characters, not bytes: 500 two-byte characters are within the limit.
    assert RunQuery("p", search="ß" * 500).search == "ß" * 500
    error = _invalid("search", search="x" * 501)
    assert "500" in error.errors[0].msg
    assert "501" in error.errors[0].msg


def test_created_after_later_than_created_before_is_refused() -> None:
    error = _invalid(
        "created_after", created_after=T0, created_before=T0 - timedelta(microseconds=1)
    )
    assert "created_before" in error.errors[0].msg
    # Equal bounds, or only one bound, are not contradictions.
    RunQuery("p", created_after=T0, created_before=T0)
    RunQuery("p", created_after=T0)
    RunQuery("p", created_before=T0)


def test_filters_only_drops_paging_and_keeps_filters() -> None:
    query = RunQuery(
        "p",
        statuses=(RunStatus.FAILED,),
        search="abc",
        limit=7,
        after=Position(3, RID),
        include_total=True,
    )
    plain = query.filters_only()
    assert (plain.after, plain.offset, plain.include_total) == (None, 0, False)
    assert (plain.statuses, plain.search, plain.limit) == ((RunStatus.FAILED,), "abc", 7)


# -- sorts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "descending"),
    [
        ("created_at", SortField.CREATED_AT, True),
        ("-created_at", SortField.CREATED_AT, True),
        ("-duration", SortField.DURATION, True),
        ("+duration", SortField.DURATION, False),
        ("duration:asc", SortField.DURATION, False),
        ("started_at:asc", SortField.STARTED_AT, False),
        ("started_at:desc", SortField.STARTED_AT, True),
        ("finished_at", SortField.FINISHED_AT, True),
        ("  finished_at:asc ", SortField.FINISHED_AT, False),
    ],
)
def test_sort_parse(text: str, field: SortField, descending: bool) -> None:
    assert Sort.parse(text) == Sort(field, descending)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-",
        "name",
        "status",
        "CREATED_AT",
        "created",
        "created_at:up",
        "created_at:",
        "-created_at:asc",
        "duration:ASC",
        "created_at desc",
        "--duration",
    ],
)
def test_junk_sorts_raise_value_error_naming_the_choices(text: str) -> None:
    with pytest.raises(ValueError, match=r"unknown sort|direction must be") as caught:
        Sort.parse(text)
    if "unknown sort" in str(caught.value):
        for name in ("created_at", "started_at", "finished_at", "duration"):
            assert name in str(caught.value)


@pytest.mark.parametrize("field", list(SortField))
@pytest.mark.parametrize("descending", [True, False])
def test_a_sort_prints_as_text_that_parses_back(field: SortField, descending: bool) -> None:
    sort = Sort(field, descending)
    assert str(sort) == f"{field.value}:{'desc' if descending else 'asc'}"
    assert Sort.parse(str(sort)) == sort


# -- tag filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("env", TagFilter("env")),
        ("env=prod", TagFilter("env", ("prod",))),
        ("env=", TagFilter("env", ("",))),
        ("url=a=b", TagFilter("url", ("a=b",))),
        ("Région=Zürich", TagFilter("Région", ("Zürich",))),
    ],
)
def test_tag_filter_parse(text: str, expected: TagFilter) -> None:
    assert TagFilter.parse(text) == expected


@pytest.mark.parametrize("text", ["", "=", "=prod"])
def test_a_tag_filter_needs_a_key(text: str) -> None:
    with pytest.raises(ValueError, match="needs a key"):
        TagFilter.parse(text)


# -- cursors --------------------------------------------------------------------------------


def _encode_payload(payload: Any) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _payload(cursor: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return result


def _refused(query: RunQuery, cursor: str, message: str = "malformed cursor") -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        decode_cursor(query, cursor)
    assert [e.loc for e in caught.value.errors] == [("query", "cursor")]
    assert caught.value.detail.startswith("query.cursor: ")


def test_a_cursor_round_trips_and_is_url_safe() -> None:
    query = RunQuery("p", statuses=(RunStatus.RUNNING,))
    position = Position(1_777_000_000_123_456, "0190a0b0-0000-7000-8000-00000000abcd")
    cursor = encode_cursor(query, position)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_cursor(query, cursor) == position
    assert decode_cursor(query, encode_cursor(query, Position(None, RID))) == Position(None, RID)


def test_a_cursor_survives_new_paging_options() -> None:
    query = RunQuery("p", limit=10)
    cursor = encode_cursor(query, Position(5, RID))
    for other in (
        RunQuery("p", limit=999),
        RunQuery("p", include_total=True),
        RunQuery("p", after=Position(1, "x")),
    ):
        assert decode_cursor(other, cursor) == Position(5, RID)


def test_a_cursor_does_not_depend_on_the_order_filter_values_were_given_in() -> None:
    one = RunQuery(
        "p",
        statuses=(RunStatus.FAILED, RunStatus.COMPLETED),
        workflow_ids=("a", "b"),
        tags=(TagFilter("x", ("1",)), TagFilter("y", ("2",))),
    )
    two = RunQuery(
        "p",
        statuses=(RunStatus.COMPLETED, RunStatus.FAILED),
        workflow_ids=("b", "a"),
        tags=(TagFilter("y", ("2",)), TagFilter("x", ("1",))),
    )
    assert decode_cursor(two, encode_cursor(one, Position(1, RID))) == Position(1, RID)


def test_a_query_with_a_key_only_and_a_key_value_tag_filter_on_one_key_has_cursors() -> None:
    # ``tag=env&tag=env=prod`` is a valid query (DESIGN §4: tag is ``k`` or ``k=v``,
    # repeatable). Its cursors must work like any other query's.
    query = RunQuery("p", tags=(TagFilter("env"), TagFilter("env", ("prod",))))
    cursor = encode_cursor(query, Position(5, RID))
    assert decode_cursor(query, cursor) == Position(5, RID)


BASE = RunQuery("p")
OTHER_QUERIES = {
    "project": RunQuery("q"),
    "workflow_ids": RunQuery("p", workflow_ids=("w",)),
    "workflow_types": RunQuery("p", workflow_types=("agent",)),
    "statuses": RunQuery("p", statuses=(RunStatus.FAILED,)),
    "created_after": RunQuery("p", created_after=T0),
    "created_before": RunQuery("p", created_before=T0),
    "trigger_types": RunQuery("p", trigger_types=("api",)),
    "triggered_by": RunQuery("p", triggered_by=("alice",)),
    "credential_ids": RunQuery("p", credential_ids=("c",)),
    "error_codes": RunQuery("p", error_codes=("E1",)),
    "search": RunQuery("p", search="invoice"),
    "parent_run_id": RunQuery("p", parent_run_id="r0"),
    "root_run_id": RunQuery("p", root_run_id="r0"),
    "tags": RunQuery("p", tags=(TagFilter("env"),)),
    "is_test": RunQuery("p", is_test=False),
    "has_parent": RunQuery("p", has_parent=False),
    "requeued": RunQuery("p", requeued=True),
    "sort_direction": RunQuery("p", sort=Sort(SortField.CREATED_AT, descending=False)),
    "sort_field": RunQuery("p", sort=Sort(SortField.STARTED_AT)),
}


@pytest.mark.parametrize("name", list(OTHER_QUERIES))
def test_a_cursor_of_a_query_with_other_filters_or_sort_is_refused(name: str) -> None:
    cursor = encode_cursor(BASE, Position(5, RID))
    _refused(OTHER_QUERIES[name], cursor, "belongs to another query")
    # ... and the other way round.
    back = encode_cursor(OTHER_QUERIES[name], Position(5, RID))
    _refused(BASE, back, "belongs to another query")


def test_a_tag_value_changes_the_query() -> None:
    cursor = encode_cursor(RunQuery("p", tags=(TagFilter("env", ("prod",)),)), Position(5, RID))
    _refused(RunQuery("p", tags=(TagFilter("env", ("dev",)),)), cursor, "another query")
    _refused(RunQuery("p", tags=(TagFilter("env"),)), cursor, "another query")


def test_a_cursor_with_a_forged_fingerprint_is_refused() -> None:
    query = RunQuery("p", statuses=(RunStatus.FAILED,))
    payload = _payload(encode_cursor(query, Position(5, RID)))
    payload["f"] = "0" * 16
    _refused(query, _encode_payload(payload), "another query")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "a",
        "abcde",  # not a length base64 can have
        "!!!!",
        "é",
        "bm90IGpzb24",  # "not json"
        _encode_payload([1, 2, 3]),
        _encode_payload("text"),
        _encode_payload(None),
        _encode_payload({}),
        _encode_payload({"v": 2, "f": "x", "p": 1, "i": "r"}),
        _encode_payload({"v": "1", "f": "x", "p": 1, "i": "r"}),
        _encode_payload({"f": "x", "p": 1, "i": "r"}),
        _encode_payload({"v": 1, "f": "x", "i": "r"}),
        _encode_payload({"v": 1, "f": "x", "p": 1}),
        _encode_payload({"v": 1, "p": 1, "i": "r"}),
        _encode_payload({"v": 1, "f": "x", "p": "1", "i": "r"}),
        _encode_payload({"v": 1, "f": "x", "p": 1.5, "i": "r"}),
        _encode_payload({"v": 1, "f": "x", "p": True, "i": "r"}),
        _encode_payload({"v": 1, "f": "x", "p": [1], "i": "r"}),
        _encode_payload({"v": 1, "f": "x", "p": 1, "i": 7}),
        _encode_payload({"v": 1, "f": "x", "p": 1, "i": None}),
        base64.urlsafe_b64encode(b"\xff\xfe\x00garbage").decode(),
    ],
)
def test_malformed_cursors_are_refused(cursor: str) -> None:
    _refused(BASE, cursor)


def test_a_tampered_cursor_is_refused() -> None:
    cursor = encode_cursor(BASE, Position(5, RID))
    payload = _payload(cursor)
    for key, bad in (("p", "5"), ("p", 5.0), ("i", ["r"]), ("v", 0)):
        _refused(BASE, _encode_payload({**payload, key: bad}))
    # Bytes cut off or flipped.
    _refused(BASE, cursor[: len(cursor) // 2])
    flipped = cursor[:3] + ("A" if cursor[3] != "A" else "B") + cursor[4:]
    with pytest.raises(InvalidInput):
        decode_cursor(BASE, flipped)


def test_a_deeply_nested_cursor_is_refused_as_malformed() -> None:
    # 1,400 opening brackets: under the API's 2,000-character cursor limit.
    cursor = base64.urlsafe_b64encode(b"[" * 1400).decode()
    assert len(cursor) <= 2000
    _refused(BASE, cursor)


@pytest.mark.parametrize("field", TIME_FIELDS)
def test_timestamp_positions_must_be_within_years_1_to_9999(field: SortField) -> None:
    query = RunQuery("p", sort=Sort(field))
    for value in (MIN_TIME_US, MAX_TIME_US, 0, -1):
        assert decode_cursor(query, encode_cursor(query, Position(value, RID))).value == value
    for value in (MIN_TIME_US - 1, MAX_TIME_US + 1, 10**30):
        _refused(query, encode_cursor(query, Position(value, RID)))


def test_duration_positions_must_fit_in_a_bigint() -> None:
    query = RunQuery("p", sort=Sort(SortField.DURATION, descending=False))
    for value in (-(2**63) + 1, 2**63 - 1, MAX_TIME_US + 1):
        assert decode_cursor(query, encode_cursor(query, Position(value, RID))).value == value
    for value in (-(2**63), 2**63, 10**40):
        _refused(query, encode_cursor(query, Position(value, RID)))


run_ids = st.uuids().map(str)
queries = st.builds(
    RunQuery,
    project_id=st.uuids().map(str),
    statuses=st.lists(st.sampled_from(list(RunStatus)), max_size=3, unique=True).map(tuple),
    search=st.one_of(st.none(), st.text(max_size=40)),
    is_test=st.one_of(st.none(), st.booleans()),
    tags=st.lists(
        st.builds(
            TagFilter,
            st.text(min_size=1, max_size=5),
            st.lists(st.text(max_size=10), max_size=2).map(tuple),
        ),
        max_size=3,
    ).map(tuple),
    sort=st.builds(Sort, st.sampled_from(list(SortField)), st.booleans()),
)


@st.composite
def positions(draw: st.DrawFn, field: SortField) -> Position:
    if field is SortField.DURATION:
        values = st.integers(-(2**63) + 1, 2**63 - 1)
    else:
        values = st.integers(MIN_TIME_US, MAX_TIME_US)
    return Position(draw(st.one_of(st.none(), values)), draw(run_ids))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_cursor_round_trip_property(data: st.DataObject) -> None:
    query = data.draw(queries)
    position = data.draw(positions(query.sort.field))
    cursor = encode_cursor(query, position)
    assert decode_cursor(query, cursor) == position
    # The page size and paging flags are not part of what a cursor is bound to.
    assert decode_cursor(replace(query, limit=1, include_total=True), cursor) == position


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_a_cursor_carrying_anything_but_a_canonical_run_id_is_refused(run_id: str) -> None:
    """What an edited cursor may carry (a NUL, a lone surrogate, an upper-case UUID) never
    reaches the database: only the ids runyard writes are taken."""
    query = RunQuery("p")
    cursor = encode_cursor(query, Position(5, run_id))
    if run_id == RID:
        assert decode_cursor(query, cursor) == Position(5, RID)
    else:
        _refused(query, cursor)
