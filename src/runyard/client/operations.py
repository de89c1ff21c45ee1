"""Every API operation the clients offer, each described once as a ``Call``.

Path segments taken from callers (run ids, workflow names) are percent-encoded, so no
value can reach another path.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import timedelta
from itertools import islice
from typing import Any
from urllib.parse import quote

from runyard.client import bodies, filters
from runyard.client.call import Call, anything, items, model, nothing
from runyard.client.models import (
    ApiKey,
    Count,
    Delivery,
    ImportResult,
    LogPage,
    LogReceipt,
    Project,
    PruneResult,
    Run,
    RunPage,
    Stats,
    Step,
    Workflow,
)

V1 = "/api/v1"
MAX_IMPORT = 1000  # runs a request


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def _run(run_id: str, *rest: str) -> str:
    return "/".join((f"{V1}/runs/{_seg(run_id)}", *rest))


def _key(idempotency_key: str | None) -> dict[str, str]:
    """An ``Idempotency-Key`` (a new one when none is given): makes a POST safe to resend."""
    return {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}


# -- runs ---------------------------------------------------------------------------


def list_runs(query: Mapping[str, Any]) -> Call[RunPage]:
    return Call("GET", f"{V1}/runs", model(RunPage), filters.encode(query), safe=True)


def next_page(query: Mapping[str, Any], page: RunPage) -> Call[RunPage] | None:
    """The call for the page after ``page`` of ``query``, None after the last."""
    if not (page.has_more and page.next_cursor):
        return None
    return list_runs({**query, "cursor": page.next_cursor})


def count_runs(query: Mapping[str, Any], exact: bool) -> Call[Count]:
    params = filters.encode({**query, "exact": exact or None})
    return Call("GET", f"{V1}/runs/count", model(Count), params, safe=True)


def stats(query: Mapping[str, Any], bucket: str) -> Call[Stats]:
    params = filters.encode({**query, "bucket": bucket})
    return Call("GET", f"{V1}/runs/stats", model(Stats), params, safe=True)


def get_run(run_id: str) -> Call[Run]:
    return Call("GET", _run(run_id), model(Run), safe=True)


def trigger(
    workflow: str,
    input: Mapping[str, Any] | None,
    idempotency_key: str | None,
    fields: Mapping[str, Any],
) -> Call[Run]:
    body = {"input": dict(input or {}), **fields}
    path = f"{V1}/workflows/{_seg(workflow)}/runs"
    return Call("POST", path, model(Run), json=body, headers=_key(idempotency_key), safe=True)


def report(run_id: str, fields: Mapping[str, Any]) -> Call[Run]:
    return Call("PATCH", _run(run_id), model(Run), json=dict(fields))


def add_step(run_id: str, name: str, fields: Mapping[str, Any]) -> Call[Step]:
    return Call("POST", _run(run_id, "steps"), model(Step), json={"name": name, **fields})


def action(run_id: str, name: str) -> Call[Run]:
    """cancel, terminate, pause or resume: sent once (a lost answer may hide a change)."""
    return Call("POST", _run(run_id, name), model(Run))


def retry(run_id: str, idempotency_key: str | None) -> Call[Run]:
    headers = _key(idempotency_key)
    return Call("POST", _run(run_id, "retry"), model(Run), headers=headers, safe=True)


def import_batch(runs: list[Any]) -> Call[ImportResult]:
    """Up to 1,000 runs; safe to resend: run ids already there are skipped."""
    path = f"{V1}/runs/import"
    return Call("POST", path, model(ImportResult), json={"runs": runs}, safe=True)


def batches(records: Iterable[Any], size: int) -> Iterator[list[Any]]:
    if not 1 <= size <= MAX_IMPORT:
        raise ValueError(f"batch must be between 1 and {MAX_IMPORT}")
    found = iter(records)
    while batch := list(islice(found, size)):
        yield batch


def _duration(age: str | timedelta) -> str:
    if isinstance(age, str):
        return age
    seconds = int(age.total_seconds())
    for unit, length in (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % length == 0 and seconds >= length:
            return f"{seconds // length}{unit}"
    return f"{seconds}s"


def prune(older_than: str | timedelta, dry_run: bool, limit: int | None) -> Call[PruneResult]:
    body: dict[str, Any] = {"older_than": _duration(older_than), "dry_run": dry_run}
    if limit is not None:
        body["limit"] = limit
    return Call("POST", f"{V1}/runs/prune", model(PruneResult), json=body)


# -- logs ---------------------------------------------------------------------------


def logs(run_id: str, cursor: str | None, limit: int | None) -> Call[LogPage]:
    params = filters.encode({"cursor": cursor, "limit": limit})
    return Call("GET", _run(run_id, "logs"), model(LogPage), params, safe=True)


# The server sends a comment every few seconds on a quiet stream: one silent this long
# is taken for a dead connection and opened again.
FOLLOW_SILENCE = 120.0


def next_logs(run_id: str, page: LogPage) -> Call[LogPage] | None:
    """The call for the stored lines after ``page``, None when none were left."""
    if not (page.has_more and page.next_cursor):
        return None
    return logs(run_id, page.next_cursor, None)


def follow_logs(run_id: str, cursor: str | None, after: int) -> Call[None]:
    """The event stream from ``cursor``, or after line ``after`` when resuming (read line
    by line, not by ``read``)."""
    params = [("follow", "true"), *filters.encode({"cursor": cursor})]
    headers = {"Accept": "text/event-stream"}
    if after:
        headers["Last-Event-ID"] = str(after)
    return Call(
        "GET",
        _run(run_id, "logs"),
        nothing,
        params,
        headers=headers,
        safe=True,
        read_timeout=FOLLOW_SILENCE,
    )


def add_logs(run_id: str, lines: Sequence[Mapping[str, Any]]) -> Call[LogReceipt]:
    """Up to 1,000 lines (the server refuses more with 413); sent once: lines are added."""
    body = {"lines": [dict(line) for line in lines]}
    return Call("POST", _run(run_id, "logs"), model(LogReceipt), json=body)


# -- workflows and events -------------------------------------------------------------


def workflows(types: Iterable[str]) -> Call[list[Workflow]]:
    params = [("type", str(t)) for t in types]
    return Call("GET", f"{V1}/workflows", items(Workflow), params, safe=True)


def get_workflow(ref: str) -> Call[Workflow]:
    return Call("GET", f"{V1}/workflows/{_seg(ref)}", model(Workflow), safe=True)


def create_workflow(name: str, fields: Mapping[str, Any]) -> Call[Workflow]:
    body = bodies.workflow_body(name, fields)
    return Call("POST", f"{V1}/workflows", model(Workflow), json=body)


def publish_event(key: str, payload: Any) -> Call[int]:
    def delivered(body: Any) -> int:
        return model(Delivery)(body).delivered

    return Call("POST", f"{V1}/events", delivered, json={"key": key, "payload": payload})


# -- projects and keys ----------------------------------------------------------------


def projects() -> Call[list[Project]]:
    return Call("GET", f"{V1}/projects", items(Project), safe=True)


def create_project(name: str) -> Call[Project]:
    return Call("POST", f"{V1}/projects", model(Project), json={"name": name})


def api_keys() -> Call[list[ApiKey]]:
    return Call("GET", f"{V1}/api-keys", items(ApiKey), safe=True)


def create_key(project_id: str, name: str, role: str) -> Call[ApiKey]:
    path = f"{V1}/projects/{_seg(project_id)}/api-keys"
    return Call("POST", path, model(ApiKey), json={"name": name, "role": role})


def revoke_key(key_id: str) -> Call[None]:
    return Call("DELETE", f"{V1}/api-keys/{_seg(key_id)}", nothing)


def request(
    method: str,
    path: str,
    params: Mapping[str, Any] | Iterable[tuple[str, str]] | None,
    json: Any,
    headers: Mapping[str, str] | None,
) -> Call[Any]:
    """Any other request; resent only when it is a GET (or was never sent)."""
    method = method.upper()
    query = filters.encode(params) if isinstance(params, Mapping) else list(params or ())
    return Call(
        method, path, anything, query, json=json, headers=dict(headers or {}), safe=method == "GET"
    )
