"""Times (core/times.py), parameter defaults and types (core/parameters.py), ids (core/ids.py)."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runyard.core.errors import InvalidInput
from runyard.core.ids import canonical_uuid, new_id, uuid7
from runyard.core.models import Parameter
from runyard.core.parameters import apply_parameters
from runyard.core.times import (
    as_utc,
    from_micros,
    parse_relative,
    parse_timestamp,
    to_micros,
    to_rfc3339,
)

NOW = datetime(2026, 6, 1, 12, 0, 0, 250_000, tzinfo=UTC)
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# -- parse_timestamp ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["2026-01-01T00:00:00", "2026-01-01T10:20:30.123456", "2026-01-01", "2026-01-01 08:00"]
)
def test_a_timestamp_without_an_offset_is_refused_with_a_hint(text: str) -> None:
    with pytest.raises(ValueError, match="has no UTC offset") as caught:
        parse_timestamp(text)
    message = str(caught.value)
    assert repr(text) in message
    assert "'Z'" in message
    assert "+02:00" in message


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-01-01T25:00:00Z",
        "2026-01-01T00:00:00+25:00",
        "1700000000",
        "2026/01/01 00:00:00Z",
        "2026-01-01T00:00:00ZZ",
    ],
)
def test_junk_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="is not an RFC 3339 timestamp") as caught:
        parse_timestamp(text)
    assert "2026-01-31T12:00:00Z" in str(caught.value)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize("text", ["", "   ", None, 1700000000])
def test_nothing_or_a_non_string_is_refused(text: object) -> None:
    with pytest.raises(ValueError, match="expected an RFC 3339 timestamp"):
        parse_timestamp(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+01:00",  # an instant before year 1 in UTC
        "9999-12-31T23:59:59-01:00",  # an instant after year 9999 in UTC
    ],
)
def test_an_instant_outside_the_utc_calendar_is_refused_as_a_value_error(text: str) -> None:
    # Callers (API query parameters, CLI options) turn ValueError into a 422 / a usage
    # message; any other exception becomes a 500 or a traceback.
    with pytest.raises(ValueError, match=re.escape(text)):
        parse_timestamp(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01T00:00:00Z", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-01-01t00:00:00z", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-01-01T00:00:00+00:00", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-01-01T05:30:00+05:30", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2025-12-31T16:00:00-08:00", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-03-29T03:15:00.5+02:00", datetime(2026, 3, 29, 1, 15, 0, 500_000, tzinfo=UTC)),
        ("  2026-01-01T00:00:00Z  ", datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_offsets_are_normalised_to_utc(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC
    assert parsed.utcoffset() == timedelta(0)
    assert parsed.replace(tzinfo=None) == expected.replace(tzinfo=None)


def test_microseconds_are_kept() -> None:
    parsed = parse_timestamp("2026-01-01T10:00:00.000001+01:00")
    assert parsed == datetime(2026, 1, 1, 9, 0, 0, 1, tzinfo=UTC)
    assert parsed.microsecond == 1
    assert parse_timestamp("2026-01-01T00:00:00.123456Z").microsecond == 123456
    assert parse_timestamp("2026-01-01T00:00:00.123Z").microsecond == 123000


# -- parse_relative -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("30m", timedelta(minutes=30)),
        ("2w", timedelta(weeks=2)),
        ("45s", timedelta(seconds=45)),
        ("0h", timedelta(0)),
        (" 7 d ", timedelta(days=7)),
        ("1000d", timedelta(days=1000)),
    ],
)
def test_relative_times_count_back_from_now(text: str, delta: timedelta) -> None:
    assert parse_relative(text, NOW) == NOW - delta


def test_a_relative_time_that_is_not_relative_is_a_timestamp() -> None:
    assert parse_relative("2026-01-01T01:00:00+01:00", NOW) == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_relative("2026-01-01T01:00:00", NOW)


@pytest.mark.parametrize("text", ["7x", "-7d", "7", "d", "1.5h", "7days", "", "yesterday"])
def test_junk_relative_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_relative(text, NOW)


def test_a_relative_time_too_far_back_is_refused_as_a_value_error() -> None:
    # The CLI (--since 99999999d) catches ValueError to print a usage message.
    with pytest.raises(ValueError, match="99999999d"):
        parse_relative("99999999d", NOW)


# -- to_rfc3339, as_utc, micros ---------------------------------------------------------------


def test_to_rfc3339_format() -> None:
    assert to_rfc3339(None) is None
    assert to_rfc3339(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"
    assert to_rfc3339(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == "2026-01-02T03:04:05.000006Z"
    plus_two = timezone(timedelta(hours=2))
    assert to_rfc3339(datetime(2026, 1, 2, 3, 4, 5, tzinfo=plus_two)) == (
        "2026-01-02T01:04:05.000000Z"
    )
    # A naive value (as storage returns it) is taken as UTC.
    assert to_rfc3339(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000000Z"
    assert to_rfc3339(datetime(5, 1, 1, tzinfo=UTC)) == "0005-01-01T00:00:00.000000Z"


@given(st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7, minutes=-30))])))
def test_to_rfc3339_is_isoformat_in_utc_with_microseconds(value: datetime) -> None:
    expected = value.astimezone(UTC).isoformat(timespec="microseconds")
    assert to_rfc3339(value) == expected.replace("+00:00", "Z")


def test_as_utc() -> None:
    naive = datetime(2026, 1, 1, 12)
    assert as_utc(naive) == datetime(2026, 1, 1, 12, tzinfo=UTC)
    aware = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=-3)))
    assert as_utc(aware).tzinfo is UTC
    assert as_utc(aware).hour == 15


def test_micros_of_known_instants() -> None:
    assert to_micros(EPOCH) == 0
    assert to_micros(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC)) == 1_000_005
    assert to_micros(datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)) == -1
    assert from_micros(-1) == datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    assert from_micros(0).tzinfo is UTC


offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
# Aware datetimes whose UTC instant stays inside years 1..9999.
aware_datetimes = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=offsets
)


@settings(max_examples=200, deadline=None)
@given(aware_datetimes)
def test_micros_round_trip(value: datetime) -> None:
    micros = to_micros(value)
    back = from_micros(micros)
    assert back == value
    assert back.tzinfo is UTC
    assert to_micros(back) == micros


@settings(max_examples=200, deadline=None)
@given(st.integers(to_micros(datetime(1, 1, 1, tzinfo=UTC)), to_micros(datetime.max)))
def test_from_micros_round_trip(micros: int) -> None:
    assert to_micros(from_micros(micros)) == micros


@settings(max_examples=150, deadline=None)
@given(aware_datetimes, aware_datetimes)
def test_micros_keep_the_order_of_instants(a: datetime, b: datetime) -> None:
    assert (to_micros(a) < to_micros(b)) == (a < b)
    assert (to_micros(a) == to_micros(b)) == (a == b)


@settings(max_examples=150, deadline=None)
@given(aware_datetimes)
def test_rfc3339_round_trip(value: datetime) -> None:
    text = to_rfc3339(value)
    assert text is not None
    assert RFC3339_UTC.match(text), text
    assert parse_timestamp(text) == value


# -- apply_parameters -----------------------------------------------------------------------


def test_defaults_fill_what_is_missing() -> None:
    params = [
        Parameter("n", type="integer", default=3),
        Parameter("mode", type="string", default="fast"),
        Parameter("opts", type="object", default={"a": 1}),
        Parameter("no_default", type="string"),
    ]
    assert apply_parameters(params, {}) == {"n": 3, "mode": "fast", "opts": {"a": 1}}
    assert apply_parameters(params, {"n": 9, "mode": "slow"}) == {
        "n": 9,
        "mode": "slow",
        "opts": {"a": 1},
    }


def test_a_falsy_default_is_still_a_default() -> None:
    params = [
        Parameter("n", type="integer", default=0),
        Parameter("flag", type="boolean", default=False),
        Parameter("s", type="string", default=""),
        Parameter("xs", type="array", default=[]),
    ]
    assert apply_parameters(params, {}) == {"n": 0, "flag": False, "s": "", "xs": []}


def test_unknown_keys_pass_through_and_the_given_dict_is_not_changed() -> None:
    given_input = {"extra": {"deep": [1]}, "other": "x"}
    result = apply_parameters([Parameter("n", type="integer", default=1)], given_input)
    assert result == {"extra": {"deep": [1]}, "other": "x", "n": 1}
    assert given_input == {"extra": {"deep": [1]}, "other": "x"}
    assert apply_parameters([], given_input) == given_input


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("string", ["", "x"], [1, True, [], {}]),
        ("integer", [0, -5, 10**20], [True, False, 1.5, 2.0, "1", [], {}]),
        ("number", [0, 1.5, -2, 10**20], [True, False, "1.5", [], {}]),
        ("boolean", [True, False], [0, 1, "true", [], {}]),
        ("object", [{}, {"a": 1}], [[], "x", 1, True]),
        ("array", [[], [1, "a"]], [{}, "x", 1, True]),
    ],
)
def test_types_are_checked(kind: str, good: list[object], bad: list[object]) -> None:
    params = [Parameter("v", type=kind)]
    for value in good:
        assert apply_parameters(params, {"v": value}) == {"v": value}
    for value in bad:
        with pytest.raises(InvalidInput) as caught:
            apply_parameters(params, {"v": value})
        assert [e.loc for e in caught.value.errors] == [("body", "input", "v")]
        assert caught.value.errors[0].msg == f"must be of type {kind}"
        assert caught.value.detail == f"input.v: must be of type {kind}"


def test_a_boolean_is_not_an_integer() -> None:
    with pytest.raises(InvalidInput, match=r"^input\.n: must be of type integer$"):
        apply_parameters([Parameter("n", type="integer")], {"n": True})


@pytest.mark.parametrize("kind", ["json", "any", "custom"])
def test_json_and_unknown_kinds_take_anything(kind: str) -> None:
    for value in ("s", 1, 1.5, True, [1], {"a": 1}):
        assert apply_parameters([Parameter("v", type=kind)], {"v": value}) == {"v": value}


def test_null_is_accepted_for_any_kind() -> None:
    assert apply_parameters([Parameter("n", type="integer")], {"n": None}) == {"n": None}


def test_every_wrong_value_is_reported_at_once() -> None:
    params = [
        Parameter("a", type="integer"),
        Parameter("b", type="string"),
        Parameter("c", type="boolean"),
    ]
    with pytest.raises(InvalidInput) as caught:
        apply_parameters(params, {"a": "1", "b": "ok", "c": "yes"})
    assert [e.loc for e in caught.value.errors] == [("body", "input", "a"), ("body", "input", "c")]
    assert (
        caught.value.detail == "input.a: must be of type integer; input.c: must be of type boolean"
    )


# -- ids ------------------------------------------------------------------------------------


def test_uuid7_is_version_7_with_the_rfc_variant() -> None:
    for _ in range(100):
        text = uuid7()
        parsed = uuid.UUID(text)
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
        assert text == str(parsed)  # canonical, lower case
        assert text[14] == "7"
        assert text[19] in "89ab"


def test_uuid7_carries_its_millisecond_timestamp() -> None:
    assert uuid.UUID(uuid7(1_700_000_000_123)).int >> 80 == 1_700_000_000_123
    before = int(time.time() * 1000)
    stamp = uuid.UUID(uuid7()).int >> 80
    after = int(time.time() * 1000)
    assert before <= stamp <= after


def test_uuid7_ids_are_unique() -> None:
    assert len({uuid7() for _ in range(2000)}) == 2000
    assert len({uuid7(5) for _ in range(2000)}) == 2000  # random bits, one millisecond


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**48 - 1), min_size=2, max_size=30, unique=True))
def test_uuid7_sorts_by_time(millis: list[int]) -> None:
    ids = {ms: uuid7(ms) for ms in millis}
    by_text = sorted(ids.values())
    assert by_text == [ids[ms] for ms in sorted(millis)]
    assert all(uuid.UUID(i).version == 7 for i in by_text)


def test_new_id_and_canonical_uuid() -> None:
    assert uuid.UUID(new_id()).version == 4
    upper = "0190A0B0-1234-7ABC-8DEF-0123456789AB"
    assert canonical_uuid(upper) == upper.lower()
    assert canonical_uuid("0190a0b012347abc8def0123456789ab") == upper.lower()
    for junk in ("", "not-a-uuid", "0190a0b0-1234-7abc-8def-0123456789a", None, 5):
        assert canonical_uuid(junk) is None  # type: ignore[arg-type]
