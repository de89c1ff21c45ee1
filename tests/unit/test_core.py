"""The pure core: transitions, queries and cursors, search text, times, parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runyard.core.errors import IllegalTransition, InvalidInput
from runyard.core.ids import uuid7
from runyard.core.lifecycle import transition
from runyard.core.models import Parameter, Run
from runyard.core.parameters import apply_parameters
from runyard.core.query import (
    Position,
    RunQuery,
    Sort,
    SortField,
    TagFilter,
    decode_cursor,
    encode_cursor,
)
from runyard.core.search_text import build_search_text, fold
from runyard.core.statuses import TERMINAL, TRANSITIONS, RunStatus, cancel_target, check_transition
from runyard.core.times import (
    from_micros,
    parse_relative,
    parse_timestamp,
    to_micros,
    to_rfc3339,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _run(status: RunStatus, **fields: object) -> Run:
    return Run(
        id="r", project_id="p", workflow_id="w", workflow_version=1, status=status,
        created_at=NOW, modified_at=NOW, **fields,  # type: ignore[arg-type]
    )  # fmt: skip


# -- statuses and transitions -----------------------------------------------------------


def test_terminal_statuses_lead_nowhere() -> None:
    assert {s for s in RunStatus if not TRANSITIONS[s]} == TERMINAL
    assert len(TERMINAL) == 5


def test_an_illegal_transition_names_both_statuses() -> None:
    with pytest.raises(IllegalTransition, match="completed cannot become running"):
        check_transition(RunStatus.COMPLETED, RunStatus.RUNNING)


def test_cancel_goes_through_canceling_only_while_something_executes() -> None:
    assert cancel_target(RunStatus.RUNNING) is RunStatus.CANCELING
    assert cancel_target(RunStatus.WAITING) is RunStatus.CANCELING
    assert cancel_target(RunStatus.QUEUED) is RunStatus.CANCELED
    assert cancel_target(RunStatus.PAUSED) is RunStatus.CANCELED


@settings(max_examples=300)
@given(st.sampled_from(list(RunStatus)), st.sampled_from(list(RunStatus)), st.integers(1, 5))
def test_transition_follows_the_table_and_stamps_times(
    current: RunStatus, target: RunStatus, attempt: int
) -> None:
    run = _run(current, attempt=attempt)
    later = NOW + timedelta(seconds=5)
    if target not in TRANSITIONS[current]:
        with pytest.raises(IllegalTransition):
            transition(run, target, later)
        return
    moved = transition(run, target, later)
    assert moved.status is target
    assert moved.modified_at == later
    if target is RunStatus.RUNNING:
        assert moved.started_at == later
    if target in TERMINAL:
        assert moved.finished_at == later
    requeued = target is RunStatus.QUEUED and current in (RunStatus.QUEUED, RunStatus.RUNNING)
    assert moved.attempt == attempt + (1 if requeued else 0)


def test_started_at_is_kept_when_a_run_resumes_running() -> None:
    first = transition(_run(RunStatus.QUEUED), RunStatus.RUNNING, NOW)
    waited = transition(first, RunStatus.WAITING, NOW + timedelta(seconds=1))
    again = transition(waited, RunStatus.RUNNING, NOW + timedelta(seconds=9))
    assert again.started_at == NOW


# -- RunQuery, sorts, tags, cursors ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 3, "after": Position(1, "x")}, "offset"),
        ({"search": "x" * 501}, "search"),
        ({"created_after": NOW, "created_before": NOW - timedelta(1)}, "created_after"),
    ],
)
def test_an_invalid_query_names_its_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        RunQuery("p", **fields)  # type: ignore[arg-type]
    assert caught.value.errors[0].loc == ("query", field)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("created_at", Sort(SortField.CREATED_AT, True)),
        ("-duration", Sort(SortField.DURATION, True)),
        ("+duration", Sort(SortField.DURATION, False)),
        ("started_at:asc", Sort(SortField.STARTED_AT, False)),
        ("finished_at:desc", Sort(SortField.FINISHED_AT, True)),
    ],
)
def test_sort_parsing(text: str, expected: Sort) -> None:
    assert Sort.parse(text) == expected


@pytest.mark.parametrize("text", ["name", "created_at:up", "", "-"])
def test_unknown_sorts_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"sort|direction"):
        Sort.parse(text)


def test_tag_filters() -> None:
    assert TagFilter.parse("env") == TagFilter("env", None)
    assert TagFilter.parse("env=prod") == TagFilter("env", "prod")
    assert TagFilter.parse("k=a=b") == TagFilter("k", "a=b")
    assert TagFilter.parse("k=") == TagFilter("k", "")
    with pytest.raises(ValueError, match="key"):
        TagFilter.parse("=x")


@settings(max_examples=200)
@given(
    st.one_of(st.none(), st.integers(-(2**40), 2**55)),
    st.text(min_size=1, max_size=40),
    st.sampled_from(list(SortField)),
)
def test_cursors_round_trip(value: int | None, run_id: str, field: SortField) -> None:
    query = RunQuery("p", sort=Sort(field))
    assert decode_cursor(query, encode_cursor(query, Position(value, run_id))) == Position(
        value, run_id
    )


@pytest.mark.parametrize("cursor", ["", "abc", "!!!!", "eyJ2IjoyfQ", "eyJ2IjoxfQ"])
def test_malformed_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(RunQuery("p"), cursor)
    assert caught.value.errors[0].loc == ("query", "cursor")


@pytest.mark.parametrize(
    "other",
    [
        RunQuery("p", statuses=(RunStatus.FAILED,)),
        RunQuery("q"),
        RunQuery("p", sort=Sort(SortField.CREATED_AT, descending=False)),
        RunQuery("p", search="x"),
    ],
)
def test_a_cursor_of_another_query_is_refused(other: RunQuery) -> None:
    cursor = encode_cursor(RunQuery("p"), Position(5, "x"))
    with pytest.raises(InvalidInput, match="another query"):
        decode_cursor(other, cursor)


def test_a_cursor_survives_a_new_page_size() -> None:
    cursor = encode_cursor(RunQuery("p", limit=10), Position(5, "x"))
    assert decode_cursor(RunQuery("p", limit=500), cursor) == Position(5, "x")


# -- search text ---------------------------------------------------------------------------


def test_search_text_holds_id_input_leaves_and_headers_folded() -> None:
    text = build_search_text(
        "RUN-1",
        {"a": "Hello", "nested": {"list": [1, 2.5, True, None, {"deep": "Straße"}]}},
        {"X-City": "Zürich"},
    )
    for piece in ("run-1", "hello", "1", "2.5", "true", "strasse", '"x-city": "zürich"'):
        assert piece in text
    assert "nested" not in text  # keys are not values
    assert "\\u" not in text  # non-ASCII kept as itself
    assert fold("STRASSE") == fold("straße")


# -- times and parameters ------------------------------------------------------------------


def test_timestamps_need_an_offset_and_become_utc() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_timestamp("2026-01-01T00:00:00")
    with pytest.raises(ValueError, match="not an RFC 3339"):
        parse_timestamp("yesterday")
    parsed = parse_timestamp("2026-01-01T02:00:00.123456+02:00")
    assert parsed == datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert to_rfc3339(parsed) == "2026-01-01T00:00:00.123456Z"
    assert parse_timestamp("2026-01-01t00:00:00z").tzinfo is not None


@pytest.mark.parametrize(
    ("text", "delta"),
    [("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("30m", timedelta(minutes=30)),
     ("2w", timedelta(weeks=2)), ("15s", timedelta(seconds=15))],
)  # fmt: skip
def test_relative_times(text: str, delta: timedelta) -> None:
    assert parse_relative(text, NOW) == NOW - delta


@settings(max_examples=200)
@given(st.datetimes(timezones=st.just(UTC)))
def test_micros_round_trip(value: datetime) -> None:
    assert from_micros(to_micros(value)) == value


def test_parameters_fill_defaults_and_check_types() -> None:
    params = (
        Parameter("n", type="integer", default=3),
        Parameter("flag", type="boolean"),
        Parameter("data", type="json"),
    )
    assert apply_parameters(params, {"extra": 1}) == {"n": 3, "extra": 1}
    assert apply_parameters(params, {"n": 5, "data": [1]}) == {"n": 5, "data": [1]}
    with pytest.raises(InvalidInput) as caught:
        apply_parameters(params, {"n": True, "flag": "yes"})
    assert [e.loc for e in caught.value.errors] == [
        ("body", "input", "n"),
        ("body", "input", "flag"),
    ]


def test_uuid7_is_version_7_and_sorts_by_time() -> None:
    ids = [uuid7(1_700_000_000_000 + i) for i in range(50)]
    assert ids == sorted(ids)
    assert all(i[14] == "7" and i[19] in "89ab" for i in ids)
