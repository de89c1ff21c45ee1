"""Noxus's workflow and run calls under /compat/noxus (``noxus-sdk``'s wire), on both
databases, with one application per module and database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from tests.api.conftest import Api, corpus_per_module
from tests.api.dialect_corpus import run_id
from tests.conftest import ADMIN_KEY, BACKENDS

NX = "/compat/noxus"


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request: pytest.FixtureRequest) -> Iterator[tuple[Api, Api, dict[str, Any]]]:
    """(the native admin client, a Noxus client, the corpus' workflows) on one database."""
    with corpus_per_module(request) as (admin, workflows):
        yield admin, Api(admin.client, {"X-API-Key": ADMIN_KEY}), workflows


def test_workflows_list_and_get_in_noxus_words(loaded: tuple[Api, Api, Any]) -> None:
    admin, noxus, workflows = loaded
    body = noxus.get(f"{NX}/v1/workflows", params={"page": 1, "page_size": 2, "size": 2})
    assert (body["total"], body["page"], body["size"], body["pages"]) == (3, 1, 2, 2)
    native = admin.get("/api/v1/workflows")["items"]
    listed = body["items"] + noxus.get(f"{NX}/v1/workflows", params={"page": 2, "size": 2})["items"]
    assert [w["id"] for w in listed] == [w["id"] for w in native]
    # runyard's workflow, agent and tool are all Noxus flows
    assert {w["type"] for w in listed} == {"flow"}
    assert len(noxus.get(f"{NX}/v1/workflows", params={"type": "flow"})["items"]) == 3
    assert noxus.get(f"{NX}/v1/workflows", params={"type": "handler"})["items"] == []
    invoice = workflows["invoice-agent"]
    one = noxus.get(f"{NX}/v1/workflows/{invoice['id']}")
    assert one == noxus.get(f"{NX}/v1/workflows/invoice-agent")
    assert (one["id"], one["name"], one["group_id"]) == (
        invoice["id"],
        "Invoice agent",
        invoice["project_id"],
    )
    assert one["definition"] == {"flow_version": "v1", "nodes": [], "edges": [], "runyard": {}}
    assert one["runs_count"] == 5


def test_running_a_workflow_queues_an_ordinary_run(loaded: tuple[Api, Api, Any]) -> None:
    admin, noxus, workflows = loaded
    crm = workflows["crm-sync"]
    started = noxus.post(
        f"{NX}/v1/workflows/{crm['id']}/runs",
        {
            "input": {"account": "Ada"},
            "callback_url": "https://example.com/cb",
            "workflow_version_id": crm["version_id"],
        },
        expect=200,
    )
    assert (started["status"], started["input"], started["workflow_id"]) == (
        "queued",
        {"account": "Ada"},
        crm["id"],
    )
    native = admin.get(f"/api/v1/runs/{started['id']}")
    assert (native["status"], native["trigger_type"]) == ("queued", "api")
    assert native["webhook_callback_url"] == "https://example.com/cb"
    admin.post(f"/api/v1/runs/{started['id']}/cancel", expect=200)


def test_search_is_runyards_search(loaded: tuple[Api, Api, Any]) -> None:
    admin, noxus, _ = loaded
    body = noxus.post(f"{NX}/v1/runs/search", {"query": "cust-000", "limit": 1}, expect=200)
    native = admin.get("/api/v1/runs", params={"search": "cust-000"})["items"]
    assert [r["id"] for r in body["items"]] == [native[0]["id"]] == [run_id(2)]
    assert (body["has_more"], body["limit"], body["offset"]) == (True, 1, 0)
    everywhere = ["run_id", "input", "other"]
    wide = {"query": "CUST-000", "offset": 1, "search_in": everywhere}
    body = noxus.post(f"{NX}/v1/runs/search", wide, expect=200)
    assert [r["id"] for r in body["items"]] == [run_id(1)]
    assert body["items"][0]["workflow"]["type"] == "flow"
    assert body["has_more"] is False


def test_a_run_streams_its_events_until_it_ends(loaded: tuple[Api, Api, Any]) -> None:
    _, noxus, _ = loaded
    headers = noxus.headers
    with noxus.client.stream("GET", f"{NX}/v1/runs/{run_id(2)}/events", headers=headers) as got:
        assert got.status_code == 200
        assert got.headers["content-type"].startswith("text/event-stream")
        text = "".join(got.iter_text())  # the run has ended: one event, then the end
    frames = [f for f in text.split("\n\n") if f.strip()]
    assert len(frames) == 1
    lines = dict(line.split(": ", 1) for line in frames[0].splitlines())
    assert lines["event"] == "message"
    event = orjson.loads(lines["data"])
    assert event["type"] == "run_status"
    assert event["data"]["workflow_status"] == "failed"
    assert event["data"]["run_id"] == run_id(2)


def test_what_runyard_does_not_keep(loaded: tuple[Api, Api, Any]) -> None:
    _, noxus, workflows = loaded
    assert noxus.get(f"{NX}/v1/nodes") == []
    crm = workflows["crm-sync"]["id"]
    for method, path, words in [
        ("GET", "/v1/knowledge-bases", "knowledge bases"),
        ("GET", "/v1/knowledge-bases/k1/runs?page=1", "knowledge bases"),
        ("GET", "/v1/admin/me", "load_me=False"),
        ("GET", f"/v1/runs/{run_id(2)}/data?fetch_structured_data=true", "per-node run data"),
        ("POST", f"/v1/workflows/{crm}/runs/sync?output_only=false", "events"),
        ("POST", "/v1/workflows", "node graphs"),
        ("DELETE", f"/v1/runs/{run_id(2)}", "retention"),
    ]:
        body = noxus.call(method, NX + path, 404, json={} if method == "POST" else None)
        assert words in body["detail"], (path, body)
        assert body["detail"].startswith("runyard does not")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("GET", "/v1/workflows?type=agent", None, 422, ["query", "type"]),
        ("GET", "/v1/workflows?size=2&page_size=3", None, 422, ["query", "size"]),
        ("GET", "/v1/workflows?size=101", None, 422, ["query", "size"]),
        ("GET", "/v1/workflows/nope", None, 404, None),
        ("POST", "/v1/workflows/nope/runs", {"input": {}}, 404, None),
        ("POST", "/v1/workflows/crm-sync/runs", {"input": []}, 422, ["body", "input"]),
        ("POST", "/v1/workflows/crm-sync/runs", {"inputs": {}}, 422, ["body", "inputs"]),
        (
            "POST",
            "/v1/workflows/crm-sync/runs",
            {"workflow_version_id": "0d1a1ec7-0000-4000-8000-000000000000"},
            422,
            ["body", "workflow_version_id"],
        ),
        (
            "POST",
            "/v1/workflows/crm-sync/runs",
            {"callback_url": "ftp://x"},
            422,
            ["body", "callback_url"],
        ),
        ("POST", "/v1/runs/search", {}, 422, ["body", "query"]),
        ("POST", "/v1/runs/search", {"query": "x", "limit": 0}, 422, ["body", "limit"]),
        ("POST", "/v1/runs/search", {"query": "x", "exact": False}, 422, ["body", "exact"]),
        (
            "POST",
            "/v1/runs/search",
            {"query": "x", "search_in": ["output"]},
            422,
            ["body", "search_in"],
        ),
        (
            "POST",
            "/v1/runs/search",
            {"query": "x", "search_in": ["title"]},
            422,
            ["body", "search_in", 0],
        ),
        ("GET", "/v1/runs/nope/events", None, 404, None),
        ("GET", f"/v1/runs/{run_id(2)}/events?etag=1", None, 422, ["query", "etag"]),
    ],
)
def test_bad_calls_in_noxus_envelope(
    loaded: tuple[Api, Api, Any],
    method: str,
    path: str,
    body: Any,
    status: int,
    field: list[Any] | None,
) -> None:
    _, noxus, _ = loaded
    found = noxus.call(method, NX + path, status, json=body)
    if field is None:
        assert isinstance(found["detail"], str)
        assert found["detail"]
    else:
        assert found["detail"][0]["loc"] == field, found


@pytest.mark.parametrize("key", [None, "ry_not-a-key"])
def test_a_bad_key_is_a_401(loaded: tuple[Api, Api, Any], key: str | None) -> None:
    _, noxus, _ = loaded
    anonymous = Api(noxus.client, {"X-API-Key": key} if key else {})
    for method, path in [
        ("GET", "/v1/workflows"),
        ("GET", "/v1/workflows/crm-sync"),
        ("POST", "/v1/workflows/crm-sync/runs"),
        ("POST", "/v1/runs/search"),
        ("GET", f"/v1/runs/{run_id(2)}/events"),
        ("GET", "/v1/nodes"),
        ("GET", "/v1/knowledge-bases"),
    ]:
        body = anonymous.call(method, NX + path, 401, json={"query": "x"})
        assert isinstance(body["detail"], str)
