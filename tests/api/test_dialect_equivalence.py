"""Every dialect is the native query engine in other words.

On random runs: (1) for every dialect with a status filter and every one of its status
words, filtering by it returns exactly the runs whose canonical status renders as that
word under DESIGN.md §5's table; (2) random dialect queries return the same runs, in the
same order, as the native API given the equivalent query.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from runyard.core.times import parse_timestamp, to_rfc3339
from tests.api.conftest import Api
from tests.conftest import ADMIN_KEY

# DESIGN.md §5, canonical -> vendor (CloudCruise's queued splits on the attempt).
DESIGN_TABLE = {
    #              Polos           B3OS         Skyvern       CloudCruise           Noxus
    "created":    ("queued",         "waiting",   "created",    "execution.queued",   "queued"),
    "queued":     ("queued",         "waiting",   "queued",     "execution.queued",   "queued"),
    "running":    ("running",        "running",   "running",    "execution.start",    "running"),
    "waiting":    ("waiting",        "waiting",   "paused",     "execution.paused",   "running"),
    "paused":     ("waiting",        "waiting",   "paused",     "execution.paused",   "running"),
    "canceling":  ("pending_cancel", "running",   "running",    "execution.start",    "running"),
    "completed":  ("completed",      "success",   "completed",  "execution.success",  "completed"),
    "failed":     ("failed",         "failure",   "failed",     "execution.failed",   "failed"),
    "canceled":   ("cancelled",      "cancelled", "canceled",   "execution.stopped",  "stopped"),
    "terminated": ("cancelled",      "cancelled", "terminated", "execution.stopped",  "stopped"),
    "timed_out":  ("failed",         "failure",   "timed_out",  "execution.failed",   "failed"),
}  # fmt: skip
VENDORS = ("polos", "b3os", "skyvern", "cloudcruise", "noxus")
WORKFLOWS = (("wf-flow", "workflow"), ("wf-agent", "agent"), ("wf-tool", "tool"))
WORDS = ["acme", "zürich", "cust-0", "50%", "login", "portal", "x"]
CODES = ["LOGIN_FAILED", "CAPTCHA", "TIMEOUT"]


def rendered(vendor: str, run: dict[str, Any]) -> str:
    word = DESIGN_TABLE[run["status"]][VENDORS.index(vendor)]
    if vendor == "cloudcruise" and run["status"] == "queued" and run["attempt"] > 1:
        return "execution.requeued"
    return word


def vendor_words(vendor: str) -> list[str]:
    words = {row[VENDORS.index(vendor)] for row in DESIGN_TABLE.values()}
    return sorted(words | ({"execution.requeued"} if vendor == "cloudcruise" else set()))


def canonical(vendor: str, words: list[str]) -> list[tuple[str, str]]:
    """Native ``status`` (and ``requeued``) parameters equivalent to vendor words."""
    params = [
        ("status", s) for s, row in DESIGN_TABLE.items() if row[VENDORS.index(vendor)] in words
    ]
    if vendor == "cloudcruise":
        queued, requeued = "execution.queued" in words, "execution.requeued" in words
        if requeued and ("status", "queued") not in params:
            params.append(("status", "queued"))
        if queued != requeued:
            params.append(("requeued", str(requeued).lower()))
    return params


def _corpus(rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    for i in range(160):
        created = now - timedelta(hours=20) + timedelta(minutes=rng.randrange(40) * 30)
        status = rng.choice(list(DESIGN_TABLE))
        run: dict[str, Any] = {
            "id": f"0e000000-0000-4000-8000-{i:012d}",
            "workflow_id": rng.choice(WORKFLOWS)[0],
            "status": status,
            "attempt": rng.choice([1, 1, 2]) if status == "queued" else 1,
            "created_at": to_rfc3339(created),
            "credential_id": rng.choice([None, "cred-1", "cred-2", "cred-3"]),
            "input": {"customer": f"CUST-{rng.randrange(30):04d}", "note": rng.choice(WORDS)},
            "tags": {"env": rng.choice(["prod", "dev"])} if rng.random() < 0.6 else {},
            "is_test": rng.random() < 0.1,
        }
        if i and rng.random() < 0.25:
            run["parent_run_id"] = runs[rng.randrange(i)]["id"]
        if rng.random() < 0.2:
            run["steps"] = [{"name": "s", "errors": [{"error_code": rng.choice(CODES)}]}]
        runs.append(run)
    return runs


@pytest.fixture
def corpus(admin: Api) -> tuple[Api, dict[str, str], list[dict[str, Any]], datetime]:
    ids = {}
    for name, kind in WORKFLOWS:
        customer = {"key": "customer", "description": "Portal customer"}
        parameters = [customer] if name == "wf-agent" else []
        body = {"name": name, "type": kind, "parameters": parameters}
        ids[name] = admin.post("/api/v1/workflows", body, expect=201)["id"]
    now = datetime.now(UTC).replace(microsecond=0)
    runs = _corpus(random.Random(7), now)
    admin.post("/api/v1/runs/import", {"runs": runs[:100]}, expect=200)
    admin.post("/api/v1/runs/import", {"runs": runs[100:]}, expect=200)
    return admin, ids, runs, now


def _native(api: Api, params: list[tuple[str, Any]]) -> list[str]:
    return [r["id"] for r in api.get("/api/v1/runs", params=[*params, ("limit", 1000)])["items"]]


# -- (1) status words ---------------------------------------------------------------------------


def _filter_by_status(api: Api, vendor: str, word: str, ids: dict[str, str]) -> list[str]:
    if vendor == "skyvern":
        found = Api(api.client, {"x-api-key": ADMIN_KEY}).get(
            "/compat/skyvern/v1/agents/wf-flow/runs",
            params={"status": word, "page_size": 1000, "include_child_runs": "true"},
        )
        return [r["workflow_run_id"] for r in found]
    if vendor == "cloudcruise":
        found = Api(api.client, {"cc-key": ADMIN_KEY}).get(
            "/compat/cloudcruise/runs",
            params={"statuses": word, "workflow_id": ids["wf-flow"], "limit": 10000},
        )
        return [r["session_id"] for r in found]
    items: list[dict[str, Any]] = []
    for offset in range(0, 200, 100):
        data = api.get(
            "/compat/b3os/v1/workflows/wf-flow/runs",
            params={"status": word, "limit": 100, "offset": offset},
        )["data"]
        items += data["items"]
    return [i["id"] for i in items]


@pytest.mark.parametrize("vendor", ["skyvern", "cloudcruise", "b3os"])
def test_filtering_by_a_vendor_status_returns_exactly_the_runs_rendered_so(
    corpus: tuple[Api, dict[str, str], list[dict[str, Any]], datetime], vendor: str
) -> None:
    api, ids, runs, _ = corpus
    flow = [r for r in runs if r["workflow_id"] == "wf-flow"]
    seen = set()
    for word in vendor_words(vendor):
        expected = {r["id"] for r in flow if rendered(vendor, r) == word}
        got = _filter_by_status(api, vendor, word, ids)
        assert set(got) == expected, word
        assert len(got) == len(set(got))
        seen |= expected
    assert seen == {r["id"] for r in flow}  # every run renders as one of the words


@pytest.mark.parametrize("vendor", VENDORS)
def test_every_run_renders_its_status_as_the_design_table_says(
    corpus: tuple[Api, dict[str, str], list[dict[str, Any]], datetime], vendor: str
) -> None:
    api, ids, runs, _ = corpus
    by_id = {r["id"]: r for r in runs}
    seen: dict[str, str] = {}
    key = {"x-api-key": ADMIN_KEY, "cc-key": ADMIN_KEY, "X-API-Key": ADMIN_KEY}
    client = Api(api.client, {**api.headers, **key, "X-Project-ID": _project(api)})
    for name in ids:
        if vendor == "polos":
            for kind in ("workflow", "agent", "tool"):
                for r in client.get(
                    "/compat/polos/api/v1/workflows/runs",
                    params={"workflow_type": kind, "limit": 1000},
                ):
                    seen[r["id"]] = r["status"]
        elif vendor == "b3os":
            for offset in (0, 100):
                data = client.get(
                    f"/compat/b3os/v1/workflows/{name}/runs",
                    params={"limit": 100, "offset": offset},
                )["data"]
                seen |= {i["id"]: i["status"] for i in data["items"]}
        elif vendor == "skyvern":
            params = {"page_size": 1000, "include_child_runs": "true"}
            for r in client.get(f"/compat/skyvern/v1/agents/{ids[name]}/runs", params=params):
                seen[r["workflow_run_id"]] = r["status"]
        elif vendor == "cloudcruise":
            for r in client.get("/compat/cloudcruise/runs", params={"limit": 10000}):
                seen[r["session_id"]] = r["status"]
        else:
            for page in (1, 2):
                body = client.get("/compat/noxus/v1/runs", params={"page": page, "size": 100})
                seen |= {r["id"]: r["status"] for r in body["items"]}
    assert seen == {i: rendered(vendor, r) for i, r in by_id.items()}


def _project(api: Api) -> str:
    return str(api.get("/api/v1/workflows")["items"][0]["project_id"])


# -- (2) random queries, dialect vs native --------------------------------------------------

Query = tuple[str, list[tuple[str, Any]], dict[str, str], list[tuple[str, Any]], str]


def _pick(rng: random.Random, values: list[str], most: int) -> list[str]:
    return rng.sample(values, rng.randint(1, min(most, len(values))))


def _time(now: datetime, rng: random.Random) -> datetime:
    return now - timedelta(hours=20) + timedelta(minutes=rng.randrange(40) * 30)


def skyvern_query(rng: random.Random, now: datetime, ids: dict[str, str]) -> Query:
    size, page = rng.randint(1, 25), rng.randint(1, 4)
    params: list[tuple[str, Any]] = [("page", page), ("page_size", size)]
    native: list[tuple[str, Any]] = [("offset", (page - 1) * size), ("limit", size)]
    if rng.random() < 0.5:
        words = _pick(rng, vendor_words("skyvern"), 3)
        params += [("status", w) for w in words]
        native += canonical("skyvern", words)
    if rng.random() < 0.3:
        term = rng.choice(WORDS)
        params.append(("search_key", term))
        native.append(("search", term))
    if rng.random() < 0.3:
        code = rng.choice(CODES)
        params.append(("error_code", code))
        native.append(("error_code", code))
    if rng.random() < 0.5:
        return (
            "/compat/skyvern/v1/agents/runs",
            params,
            {"x-api-key": ADMIN_KEY},
            [*native, ("has_parent", "false")],
            "workflow_run_id",
        )
    name = rng.choice(list(ids))
    native.append(("workflow_id", ids[name]))
    if rng.random() < 0.4:
        start, end = sorted([_time(now, rng), _time(now, rng)])
        params += [("created_at_start", to_rfc3339(start)), ("created_at_end", to_rfc3339(end))]
        native += [("created_after", to_rfc3339(start)), ("created_before", to_rfc3339(end))]
    if rng.random() < 0.3:
        value = rng.choice(["prod", "dev", "*"])
        params.append(("tags", f"env:{value}"))
        native.append(("tag", "env" if value == "*" else f"env={value}"))
    if rng.random() < 0.5:
        params.append(("include_child_runs", "true"))
    else:
        native.append(("has_parent", "false"))
    return (
        f"/compat/skyvern/v1/workflows/{ids[name]}/runs",
        params,
        {"x-api-key": ADMIN_KEY},
        native,
        "workflow_run_id",
    )


def polos_query(rng: random.Random, now: datetime, ids: dict[str, str]) -> Query:
    kind = rng.choice(["workflow", "agent", "tool"])
    limit, offset = rng.randint(1, 60), rng.randint(0, 30)
    params: list[tuple[str, Any]] = [("workflow_type", kind), ("limit", limit), ("offset", offset)]
    native: list[tuple[str, Any]] = [("workflow_type", kind), ("limit", limit), ("offset", offset)]
    if rng.random() < 0.4:
        name = rng.choice(list(ids))
        params.append(("workflow_id", name))
        native.append(("workflow_id", name))
    if rng.random() < 0.5:
        start, end = sorted([_time(now, rng), _time(now, rng)])
        params += [("start_time", to_rfc3339(start)), ("end_time", to_rfc3339(end))]
        native += [
            ("created_after", to_rfc3339(start)),
            ("created_before", to_rfc3339(end + timedelta(microseconds=1))),
        ]
    return "/compat/polos/api/v1/workflows/runs", params, {}, native, "id"


def cloudcruise_query(rng: random.Random, now: datetime, ids: dict[str, str]) -> Query:
    limit = rng.randint(1, 60)
    params: list[tuple[str, Any]] = [("limit", limit)]
    native: list[tuple[str, Any]] = [("limit", limit)]
    start = now - timedelta(hours=22)
    params.append(("start_time", to_rfc3339(start)))
    native.append(("created_after", to_rfc3339(start)))
    before = None
    if rng.random() < 0.4:
        end = _time(now, rng)
        params.append(("end_time", to_rfc3339(end)))
        before = end + timedelta(microseconds=1)
    if rng.random() < 0.4:
        cursor = _time(now, rng)
        params.append(("cursor", to_rfc3339(cursor)))
        before = cursor if before is None else min(before, cursor)
    if before is not None:
        native.append(("created_before", to_rfc3339(max(before, start))))
    if rng.random() < 0.6:
        words = _pick(rng, vendor_words("cloudcruise"), 3)
        params.append(("statuses", ",".join(words)) if rng.random() < 0.5 else ("status", words[0]))
        sent = words if params[-1][0] == "statuses" else words[:1]
        native += canonical("cloudcruise", sent)
    if rng.random() < 0.4:
        names = _pick(rng, list(ids), 2)
        params += [("workflow_ids", ids[n]) for n in names]
        native += [("workflow_id", ids[n]) for n in names]
    if rng.random() < 0.4:
        creds = _pick(rng, ["cred-1", "cred-2", "cred-3"], 2)
        params.append(("credential_ids", ",".join(creds)))
        native += [("credential_id", c) for c in creds]
    return "/compat/cloudcruise/runs", params, {"cc-key": ADMIN_KEY}, native, "session_id"


def b3os_query(rng: random.Random, now: datetime, ids: dict[str, str]) -> Query:
    name = rng.choice(list(ids))
    limit, offset = rng.randint(1, 100), rng.randint(0, 40)
    params: list[tuple[str, Any]] = [("limit", limit), ("offset", offset)]
    native: list[tuple[str, Any]] = [("workflow_id", name), ("limit", limit), ("offset", offset)]
    if rng.random() < 0.6:
        word = rng.choice(vendor_words("b3os"))
        params.append(("status", word))
        native += canonical("b3os", [word])
    return f"/compat/b3os/v1/workflows/{name}/runs", params, {}, native, "id"


def noxus_query(rng: random.Random, now: datetime, ids: dict[str, str]) -> Query:
    size, page = rng.randint(1, 100), rng.randint(1, 5)
    params: list[tuple[str, Any]] = [("page", page), ("size", size)]
    native: list[tuple[str, Any]] = [("limit", size), ("offset", (page - 1) * size)]
    if rng.random() < 0.5:
        name = rng.choice(list(ids))
        native.append(("workflow_id", name))
        return (
            f"/compat/noxus/v1/workflows/{name}/runs",
            params,
            {"X-API-Key": ADMIN_KEY},
            native,
            "id",
        )
    return "/compat/noxus/v1/runs", params, {"X-API-Key": ADMIN_KEY}, native, "id"


GENERATORS: dict[str, Callable[[random.Random, datetime, dict[str, str]], Query]] = {
    "skyvern": skyvern_query,
    "polos": polos_query,
    "cloudcruise": cloudcruise_query,
    "b3os": b3os_query,
    "noxus": noxus_query,
}


def _items(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return body
    if "data" in body:
        return list(body["data"]["items"])
    return list(body["items"])


@pytest.mark.parametrize("vendor", list(GENERATORS))
def test_random_dialect_queries_match_the_native_api(
    corpus: tuple[Api, dict[str, str], list[dict[str, Any]], datetime], vendor: str
) -> None:
    api, ids, _, now = corpus
    rng = random.Random(f"{vendor}-equivalence")
    project = _project(api)
    for _ in range(40):
        path, params, auth, native, id_key = GENERATORS[vendor](rng, now, ids)
        headers = {**api.headers, **auth, "X-Project-ID": project}
        body = api.get(path, params=params, headers=headers)
        got = [item[id_key] for item in _items(body)]
        limit = dict(native)["limit"]
        offset = int(dict(native).get("offset", 0))
        everything = _native(api, [p for p in native if p[0] not in ("limit", "offset")])
        assert got == everything[offset : offset + int(limit)], (path, params)
        if vendor == "noxus":
            assert body["total"] == len(everything)
        if vendor == "b3os":
            assert body["data"]["hasMore"] == (len(everything) > offset + int(limit))
        for item in _items(body):
            if "created_at" in item:
                parse_timestamp(item["created_at"])


@pytest.mark.parametrize(
    ("path", "status", "body_key"),
    [
        ("/compat/polos/api/v1/workflows/runs?stauts=failed", 400, "error"),
        ("/compat/b3os/v1/workflows/wf-flow/runs?page=2", 400, "message"),
        ("/compat/skyvern/v1/agents/runs?stauts=failed", 422, "detail"),
        ("/compat/cloudcruise/runs?status_list=execution.failed", 400, "message"),
        ("/compat/noxus/v1/runs?status=failed", 422, "detail"),
    ],
)
def test_an_unknown_parameter_is_refused_not_ignored(
    admin: Api, path: str, status: int, body_key: str
) -> None:
    project = admin.get("/api/v1/projects")["items"][0]["id"]
    key = {"x-api-key": ADMIN_KEY, "cc-key": ADMIN_KEY, "X-API-Key": ADMIN_KEY}
    response = admin.client.get(path, headers={**admin.headers, **key, "X-Project-ID": project})
    assert response.status_code == status, response.text
    assert "unknown parameter" in str(response.json()[body_key])
