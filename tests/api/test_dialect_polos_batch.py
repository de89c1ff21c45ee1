"""Polos's ``batch_run`` under /compat/polos: every run of a batch queued in one
transaction, or none; on both databases, one application per module and database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Api, corpus_per_module
from tests.conftest import ADMIN_KEY, BACKENDS

BATCH = "/compat/polos/api/v1/workflows/batch_run"


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request: pytest.FixtureRequest) -> Iterator[tuple[Api, Api, str]]:
    """(the native admin client, a Polos client, the project id) on one database."""
    with corpus_per_module(request) as (admin, workflows):
        project = workflows["crm-sync"]["project_id"]
        yield admin, admin.as_key(ADMIN_KEY, project), project


def count(admin: Api) -> int:
    return int(admin.get("/api/v1/runs/count")["count"])


def test_a_batch_queues_every_run_in_order(loaded: tuple[Api, Api, str]) -> None:
    admin, polos, _ = loaded
    body = {
        "workflows": [
            {
                "workflow_id": "crm-sync",
                "payload": {"account": "Ada"},
                "initial_state": None,
                "run_timeout_seconds": None,
                "queue_name": "q",
            },
            {"workflow_id": "lookup", "payload": None},
            {"workflow_id": "crm-sync", "payload": {"account": "Bo"}},
        ],
        "wait_for_subworkflow": False,
        "session_id": "s-1",
        "user_id": "u-1",
    }
    executions = polos.post(BATCH, body, expect=200)["executions"]
    assert len(executions) == 3
    runs = [admin.get(f"/api/v1/runs/{e['execution_id']}") for e in executions]
    assert [(r["workflow_name"], r["input"], r["status"]) for r in runs] == [
        ("crm-sync", {"account": "Ada"}, "queued"),
        ("lookup", {}, "queued"),
        ("crm-sync", {"account": "Bo"}, "queued"),
    ]
    assert {(r["session_id"], r["triggered_by"]) for r in runs} == {("s-1", "u-1")}
    assert [e["created_at"] for e in executions] == [r["created_at"] for r in runs]
    assert polos.post(BATCH, {"workflows": []}, expect=200) == {"executions": []}
    for r in runs:
        admin.post(f"/api/v1/runs/{r['id']}/cancel", expect=200)


@pytest.mark.parametrize(
    ("items", "status", "words"),
    [
        (
            [{"workflow_id": "crm-sync"}, {"workflow_id": "nope"}],
            404,
            "workflows.1.workflow_id: workflow 'nope' does not exist",
        ),
        (
            [{"workflow_id": "crm-sync"}, {"payload": {}}],
            400,
            "workflows.1.workflow_id: Field required",
        ),
        (
            [{"workflow_id": "crm-sync"}, {"workflow_id": "lookup", "payload": [1]}],
            400,
            "workflows.1.payload",
        ),
        (
            [{"workflow_id": "lookup"}, {"workflow_id": "crm-sync", "payload": {"account": 5}}],
            400,
            "workflows.1.payload.account",
        ),
    ],
)
def test_a_bad_item_queues_nothing_and_names_itself(
    loaded: tuple[Api, Api, str], items: list[dict[str, Any]], status: int, words: str
) -> None:
    admin, polos, _ = loaded
    before = count(admin)
    found = polos.post(BATCH, {"workflows": items}, expect=status)
    assert words in found["error"], found
    assert found["error_type"] == {400: "BAD_REQUEST", 404: "NOT_FOUND"}[status]
    assert count(admin) == before


def test_who_may_batch(loaded: tuple[Api, Api, str]) -> None:
    admin, polos, project = loaded
    one = {"workflows": [{"workflow_id": "lookup"}]}
    no_project = Api(polos.client, {"Authorization": f"Bearer {ADMIN_KEY}"})
    assert no_project.post(BATCH, one, expect=400)["error_type"] == "BAD_REQUEST"
    no_key = Api(polos.client, {"X-Project-ID": project})
    assert no_key.post(BATCH, one, expect=401) == {
        "error": "Not authenticated",
        "error_type": "UNAUTHORIZED",
    }
    bad_key = Api(polos.client, {"X-Project-ID": project, "Authorization": "Bearer ry_nope"})
    assert bad_key.post(BATCH, one, expect=401)["error_type"] == "UNAUTHORIZED"
    other, _ = admin.new_project("batch-other", role="write")
    foreign = Api(polos.client, {**other.headers, "X-Project-ID": project})
    forbidden = {"error": "Access to project forbidden", "error_type": "PROJECT_ACCESS_FORBIDDEN"}
    assert foreign.post(BATCH, one, expect=403) == forbidden
    reader, reader_project = admin.new_project("batch-reader", role="read")
    readonly = Api(polos.client, {**reader.headers, "X-Project-ID": reader_project})
    assert readonly.post(BATCH, one, expect=403)["error_type"] == "PROJECT_ACCESS_FORBIDDEN"
