"""Keys, roles and projects: who may do what, and nobody sees another project's data."""

from __future__ import annotations

from typing import Any

import pytest

from runyard.core.errors import Unauthenticated
from runyard.core.models import Role
from runyard.core.times import utcnow
from runyard.service.access import Authenticator, Principal
from runyard.service.projects import ProjectService
from runyard.store.database import Database
from tests.api.conftest import Api, make_workflow
from tests.conftest import ADMIN_KEY

RUN_A = "0a000000-0000-4000-8000-000000000001"
RUN_B = "0b000000-0000-4000-8000-000000000001"


def _import(api: Api, run_id: str, workflow: str, marker: str) -> None:
    body = {
        "runs": [
            {
                "id": run_id,
                "workflow_id": workflow,
                "status": "failed",
                "created_at": "2026-06-01T00:00:00Z",
                "input": {"customer": marker},
                "tags": {"team": marker},
                "credential_id": f"cred-{marker}",
                "steps": [{"name": "s", "errors": [{"error_code": f"E_{marker}"}]}],
            }
        ]
    }
    assert api.post("/api/v1/runs/import", body, expect=200) == {"imported": 1, "skipped": 0}


@pytest.fixture
def two_projects(admin: Api) -> tuple[Api, Api, str]:
    """Project A (key of A) and project B (key of B), each with a workflow and a run."""
    a, _ = admin.new_project("alpha", "admin")
    b, b_id = admin.new_project("beta", "admin")
    make_workflow(a, "shared-name")
    make_workflow(b, "shared-name")
    _import(a, RUN_A, "shared-name", "alpha")
    _import(b, RUN_B, "shared-name", "beta")
    return a, b, b_id


def test_no_key_or_a_bad_key_is_401(app_client: Any) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"X-API-Key": "nope"},
        {"Authorization": "Basic abc"},
    ):
        response = app_client.get("/api/v1/runs", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 401


def test_x_api_key_and_bearer_both_authenticate(app_client: Any) -> None:
    for headers in ({"Authorization": f"Bearer {ADMIN_KEY}"}, {"X-API-Key": ADMIN_KEY}):
        assert app_client.get("/api/v1/runs", headers=headers).status_code == 200


def test_a_revoked_key_stops_working(admin: Api) -> None:
    a, a_id = admin.new_project("gamma", "admin")
    key = a.post(f"/api/v1/projects/{a_id}/api-keys", {"role": "read"}, expect=201)
    reader = a.as_key(key["key"])
    reader.get("/api/v1/runs")
    a.delete(f"/api/v1/api-keys/{key['id']}", expect=204)
    reader.get("/api/v1/runs", expect=401)
    assert key["id"] not in {k["id"] for k in a.get("/api/v1/api-keys")["items"]}
    assert all("key" not in k for k in a.get("/api/v1/api-keys")["items"])


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("read", {"list"}),
        ("write", {"list", "trigger", "import", "workflow"}),
        ("admin", {"list", "trigger", "import", "workflow", "keys"}),
    ],
)
def test_each_role_may_do_exactly_its_part(admin: Api, role: str, allowed: set[str]) -> None:
    owner, project_id = admin.new_project(f"roles-{role}", "admin")
    make_workflow(owner, "wf")
    key = owner.post(f"/api/v1/projects/{project_id}/api-keys", {"role": role}, expect=201)
    api = owner.as_key(key["key"])
    for name in ("list", "trigger", "import", "workflow", "keys"):
        status = _status_of(api, name, role)
        assert (status < 400) == (name in allowed), (name, status)
    # Only the server admin creates projects.
    api.call("POST", "/api/v1/projects", 403, json={"name": f"nope-{role}"})


def _status_of(api: Api, name: str, role: str) -> int:
    calls = {
        "list": ("GET", "/api/v1/runs", None),
        "trigger": ("POST", "/api/v1/workflows/wf/runs", {}),
        "import": (
            "POST",
            "/api/v1/runs/import",
            {"runs": [{"id": "0c000000-0000-4000-8000-000000000009", "workflow_id": "wf"}]},
        ),
        "workflow": ("POST", "/api/v1/workflows", {"name": f"new-{role}"}),
        "keys": ("GET", "/api/v1/api-keys", None),
    }
    method, path, body = calls[name]
    response = api.client.request(method, path, headers=api.headers, json=body)
    assert response.status_code != 500
    if response.status_code >= 400:
        assert response.status_code == 403, response.text
    return int(response.status_code)


def test_a_project_key_cannot_name_another_project(two_projects: tuple[Api, Api, str]) -> None:
    a, _, b_id = two_projects
    problem = a.get("/api/v1/runs", expect=403, headers={"X-Project-ID": b_id})
    assert problem["status"] == 403
    a.get("/api/v1/runs", expect=422, headers={"X-Project-ID": "not-a-uuid"})


def test_the_server_admin_acts_on_the_project_it_names(
    admin: Api, two_projects: tuple[Api, Api, str]
) -> None:
    _, _, b_id = two_projects
    items = admin.get("/api/v1/runs", headers={"X-Project-ID": b_id})["items"]
    assert [r["id"] for r in items] == [RUN_B]
    assert admin.get("/api/v1/runs")["items"] == []  # default project
    admin.get(
        "/api/v1/runs",
        expect=404,
        headers={"X-Project-ID": "0" * 8 + "-0000-4000-8000-" + "0" * 12},
    )


LIST_QUERIES = [
    "",
    "?search=beta",
    f"?search={RUN_B}",
    "?error_code=E_beta",
    "?tag=team=beta",
    "?credential_id=cred-beta",
    "?status=failed&include_total=true",
]


@pytest.mark.parametrize("query", LIST_QUERIES)
def test_lists_counts_stats_and_exports_never_show_another_project(
    two_projects: tuple[Api, Api, str], query: str
) -> None:
    a, _, _ = two_projects
    page = a.get(f"/api/v1/runs{query}")
    assert RUN_B not in {r["id"] for r in page["items"]}
    assert page["total"] in (None, 0, 1)
    filters = query.replace("&include_total=true", "")
    separator = "&" if filters else "?"
    count = a.get(f"/api/v1/runs/count{filters}")["count"]
    assert count == len([r for r in page["items"] if r["id"] == RUN_A])
    stats = a.get(f"/api/v1/runs/stats{filters}")
    assert sum(stats["totals"].values()) == count
    for fmt in ("csv", "jsonl"):
        exported = a.get(f"/api/v1/runs/export{filters}{separator}format={fmt}") or ""
        assert RUN_B not in exported
        assert "beta" not in exported


def test_another_projects_objects_are_404_everywhere(two_projects: tuple[Api, Api, str]) -> None:
    a, b, _ = two_projects
    b_workflow = b.get("/api/v1/workflows/shared-name")["id"]
    b_key = b.get("/api/v1/api-keys")["items"][0]["id"]
    calls = [
        ("GET", f"/api/v1/runs/{RUN_B}", None),
        ("PATCH", f"/api/v1/runs/{RUN_B}", {"progress": 5}),
        ("POST", f"/api/v1/runs/{RUN_B}/steps", {"name": "x"}),
        ("POST", f"/api/v1/runs/{RUN_B}/cancel", None),
        ("POST", f"/api/v1/runs/{RUN_B}/retry", None),
        ("GET", f"/api/v1/workflows/{b_workflow}", None),
        ("PATCH", f"/api/v1/workflows/{b_workflow}", {"title": "x"}),
        ("DELETE", f"/api/v1/workflows/{b_workflow}", None),
        ("POST", f"/api/v1/workflows/{b_workflow}/runs", {}),
        ("DELETE", f"/api/v1/api-keys/{b_key}", None),
    ]
    for method, path, body in calls:
        a.call(method, path, 404, json=body)
    # B's data is untouched.
    assert b.get(f"/api/v1/runs/{RUN_B}")["status"] == "failed"
    assert b.get("/api/v1/workflows/shared-name")["id"] == b_workflow
    assert len(b.get("/api/v1/api-keys")["items"]) == 1
    a.call("GET", "/api/v1/runs", 422, params={"workflow_id": b_workflow})


def test_an_import_cannot_overwrite_another_projects_run(
    two_projects: tuple[Api, Api, str],
) -> None:
    a, b, _ = two_projects
    body = {"runs": [{"id": RUN_B, "workflow_id": "shared-name", "status": "completed"}]}
    assert a.post("/api/v1/runs/import", body, expect=200) == {"imported": 0, "skipped": 1}
    assert b.get(f"/api/v1/runs/{RUN_B}")["status"] == "failed"
    a.get(f"/api/v1/runs/{RUN_B}", expect=404)


def test_a_key_revoked_elsewhere_is_honoured_for_at_most_the_memory_span(db: Database) -> None:
    """Another process revoking a key cannot tell this one: this one stops honouring it
    once its memory of the key (``ttl`` seconds) runs out."""
    project = ProjectService(db, utcnow).bootstrap(None)
    admin = Principal(project.id, Role.ADMIN, server_admin=True)
    key, secret = ProjectService(db, utcnow).create_key(admin, project.id, "k", Role.READ)
    now = [100.0]
    auth = Authenticator(db, ttl=10.0, monotonic=lambda: now[0])
    assert auth.authenticate(secret, None).key_id == key.id
    ProjectService(db, utcnow).revoke_key(admin, key.id)  # "elsewhere": not this auth
    now[0] += 9.9
    assert auth.authenticate(secret, None).key_id == key.id
    now[0] += 0.2
    with pytest.raises(Unauthenticated):
        auth.authenticate(secret, None)
    with pytest.raises(Unauthenticated):
        auth.authenticate("ry_never_issued", None)
