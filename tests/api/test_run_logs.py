"""Run logs through the API, on both databases: appending, paging, the per-run cap,
following live, and pruning."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from runyard.api.app import create_app
from runyard.config import Settings
from runyard.core.logs import LogCap
from runyard.store.database import Database
from runyard.store.schema import run_logs
from tests.api.conftest import Api, make_workflow
from tests.conftest import ADMIN_KEY


def _run(admin: Api) -> str:
    make_workflow(admin)
    return str(admin.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)["id"])


def _append(admin: Api, run_id: str, *messages: str, **fields: Any) -> Any:
    lines = [{"message": m, **fields} for m in messages]
    return admin.post(f"/api/v1/runs/{run_id}/logs", {"lines": lines}, expect=200)


def test_lines_come_back_in_order_page_by_page(admin: Api) -> None:
    run_id = _run(admin)
    for chunk in range(5):
        messages = [f"line {chunk * 100 + n}" for n in range(100)]
        assert _append(admin, run_id, *messages, level="warning", step="fetch") == {
            "accepted": 100,
            "dropped": 0,
        }
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        params = {"limit": 70, **({"cursor": cursor} if cursor else {})}
        page = admin.get(f"/api/v1/runs/{run_id}/logs", params=params)
        seen += [line["message"] for line in page["items"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == [f"line {n}" for n in range(500)]
    assert cursor is not None  # the run is live: more may come
    first = admin.get(f"/api/v1/runs/{run_id}/logs", params={"limit": 1})["items"][0]
    assert (first["seq"], first["level"], first["step"]) == (1, "warning", "fetch")
    assert first["ts"].endswith("Z")
    admin.patch(f"/api/v1/runs/{run_id}", {"status": "canceled"})
    ended = admin.get(f"/api/v1/runs/{run_id}/logs", params={"cursor": cursor})
    assert (ended["items"], ended["next_cursor"]) == ([], None)  # ended and all read


def test_bad_requests_name_the_field(admin: Api) -> None:
    run_id = _run(admin)
    logs = f"/api/v1/runs/{run_id}/logs"
    assert admin.get(logs, expect=422, params={"cursor": "nope"})["errors"][0]["loc"] == [
        "query",
        "cursor",
    ]
    assert admin.get(logs, expect=422, params={"limit": 0})["errors"][0]["loc"][-1] == "limit"
    assert admin.get(logs, expect=422, params={"level": "x"})["errors"][0]["loc"] == [
        "query",
        "level",
    ]
    bad_level = {"lines": [{"message": "m", "level": "loud"}]}
    assert admin.post(logs, bad_level, expect=422)["errors"][0]["loc"][-1] == "level"
    missing = "/api/v1/runs/00000000-0000-4000-8000-000000000000/logs"
    admin.get(missing, expect=404)
    admin.post(missing, {"lines": [{"message": "m"}]}, expect=404)
    admin.post(missing, {"lines": []}, expect=404)


@pytest.fixture
def small_cap(database_url: str) -> Iterator[Api]:
    """A server keeping 5 lines (or 200 bytes) of each run's log."""
    db = Database.connect(database_url, pool_size=4)
    settings = Settings(
        database_url=database_url,
        bootstrap_api_key=ADMIN_KEY,
        log_cap=LogCap(max_lines=5, max_bytes=400),
    )
    with TestClient(create_app(settings, db)) as client:
        yield Api(client, {"Authorization": f"Bearer {ADMIN_KEY}"})
    db.dispose()


def test_a_log_past_its_cap_ends_with_a_line_saying_what_was_dropped(small_cap: Api) -> None:
    run_id = _run(small_cap)
    assert _append(small_cap, run_id, "a", "b", "c") == {"accepted": 3, "dropped": 0}
    assert _append(small_cap, run_id, "d", "e", "f", "g") == {"accepted": 2, "dropped": 2}
    assert _append(small_cap, run_id, "h") == {"accepted": 0, "dropped": 1}
    items = small_cap.get(f"/api/v1/runs/{run_id}/logs")["items"]
    assert [i["message"] for i in items[:5]] == ["a", "b", "c", "d", "e"]
    assert len(items) == 6
    marker = items[-1]
    assert (marker["seq"], marker["level"]) == (6, "warning")
    assert "limit (5 lines or 400 bytes)" in marker["message"]
    assert "3 later lines" in marker["message"]
    other = small_cap.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)["id"]
    assert _append(small_cap, other, "x" * 500) == {"accepted": 0, "dropped": 1}  # bytes too


def _events(client: TestClient, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with client.stream("GET", path, params={"follow": "true"}, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                yield event, orjson.loads(line[len("data: ") :])


def test_following_a_log_streams_lines_until_the_run_ends(admin: Api) -> None:
    run_id = _run(admin)
    _append(admin, run_id, "before")
    admin.patch(f"/api/v1/runs/{run_id}", {"status": "running"})

    def write_then_end() -> None:
        for n in range(3):
            time.sleep(0.2)
            _append(admin, run_id, f"live {n}")
        admin.patch(f"/api/v1/runs/{run_id}", {"status": "completed"})

    writer = threading.Thread(target=write_then_end)
    writer.start()
    got = list(_events(admin.client, f"/api/v1/runs/{run_id}/logs"))
    writer.join()
    assert [d["message"] for e, d in got if e == "log"] == ["before", "live 0", "live 1", "live 2"]
    assert got[-1] == ("end", {"status": "completed"})
    admin.get(
        "/api/v1/runs/00000000-0000-4000-8000-000000000000/logs",
        params={"follow": "true"},
        expect=404,
    )


def test_pruning_a_run_deletes_its_log(admin: Api, app_client: TestClient) -> None:
    make_workflow(admin)
    old = "0190d7a0-0000-7000-8000-000000000001"
    record = {
        "id": old,
        "workflow_id": "invoice-agent",
        "status": "completed",
        "created_at": "2020-01-01T00:00:00Z",
    }
    admin.post("/api/v1/runs/import", {"runs": [record]}, expect=200)
    _append(admin, old, "one", "two")
    db: Database = app_client.app.state.services.db
    with db.read() as conn:
        assert conn.execute(run_logs.select()).all()
    admin.post("/api/v1/runs/prune", {"older_than": "30d"}, expect=200)
    with db.read() as conn:
        assert conn.execute(run_logs.select()).all() == []
