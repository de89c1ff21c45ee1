"""CloudCruise's workflow calls, ``POST /run``, the run stream and the calls runyard does
not serve, over HTTP against one live ``runyard serve`` per database (no worker: runs
stay queued unless a test moves them through the native API).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from benchmarks.server import running_server

from tests.conftest import ADMIN_KEY, BACKENDS, PgTemplates, _database_url

CC = "/compat/cloudcruise"
PARAMETERS = [
    {"key": "customer_id", "description": "Customer to bill"},
    {"key": "amount", "type": "integer", "default": 3},
    {"key": "options", "type": "json", "description": "Anything"},
]


@dataclass
class Served:
    native: httpx.Client  # the server-admin key, on the default project
    cc: httpx.Client  # the same key in cc-key
    other: httpx.Client  # a key of another project, in cc-key
    workflow: dict[str, Any]


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    pg_templates: PgTemplates | None,
) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("cc-runs")
    urls = _database_url(str(request.param), folder, sqlite_template, pg_templates, True)
    log = folder / "serve.log"
    with running_server(next(urls), ADMIN_KEY, log, "--no-worker") as url:
        native = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        body = {"name": "quote", "title": "Quote", "parameters": PARAMETERS}
        workflow = native.post("/api/v1/workflows", json=body).json()
        project = native.post("/api/v1/projects", json={"name": "other"}).json()
        key = native.post(f"/api/v1/projects/{project['id']}/api-keys", json={"role": "write"})
        cc = httpx.Client(base_url=url + CC, headers={"cc-key": ADMIN_KEY}, timeout=20)
        other = httpx.Client(base_url=url + CC, headers={"cc-key": key.json()["key"]}, timeout=20)
        yield Served(native, cc, other, workflow)
        for client in (native, cc, other):
            client.close()
    next(urls, None)  # drops the PostgreSQL database
    assert "Traceback" not in log.read_text()


def _start(served: Served, client_id: str, **body: Any) -> str:
    body = {
        "workflow_id": "quote",
        "run_input_variables": {"customer_id": "C-1"},
        "client_id": client_id,
        **body,
    }
    response = served.cc.post("/run", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["session_id"])


def _events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    event = ""
    for line in lines:
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield event, orjson.loads(line.removeprefix("data: "))


def test_workflows_and_their_input_schema(served: Served) -> None:
    native = served.native.get("/api/v1/workflows").json()["items"]
    listed = served.cc.get("/workflows").json()
    assert [w["id"] for w in listed] == [w["id"] for w in native]
    quote = next(w for w in listed if w["id"] == served.workflow["id"])
    assert (quote["name"], quote["workspace_id"]) == ("Quote", served.workflow["project_id"])
    assert quote["created_at"] == served.workflow["created_at"]
    for by in (served.workflow["id"], "quote"):
        metadata = served.cc.get(f"/workflows/{by}/metadata").json()
        assert metadata == {
            "input_schema": {
                "type": "object",
                "properties": {
                    "customer_id": {"type": "string", "description": "Customer to bill"},
                    "amount": {"type": "integer", "default": 3},
                    "options": {"description": "Anything"},
                },
                "required": ["customer_id", "options"],
                "additionalProperties": True,
            },
            "workspace_id": served.workflow["project_id"],
            "vault_schema": {},
        }


def test_documented_errors_are_in_the_envelope(served: Served) -> None:
    cases = [
        (served.cc.get("/workflows", headers={"cc-key": "ry_wrong"}), 401),
        (served.cc.get("/workflows", headers={"cc-key": ""}), 401),
        (served.cc.get("/workflows/nope/metadata"), 404),
        (served.other.get(f"/workflows/{served.workflow['id']}/metadata"), 404),
        (served.cc.post("/run", json={"workflow_id": "nope"}), 404),
        (served.cc.get(f"/run/{uuid.uuid4()}"), 404),
        (served.cc.post(f"/run/{uuid.uuid4()}/interrupt"), 404),
        (served.cc.post("/run", json={"run_input_variables": {}}), 400),
        (served.cc.post("/run", json={"workflow_id": "quote", "speed": 2}), 400),
        (served.cc.post("/run", json={"workflow_id": "quote", "client_id": "a b"}), 400),
        (served.cc.get("/run/clients/a%20b/events"), 400),
        (served.cc.get("/run/clients/x/events", headers={"cc-key": "ry_wrong"}), 401),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.url, response.text)
        assert response.headers["content-type"].startswith("application/json")
        assert set(response.json()) == {"message"}, response.text
    missing = served.cc.post("/run", json={"run_input_variables": {}}).json()["message"]
    assert missing.startswith("workflow_id:"), missing


def test_an_invalid_parameter_names_it_as_the_sdk_reads_it(served: Served) -> None:
    bad = {"workflow_id": "quote", "run_input_variables": {"customer_id": 7, "amount": "x"}}
    response = served.cc.post("/run", json=bad)
    assert response.status_code == 400
    assert response.json() == {
        "message": "run_input_variables.customer_id: must be of type string; "
        "run_input_variables.amount: must be of type integer",
        "run_input_variables_errors": [
            {
                "field": "/customer_id",
                "keyword": "type",
                "message": "must be of type string",
                "expected": {"type": "string"},
            },
            {
                "field": "/amount",
                "keyword": "type",
                "message": "must be of type integer",
                "expected": {"type": "integer"},
            },
        ],
    }
    for option, value in (
        ("webhook", {"metadata": {}}),
        ("additional_context", {"a": 1}),
        ("dry_run", {"enabled": True, "add_to_output": {"a": 1}}),
    ):
        refused = served.cc.post("/run", json={"workflow_id": "quote", option: value})
        assert refused.status_code == 400
        assert refused.json()["message"].startswith(f"{option}"), refused.text
    assert served.native.get("/api/v1/runs").json()["items"] == []  # nothing was started


def test_a_started_run_is_an_ordinary_queued_run(served: Served) -> None:
    client_id = str(uuid.uuid4())
    session = _start(served, client_id, dry_run={"enabled": True, "add_to_output": None})
    run = served.native.get(f"/api/v1/runs/{session}").json()
    assert (run["status"], run["triggered_by"], run["dry_run"]) == (
        "queued",
        f"cloudcruise:{client_id}",
        True,
    )
    assert run["input"] == {"customer_id": "C-1", "amount": 3}
    assert run["workflow_id"] == served.workflow["id"]
    result = served.cc.get(f"/run/{session}").json()
    assert (result["status"], result["input_variables"]) == ("execution.queued", run["input"])
    listed = served.cc.get("/runs", params={"statuses": "execution.queued"}).json()
    assert session in [r["session_id"] for r in listed]
    assert served.other.get(f"/run/{session}").status_code == 404


def test_the_stream_tells_each_change_until_the_run_ends(served: Served) -> None:
    client_id = str(uuid.uuid4())
    with served.cc.stream("GET", f"/run/clients/{client_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(_events(lines))[0] == "ping"  # at once
        session = _start(served, client_id)
        events = _events(lines)
        event, queued = next(events)
        assert (event, queued["event"]) == ("run.event", "run.event")
        assert queued["data"]["event"] == "execution.queued"
        assert queued["data"]["payload"] == {
            "session_id": session,
            "workflow_id": served.workflow["id"],
        }
        assert isinstance(queued["data"]["timestamp"], int)
        path = f"/api/v1/runs/{session}"
        served.native.patch(path, json={"status": "running"})
        step = {
            "name": "login",
            "status": "failed",
            "errors": [{"error_code": "LOGIN_FAILED", "message": "refused"}],
        }
        served.native.post(f"{path}/steps", json=step)
        served.native.patch(path, json={"status": "failed", "error": "refused"})
        rest = [data["data"] for _, data in events]  # the stream ends with the run
    assert [e["event"] for e in rest] == ["execution.start", "execution.failed"]
    ended = rest[-1]["payload"]
    assert (ended["session_id"], ended["status"]) == (session, "execution.failed")
    assert ended["input_variables"] == {"customer_id": "C-1", "amount": 3}
    assert [(e["error_code"], e["node_id"]) for e in ended["errors"]] == [("LOGIN_FAILED", "login")]
    assert ended["errors"] == served.cc.get(f"/run/{session}").json()["errors"]


def test_a_stream_shows_only_its_clients_runs_of_its_project(served: Served) -> None:
    client_id = str(uuid.uuid4())
    seen: list[tuple[str, Any]] = []

    def read(http: httpx.Client) -> None:
        with http.stream("GET", f"/run/clients/{client_id}/events") as stream:
            seen.extend(_events(stream.iter_lines()))

    reader = threading.Thread(target=read, args=(served.other,))
    reader.start()  # another project's key, the same client id
    mine = _start(served, client_id)
    _start(served, str(uuid.uuid4()))  # another client of this project
    reader.join(timeout=15)
    assert not reader.is_alive()  # ended: it found no run of its own
    assert [event for event, _ in seen] == ["ping"]
    with served.cc.stream("GET", f"/run/clients/{client_id}/events") as stream:
        events = _events(stream.iter_lines())
        assert next(events)[0] == "ping"
        started = next(events)[1]["data"]  # within the grace: told from its first change
        assert (started["event"], started["payload"]["session_id"]) == ("execution.queued", mine)
        served.native.post(f"/api/v1/runs/{mine}/cancel")
        assert [data["data"]["event"] for _, data in events] == ["execution.stopped"]


def test_what_runyard_does_not_keep_is_a_404_saying_so(served: Served) -> None:
    session = str(uuid.uuid4())
    calls = [
        ("GET", "/vault?permissioned_user_id=u&domain=d"),
        ("POST", "/vault"),
        ("PUT", "/vault"),
        ("DELETE", "/vault"),
        ("GET", "/vault/tfa-code?permissioned_user_id=u&domain=d"),
        ("GET", "/secret-providers"),
        ("GET", "/secret-providers/p/items"),
        ("GET", f"/live/sessions/{session}/connection"),
        ("POST", f"/run/{session}/user_interaction"),
        ("POST", f"/run/{session}/new_input_variables"),
        ("POST", f"/webhooks/{session}/replay"),
    ]
    for method, path in calls:
        response = served.cc.request(method, path, json={"domain": "d"})
        assert response.status_code == 404, (path, response.text)
        assert response.json()["message"].startswith("runyard does not serve"), path
        wrong = served.cc.request(method, path, headers={"cc-key": "ry_wrong"})
        assert wrong.status_code == 401, path
