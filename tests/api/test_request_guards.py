"""Requests refused before any route: NUL characters and oversized bodies."""

from __future__ import annotations

import base64
import json

import pytest

from tests.api.conftest import Api, make_workflow


@pytest.mark.parametrize(
    ("method", "path", "body", "where"),
    [
        ("GET", "/api/v1/runs?search=a%00b", None, "query"),
        ("GET", "/api/v1/runs/abc%00def", None, "path"),
        ("POST", "/api/v1/workflows", '{"name": "x", "description": "a\\u0000b"}', "body"),
        ("POST", "/api/v1/runs/import", '{"runs": [{"id": "x\\u0000"}]}', "body"),
    ],
)
def test_nul_characters_are_refused_on_every_database(
    admin: Api, method: str, path: str, body: str | None, where: str
) -> None:
    problem = admin.call(
        method, path, 422, content=body, headers={"content-type": "application/json"}
    )
    assert problem["status"] == 422
    assert problem["errors"][0]["loc"] == [where]
    assert "NUL" in problem["detail"]


def test_a_body_over_the_limit_is_refused_with_413(admin: Api) -> None:
    huge = json.dumps({"runs": [{"id": "x", "input": {"blob": "y" * (17 * 1024 * 1024)}}]})
    problem = admin.call("POST", "/api/v1/runs/import", 413, content=huge)
    assert problem["status"] == 413


def test_a_forged_cursor_with_an_impossible_position_is_refused(admin: Api) -> None:
    make_workflow(admin)
    page = admin.get("/api/v1/runs?limit=1")
    assert page["items"] == []
    forged = {"v": 1, "f": "0", "p": 10**30, "i": "x"}
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    problem = admin.get(f"/api/v1/runs?cursor={cursor}", expect=422)
    assert problem["errors"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize(
    ("path", "status", "body_key"),
    [
        ("/compat/polos/api/v1/workflows/runs?workflow_id=a%00b", 400, "error"),
        ("/compat/b3os/v1/workflows/x/runs?status=a%00", 400, "message"),
        ("/compat/skyvern/v1/agents/runs?search_key=a%00", 422, "detail"),
        ("/compat/cloudcruise/runs?status=a%00", 400, "message"),
        ("/compat/noxus/v1/runs?x=%00", 422, "detail"),
    ],
)
def test_refusals_under_a_dialect_come_in_its_envelope(
    admin: Api, path: str, status: int, body_key: str
) -> None:
    response = admin.client.get(path, headers=admin.headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert body_key in response.json()


def test_a_body_over_the_limit_under_a_dialect_is_a_413_in_its_envelope(admin: Api) -> None:
    huge = json.dumps({"payload": {"blob": "y" * (17 * 1024 * 1024)}})
    response = admin.client.post(
        "/compat/polos/api/v1/workflows/x/run", content=huge, headers=admin.headers
    )
    assert response.status_code == 413
    assert response.json()["error_type"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    ("path", "body_key"),
    [
        ("/api/v1/runs/a%0Ab", "type"),
        ("/compat/polos/api/v1/executions/a%0Ab", "error"),
        ("/compat/skyvern/v1/runs/a%0Db", "detail"),
        ("/compat/cloudcruise/run/a%0Ab", "message"),
        ("/compat/noxus/v1/runs/a%0Ab/stop", "detail"),
    ],
)
def test_a_line_break_in_the_path_is_a_404_in_the_dialects_envelope(
    admin: Api, path: str, body_key: str
) -> None:
    # Found by fuzzing: a dialect's prefix is matched only up to a line break, so such
    # a path fell through to the native 404.
    response = admin.client.get(path, headers=admin.headers)
    assert response.status_code == 404
    assert body_key in response.json()
