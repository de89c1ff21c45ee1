"""B3OS (seed 001) and Noxus (seed 004) under /compat: golden requests and responses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.dialect_corpus import at, load, newest_first, run_id
from tests.conftest import ADMIN_KEY

ALL = list(range(1, 15))


@pytest.fixture
def loaded(admin: Api) -> tuple[Api, Any, dict[str, Any]]:
    base, workflows = load(admin)
    return admin, base, workflows


# -- B3OS ---------------------------------------------------------------------------------


def test_b3os_envelope_and_item_fields(loaded: tuple[Api, Any, Any]) -> None:
    api, _base, workflows = loaded
    crm = workflows["crm-sync"]["id"]
    body = api.get(f"/compat/b3os/v1/workflows/{crm}/runs", params={"limit": 1, "offset": 2})
    assert body["requestId"]
    assert body["message"] == "success"
    assert body["code"] == 200
    assert body["data"] == {
        "hasMore": True,
        "items": [
            {
                "finishedAt": None,
                "id": run_id(5),
                "isDustTest": False,
                "isSimulation": False,
                "sourceRunId": None,
                "startedAt": None,
                "status": "waiting",
                "totalCu": 0.0,
                "triggerSource": "api",
                "triggeredBy": None,
                "workflowId": crm,
                "workflowVersion": 1,
            }
        ],
        "limit": 1,
        "offset": 2,
    }


def test_b3os_defaults_status_words_and_has_more(loaded: tuple[Api, Any, Any]) -> None:
    api, _, _ = loaded

    def ids(workflow: str, **params: Any) -> tuple[list[str], bool]:
        data = api.get(f"/compat/b3os/v1/workflows/{workflow}/runs", params=params)["data"]
        return [i["id"] for i in data["items"]], data["hasMore"]

    assert ids("invoice-agent") == (newest_first([1, 2, 7, 8, 12]), False)
    assert ids("invoice-agent", status="waiting") == (newest_first([7, 8]), False)
    assert ids("invoice-agent", status="failure") == (newest_first([2, 12]), False)
    assert ids("crm-sync", status="running") == (newest_first([3, 9]), False)
    assert ids("crm-sync", status="cancelled") == ([run_id(10)], False)
    assert ids("invoice-agent", limit=4) == (newest_first([1, 2, 7, 8, 12])[:4], True)


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "101"}, {"offset": "-1"}, {"status": "completed"}, {"limit": "x"}],
)
def test_b3os_bad_input_is_refused_in_the_envelope(
    loaded: tuple[Api, Any, Any], params: dict[str, str]
) -> None:
    api, _, _ = loaded
    body = api.get("/compat/b3os/v1/workflows/crm-sync/runs", expect=400, params=params)
    assert body["code"] == 400
    assert body["data"] is None
    assert body["requestId"]
    assert next(iter(params)) in body["message"]


def test_b3os_unknown_workflow_and_auth(loaded: tuple[Api, Any, Any]) -> None:
    api, _, _ = loaded
    body = api.get("/compat/b3os/v1/workflows/nope/runs", expect=404)
    assert body["code"] == 404
    assert "nope" in body["message"]
    anon = Api(api.client, {})
    assert anon.get("/compat/b3os/v1/workflows/crm-sync/runs", expect=401)["code"] == 401


# -- Noxus ----------------------------------------------------------------------------------


def test_noxus_page_with_total_and_the_embedded_workflow(loaded: tuple[Api, Any, Any]) -> None:
    api, base, workflows = loaded
    noxus = Api(api.client, {"X-API-Key": ADMIN_KEY})
    body = noxus.get("/compat/noxus/v1/runs", params={"page": 5, "size": 3})
    assert (body["total"], body["page"], body["size"], body["pages"]) == (14, 5, 3, 5)
    assert [r["id"] for r in body["items"]] == newest_first(ALL)[12:]
    one = noxus.get("/compat/noxus/v1/runs", params={"page": 14, "size": 1})["items"][0]
    wf = workflows["invoice-agent"]
    assert one == {
        "id": run_id(1),
        "group_id": wf["project_id"],
        "workflow_id": wf["id"],
        "input": {"customer_id": "CUST-0001"},
        "node_ids": None,
        "status": "completed",
        "progress": 0,
        "definitions": {},
        "created_at": at(base, 1),
        "finished_at": at(base, 1, 32),
        "source": "scheduled",
        "output": {"total": 12},
        "workflow": {
            "id": wf["id"],
            "group_id": wf["project_id"],
            "name": "Invoice agent",
            "type": "flow",
            "last_updated_at": wf["modified_at"],
            "definition": {"flow_version": "v1", "nodes": [], "edges": [], "runyard": {}},
            "last_run_at": at(base, 12),
            "created_at": wf["created_at"],
            "deleted_at": None,
            "runs_count": 5,
            "author_name": None,
            "description": "",
            "saved": True,
            "error_handler": None,
        },
    }
    assert noxus.get("/compat/noxus/v1/runs")["size"] == 50


def test_noxus_workflow_runs_accept_page_size_and_size(loaded: tuple[Api, Any, Any]) -> None:
    api, _, workflows = loaded
    noxus = Api(api.client, {"X-API-Key": ADMIN_KEY})
    crm = workflows["crm-sync"]["id"]
    body = noxus.get(
        f"/compat/noxus/v1/workflows/{crm}/runs", params={"page": 2, "page_size": 2, "size": 2}
    )
    assert [r["id"] for r in body["items"]] == newest_first([3, 4, 5, 9, 10])[2:4]
    assert (body["total"], body["pages"]) == (5, 3)
    run = noxus.get(f"/compat/noxus/v1/workflows/{crm}/runs/{run_id(4)}")
    assert run["status"] == "queued"
    assert run["workflow"]["runs_count"] == 5
    noxus.get(f"/compat/noxus/v1/workflows/{crm}/runs/{run_id(1)}", expect=404)
    stopped = noxus.post(f"/compat/noxus/v1/runs/{run_id(4)}/stop", expect=200)
    assert stopped["status"] == "stopped"


@pytest.mark.parametrize(
    "params", [{"page": "0"}, {"size": "0"}, {"size": "101"}, {"size": "2", "page_size": "3"}]
)
def test_noxus_bad_paging_is_a_422(loaded: tuple[Api, Any, Any], params: dict[str, str]) -> None:
    api, _, _ = loaded
    noxus = Api(api.client, {"X-API-Key": ADMIN_KEY})
    body = noxus.get("/compat/noxus/v1/runs", expect=422, params=params)
    assert body["detail"][0]["loc"][0] == "query"
    assert Api(api.client, {}).get("/compat/noxus/v1/runs", expect=401) == {
        "detail": "missing API key: send it in the X-API-Key header"
    }
    assert noxus.get("/compat/noxus/v1/workflows/nope/runs", expect=404)["detail"]
