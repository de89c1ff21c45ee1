"""Webhook triggers: a URL and a secret that start runs of a workflow."""

from __future__ import annotations

from tests.api.conftest import Api, make_workflow


def test_a_webhook_starts_runs_with_its_body_as_input(admin: Api) -> None:
    make_workflow(admin)
    hook = admin.post("/api/v1/workflows/invoice-agent/webhooks", expect=201)
    assert hook["url"] == f"/hooks/{hook['id']}"
    assert hook["secret"].startswith("whs_")
    anon = Api(admin.client, {"X-Runyard-Secret": hook["secret"]})
    fired = anon.post(hook["url"], {"customer_id": "CUST-9"}, expect=202)
    run = admin.get(f"/api/v1/runs/{fired['run_id']}")
    assert (run["status"], run["trigger_type"]) == ("queued", "webhook")
    assert run["triggered_by"] == f"webhook:{hook['id']}"
    assert run["input"]["customer_id"] == "CUST-9"
    again = anon.post(hook["url"], {}, expect=202, headers={"Idempotency-Key": "evt-1"})
    same = anon.post(hook["url"], {}, expect=202, headers={"Idempotency-Key": "evt-1"})
    assert (same["run_id"], same["created"]) == (again["run_id"], False)
    listed = admin.get("/api/v1/webhooks")["items"]
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "secret" not in listed[0]


def test_a_webhook_refuses_a_wrong_secret_and_bad_bodies(admin: Api) -> None:
    make_workflow(admin)
    hook = admin.post("/api/v1/workflows/invoice-agent/webhooks", expect=201)
    wrong = Api(admin.client, {"X-Runyard-Secret": "whs_wrong"})
    assert wrong.post(hook["url"], {}, expect=401)["code"] == "unauthenticated"
    assert Api(admin.client, {}).post(hook["url"], {}, expect=401)
    unknown = Api(admin.client, {"X-Runyard-Secret": hook["secret"]})
    unknown.post("/hooks/00000000-0000-4000-8000-000000000000", {}, expect=401)
    right = Api(admin.client, {"X-Runyard-Secret": hook["secret"]})
    assert right.post(hook["url"], [1, 2], expect=422)["errors"][0]["loc"] == ["body"]
    assert right.post(hook["url"], {"customer_id": 5}, expect=422)  # parameter types hold
    admin.delete(f"/api/v1/webhooks/{hook['id']}", expect=204)
    right.post(hook["url"], {}, expect=401)


def test_webhooks_are_per_project(admin: Api) -> None:
    make_workflow(admin)
    other, _ = admin.new_project("other", role="write")
    other.post("/api/v1/workflows/invoice-agent/webhooks", expect=404)
    hook = admin.post("/api/v1/workflows/invoice-agent/webhooks", expect=201)
    assert other.get("/api/v1/webhooks")["items"] == []
    other.delete(f"/api/v1/webhooks/{hook['id']}", expect=404)
    reader, _ = admin.new_project("readers", role="read")
    reader.post("/api/v1/workflows/invoice-agent/webhooks", expect=403)
