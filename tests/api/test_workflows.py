"""Workflows: versions, parameters, soft deletes, run counts."""

from __future__ import annotations

from tests.api.conftest import Api, make_workflow


def test_create_then_new_versions_only_when_definition_or_parameters_change(admin: Api) -> None:
    first = make_workflow(admin)
    assert first["version"] == 1
    assert first["title"] == "invoice-agent"
    same = admin.post(
        "/api/v1/workflows",
        {
            "name": "invoice-agent",
            "type": "agent",
            "title": "Invoices",
            "parameters": first["parameters"],
        },
        expect=200,
    )
    assert (same["version"], same["version_id"], same["title"]) == (
        1,
        first["version_id"],
        "Invoices",
    )
    changed = admin.post(
        "/api/v1/workflows",
        {
            "name": "invoice-agent",
            "type": "agent",
            "definition": {"steps": ["login"]},
            "parameters": first["parameters"],
        },
        expect=200,
    )
    assert changed["version"] == 2
    assert changed["id"] == first["id"]
    assert changed["version_id"] != first["version_id"]
    by_name = admin.get("/api/v1/workflows/invoice-agent")
    assert by_name == admin.get(f"/api/v1/workflows/{first['id']}")
    assert by_name["definition"] == {"steps": ["login"]}


def test_patch_changes_fields_and_versions_parameter_changes(admin: Api) -> None:
    workflow = make_workflow(admin)
    patched = admin.patch(f"/api/v1/workflows/{workflow['id']}", {"description": "Collects"})
    assert (patched["description"], patched["version"]) == ("Collects", 1)
    patched = admin.patch(
        "/api/v1/workflows/invoice-agent",
        {"parameters": [{"key": "region", "description": "Sales region", "default": "EU"}]},
    )
    assert patched["version"] == 2
    assert [p["key"] for p in patched["parameters"]] == ["region"]
    run = admin.post("/api/v1/workflows/invoice-agent/runs", {"input": {}}, expect=201)
    assert run["input"] == {"region": "EU"}
    assert run["workflow_version"] == 2


def test_a_deleted_parameter_stops_matching_search(admin: Api) -> None:
    make_workflow(admin)
    run = admin.post(
        "/api/v1/workflows/invoice-agent/runs", {"input": {"customer_id": "C1"}}, expect=201
    )
    # "supplier portal" is only in the description of the portal_url parameter.
    assert [r["id"] for r in admin.get("/api/v1/runs?search=SUPPLIER%20portal")["items"]] == [
        run["id"]
    ]
    assert admin.get("/api/v1/runs/count?search=supplier%20portal")["count"] == 1
    updated = admin.delete("/api/v1/workflows/invoice-agent/parameters/portal_url", expect=200)
    assert updated["version"] == 2
    assert [p["key"] for p in updated["parameters"]] == ["customer_id"]
    assert admin.get("/api/v1/runs?search=supplier%20portal")["items"] == []
    assert admin.get("/api/v1/runs/count?search=supplier%20portal")["count"] == 0
    admin.delete("/api/v1/workflows/invoice-agent/parameters/portal_url", expect=404)


def test_soft_delete_hides_the_workflow_frees_its_name_and_keeps_its_runs(admin: Api) -> None:
    old = make_workflow(admin)
    run = admin.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)
    admin.delete("/api/v1/workflows/invoice-agent", expect=204)
    admin.get("/api/v1/workflows/invoice-agent", expect=404)
    assert admin.get("/api/v1/workflows")["items"] == []
    assert admin.get(f"/api/v1/runs/{run['id']}")["workflow_id"] == old["id"]
    assert [r["id"] for r in admin.get(f"/api/v1/runs?workflow_id={old['id']}")["items"]] == [
        run["id"]
    ]
    again = make_workflow(admin)
    assert again["id"] != old["id"]
    assert again["version"] == 1


def test_the_list_carries_run_counts_and_the_last_run(admin: Api) -> None:
    make_workflow(admin, "a-flow", type="flow")
    make_workflow(admin, "b-agent")
    runs = [
        {
            "id": f"0f000000-0000-4000-8000-00000000000{i}",
            "workflow_id": "a-flow",
            "created_at": f"2026-03-0{i + 1}T00:00:00Z",
        }
        for i in range(3)
    ]
    admin.post("/api/v1/runs/import", {"runs": runs}, expect=200)
    items = {w["name"]: w for w in admin.get("/api/v1/workflows")["items"]}
    assert items["a-flow"]["runs_count"] == 3
    assert items["a-flow"]["last_run_at"] == "2026-03-03T00:00:00.000000Z"
    assert items["b-agent"]["runs_count"] == 0
    assert items["b-agent"]["last_run_at"] is None
    assert [w["name"] for w in admin.get("/api/v1/workflows?type=flow")["items"]] == ["a-flow"]
