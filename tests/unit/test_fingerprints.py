"""Golden fingerprints: a cursor handed out before an upgrade still continues its walk.

A cursor carries a fingerprint of its query's filters and order (``core/cursors.py``); a
change to how it is computed would refuse every cursor in use as belonging to "another
query". These values were computed before the fingerprint was derived from
the filter table; a filter added later must leave them as they are.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from runyard.core.cursors import fingerprint
from runyard.core.query import RunQuery, Sort, SortField, TagFilter
from runyard.core.statuses import RunStatus

T0 = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
PLUS2 = timezone(timedelta(hours=2))
QUERIES = {
    "nothing": RunQuery("p"),
    "project": RunQuery("0190a0b0-0000-7000-8000-00000000abcd"),
    "workflow_ids": RunQuery("p", workflow_ids=("wf-b", "wf-a")),
    "workflow_types": RunQuery("p", workflow_types=("agent", "ingestion")),
    "statuses": RunQuery("p", statuses=(RunStatus.FAILED, RunStatus.COMPLETED)),
    "created_after": RunQuery("p", created_after=T0),
    "created_before_offset": RunQuery("p", created_before=datetime(2026, 5, 2, 8, tzinfo=PLUS2)),
    "window": RunQuery("p", created_after=T0, created_before=T0 + timedelta(days=1)),
    "trigger_types": RunQuery("p", trigger_types=("scheduled", "api")),
    "triggered_by": RunQuery("p", triggered_by=("alice", "bob")),
    "credential_ids": RunQuery("p", credential_ids=("cred-2", "cred-1")),
    "error_codes": RunQuery("p", error_codes=("LOGIN_FAILED", "CAPTCHA_FAILED")),
    "search": RunQuery("p", search="Invoice ÉTÉ 100%_"),
    "parent_run_id": RunQuery("p", parent_run_id="0190a0b0-0000-7000-8000-000000000001"),
    "root_run_id": RunQuery("p", root_run_id="0190a0b0-0000-7000-8000-000000000002"),
    "tag_key": RunQuery("p", tags=(TagFilter("env"),)),
    "tags": RunQuery("p", tags=(TagFilter("team", ("b", "a", "b")), TagFilter("env", ("prod",)))),
    "is_test_false": RunQuery("p", is_test=False),
    "is_test_true": RunQuery("p", is_test=True),
    "has_parent": RunQuery("p", has_parent=False),
    "requeued": RunQuery("p", requeued=True),
    "sort_asc": RunQuery("p", sort=Sort(SortField.DURATION, descending=False)),
    "sort_started": RunQuery("p", sort=Sort(SortField.STARTED_AT)),
    "paging_ignored": RunQuery("p", limit=7, offset=3, include_total=True, exact_total=True),
    "everything": RunQuery(
        "p",
        workflow_ids=("w",),
        workflow_types=("agent",),
        statuses=(RunStatus.QUEUED,),
        created_after=T0,
        created_before=T0 + timedelta(hours=1),
        trigger_types=("api",),
        triggered_by=("alice",),
        credential_ids=("c",),
        error_codes=("E",),
        search="x",
        parent_run_id="r1",
        root_run_id="r0",
        tags=(TagFilter("env", ("prod",)),),
        is_test=True,
        has_parent=True,
        requeued=False,
        sort=Sort(SortField.FINISHED_AT, descending=False),
    ),
}

GOLDEN = {
    "nothing": "d4b3565a949492e8",
    "project": "5111ef732812c27d",
    "workflow_ids": "3e466ba4ddc0b5f6",
    "workflow_types": "14b441cc52832018",
    "statuses": "1bf0ea1bc153a5c2",
    "created_after": "2db7a52a993b40a4",
    "created_before_offset": "65c7dfbcff9eeeea",
    "window": "279c44b90196dfdc",
    "trigger_types": "056775064ef964af",
    "triggered_by": "39bd13fcf977817a",
    "credential_ids": "fe132a530de9afd1",
    "error_codes": "83c077a793d39780",
    "search": "e3ce0e4750a84edd",
    "parent_run_id": "7f281fb5fd78952b",
    "root_run_id": "f79a5993b785a168",
    "tag_key": "714ac6517722b254",
    "tags": "a435d905fe8de00b",
    "is_test_false": "279d720281c99a49",
    "is_test_true": "15647dd2cc1b9f42",
    "has_parent": "83948fc3fa4cfa74",
    "requeued": "d17fab36a95e719f",
    "sort_asc": "e99583fd680f8ab2",
    "sort_started": "6c232ef045e3f560",
    "paging_ignored": "d4b3565a949492e8",
    "everything": "dffa35c24faa1261",
}


def test_every_query_has_a_golden_fingerprint() -> None:
    assert set(GOLDEN) == set(QUERIES)


@pytest.mark.parametrize("name", list(QUERIES))
def test_a_fingerprint_is_what_it_was(name: str) -> None:
    assert fingerprint(QUERIES[name]) == GOLDEN[name]
