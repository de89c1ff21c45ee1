"""Security: keys stored only hashed, secrets never logged, free text never read as SQL or
LIKE patterns, per-key rate limits, CORS off, and the dashboard's security headers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
from benchmarks.server import running_server
from fastapi.testclient import TestClient

from runyard.api.app import create_app
from runyard.api.rate_limit import RateLimiter
from runyard.config import Settings
from runyard.core.errors import RateLimited
from runyard.store.database import Database
from tests.api.conftest import Api, make_workflow
from tests.conftest import ADMIN_KEY

WRONG_KEY = "ry_not_a_key_but_looks_like_one_0123456789"


def test_secrets_are_stored_hashed_and_never_logged(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    log = tmp_path / "serve.log"
    with running_server(f"sqlite:///{path}", ADMIN_KEY, log, "--no-worker") as url:
        admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        project = admin.get("/api/v1/projects").json()["items"][0]["id"]
        made = admin.post(f"/api/v1/projects/{project}/api-keys", json={"role": "write"}).json()
        key = made["key"]
        assert admin.post("/api/v1/workflows", json={"name": "w"}).status_code == 201
        hook = admin.post("/api/v1/workflows/w/webhooks").json()
        secrets = {ADMIN_KEY, key, hook["secret"], WRONG_KEY}
        for secret in (key, WRONG_KEY):  # every way a key arrives, right and wrong
            httpx.get(f"{url}/api/v1/runs", headers={"Authorization": f"Bearer {secret}"})
            httpx.get(f"{url}/api/v1/runs", headers={"X-API-Key": secret})
            httpx.get(f"{url}/compat/cloudcruise/runs", headers={"cc-key": secret})
            httpx.post(f"{url}/ui/login", data={"key": secret, "next": "/"})
            httpx.get(f"{url}/", cookies={"runyard_key": secret})
        httpx.post(
            f"{url}/hooks/{hook['id']}", json={}, headers={"X-Runyard-Secret": hook["secret"]}
        )
        httpx.post(f"{url}/hooks/{hook['id']}", json={}, headers={"X-Runyard-Secret": "wrong"})
        admin.close()
    written = log.read_text()
    assert "POST /hooks/" in written  # the log is there, and holds requests
    assert not {s for s in secrets if s in written}
    with sqlite3.connect(path) as conn:  # the database holds hashes, never a secret
        dump = "\n".join(conn.iterdump())
    assert not {s for s in secrets if s in dump}


HOSTILE = [
    "%",
    "_",
    "'",
    '"',
    "\\",
    "%_%",
    "' OR '1'='1",
    "1; DROP TABLE runs; --",
    "\\%",
    "[a-z]",
    "*",
    "$1",
    "\u00e9%",
    "a'b\"c\\d%e_f",
]


@pytest.mark.parametrize("term", HOSTILE)
def test_free_text_is_matched_literally(admin: Api, term: str) -> None:
    make_workflow(admin, "w", parameters=[])  # search also reads parameter keys
    values = ["100% done", "a_b", "it's", 'say "hi"', "back\\slash", "plain"]
    runs = [
        {
            "id": f"0e000000-0000-4000-8000-{n:012d}",
            "workflow_id": "w",
            "status": "failed",
            "input": {"note": v},
            "tags": {"t": v[:40]},
            "triggered_by": v,
            "credential_id": v,
            "steps": [{"name": "s", "errors": [{"error_code": v}]}],
        }
        for n, v in enumerate(values)
    ]
    admin.post("/api/v1/runs/import", {"runs": runs}, expect=200)
    expected = {r["id"] for r in runs if term.casefold() in r["input"]["note"].casefold()}
    found = admin.get("/api/v1/runs", params={"search": term, "limit": 100})
    assert {r["id"] for r in found["items"]} == expected
    exact = {r["id"] for r in runs if r["input"]["note"] == term}
    for name, value in (
        ("error_code", term),
        ("triggered_by", term),
        ("credential_id", term),
        ("tag", f"t={term}"),
    ):
        answer = admin.call("GET", "/api/v1/runs", None, params={name: value, "limit": 100})
        assert isinstance(answer, dict), answer
        if "items" in answer:
            assert {r["id"] for r in answer["items"]} == exact, name
        else:  # refused as malformed, never a server error
            assert answer["status"] == 422, answer
    assert admin.get("/api/v1/runs/count")["count"] == len(values)  # nothing was dropped


def test_a_key_over_its_rate_limit_waits(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'r.db'}"
    db = Database.connect(db_url, pool_size=2)
    # One request in ten seconds (a burst of one): no token comes back during the test,
    # however slowly the machine answers (the burst and the refill: the next test).
    settings = Settings(database_url=db_url, bootstrap_api_key=ADMIN_KEY, rate_limit=0.1)
    with TestClient(create_app(settings, db)) as client:
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        statuses = [client.get("/api/v1/runs", headers=headers).status_code for _ in range(5)]
        assert statuses == [200, 429, 429, 429, 429]
        refused = client.get("/api/v1/runs", headers=headers)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["code"] == "rate_limited"
        # A dialect says it in its own envelope; an unknown key is 401, not limited.
        vendor = client.get("/compat/cloudcruise/runs", headers={"cc-key": ADMIN_KEY})
        assert vendor.status_code == 429
        assert "retry in" in vendor.json()["message"]
        assert vendor.headers["retry-after"]
        assert client.get("/api/v1/runs", headers={"X-API-Key": WRONG_KEY}).status_code == 401
    db.dispose()


def test_rate_limiter_refills() -> None:
    now = [0.0]
    bursting = RateLimiter(rate=5, clock=lambda: now[0])  # a burst of twice the rate
    for _ in range(10):
        bursting.take("k")
    with pytest.raises(RateLimited):
        bursting.take("k")
    limiter = RateLimiter(rate=2, burst=2, clock=lambda: now[0])
    limiter.take("k")
    limiter.take("k")
    with pytest.raises(RateLimited) as refused:
        limiter.take("k")
    assert refused.value.retry_after_seconds == 1
    limiter.take("other")  # buckets are per key
    now[0] = 0.5
    limiter.take("k")  # half a second at 2 a second: one more
    with pytest.raises(RateLimited):
        limiter.take("k")


def test_cors_is_off_unless_configured(app_client: TestClient) -> None:
    origin = {"Origin": "https://evil.example"}
    preflight = app_client.options(
        "/api/v1/runs", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    answer = app_client.get("/api/v1/runs", headers={**origin, "X-API-Key": ADMIN_KEY})
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


def test_dashboard_pages_carry_security_headers(app_client: TestClient) -> None:
    app_client.cookies.set("runyard_key", ADMIN_KEY)
    for path in ("/", "/ui/workflows", "/ui/summary", "/ui/login", "/ui/runs/nope"):
        page = app_client.get(path)
        assert page.headers["content-type"].startswith("text/html"), path
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "same-origin"


def test_every_api_answer_says_nosniff(app_client: TestClient) -> None:
    """Browsers must not guess a JSON body (or a problem) to be something they would run."""
    key = {"X-API-Key": ADMIN_KEY}
    answers = [
        app_client.get("/api/v1/runs", headers=key),  # JSON
        app_client.get("/api/v1/runs?stauts=x", headers=key),  # a 422 problem
        app_client.get("/api/v1/runs"),  # a 401
        app_client.delete("/api/v1/runs/count", headers=key),  # a 405
        app_client.get("/api/v1/nowhere", headers=key),  # a 404
        app_client.post("/api/v1/runs/import", content=b"{\x00}", headers=key),  # refused early
        app_client.get("/compat/skyvern/v1/workflows", headers={"x-api-key": ADMIN_KEY}),
        app_client.get("/healthz"),
    ]
    for answer in answers:
        assert answer.headers.get("x-content-type-options") == "nosniff", answer.request.url


def test_cors_answers_only_the_origins_named(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    db = Database.connect(db_url, pool_size=2)
    settings = Settings(
        database_url=db_url, bootstrap_api_key=ADMIN_KEY, cors_origins=("https://ops.example",)
    )
    with TestClient(create_app(settings, db)) as client:
        ask = {
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-api-key",
        }
        allowed = client.options("/api/v1/runs", headers={"Origin": "https://ops.example", **ask})
        assert allowed.headers["access-control-allow-origin"] == "https://ops.example"
        other = client.options("/api/v1/runs", headers={"Origin": "https://evil.example", **ask})
        assert "access-control-allow-origin" not in other.headers
    db.dispose()
