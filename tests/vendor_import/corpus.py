"""Varied runs for the source server: every status (and a requeued one), inputs, results,
errors with codes, failure reasons and categories, parents and grandchildren, retries,
dependencies, credentials, triggers, headers, sessions, and six workflows of six types,
spread over the last 300 days (CloudCruise lists a year) with some shared timestamps."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from runyard.core.statuses import TERMINAL, RunStatus
from runyard.core.times import to_rfc3339

TYPES = ("workflow", "agent", "tool", "flow", "handler", "ingestion")
WORKFLOWS = [
    {
        "name": f"wf-{kind}",
        "title": f"The {kind} of record",
        "type": kind,
        "description": f"imports every {kind}",
        "parameters": [{"key": "customer_id", "description": "whose run", "type": "string"}],
    }
    for kind in TYPES
]
CODES = ("LOGIN_FAILED", "CAPTCHA_DETECTED", "INVALID_CREDENTIALS", "TIMEOUT")
TRIGGERS = ("manual", "api", "scheduled", "webhook", "event")
SPAN = timedelta(days=300)


def runs(count: int, seed: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """``count`` run records, newest first (index 0); older runs are parents of newer.
    Run ids are global in runyard: each ``seed`` gives other ones."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    step = SPAN / max(count, 1)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]
    statuses = list(RunStatus)
    records = []
    created = now - timedelta(minutes=1)
    for i in range(count):
        if i % 50 != 1:  # every 50th run shares its neighbour's timestamp
            created = now - timedelta(minutes=1) - step * i
        status = statuses[i % len(statuses)]
        failed = status in (RunStatus.FAILED, RunStatus.TIMED_OUT, RunStatus.TERMINATED)
        run: dict[str, Any] = {
            "id": ids[i],
            "workflow_id": f"wf-{TYPES[i % len(TYPES)]}",
            "status": status.value,
            "attempt": 2 if status is RunStatus.QUEUED and i % 2 else 1,
            "input": {"customer_id": f"CUST-{i}", "amount": i * 1.5, "nested": {"k": [i, "x"]}},
            "created_at": to_rfc3339(created),
            "trigger_type": TRIGGERS[i % len(TRIGGERS)],
            "triggered_by": f"user-{i % 9}",
            "is_test": i % 10 == 0,
            "dry_run": i % 12 == 0,
            "credits_used": (i % 17) * 0.5,
            "progress": i % 101,
            "tags": {"team": f"t{i % 3}"},
        }
        if status is not RunStatus.CREATED:
            run["queued_at"] = to_rfc3339(created + timedelta(seconds=1))
        if status not in (RunStatus.CREATED, RunStatus.QUEUED):
            run["started_at"] = to_rfc3339(created + timedelta(seconds=2, microseconds=i))
        if status in TERMINAL:
            run["finished_at"] = to_rfc3339(created + timedelta(seconds=60))
            run["modified_at"] = run["finished_at"]
        if status is RunStatus.COMPLETED:
            run["result"] = {"ok": True, "n": i}
        if failed or (status is RunStatus.COMPLETED and i % 4 == 0):
            code = CODES[i % len(CODES)]
            run["steps"] = [
                {"name": "open", "status": "completed"},
                {
                    "name": "login",
                    "status": "failed",
                    "errors": [{"error_code": code, "message": f"step failed {i}"}],
                },
            ]
        if failed:
            run["error"] = f"boom {i}"
            if i % 2:
                run["failure_reason"] = f"the login page changed ({i})"
                run["failure_category"] = [{"category": "LOGIN", "confidence": 0.9}]
        if i % 5:
            run["credential_id"] = f"cred-{i % 5}"
        if i % 7 in (2, 3) and i + 2 < count:  # a child (3) and a grandchild (2)
            run["parent_run_id"] = ids[i + 1]
        if i % 11 == 5 and i + 3 < count:
            run["depends_on_run_id"] = ids[i + 3]
        if i % 13 == 6 and i + 2 < count:
            run["source_run_id"] = ids[i + 2]
        if i % 3 == 0:
            run["extra_http_headers"] = {"X-Trace": f"t-{i}", "X-Region": "Zürich"}
            run["webhook_callback_url"] = f"https://hooks.example.com/{i}"
            run["session_id"] = f"sess-{i % 20}"
            run["node_ids"] = ["n1", f"n{i % 4}"]
        records.append(run)
    return records
