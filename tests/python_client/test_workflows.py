"""Workflows, events, projects and keys through ``Client``."""

from __future__ import annotations

import pytest

from runyard.client import Client, Forbidden, NotFound, Parameter, Unauthenticated
from tests.conftest import ADMIN_KEY
from tests.python_client.conftest import Server, make_workflow


def test_workflows_are_created_versioned_listed_and_found(client: Client) -> None:
    made = client.create_workflow(
        "expense-audit",
        title="Expense audit",
        type="agent",
        description="Audits expenses",
        parameters=[
            Parameter(key="customer_id", description="Customer"),
            {"key": "limit", "type": "integer", "default": 5},
        ],
        definition={"steps": ["collect", "check"]},
    )
    assert (made.name, made.title, made.type, made.version) == (
        "expense-audit",
        "Expense audit",
        "agent",
        1,
    )
    assert made.parameters == (
        Parameter(key="customer_id", description="Customer"),
        Parameter(key="limit", type="integer", default=5),
    )
    same = client.create_workflow("expense-audit", definition={"steps": ["collect"]})
    assert (same.id, same.version) == (made.id, 2)
    make_workflow(client, "crm-sync")
    client.trigger("crm-sync")
    listed = {w.name: w for w in client.workflows()}
    assert set(listed) == {"expense-audit", "crm-sync"}
    assert listed["crm-sync"].runs_count == 1
    assert listed["crm-sync"].last_run_at is not None
    assert listed["expense-audit"].type == "workflow"  # version 2 took the default type
    assert {w.name for w in client.workflows(type=["agent", "workflow"])} == set(listed)
    assert [w.name for w in client.workflows(type=["agent"])] == ["crm-sync"]
    assert client.workflows(type=["tool"]) == []
    assert client.get_workflow(made.id).name == "expense-audit"
    assert client.get_workflow("expense-audit").definition == {"steps": ["collect"]}
    with pytest.raises(NotFound):
        client.get_workflow("nope")
    with pytest.raises(NotFound):  # a name is a path segment, whatever it holds
        client.get_workflow("expense-audit?type=agent")


def test_events_reach_nothing_when_no_run_waits(client: Client) -> None:
    assert client.publish_event("approve:ORD-1", {"by": "anna"}) == 0


def test_projects_and_keys(server: Server) -> None:
    client = server.client
    acme = client.create_project("acme")
    assert {p.name for p in client.projects()} == {"default", "acme"}
    key = client.create_key(acme.id, role="write", name="ci")
    assert (key.project_id, key.role, key.name, key.server_admin) == (acme.id, "write", "ci", False)
    assert key.key is not None
    assert key.key.startswith(key.prefix)
    writer = server.as_key(key.key)
    assert [p.name for p in writer.projects()] == ["acme"]
    assert writer.list_runs().items == ()
    with pytest.raises(Forbidden):
        writer.create_project("other")
    acme_admin = server.as_key(client.create_key(acme.id, role="admin").key)
    assert {k.id for k in acme_admin.api_keys()} >= {key.id}
    assert all(k.key is None for k in acme_admin.api_keys())  # secrets are shown once
    acme_admin.revoke_key(key.id)
    with pytest.raises(Unauthenticated):
        writer.list_runs()
    # The server-admin key acts on another project when the client names it.
    in_acme = server.as_key(ADMIN_KEY, project=acme.id)
    make_workflow(in_acme, "acme-only")
    assert [w.name for w in in_acme.workflows()] == ["acme-only"]
    assert client.workflows() == []
