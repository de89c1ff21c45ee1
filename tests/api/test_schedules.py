"""Cron schedules through the API: create, list, delete, refuse bad ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from runyard.core.times import parse_timestamp
from tests.api.conftest import Api, make_workflow


def test_create_list_and_delete_a_schedule(admin: Api) -> None:
    make_workflow(admin)
    made = admin.post(
        "/api/v1/workflows/invoice-agent/schedules",
        {
            "cron": "0 9 * * MON-FRI",
            "timezone": "Europe/Zurich",
            "input": {"customer_id": "CUST-1"},
        },
        expect=201,
    )
    next_fire = parse_timestamp(made["next_fire_at"])
    assert next_fire > datetime.now(UTC)
    assert next_fire.astimezone().minute == 0
    assert (made["enabled"], made["last_fired_at"]) == (True, None)
    assert admin.get("/api/v1/schedules")["items"] == [made]
    admin.delete(f"/api/v1/schedules/{made['id']}", expect=204)
    assert admin.get("/api/v1/schedules")["items"] == []
    admin.delete(f"/api/v1/schedules/{made['id']}", expect=404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cron": "61 * * * *"}, "cron"),
        ({"cron": "0 9 * * *", "timezone": "Nowhere/City"}, "timezone"),
        ({"cron": ""}, "cron"),
        ({"cron": "* * * * *", "every": 5}, "every"),
    ],
)
def test_bad_schedules_are_refused(admin: Api, body: dict[str, object], field: str) -> None:
    make_workflow(admin)
    problem = admin.post("/api/v1/workflows/invoice-agent/schedules", body, expect=422)
    assert problem["errors"][0]["loc"][-1] == field


def test_schedules_need_a_workflow_and_a_write_key(admin: Api) -> None:
    admin.post("/api/v1/workflows/nope/schedules", {"cron": "* * * * *"}, expect=404)
    make_workflow(admin)
    admin.post("/api/v1/workflows/invoice-agent/schedules", {"cron": "* * * * *"}, expect=201)
    reader, _ = admin.new_project("readers", role="read")
    reader.post("/api/v1/workflows/invoice-agent/schedules", {"cron": "* * * * *"}, expect=403)
    writer, _ = admin.new_project("writers", role="write")
    writer.post("/api/v1/workflows/invoice-agent/schedules", {"cron": "* * * * *"}, expect=404)
    assert writer.get("/api/v1/schedules")["items"] == []  # another project's are invisible
