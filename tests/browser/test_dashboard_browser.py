"""An operator's session in a real browser: sign in, filter, search, open a run, cancel it
and watch it change without a reload, see new runs arrive, export CSV."""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ADMIN_KEY

HEADERS = {"Authorization": f"Bearer {ADMIN_KEY}"}


def _seed(api: httpx.Client) -> dict[str, Any]:
    api.post(
        "/api/v1/workflows",
        json={
            "name": "invoice-agent",
            "type": "agent",
            "parameters": [{"key": "customer_id", "description": "Customer"}],
        },
    ).raise_for_status()
    runs = []
    for n in range(6):
        runs.append(
            {
                "id": str(uuid.uuid4()),
                "workflow_id": "invoice-agent",
                "status": "failed",
                "created_at": f"2026-05-01T00:00:0{n}Z",
                "input": {"customer_id": f"CUST-42{n}"},
                "steps": [
                    {
                        "name": "login",
                        "status": "failed",
                        "errors": [{"error_code": "LOGIN_FAILED", "message": "password expired"}],
                    }
                ],
            }
        )
    for n in range(6):
        runs.append(
            {
                "id": str(uuid.uuid4()),
                "workflow_id": "invoice-agent",
                "status": "completed",
                "created_at": f"2026-05-02T00:00:0{n}Z",
            }
        )
    running = {
        "id": str(uuid.uuid4()),
        "workflow_id": "invoice-agent",
        "status": "running",
        "created_at": "2026-05-03T00:00:00Z",
        "started_at": "2026-05-03T00:00:01Z",
    }
    runs.append(running)
    api.post("/api/v1/runs/import", json={"runs": runs}).raise_for_status()
    return {"failed": [r["id"] for r in runs[:6]], "running": running["id"]}


def _statuses(page: Any) -> list[str]:
    return [s.strip() for s in page.locator("table.runs tbody .status").all_inner_texts()]


def test_an_operator_finds_acts_and_watches_live(server: str, page: Any) -> None:
    with httpx.Client(base_url=server, headers=HEADERS, timeout=10) as api:
        _operator_session(server, page, api)


def _operator_session(server: str, page: Any, api: httpx.Client) -> None:
    seeded = _seed(api)

    # Sign in: the explorer asks for a key first, then comes back.
    page.goto(server + "/?status=completed")
    assert "/ui/login" in page.url
    page.get_by_label("API key").fill("ry_wrong_key")
    page.get_by_role("button", name="Sign in").click()
    assert "invalid or revoked API key" in page.locator("[role=alert]").inner_text()
    page.get_by_label("API key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/\?status=completed$"))
    assert _statuses(page) == ["completed"] * 6

    # Filter by status with the form: the URL holds the filter.
    page.goto(server + "/")
    page.locator("details.pick summary", has_text="Status").click()
    page.locator("input[name=status][value=completed]").uncheck()
    page.locator("input[name=status][value=failed]").check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"status=failed"))
    assert _statuses(page) == ["failed"] * 6
    page.locator("#summary .count").wait_for()
    assert page.locator("#summary .count strong").inner_text() == "6"

    # Search narrows to one run; open it.
    page.get_by_label("Search").fill("cust-423")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"search=cust-423"))
    assert page.locator("table.runs tbody tr").count() == 1
    page.locator("table.runs tbody a.run-link").click()
    page.wait_for_url(re.compile(r"/ui/runs/" + seeded["failed"][3]))
    assert "LOGIN_FAILED" in page.locator("main").inner_text()
    assert "password expired" in page.locator("main").inner_text()

    # Cancel a running run (confirming), then watch its executor finish the cancel live.
    page.goto(f"{server}/ui/runs/{seeded['running']}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(re.compile(r"notice="))
    assert page.locator("#run-status").inner_text() == "canceling"
    page.evaluate("window.__sameDocument = true")
    api.patch(f"/api/v1/runs/{seeded['running']}", json={"status": "canceled"}).raise_for_status()
    page.locator("#run-status[data-status=canceled]").wait_for()
    assert page.evaluate("window.__sameDocument") is True  # changed without a reload
    assert page.get_by_role("button", name="Retry").is_visible()
    assert not page.get_by_role("button", name="Cancel").is_visible()

    # A run triggered elsewhere appears in the open explorer, and its change shows too.
    page.goto(server + "/")
    page.locator("#live-state", has_text="Live").wait_for()
    page.evaluate("window.__sameDocument = true")
    new = api.post("/api/v1/workflows/invoice-agent/runs", json={}).json()
    row = page.locator(f"#run-{new['id']}")
    row.wait_for()
    assert row.locator(".status").inner_text() == "queued"
    api.post(f"/api/v1/runs/{new['id']}/cancel").raise_for_status()
    page.locator(f"#run-{new['id']} .s-canceled").wait_for()
    assert page.evaluate("window.__sameDocument") is True

    # Export the current filter as CSV.
    page.goto(server + "/?status=failed")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["id"] for r in rows) == sorted(seeded["failed"])

    # The keyboard reaches the skip link first; sign out ends the session.
    page.reload()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/ui/login"))
    page.goto(server + "/")
    assert "/ui/login" in page.url


def test_the_pages_make_no_request_outside_runyard(server: str, page: Any) -> None:
    with httpx.Client(base_url=server, headers=HEADERS, timeout=10) as api:
        seeded = _seed(api)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(server + "/ui/login")
    page.get_by_label("API key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    for path in ("/", f"/ui/runs/{seeded['failed'][0]}", "/ui/workflows"):
        page.goto(server + path)
        page.wait_for_timeout(700)  # the live stream and the count have started
    assert requests
    assert all(url.startswith(server) for url in requests), [
        u for u in requests if not u.startswith(server)
    ]
    # At a phone's width the explorer still fits: no sideways scrolling of the page.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server + "/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
