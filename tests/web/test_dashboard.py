"""The dashboard in-process on both databases: sign-in, filters, pages, actions, isolation."""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import QueryParams

from runyard.core.filters import FILTERS
from runyard.service.access import authenticate
from runyard.web import filters, live
from tests.api.conftest import Api, make_workflow
from tests.conftest import ADMIN_KEY
from tests.web.conftest import Browser, import_runs


def _row_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="run-([0-9a-f-]{36})"', html)


def _runs(statuses: list[str], day: int = 1, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"status": s, "created_at": f"2026-05-{day:02d}T00:{n // 60:02d}:{n % 60:02d}Z", **extra}
        for n, s in enumerate(statuses)
    ]


def test_signing_in_keeps_the_key_in_an_httponly_samesite_cookie(
    browser: Browser, admin_api: Api
) -> None:
    first = browser.client.get("/?status=failed")
    assert first.status_code == 303
    assert first.headers["location"] == "/ui/login?next=%2F%3Fstatus%3Dfailed"
    refused = browser.form("/ui/login", {"key": "ry_wrong", "next": "/"}, csrf=False)
    assert refused.status_code == 401
    assert "invalid or revoked API key" in refused.text
    _, project_id = admin_api.new_project("acme", role="read")
    key = admin_api.post(f"/api/v1/projects/{project_id}/api-keys", {"role": "read"}, expect=201)
    answer = browser.form("/ui/login", {"key": key["key"], "next": "/?status=failed"}, csrf=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?status=failed"
    cookie = answer.headers["set-cookie"]
    assert "runyard_key=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    page = browser.page("/")
    assert "Sign out" in page
    assert "Cancel all matching" not in page  # a read key is offered no actions
    assert page.count("<tr id=") == 0
    out = browser.form("/ui/logout", {})
    assert out.status_code == 303
    assert browser.client.get("/").status_code == 303


def test_sign_in_goes_back_only_to_a_path_of_this_server(browser: Browser) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        answer = browser.form(
            "/ui/login", {"key": "ry_test_server_admin_key", "next": target}, csrf=False
        )
        assert answer.headers["location"] == "/"
    elsewhere = browser.client.post(
        "/ui/login",
        data={"key": "ry_test_server_admin_key"},
        headers={"Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    assert "set-cookie" not in elsewhere.headers


def test_the_explorer_filters_as_the_api_does_and_reflects_them_in_the_url(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    make_workflow(admin_api, "crm-sync", type="ingestion")
    failed = import_runs(admin_api, "invoice-agent", _runs(["failed"] * 3 + ["completed"] * 4))
    import_runs(admin_api, "crm-sync", _runs(["failed", "running"], day=2))
    browser.sign_in("ry_test_server_admin_key")
    page = browser.page("/?status=failed&workflow_id=invoice-agent")
    assert sorted(_row_ids(page)) == sorted(failed[:3])
    assert 'name="status" value="failed" checked' in page
    assert 'name="workflow_id" value="invoice-agent" checked' in page
    api = admin_api.get("/api/v1/runs?status=failed&workflow_id=invoice-agent")
    assert _row_ids(page) == [r["id"] for r in api["items"]]
    by_type = browser.page("/?workflow_type=ingestion")
    assert len(_row_ids(by_type)) == 2
    summary = browser.page("/ui/summary?status=failed")
    assert "<strong>4</strong> runs match" in summary
    assert "<svg" in summary


def test_search_error_code_tag_and_time_window(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    ids = import_runs(
        admin_api,
        "invoice-agent",
        [
            {
                "status": "failed",
                "created_at": "2026-05-01T10:00:00Z",
                "input": {"customer_id": "CUST-77%_x"},
                "tags": {"env": "prod"},
                "steps": [
                    {
                        "name": "login",
                        "status": "failed",
                        "errors": [{"error_code": "LOGIN_FAILED", "message": "denied"}],
                    }
                ],
            },
            {
                "status": "completed",
                "created_at": "2026-05-02T10:00:00Z",
                "input": {"customer_id": "CUST-78"},
                "tags": {"env": "staging"},
            },
        ],
    )
    browser.sign_in("ry_test_server_admin_key")
    assert _row_ids(browser.page("/?search=cust-77%25_")) == [ids[0]]
    assert _row_ids(browser.page("/?search=77_")) == []  # '_' is a literal character
    coded = browser.page("/?error_code=LOGIN_FAILED")
    assert _row_ids(coded) == [ids[0]]
    assert '<code class="code">LOGIN_FAILED</code>' in coded
    assert _row_ids(browser.page("/?tag=env%3Dstaging")) == [ids[1]]
    window = "/?created_after=2026-05-02T00:00&created_before=2026-05-03T00:00:00Z"
    assert _row_ids(browser.page(window)) == [ids[1]]


def test_the_five_filters_it_lacked_filter_as_the_api_does(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    (root,) = import_runs(admin_api, "invoice-agent", _runs(["completed"], triggered_by="alice"))
    runs = _runs(["failed", "queued", "queued"], day=2)
    runs[0].update(parent_run_id=root, root_run_id=root, triggered_by="bob", is_test=True)
    runs[1].update(attempt=2, triggered_by="alice")
    child, requeued, first = import_runs(admin_api, "invoice-agent", runs)
    browser.sign_in("ry_test_server_admin_key")
    for query, expected in (
        ("triggered_by=alice", {root, requeued}),
        ("triggered_by=alice&triggered_by=bob", {root, child, requeued}),
        (f"root_run_id={root}", {root, child}),
        ("is_test=true", {child}),
        ("is_test=false", {root, requeued, first}),
        ("has_parent=true", {child}),
        ("has_parent=false", {root, requeued, first}),
        ("requeued=true&status=queued", {requeued}),
        ("requeued=false&status=queued", {first}),
    ):
        page = browser.page(f"/?{query}")
        api = admin_api.get(f"/api/v1/runs?{query}")
        assert _row_ids(page) == [r["id"] for r in api["items"]], query
        assert set(_row_ids(page)) == expected, query
    shown = browser.page("/?is_test=true&has_parent=false&triggered_by=bob")
    assert '<option value="true" selected>only test runs</option>' in shown
    assert '<option value="false" selected>top-level runs only</option>' in shown
    assert 'name="triggered_by" value="bob"' in shown


def test_the_form_has_a_field_for_every_filter_named_as_the_api_names_it(
    browser: Browser, invoice: dict[str, Any]
) -> None:
    browser.sign_in("ry_test_server_admin_key")
    page = browser.page("/")
    for f in FILTERS:
        assert f'name="{f.name}"' in page, f.name


def test_a_bad_parameter_is_a_400_page_naming_it(browser: Browser) -> None:
    browser.sign_in("ry_test_server_admin_key")
    for query, words in (
        ("status=bogus", "query.status: 'bogus'"),
        ("created_after=yesterday", "query.created_after: 'yesterday'"),
        ("range=2y", "query.range: one of 15m"),
        ("limit=7", "query.limit: one of 25"),
        ("sort=name", "query.sort"),
        ("cursor=garbage", "query.cursor: malformed cursor"),
        ("workflow_id=nope", "query.workflow_id: no workflow 'nope'"),
    ):
        page = browser.page(f"/?{query}", expect=400)
        alert = re.search(r'<p class="error" role="alert">([^<]*)</p>', page)
        assert alert, query
        assert html.unescape(alert.group(1)).startswith(words), (query, alert.group(1))


def test_cursor_pages_neither_skip_nor_repeat_and_keep_a_relative_window(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    # 60 runs sharing one created_at: only the id orders them.
    ids = import_runs(
        admin_api,
        "invoice-agent",
        [{"status": "completed", "created_at": "2026-05-01T00:00:00Z"} for _ in range(60)],
    )
    browser.sign_in("ry_test_server_admin_key")
    seen: list[str] = []
    url: str | None = "/?limit=25"
    while url:
        page = browser.page(url.replace("&amp;", "&"))
        seen += _row_ids(page)
        found = re.search(r'rel="next" href="([^"]+)"', page)
        url = found.group(1) if found else None
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen)) == 60
    # A relative window's page links carry the "now" of page 1.
    page = browser.page("/?range=30d&limit=25")
    link = re.search(r'href="(/\?[^"]*sort=-duration[^"]*)"', page)
    assert link is not None
    params = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert params["range"] == ["30d"]
    assert "at" in params


def test_sorting_by_a_column_toggles_its_direction(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    import_runs(
        admin_api,
        "invoice-agent",
        [
            {
                "status": "completed",
                "created_at": "2026-05-01T00:00:00Z",
                "started_at": "2026-05-01T00:00:00Z",
                "finished_at": f"2026-05-01T00:00:0{n}Z",
            }
            for n in (3, 1, 2)
        ],
    )
    browser.sign_in("ry_test_server_admin_key")
    page = browser.page("/?sort=-duration")
    assert 'aria-sort="descending"' in page
    assert re.findall(r'<td class="num">([^<]+)</td>', page) == ["3.0 s", "2.0 s", "1.0 s"]
    assert "sort=duration%3Aasc" in page  # the header now offers ascending
    ascending = browser.page("/?sort=duration:asc")
    assert 'aria-sort="ascending"' in ascending
    assert re.findall(r'<td class="num">([^<]+)</td>', ascending) == ["1.0 s", "2.0 s", "3.0 s"]


def test_run_detail_shows_steps_errors_lineage_and_every_dialect(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    parent, child = import_runs(
        admin_api,
        "invoice-agent",
        [
            {
                "status": "failed",
                "created_at": "2026-05-01T00:00:00Z",
                "started_at": "2026-05-01T00:00:01Z",
                "finished_at": "2026-05-01T00:00:09Z",
                "error": "portal refused the login",
                "input": {"customer_id": "CUST-9"},
                "steps": [
                    {"name": "open portal", "status": "completed"},
                    {
                        "name": "login",
                        "status": "failed",
                        "errors": [{"error_code": "LOGIN_FAILED", "message": "password expired"}],
                    },
                ],
            },
            {"status": "completed", "created_at": "2026-05-01T00:00:02Z"},
        ],
    )
    parents_child = {
        "id": "01900000-0000-7000-8000-0000000000aa",
        "workflow_id": "invoice-agent",
        "status": "completed",
        "created_at": "2026-05-01T00:00:05Z",
        "parent_run_id": parent,
    }
    admin_api.post("/api/v1/runs/import", {"runs": [parents_child]}, expect=200)
    retry = admin_api.post(f"/api/v1/runs/{parent}/retry", expect=201)
    browser.sign_in("ry_test_server_admin_key")
    page = browser.page(f"/ui/runs/{parent}")
    for text in (
        "portal refused the login",
        "LOGIN_FAILED",
        "password expired",
        "open portal",
        "CUST-9",
        "Status history",
        retry["id"][:8],
        "01900000",
        "Polos",
        "B3OS",
        "Skyvern",
        "CloudCruise",
        "Noxus",
        "workflow_run_id",
        "session_id",
    ):
        assert text in page, text
    retried = browser.page(f"/ui/runs/{retry['id']}")
    assert "Retry of" in retried
    assert parent[:8] in retried
    assert child
    browser.page("/ui/runs/01900000-0000-7000-8000-00000000ffff", expect=404)


def test_actions_need_this_browsers_csrf_token_and_same_origin(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    run = admin_api.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)
    browser.sign_in("ry_test_server_admin_key")
    path = f"/ui/runs/{run['id']}/cancel"
    assert browser.client.post(path, data={}).status_code == 403
    assert browser.client.post(path, data={"csrf": "0" * 64}).status_code == 403
    token = browser.csrf()
    foreign = browser.client.post(
        path, data={"csrf": token}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert admin_api.get(f"/api/v1/runs/{run['id']}")["status"] == "queued"
    done = browser.client.post(path, data={"csrf": token}, headers={"Origin": "http://testserver"})
    assert done.status_code == 303
    assert admin_api.get(f"/api/v1/runs/{run['id']}")["status"] == "canceled"
    retried = browser.form(f"/ui/runs/{run['id']}/retry", {})
    assert retried.status_code == 303
    new_id = retried.headers["location"].split("/ui/runs/")[1].split("?")[0]
    assert admin_api.get(f"/api/v1/runs/{new_id}")["source_run_id"] == run["id"]
    paused = browser.form(f"/ui/runs/{new_id}/pause", {})
    assert paused.status_code == 303
    assert admin_api.get(f"/api/v1/runs/{new_id}")["status"] == "paused"
    assert browser.form(f"/ui/runs/{new_id}/resume", {}).status_code == 303
    assert admin_api.get(f"/api/v1/runs/{new_id}")["status"] == "queued"
    refused = browser.form(f"/ui/runs/{new_id}/resume", {})
    assert refused.status_code == 409
    assert "only a paused run can be resumed" in refused.text
    history = browser.page(f"/ui/runs/{new_id}").split("Status history")[1].split("</ol>")[0]
    assert re.findall(r'class="status s-(\w+)"', history) == ["queued", "paused", "queued"]


def test_a_read_key_cannot_act(browser: Browser, admin_api: Api, invoice: dict[str, Any]) -> None:
    run = admin_api.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)
    default = admin_api.get("/api/v1/projects")["items"][0]["id"]
    key = admin_api.post(f"/api/v1/projects/{default}/api-keys", {"role": "read"}, expect=201)
    browser.sign_in(key["key"])
    page = browser.page(f"/ui/runs/{run['id']}")
    assert "/cancel" not in page
    assert browser.form(f"/ui/runs/{run['id']}/cancel", {}).status_code == 403
    assert browser.page("/ui/bulk?action=cancel", expect=403)
    assert admin_api.get(f"/api/v1/runs/{run['id']}")["status"] == "queued"


def test_bulk_cancel_counts_first_then_cancels_exactly_the_matching_live_runs(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    make_workflow(admin_api, "crm-sync")
    live = import_runs(admin_api, "invoice-agent", _runs(["queued", "running", "paused"]))
    ended = import_runs(admin_api, "invoice-agent", _runs(["completed", "failed"], day=2))
    other = import_runs(admin_api, "crm-sync", _runs(["queued"], day=3))
    browser.sign_in("ry_test_server_admin_key")
    confirm = browser.page("/ui/bulk?action=cancel&workflow_id=invoice-agent")
    assert "<strong>3</strong> runs match" in confirm
    done = browser.form("/ui/bulk?workflow_id=invoice-agent", {"action": "cancel"})
    assert done.status_code == 303
    assert "Canceled+3+runs" in done.headers["location"]
    statuses = {i: admin_api.get(f"/api/v1/runs/{i}")["status"] for i in live + ended + other}
    assert [statuses[i] for i in live] == ["canceled", "canceling", "canceled"]
    assert [statuses[i] for i in ended] == ["completed", "failed"]
    assert statuses[other[0]] == "queued"
    nothing = browser.page("/ui/bulk?action=cancel&status=completed")
    assert "No run matching the current filter can be canceled" in nothing


def test_bulk_retry_and_the_native_bulk_endpoint(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    failed = import_runs(admin_api, "invoice-agent", _runs(["failed"] * 3 + ["running"]))
    dry = admin_api.post(
        "/api/v1/runs/bulk?status=failed", {"action": "retry", "dry_run": True}, expect=200
    )
    assert dry == {"action": "retry", "dry_run": True, "matched": 3, "applied": 0, "skipped": 0}
    assert admin_api.get("/api/v1/runs/count")["count"] == 4
    done = admin_api.post("/api/v1/runs/bulk?status=failed", {"action": "retry"}, expect=200)
    assert (done["matched"], done["applied"]) == (3, 3)
    retries = admin_api.get("/api/v1/runs?status=queued")["items"]
    assert sorted(r["source_run_id"] for r in retries) == sorted(failed[:3])
    again = admin_api.post("/api/v1/runs/bulk?status=failed", {"action": "retry"}, expect=200)
    assert again["applied"] == 3  # retries of retries are never walked into: still 3
    admin_api.post("/api/v1/runs/bulk", {"action": "explode"}, expect=422)
    admin_api.post("/api/v1/runs/bulk?bogus=1", {"action": "cancel"}, expect=422)
    reader, _ = admin_api.new_project("readers", role="read")
    reader.post("/api/v1/runs/bulk", {"action": "cancel", "dry_run": True}, expect=403)


def test_export_streams_the_current_filter(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    failed = import_runs(admin_api, "invoice-agent", _runs(["failed", "completed", "failed"]))
    browser.sign_in("ry_test_server_admin_key")
    answer = browser.client.get("/ui/export?status=failed&format=csv")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="runs.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert sorted(r["id"] for r in rows) == sorted([failed[0], failed[2]])
    assert {r["status"] for r in rows} == {"failed"}
    lines = browser.client.get("/ui/export?status=completed&format=jsonl").text.splitlines()
    assert len(lines) == 1
    assert failed[1] in lines[0]


def test_the_workflows_page_shows_versions_parameters_and_counts_by_status(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    make_workflow(admin_api, parameters=[{"key": "region", "description": "EU or US"}])
    import_runs(admin_api, "invoice-agent", _runs(["failed", "failed", "completed"]))
    browser.sign_in("ry_test_server_admin_key")
    page = browser.page("/ui/workflows")
    assert "Versions (2)" in page
    assert "region" in page
    assert "EU or US" in page
    assert re.search(r"s-failed\">failed</span> 2</a>", page)
    assert re.search(r"s-completed\">completed</span> 1</a>", page)
    assert "3 runs" in page


def test_a_count_past_the_cap_shows_as_a_lower_bound(
    app: Any, browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    import_runs(admin_api, "invoice-agent", _runs(["failed"] * 3))
    runs = app.state.services.runs
    runs.planner = replace(runs.planner, count_cap=2)
    browser.sign_in("ry_test_server_admin_key")
    assert "<strong>2+</strong> runs match" in browser.page("/ui/summary?trigger_type=api")
    assert "<strong>3</strong> runs match" in browser.page("/ui/summary")  # a kept count


def test_another_projects_key_sees_nothing_of_this_project(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    ids = import_runs(admin_api, "invoice-agent", _runs(["failed", "queued"]))
    other, _ = admin_api.new_project("other", role="admin")
    key = other.headers["Authorization"].split()[1]
    browser.sign_in(key)
    assert _row_ids(browser.page("/")) == []
    assert "<strong>0</strong> runs match" in browser.page("/ui/summary")
    assert browser.client.get("/ui/export?format=jsonl").text == ""
    assert "invoice-agent" not in browser.page("/ui/workflows")
    for run_id in ids:
        browser.page(f"/ui/runs/{run_id}", expect=404)
        assert browser.client.get(f"/ui/runs/{run_id}/live").status_code == 404
        assert browser.form(f"/ui/runs/{run_id}/cancel", {}).status_code == 404
    browser.page("/?workflow_id=invoice-agent", expect=400)
    done = browser.form("/ui/bulk", {"action": "cancel"})
    assert "Canceled+0+runs" in done.headers["location"]
    assert admin_api.get(f"/api/v1/runs/{ids[1]}")["status"] == "queued"
    # A project key cannot switch itself into another project.
    assert browser.form("/ui/project", {"project_id": ids[0]}).status_code == 403


def test_the_server_admin_switches_projects(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    other, project_id = admin_api.new_project("other", role="admin")
    make_workflow(other, "only-there")
    browser.sign_in("ry_test_server_admin_key")
    assert "only-there" not in browser.page("/ui/workflows")
    switched = browser.form("/ui/project", {"project_id": project_id})
    assert switched.status_code == 303
    assert "only-there" in browser.page("/ui/workflows")
    assert browser.form("/ui/project", {"project_id": "nope"}).status_code == 400


def test_pages_carry_security_headers(browser: Browser) -> None:
    browser.sign_in("ry_test_server_admin_key")
    headers = browser.client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert browser.client.get("/ui/static/app.js").status_code == 200


def test_the_live_watchers_send_new_and_changed_runs(
    app: Any, admin_api: Api, invoice: dict[str, Any]
) -> None:
    services = app.state.services
    default = admin_api.get("/api/v1/projects")["items"][0]["id"]
    principal = authenticate(services.db, ADMIN_KEY, None)
    first = admin_api.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)
    view = filters.parse(QueryParams("status=queued"), default, services.clock())
    watcher = live.RowWatcher(services, principal, view)
    seen = {key: data for key, _, data in watcher.look()}
    assert list(seen) == [first["id"]]
    assert seen[first["id"]]["index"] == 0
    second = admin_api.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)
    admin_api.post(f"/api/v1/runs/{first['id']}/cancel", expect=200)
    now = {key: data for key, _, data in watcher.look()}
    assert now[second["id"]]["index"] == 0  # new, at the top of the page
    assert now[first["id"]]["index"] is None  # left the filter, still updated in place
    assert now[first["id"]]["sig"] != seen[first["id"]]["sig"]
    assert 's-canceled">canceled' in str(now[first["id"]]["html"])
    run_watcher = live.RunWatcher(services, principal, second["id"])
    [(_, event, data), (_, log_event, log)] = run_watcher.look()
    assert (event, data["status"]) == ("run", "queued")
    assert log_event == "log"
    assert "Nothing logged yet" in str(log["html"])
    lines = {"lines": [{"message": "fetched 3 invoices", "step": "fetch", "level": "warning"}]}
    admin_api.post(f"/api/v1/runs/{second['id']}/logs", lines, expect=200)
    [_, (_, _, log)] = run_watcher.look()
    assert "WARNING [fetch] fetched 3 invoices" in str(log["html"])
    assert live.RunWatcher(services, principal, first["id"] + "0").look() == []


def test_the_run_page_shows_the_log_and_serves_it_whole(
    browser: Browser, admin_api: Api, invoice: dict[str, Any]
) -> None:
    run = admin_api.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)
    lines = [{"message": f"line {n} <b>not bold</b>", "step": "s"} for n in range(600)]
    admin_api.post(f"/api/v1/runs/{run['id']}/logs", {"lines": lines}, expect=200)
    browser.sign_in(ADMIN_KEY)
    page = browser.page(f"/ui/runs/{run['id']}")
    assert "The last 500 of 600 lines" in page
    assert "line 599 &lt;b&gt;not bold&lt;/b&gt;" in page  # escaped, never markup
    assert "line 99 " not in page
    text = browser.client.get(f"/ui/runs/{run['id']}/log.txt")
    assert text.status_code == 200
    assert text.headers["content-type"].startswith("text/plain")
    got = text.text.splitlines()
    assert len(got) == 600
    assert got[0].endswith(" INFO [s] line 0 <b>not bold</b>")
    browser.page("/ui/runs/00000000-0000-4000-8000-000000000000/log.txt", expect=404)


def test_a_live_stream_with_a_bad_filter_is_refused_before_it_starts(
    browser: Browser, invoice: dict[str, Any]
) -> None:
    """A stream's first look runs before its first byte: a filter it cannot read is a 4xx
    answer, not a 200 stream that dies with the error in the server's log."""
    browser.sign_in(ADMIN_KEY)
    for query in ("workflow_id=nope", "status=nope", "created_after=yesterday"):
        response = browser.client.get(f"/ui/live?{query}")
        assert 400 <= response.status_code < 500, (query, response.status_code)
        assert not response.headers["content-type"].startswith("text/event-stream")
