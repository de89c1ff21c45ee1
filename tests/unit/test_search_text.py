"""What ``search`` matches in a run: build_search_text and fold (core/search_text.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runyard.core.query import RunQuery
from runyard.core.search_text import MAX_TERM_LENGTH, SEPARATOR, build_search_text, fold
from runyard.store.query.planner import Planner

RUN_ID = "0190A0B0-1234-7ABC-8DEF-0123456789AB"


def matches(text: str, term: str) -> bool:
    """How the store matches: the folded term is a substring of the folded text."""
    return fold(term) in text


def test_the_run_id_is_searchable_in_any_case() -> None:
    text = build_search_text(RUN_ID, {}, None)
    assert text == RUN_ID.lower()
    assert matches(text, RUN_ID)
    assert matches(text, RUN_ID.lower())
    assert matches(text, "7abc-8DEF")


def test_every_input_leaf_is_searchable() -> None:
    payload = {
        "customer": "ACME Corp",
        "nested": {"deeper": {"deepest": "needle-in-a-haystack"}},
        "items": ["first", {"sku": "SKU-42"}, ["inner-list-item"]],
        "count": 1234567,
        "negative": -17,
        "ratio": 0.125,
        "big": 10**20,
        "enabled": True,
        "disabled": False,
        "nothing": None,
        "empty": "",
    }
    text = build_search_text(RUN_ID, payload, None)
    for term in (
        "acme corp",
        "ACME",
        "needle-in-a-haystack",
        "first",
        "sku-42",
        "inner-list-item",
        "1234567",
        "-17",
        "0.125",
        "100000000000000000000",
        "true",
        "false",
    ):
        assert matches(text, term), term
    # Keys are not values, and a null leaf is not the word "null".
    for absent in ("customer", "nested", "deepest", "items", "enabled", "null"):
        assert not matches(text, absent), absent


def test_exact_shape_of_the_text() -> None:
    text = build_search_text("R1", {"a": "X", "b": [1, True, None, 2.5], "c": {"d": "Y"}}, None)
    assert text == SEPARATOR.join(["r1", "x", "1", "true", "2.5", "y"])


def test_leaves_are_separated_so_a_term_cannot_span_two_values() -> None:
    text = build_search_text("r", {"a": "hello", "b": "world"}, None)
    assert matches(text, "hello")
    assert matches(text, "world")
    assert not matches(text, "helloworld")


def test_an_input_that_is_a_list_or_a_scalar_still_yields_its_leaves() -> None:
    assert matches(build_search_text("r", ["alpha", {"b": "beta"}], None), "beta")
    assert matches(build_search_text("r", "gamma", None), "gamma")
    assert build_search_text("r", None, None) == "r"


def test_headers_are_searchable_as_their_json_text_with_non_ascii_kept() -> None:
    headers = {"X-City": "Zürich", "Accept-Language": "de-CH", "X-Note": "日本語"}
    text = build_search_text(RUN_ID, {}, headers)
    assert "\\u" not in text
    assert matches(text, "Zürich")
    assert matches(text, "zürich")
    assert matches(text, "ZÜRICH")
    assert matches(text, "日本語")
    # The JSON text itself (keys sorted), so a key and its value can be searched together.
    assert matches(text, '"x-city": "zürich"')
    assert text.endswith(
        fold(json.dumps(headers, ensure_ascii=False, sort_keys=True)),
    )
    assert fold(json.dumps(headers, sort_keys=True)) not in text  # not the \u-escaped form


@pytest.mark.parametrize("headers", [None, {}])
def test_no_headers_add_nothing(headers: dict[str, str] | None) -> None:
    assert build_search_text("r", {"a": "b"}, headers) == "r\nb"


@pytest.mark.parametrize(
    ("stored", "term"),
    [
        ("Straße", "STRASSE"),
        ("STRASSE", "straße"),
        ("ΟΔΟΣ", "οδος"),  # final sigma folds like sigma
        ("Ǆemal", "ǆEMAL"),
        ("ﬁle", "FILE"),  # the fi ligature folds to "fi"
        ("İstanbul".lower(), "İstanbul"),
    ],
)
def test_case_folding_is_unicode_aware(stored: str, term: str) -> None:
    assert matches(build_search_text("r", {"k": stored}, None), term)
    assert matches(build_search_text("r", {}, {"h": stored}), term)


def test_fold_equates_strasse_and_strasse_with_eszett() -> None:
    assert fold("STRASSE") == fold("straße") == "strasse"
    assert fold("Zürich") == "zürich"


def test_the_search_text_is_already_folded() -> None:
    text = build_search_text(RUN_ID, {"a": "MiXeD Straße"}, {"H": "Zürich"})
    assert fold(text) == text


def test_the_term_limit_is_the_query_limit() -> None:
    assert MAX_TERM_LENGTH == 500
    RunQuery("p", search="a" * MAX_TERM_LENGTH)


json_leaves = st.one_of(
    st.text(max_size=20),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _leaf_texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _leaf_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _leaf_texts(v)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str):
        return [value]
    if value is None:
        return []
    return [json.dumps(value)]


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.text(max_size=8), json_values, max_size=6),
    st.one_of(st.none(), st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3)),
)
def test_every_leaf_and_the_headers_are_found_by_their_own_text(
    payload: dict[str, Any], headers: dict[str, str] | None
) -> None:
    text = build_search_text(RUN_ID, payload, headers)
    assert matches(text, RUN_ID)
    for leaf in _leaf_texts(payload):
        assert matches(text, leaf), leaf
    if headers:
        assert matches(text, json.dumps(headers, ensure_ascii=False, sort_keys=True))
        for value in headers.values():
            # A value is in the JSON text; non-ASCII as itself, only JSON's own escapes.
            assert matches(text, json.dumps(value, ensure_ascii=False))


def test_a_term_is_looked_up_by_its_stretches_of_rare_trigrams() -> None:
    common = {"cus": 0.3, "ust": 0.3, "st-": 0.3, "t-0": 0.3, "235": 0.2}
    stretches = Planner().search_stretches
    assert stretches("cust-012345", common) == ["-012345"]
    assert stretches("cust-062359", common) == ["-0623", "359"]  # both must be there
    assert stretches("012345", common) is None  # all of it is rare: the whole term
    assert stretches("cust-", common) is None  # nothing rare: the whole term
    assert Planner(rare_share=0.25).search_stretches("cust-062359", common) == ["-062359"]
