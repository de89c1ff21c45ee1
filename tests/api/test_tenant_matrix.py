"""Tenant isolation and roles for every route of the route table, on a live server.

The routes come from the application itself (native API, vendor dialects, dashboard,
exports, bulk actions, live streams); each must have a rule below saying what role it
needs and how to aim it at a project's objects, so a new route fails
``test_every_route_has_a_rule`` until it is given one. Then:

* a key of project A aimed at project B's objects gets 403 or 404, and no answer of any
  route (lists, counts, exports, streams included) holds anything of B's it was not
  sent; B's data is the same afterwards;
* each role (read / write / admin) may use exactly the routes its rank allows, and a
  worker key exactly the worker routes (which write and admin keys may use too).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from benchmarks.server import running_server
from fastapi import routing
from starlette.routing import Mount

from runyard.api.dialects import skyvern_unsupported
from runyard.web.session import KEY_COOKIE, csrf_token
from tests.api.conftest import introspected_app
from tests.conftest import ADMIN_KEY

RANK = {"none": 0, "read": 1, "worker": 2, "write": 2, "admin": 3, "server_admin": 4}


def allowed(role: str, needed: str) -> bool:
    """Whether a key of ``role`` may use a route whose rule says ``needed``: a worker key
    only the worker routes (and open ones); write and admin keys those too."""
    if role == "worker":
        return needed in ("worker", "none")
    return RANK[role] >= RANK[needed]


@dataclass
class Tenant:
    """A project and its objects; ``marker`` is in its runs' inputs, tags and errors."""

    name: str
    project_id: str = ""
    keys: dict[str, str] = field(default_factory=dict)  # role -> secret
    spare_key_id: str = ""
    workflow_id: str = ""
    spare_workflow_id: str = ""
    run_id: str = ""  # failed, with a step error
    live_run_id: str = ""  # queued
    schedule_id: str = ""
    hook_id: str = ""
    hook_secret: str = ""
    spare_hook_id: str = ""

    @property
    def marker(self) -> str:
        return f"secret-{self.name}"

    def secrets(self) -> set[str]:
        """What must never reach another project's key."""
        return {
            self.project_id,
            self.spare_key_id,
            self.workflow_id,
            self.spare_workflow_id,
            self.run_id,
            self.live_run_id,
            self.schedule_id,
            self.hook_id,
            self.spare_hook_id,
            self.marker,
        }


def make_tenant(admin: httpx.Client, name: str) -> Tenant:
    t = Tenant(name)
    t.project_id = _ok(admin.post("/api/v1/projects", json={"name": name}))["id"]
    for role in ("read", "write", "admin", "worker"):
        made = _ok(admin.post(f"/api/v1/projects/{t.project_id}/api-keys", json={"role": role}))
        t.keys[role] = made["key"]
    spare = {"role": "read", "name": "spare"}
    t.spare_key_id = _ok(admin.post(f"/api/v1/projects/{t.project_id}/api-keys", json=spare))["id"]
    own = httpx.Client(base_url=str(admin.base_url), headers=_bearer(t.keys["admin"]))
    parameters = [{"key": "customer_id", "description": "Customer"}]
    workflow = {"name": "shared-name", "type": "agent", "parameters": parameters}
    t.workflow_id = _ok(own.post("/api/v1/workflows", json=workflow))["id"]
    t.spare_workflow_id = _ok(own.post("/api/v1/workflows", json={"name": "spare"}))["id"]
    t.run_id, t.live_run_id = str(uuid.uuid4()), str(uuid.uuid4())
    secret = {
        "input": {"customer_id": t.marker},
        "tags": {"team": t.marker},
        "credential_id": f"cred-{t.marker}",
    }
    error = {"error_code": f"E_{t.name.upper()}", "message": t.marker}
    runs = [
        {
            "id": t.run_id,
            "workflow_id": "shared-name",
            "status": "failed",
            **secret,
            "steps": [{"name": "s", "status": "failed", "errors": [error]}],
        },
        {"id": t.live_run_id, "workflow_id": "shared-name", "status": "queued", **secret},
    ]
    assert _ok(own.post("/api/v1/runs/import", json={"runs": runs}))["imported"] == 2
    cron = {"cron": "0 3 * * *", "input": {"customer_id": t.marker}}
    t.schedule_id = _ok(own.post("/api/v1/workflows/shared-name/schedules", json=cron))["id"]
    hook = _ok(own.post("/api/v1/workflows/shared-name/webhooks"))
    t.hook_id, t.hook_secret = hook["id"], hook["secret"]
    t.spare_hook_id = _ok(own.post("/api/v1/workflows/shared-name/webhooks"))["id"]
    own.close()
    return t


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (response.status_code, response.text)
    return response.json()


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


# -- the rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    form: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    role: str  # the least role that may use the route
    call: Callable[[Tenant], Call]  # the route aimed at a project's objects
    names_objects: bool = False  # names an object in its path: another project's is 403/404


def rule(role: str, call: Callable[[Tenant], Call], names_objects: bool = False) -> Rule:
    return Rule(role, call, names_objects)


def search(t: Tenant) -> dict[str, str]:
    return {"search": t.marker}


def new_project(t: Tenant) -> Call:
    return Call("POST", "/api/v1/projects", json={"name": f"p{uuid.uuid4().hex[:8]}"})


def dry_bulk(t: Tenant) -> Call:
    return Call("POST", "/api/v1/runs/bulk", search(t), {"action": "cancel", "dry_run": True})


CC, PO, NX = "/compat/cloudcruise", "/compat/polos/api/v1", "/compat/noxus/v1"
WK = "/api/v1/worker"
SK = "/compat/skyvern/v1"


def held_run(t: Tenant, action: str, body: dict[str, Any]) -> Call:
    """A worker route about the tenant's live run (which this worker does not hold)."""
    return Call("POST", f"{WK}/runs/{t.live_run_id}/{action}", json={"worker_id": "w", **body})


RULES: dict[tuple[str, str], Rule] = {
    # native API
    ("GET", "/healthz"): rule("none", lambda t: Call("GET", "/healthz")),
    ("GET", "/metrics"): rule("server_admin", lambda t: Call("GET", "/metrics")),
    ("POST", "/api/v1/projects"): rule("server_admin", new_project),
    ("GET", "/api/v1/projects"): rule("read", lambda t: Call("GET", "/api/v1/projects")),
    ("POST", "/api/v1/projects/{project_id}/api-keys"): rule(
        "admin",
        lambda t: Call("POST", f"/api/v1/projects/{t.project_id}/api-keys", json={"role": "read"}),
        names_objects=True,
    ),
    ("GET", "/api/v1/api-keys"): rule("admin", lambda t: Call("GET", "/api/v1/api-keys")),
    ("DELETE", "/api/v1/api-keys/{key_id}"): rule(
        "admin", lambda t: Call("DELETE", f"/api/v1/api-keys/{t.spare_key_id}"), names_objects=True
    ),
    ("POST", "/api/v1/workflows"): rule(
        "write", lambda t: Call("POST", "/api/v1/workflows", json={"name": "made-here"})
    ),
    ("GET", "/api/v1/workflows"): rule("read", lambda t: Call("GET", "/api/v1/workflows")),
    ("GET", "/api/v1/workflows/{id_or_name}"): rule(
        "read", lambda t: Call("GET", f"/api/v1/workflows/{t.workflow_id}"), names_objects=True
    ),
    ("PATCH", "/api/v1/workflows/{id_or_name}"): rule(
        "write",
        lambda t: Call("PATCH", f"/api/v1/workflows/{t.workflow_id}", json={"title": "changed"}),
        names_objects=True,
    ),
    ("DELETE", "/api/v1/workflows/{id_or_name}"): rule(
        "write",
        lambda t: Call("DELETE", f"/api/v1/workflows/{t.spare_workflow_id}"),
        names_objects=True,
    ),
    ("DELETE", "/api/v1/workflows/{id_or_name}/parameters/{key}"): rule(
        "write",
        lambda t: Call("DELETE", f"/api/v1/workflows/{t.workflow_id}/parameters/customer_id"),
        names_objects=True,
    ),
    ("GET", "/api/v1/runs"): rule("read", lambda t: Call("GET", "/api/v1/runs", search(t))),
    ("GET", "/api/v1/runs/count"): rule(
        "read", lambda t: Call("GET", "/api/v1/runs/count", search(t))
    ),
    ("GET", "/api/v1/runs/stats"): rule(
        "read", lambda t: Call("GET", "/api/v1/runs/stats", search(t))
    ),
    ("GET", "/api/v1/runs/export"): rule(
        "read", lambda t: Call("GET", "/api/v1/runs/export", {"format": "csv"})
    ),
    ("POST", "/api/v1/runs/bulk"): rule(
        "write",
        dry_bulk,
    ),
    ("POST", "/api/v1/runs/prune"): rule(
        "admin",
        lambda t: Call("POST", "/api/v1/runs/prune", json={"older_than": "1d", "dry_run": True}),
    ),
    ("POST", "/api/v1/runs/import"): rule(
        "write",
        lambda t: Call(
            "POST",
            "/api/v1/runs/import",
            json={"runs": [{"id": t.run_id, "workflow_id": "shared-name", "status": "completed"}]},
        ),
    ),
    ("POST", "/api/v1/workflows/{id_or_name}/runs"): rule(
        "write",
        lambda t: Call("POST", f"/api/v1/workflows/{t.workflow_id}/runs", json={}),
        names_objects=True,
    ),
    ("GET", "/api/v1/runs/{run_id}"): rule(
        "read", lambda t: Call("GET", f"/api/v1/runs/{t.run_id}"), names_objects=True
    ),
    ("PATCH", "/api/v1/runs/{run_id}"): rule(
        "write",
        lambda t: Call("PATCH", f"/api/v1/runs/{t.live_run_id}", json={"progress": 5}),
        names_objects=True,
    ),
    ("POST", "/api/v1/runs/{run_id}/steps"): rule(
        "write",
        lambda t: Call("POST", f"/api/v1/runs/{t.live_run_id}/steps", json={"name": "x"}),
        names_objects=True,
    ),
    ("POST", "/api/v1/runs/{run_id}/retry"): rule(
        "write", lambda t: Call("POST", f"/api/v1/runs/{t.run_id}/retry"), names_objects=True
    ),
    **{
        ("POST", f"/api/v1/runs/{{run_id}}/{action}"): rule(
            "write",
            lambda t, action=action: Call("POST", f"/api/v1/runs/{t.live_run_id}/{action}"),
            names_objects=True,
        )
        for action in ("pause", "resume", "cancel", "terminate")
    },
    ("POST", "/api/v1/events"): rule(
        "write", lambda t: Call("POST", "/api/v1/events", json={"key": t.marker})
    ),
    ("POST", "/api/v1/workflows/{id_or_name}/schedules"): rule(
        "write",
        lambda t: Call(
            "POST", f"/api/v1/workflows/{t.workflow_id}/schedules", json={"cron": "0 * * * *"}
        ),
        names_objects=True,
    ),
    ("GET", "/api/v1/schedules"): rule("read", lambda t: Call("GET", "/api/v1/schedules")),
    ("DELETE", "/api/v1/schedules/{schedule_id}"): rule(
        "write", lambda t: Call("DELETE", f"/api/v1/schedules/{t.schedule_id}"), names_objects=True
    ),
    ("POST", "/api/v1/workflows/{id_or_name}/webhooks"): rule(
        "write",
        lambda t: Call("POST", f"/api/v1/workflows/{t.workflow_id}/webhooks"),
        names_objects=True,
    ),
    ("GET", "/api/v1/webhooks"): rule("read", lambda t: Call("GET", "/api/v1/webhooks")),
    ("DELETE", "/api/v1/webhooks/{hook_id}"): rule(
        "write", lambda t: Call("DELETE", f"/api/v1/webhooks/{t.spare_hook_id}"), names_objects=True
    ),
    # A webhook is opened by its own secret, not by a key: the key of another project
    # with the hook's id alone starts nothing.
    ("POST", "/hooks/{hook_id}"): rule(
        "none", lambda t: Call("POST", f"/hooks/{t.hook_id}", json={}), names_objects=True
    ),
    ("GET", "/api/v1/runs/{run_id}/logs"): rule(
        "read", lambda t: Call("GET", f"/api/v1/runs/{t.run_id}/logs"), names_objects=True
    ),
    ("POST", "/api/v1/runs/{run_id}/logs"): rule(
        "write",
        lambda t: Call("POST", f"/api/v1/runs/{t.run_id}/logs", json={"lines": [{"message": "m"}]}),
        names_objects=True,
    ),
    # the worker protocol (a worker key, or a write or admin one)
    ("POST", f"{WK}/workflows"): rule(
        "worker", lambda t: Call("POST", f"{WK}/workflows", json={"workflows": [{"name": "wf"}]})
    ),
    ("POST", f"{WK}/claims"): rule(
        "worker",
        lambda t: Call(
            "POST", f"{WK}/claims", json={"worker_id": "w", "workflow_ids": [t.spare_workflow_id]}
        ),
        names_objects=True,
    ),
    ("POST", f"{WK}/heartbeat"): rule(
        "worker",
        lambda t: Call(
            "POST", f"{WK}/heartbeat", json={"worker_id": "w", "run_ids": [t.live_run_id]}
        ),
    ),
    ("POST", f"{WK}/runs/{{run_id}}/steps"): rule(
        "worker", lambda t: held_run(t, "steps", {"progress": 5}), names_objects=True
    ),
    ("POST", f"{WK}/runs/{{run_id}}/suspend"): rule(
        "worker", lambda t: held_run(t, "suspend", {"event": "e"}), names_objects=True
    ),
    ("POST", f"{WK}/runs/{{run_id}}/children"): rule(
        "worker",
        lambda t: held_run(t, "children", {"workflow": "shared-name", "key": "k"}),
        names_objects=True,
    ),
    ("GET", f"{WK}/runs/{{run_id}}/children/{{child_id}}"): rule(
        "worker",
        lambda t: Call("GET", f"{WK}/runs/{t.live_run_id}/children/{t.run_id}"),
        names_objects=True,
    ),
    ("POST", f"{WK}/finish"): rule(
        "worker",
        lambda t: Call(
            "POST",
            f"{WK}/finish",
            json={"worker_id": "w", "runs": [{"run_id": t.live_run_id, "outcome": "completed"}]},
        ),
    ),
    ("POST", f"{WK}/logs"): rule(
        "worker",
        lambda t: Call(
            "POST", f"{WK}/logs", json={"lines": [{"run_id": t.run_id, "message": "m"}]}
        ),
    ),
    # vendor dialects
    ("GET", f"{PO}/workflows/runs"): rule(
        "read", lambda t: Call("GET", f"{PO}/workflows/runs", {"workflow_type": "agent"})
    ),
    ("POST", f"{PO}/workflows/{{workflow_id}}/run"): rule(
        "write",
        lambda t: Call("POST", f"{PO}/workflows/{t.workflow_id}/run", json={}),
        names_objects=True,
    ),
    ("POST", f"{PO}/workflows/batch_run"): rule(
        "write",
        lambda t: Call(
            "POST",
            f"{PO}/workflows/batch_run",
            json={"workflows": [{"workflow_id": "shared-name"}]},
        ),
    ),
    ("GET", f"{PO}/executions/{{execution_id}}"): rule(
        "read", lambda t: Call("GET", f"{PO}/executions/{t.run_id}"), names_objects=True
    ),
    ("POST", f"{PO}/executions/{{execution_id}}/cancel"): rule(
        "write",
        lambda t: Call("POST", f"{PO}/executions/{t.live_run_id}/cancel"),
        names_objects=True,
    ),
    ("GET", "/compat/b3os/v1/workflows/{workflow_id}/runs"): rule(
        "read",
        lambda t: Call("GET", f"/compat/b3os/v1/workflows/{t.workflow_id}/runs"),
        names_objects=True,
    ),
    **{
        ("GET", f"/compat/skyvern{path}"): rule(
            "read",
            lambda t, path=path: Call("GET", f"/compat/skyvern{path}", {"search_key": t.marker}),
        )
        for path in ("/v1/agents/runs", "/v1/workflows/runs", "/api/v1/workflows/runs")
    },
    **{
        ("GET", f"/compat/skyvern{path}/{{workflow_id}}/runs"): rule(
            "read",
            lambda t, path=path: Call("GET", f"/compat/skyvern{path}/{t.workflow_id}/runs"),
        )  # an unknown workflow is an empty list, as Skyvern answers
        for path in ("/v1/agents", "/v1/workflows")
    },
    ("GET", "/compat/skyvern/v1/runs/{run_id}"): rule(
        "read", lambda t: Call("GET", f"/compat/skyvern/v1/runs/{t.run_id}"), names_objects=True
    ),
    ("POST", "/compat/skyvern/v1/runs/{run_id}/cancel"): rule(
        "write",
        lambda t: Call("POST", f"/compat/skyvern/v1/runs/{t.live_run_id}/cancel"),
        names_objects=True,
    ),
    ("GET", f"{SK}/runs"): rule(
        "read", lambda t: Call("GET", f"{SK}/runs", {"search_key": t.marker})
    ),
    ("POST", f"{SK}/runs/cancel"): rule(  # another project's run is listed as failed
        "write", lambda t: Call("POST", f"{SK}/runs/cancel", json={"run_ids": [t.live_run_id]})
    ),
    ("GET", f"{SK}/runs/{{run_id}}/timeline"): rule(
        "read", lambda t: Call("GET", f"{SK}/runs/{t.run_id}/timeline"), names_objects=True
    ),
    **{
        ("POST", f"{SK}/run/{kind}"): rule(
            "write",
            lambda t, kind=kind: Call("POST", f"{SK}/run/{kind}", json={"agent_id": t.workflow_id}),
            names_objects=True,
        )
        for kind in ("agents", "workflows")
    },
    **{
        rule_key: each
        for kind in ("agents", "workflows")
        for rule_key, each in {
            ("POST", f"{SK}/{kind}/runs/{{workflow_run_id}}/retry"): rule(
                "write",
                lambda t, kind=kind: Call("POST", f"{SK}/{kind}/runs/{t.run_id}/retry"),
                names_objects=True,
            ),
            ("GET", f"{SK}/{kind}"): rule("read", lambda t, kind=kind: Call("GET", f"{SK}/{kind}")),
            ("GET", f"{SK}/{kind}/{{workflow_permanent_id}}"): rule(
                "read",
                lambda t, kind=kind: Call("GET", f"{SK}/{kind}/{t.workflow_id}"),
                names_objects=True,
            ),
            ("POST", f"{SK}/{kind}/{{workflow_id}}/delete"): rule(
                "write",
                lambda t, kind=kind: Call("POST", f"{SK}/{kind}/{t.spare_workflow_id}/delete"),
                names_objects=True,
            ),
        }.items()
    },
    # what runyard does not keep: any key but a worker key gets Skyvern's 404
    **{
        (method, f"/compat/skyvern{family}{{rest}}"): rule(
            "read", lambda t, m=method, f=family: Call(m, f"/compat/skyvern{f}/x")
        )
        for family in skyvern_unsupported.FAMILIES
        for method in skyvern_unsupported.METHODS
    },
    ("GET", f"{SK}/runs/{{run_id}}/artifacts"): rule(
        "read", lambda t: Call("GET", f"{SK}/runs/{t.run_id}/artifacts"), names_objects=True
    ),
    ("GET", f"{CC}/runs"): rule("read", lambda t: Call("GET", f"{CC}/runs")),
    ("GET", f"{CC}/run/{{session_id}}"): rule(
        "read", lambda t: Call("GET", f"{CC}/run/{t.run_id}"), names_objects=True
    ),
    ("POST", f"{CC}/run/{{session_id}}/interrupt"): rule(
        "write", lambda t: Call("POST", f"{CC}/run/{t.live_run_id}/interrupt"), names_objects=True
    ),
    ("GET", f"{CC}/workflows"): rule("read", lambda t: Call("GET", f"{CC}/workflows")),
    ("GET", f"{CC}/workflows/{{workflow_id}}/metadata"): rule(
        "read",
        lambda t: Call("GET", f"{CC}/workflows/{t.workflow_id}/metadata"),
        names_objects=True,
    ),
    ("POST", f"{CC}/run"): rule(
        "write",
        lambda t: Call("POST", f"{CC}/run", json={"workflow_id": t.workflow_id}),
        names_objects=True,
    ),
    # A client's stream shows the runs that client started in the key's own project: the
    # same client id under another project's key is another client (read until its ping).
    ("GET", f"{CC}/run/clients/{{client_id}}/events"): rule(
        "read", lambda t: Call("GET", f"{CC}/run/clients/{t.name}/events")
    ),
    # What runyard does not keep (vault, secrets, browsers...): a 404 for any reading key.
    **{
        (method, f"{CC}{path}"): rule(
            "read",
            lambda t, method=method, path=path: Call(
                method, CC + path.format(session_id=t.live_run_id, secret_provider_id="p")
            ),
            names_objects="{session_id}" in path,
        )
        for method, path in (
            ("GET", "/vault"),
            ("POST", "/vault"),
            ("PUT", "/vault"),
            ("DELETE", "/vault"),
            ("GET", "/vault/tfa-code"),
            ("GET", "/secret-providers"),
            ("GET", "/secret-providers/{secret_provider_id}/items"),
            ("GET", "/live/sessions/{session_id}/connection"),
            ("POST", "/run/{session_id}/user_interaction"),
            ("POST", "/run/{session_id}/new_input_variables"),
            ("POST", "/webhooks/{session_id}/replay"),
        )
    },
    ("GET", f"{NX}/runs"): rule("read", lambda t: Call("GET", f"{NX}/runs")),
    ("GET", f"{NX}/workflows/{{workflow_id}}/runs"): rule(
        "read", lambda t: Call("GET", f"{NX}/workflows/{t.workflow_id}/runs"), names_objects=True
    ),
    ("GET", f"{NX}/workflows/{{workflow_id}}/runs/{{run_id}}"): rule(
        "read",
        lambda t: Call("GET", f"{NX}/workflows/{t.workflow_id}/runs/{t.run_id}"),
        names_objects=True,
    ),
    ("POST", f"{NX}/runs/{{run_id}}/stop"): rule(
        "write", lambda t: Call("POST", f"{NX}/runs/{t.live_run_id}/stop"), names_objects=True
    ),
    ("GET", f"{NX}/workflows"): rule("read", lambda t: Call("GET", f"{NX}/workflows")),
    ("GET", f"{NX}/workflows/{{workflow_id}}"): rule(
        "read", lambda t: Call("GET", f"{NX}/workflows/{t.workflow_id}"), names_objects=True
    ),
    ("POST", f"{NX}/workflows/{{workflow_id}}/runs"): rule(
        "write",
        lambda t: Call("POST", f"{NX}/workflows/{t.workflow_id}/runs", json={"input": {}}),
        names_objects=True,
    ),
    ("POST", f"{NX}/runs/search"): rule(
        "read", lambda t: Call("POST", f"{NX}/runs/search", json={"query": t.marker})
    ),
    ("GET", f"{NX}/runs/{{run_id}}/events"): rule(
        "read", lambda t: Call("GET", f"{NX}/runs/{t.run_id}/events"), names_objects=True
    ),
    ("GET", f"{NX}/nodes"): rule("read", lambda t: Call("GET", f"{NX}/nodes")),
    **{  # what runyard does not keep: a 404 once the key is checked
        (method, f"{NX}/{{rest}}"): rule(
            "read", lambda t, method=method: Call(method, f"{NX}/knowledge-bases")
        )
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    },
    # dashboard
    ("GET", "/"): rule("read", lambda t: Call("GET", "/", search(t))),
    ("GET", "/ui/summary"): rule("read", lambda t: Call("GET", "/ui/summary")),
    ("GET", "/ui/live"): rule("read", lambda t: Call("GET", "/ui/live")),
    ("GET", "/ui/runs/{run_id}"): rule(
        "read", lambda t: Call("GET", f"/ui/runs/{t.run_id}"), names_objects=True
    ),
    ("GET", "/ui/runs/{run_id}/log.txt"): rule(
        "read", lambda t: Call("GET", f"/ui/runs/{t.run_id}/log.txt"), names_objects=True
    ),
    ("GET", "/ui/runs/{run_id}/live"): rule(
        "read", lambda t: Call("GET", f"/ui/runs/{t.run_id}/live"), names_objects=True
    ),
    ("POST", "/ui/runs/{run_id}/{action}"): rule(
        "write",
        lambda t: Call("POST", f"/ui/runs/{t.live_run_id}/cancel", form={}),
        names_objects=True,
    ),
    ("GET", "/ui/bulk"): rule("write", lambda t: Call("GET", "/ui/bulk", {"action": "cancel"})),
    ("POST", "/ui/bulk"): rule(
        "write", lambda t: Call("POST", "/ui/bulk", search(t), form={"action": "cancel"})
    ),
    ("GET", "/ui/export"): rule("read", lambda t: Call("GET", "/ui/export")),
    ("GET", "/ui/workflows"): rule("read", lambda t: Call("GET", "/ui/workflows")),
    ("GET", "/ui/login"): rule("none", lambda t: Call("GET", "/ui/login")),
    # Signing in with a key: any key but a worker key, which may only execute runs.
    ("POST", "/ui/login"): rule("read", lambda t: Call("POST", "/ui/login", form={"next": "/"})),
    ("POST", "/ui/logout"): rule("read", lambda t: Call("POST", "/ui/logout", form={})),
    ("POST", "/ui/project"): rule(
        "server_admin", lambda t: Call("POST", "/ui/project", form={"project_id": t.project_id})
    ),
}


def routes_of_the_app() -> set[tuple[str, str]]:
    """Every (method, path) the application serves, but its API documents' own pages
    and the trailing-slash aliases Skyvern's clients use."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Any, prefix: str) -> None:
        for context in routing.iter_route_contexts(routes):
            route = context.original_route
            if isinstance(route, Mount):
                if hasattr(route.app, "routes"):
                    walk(route.app.routes, prefix + route.path)
                continue  # static files
            path = prefix + (context.path_format or "")
            if path.endswith(("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")):
                continue
            if path.endswith("/") and path != "/":
                continue
            for method in getattr(route, "methods", None) or ():
                if method != "HEAD":
                    found.add((method, path))

    walk(introspected_app().routes, "")
    return found


def test_every_route_has_a_rule() -> None:
    served = routes_of_the_app()
    assert not served - RULES.keys(), f"routes without a rule: {sorted(served - RULES.keys())}"
    assert not RULES.keys() - served, f"rules of no route: {sorted(RULES.keys() - served)}"


# -- sending ----------------------------------------------------------------------------------


def send(http: httpx.Client, call: Call, secret: str, tenant: Tenant) -> tuple[int, str]:
    """``call`` with the key ``secret`` (acting on ``tenant``'s project where a header
    names one), as each surface's clients send it; a live stream is read for a moment."""
    headers = {
        "Authorization": f"Bearer {secret}",
        "X-API-Key": secret,
        "cc-key": secret,
        "Cookie": f"{KEY_COOKIE}={secret}",
        "X-CSRF-Token": csrf_token(secret),
        **call.headers,
    }
    if call.path.startswith("/compat/polos"):
        headers["X-Project-ID"] = tenant.project_id
    if call.form is not None:
        body = {**call.form, **({"key": secret} if call.path == "/ui/login" else {})}
        request = http.build_request(
            call.method, call.path, params=call.params, data=body, headers=headers
        )
    else:
        request = http.build_request(
            call.method, call.path, params=call.params, json=call.json, headers=headers
        )
    response = http.send(request, stream=True)
    try:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            text, deadline = "", time.monotonic() + 1.5
            for chunk in response.iter_text():
                text += chunk
                if "event:" in text or time.monotonic() > deadline:
                    break
        else:
            text = response.read().decode(errors="replace")
    finally:
        response.close()
    return response.status_code, text


@dataclass
class World:
    url: str
    admin: httpx.Client
    tenants: dict[str, Tenant]


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    with running_server(database_url, ADMIN_KEY, tmp_path / "serve.log", "--no-worker") as url:
        admin = httpx.Client(base_url=url, headers=_bearer(ADMIN_KEY))
        tenants = {name: make_tenant(admin, name) for name in ("alpha", "beta")}
        yield World(url, admin, tenants)
        admin.close()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def snapshot(url: str, t: Tenant) -> dict[str, Any]:
    """Project ``t``'s data, read with its own key."""
    own = httpx.Client(base_url=url, headers=_bearer(t.keys["admin"]))
    found = {
        "runs": _ok(own.get("/api/v1/runs", params={"limit": 100}))["items"],
        "workflows": _ok(own.get("/api/v1/workflows"))["items"],
        "keys": _ok(own.get("/api/v1/api-keys"))["items"],
        "schedules": _ok(own.get("/api/v1/schedules"))["items"],
        "webhooks": _ok(own.get("/api/v1/webhooks"))["items"],
        "steps": _ok(own.get(f"/api/v1/runs/{t.run_id}"))["steps"],
        "logs": _ok(own.get(f"/api/v1/runs/{t.run_id}/logs"))["items"],
    }
    own.close()
    return found


def test_a_key_never_reaches_another_projects_objects(world: World) -> None:
    a, b = world.tenants["alpha"], world.tenants["beta"]
    before = snapshot(world.url, b)
    http = httpx.Client(base_url=world.url, follow_redirects=False, timeout=30)
    aimed = [
        (key, route, each)
        for key in ("admin", "worker")
        for route, each in RULES.items()
        if key == "admin" or each.role == "worker"
    ]
    for key, (method, path), each in aimed:
        call = each.call(b)  # B's objects...
        status, text = send(http, call, a.keys[key], a)  # ...with A's admin or worker key
        where = f"{key} key: {method} {path} -> {status}"
        assert status < 500, where
        if each.names_objects and path != "/hooks/{hook_id}":
            assert status in (403, 404), where
        if path == "/hooks/{hook_id}":
            assert status in (401, 403), where  # no hook secret: nothing starts
        sent = f"{call.path} {call.params} {call.json} {call.form}"
        leaked = {s for s in b.secrets() if s and s in text and s not in sent}
        assert not leaked, f"{where} shows project B's {leaked}"
    http.close()
    assert snapshot(world.url, b) == before


@pytest.mark.parametrize("role", ["read", "write", "admin", "worker"])
def test_each_role_may_use_exactly_the_routes_of_its_rank(
    database_url: str, tmp_path: Path, role: str
) -> None:
    with running_server(database_url, ADMIN_KEY, tmp_path / "serve.log", "--no-worker") as url:
        admin = httpx.Client(base_url=url, headers=_bearer(ADMIN_KEY))
        own = make_tenant(admin, f"own-{role}")
        http = httpx.Client(base_url=url, follow_redirects=False, timeout=30)
        for (method, path), each in RULES.items():
            may = allowed(role, each.role)
            call = each.call(own)
            if path == "/hooks/{hook_id}":  # opened by the hook's secret
                call = Call(
                    call.method, call.path, json={}, headers={"X-Runyard-Secret": own.hook_secret}
                )
            status, text = send(http, call, own.keys[role], own)
            where = f"{role}: {method} {path} -> {status} {text[:200]}"
            assert status < 500, where
            if may:
                assert status not in (401, 403), where
            else:
                assert status == 403, where
        http.close()
        admin.close()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
