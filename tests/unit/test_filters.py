"""The table of filters (core/filters.py): complete, and read alike by every edge."""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, datetime
from typing import Any

import pytest
import typer

from runyard.cli.main import app as cli_app
from runyard.client.filters import RunFilters
from runyard.core import cursors
from runyard.core.errors import InvalidInput
from runyard.core.filters import FILTERS, NAMES, Filter, Kind, query_fields, read_time
from runyard.core.models import TriggerType, WorkflowType
from runyard.core.query import RunQuery, TagFilter
from runyard.core.statuses import RunStatus
from runyard.web import filters as web_filters

# What a RunQuery holds besides its filters: whose runs, and the order and page.
NOT_FILTERS = {"project_id", "sort", "limit", "after", "offset", "include_total", "exact_total"}


def test_every_filter_field_of_a_run_query_has_one_entry() -> None:
    fields = {f.name for f in dataclasses.fields(RunQuery)} - NOT_FILTERS
    assert sorted(f.field for f in FILTERS) == sorted(fields)
    assert len(NAMES) == len(FILTERS)


def test_the_dashboard_form_offers_every_filter_once() -> None:
    form = web_filters.FORM
    offered = [
        *(f.name for f in web_filters.PICKED),
        form["search"].name,
        *(f.name for f in form["window"]),
        *(f.name for f in form["texts"]),
        *(f.name for f in form["flags"]),
    ]
    assert sorted(offered) == sorted(NAMES)


def test_every_filter_has_its_own_cli_flags() -> None:
    flags = [flag for f in FILTERS for option in f.cli for flag in option.split("/")]
    assert all(f.cli and f.help for f in FILTERS)
    assert len(flags) == len(set(flags))
    for f in FILTERS:
        pairs = [option for option in f.cli if "/" in option]
        assert len(pairs) == (1 if f.kind is Kind.FLAG else 0), f.name


def _runs_list_flags() -> set[str]:
    command: Any = typer.main.get_command(cli_app)
    listing = command.commands["runs"].commands["list"]
    return {flag for p in listing.params for flag in (*p.opts, *p.secondary_opts)}


def test_the_tables_cli_flags_are_those_of_runs_list() -> None:
    # ``runyard runs list`` builds its filter options from the table: each flag is there.
    offered = _runs_list_flags()
    for f in FILTERS:
        for option in f.cli:
            assert set(option.split("/")) <= offered, (f.name, option)


def test_the_python_clients_filter_keywords_are_the_tables() -> None:
    keywords = set(typing.get_type_hints(RunFilters)) - {"workflow"}  # workflow_id, friendlier
    assert keywords == NAMES


# -- reading ------------------------------------------------------------------------------


def test_values_are_read_into_run_query_fields() -> None:
    fields = query_fields(
        {
            "workflow_id": ["a", "b"],
            "workflow_type": ["agent"],
            "status": ["failed", "timed_out"],
            "created_after": ["2026-05-01T02:00:00+02:00"],
            "trigger_type": ["api"],
            "search": [""],
            "parent_run_id": ["r1"],
            "tag": ["env", "team=ops"],
            "is_test": ["false"],
            "has_parent": ["TRUE"],
            "requeued": ["1"],
            "sort": ["ignored: not a filter"],
        }
    )
    assert RunQuery("p", **fields) == RunQuery(
        "p",
        workflow_ids=("a", "b"),
        workflow_types=(WorkflowType.AGENT,),
        statuses=(RunStatus.FAILED, RunStatus.TIMED_OUT),
        created_after=datetime(2026, 5, 1, tzinfo=UTC),
        trigger_types=(TriggerType.API,),
        parent_run_id="r1",
        tags=(TagFilter("env"), TagFilter("team", ("ops",))),
        is_test=False,
        has_parent=True,
        requeued=True,
    )


def test_a_single_filter_given_twice_takes_the_last_value() -> None:
    assert query_fields({"root_run_id": ["a", "b"]}) == {"root_run_id": "b"}


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("workflow_id", "", "1-200 characters"),
        ("triggered_by", "x" * 201, "1-200 characters"),
        ("status", "bogus", "'bogus' is not one of its values"),
        ("workflow_type", "robot", "agent"),
        ("created_before", "yesterday", "'yesterday' is not an RFC 3339"),
        ("created_after", "2026-01-01T00:00:00", "no UTC offset"),
        ("search", "x" * 501, "at most 500"),
        ("tag", "=x", "needs a key"),
        ("is_test", "maybe", "'maybe' is not a boolean"),
    ],
)
def test_a_bad_value_names_its_parameter_and_why(name: str, value: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        query_fields({name: [value]})
    assert [e.loc for e in caught.value.errors] == [("query", name)]
    assert reason in caught.value.errors[0].msg


def test_a_vendors_time_parameter_is_read_as_the_native_ones_under_its_own_name() -> None:
    assert read_time("start_time", "2026-05-01T00:00:00Z") == datetime(2026, 5, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput) as caught:
        read_time("start_time", "soon")
    assert caught.value.errors[0].loc == ("query", "start_time")


# -- the fingerprint ----------------------------------------------------------------------


def test_a_filter_added_to_the_table_leaves_cursors_in_use_valid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A new filter (standing in on an existing field): unset, a fingerprint is what it
    # was, so cursors handed out before it was added go on; set, the query is another.
    plain, narrowed = RunQuery("p"), RunQuery("p", root_run_id="r0")
    was = {q: cursors.fingerprint(q) for q in (plain, narrowed)}
    added = Filter("added", "root_run_id", Kind.TEXT, "help", "Added", ("--added",))
    monkeypatch.setattr(cursors, "FILTERS", (*FILTERS, added))
    assert cursors.fingerprint(plain) == was[plain]
    assert cursors.fingerprint(narrowed) != was[narrowed]
