"""A step as the API writes it in JSON, and back (the server renders runs' steps with
``step_to_json``; the HTTP worker reads and sends them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from runyard.core.models import Step, StepError
from runyard.core.statuses import RunStatus
from runyard.core.times import parse_timestamp, to_rfc3339


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp of the API's JSON, or None."""
    return None if value is None else parse_timestamp(str(value))


def step_to_json(s: Step) -> dict[str, Any]:
    return {
        "seq": s.seq,
        "name": s.name,
        "status": s.status.value,
        "attempt": s.attempt,
        "input": s.input,
        "output": s.output,
        "errors": [{**e.extra, "error_code": e.error_code, "message": e.message} for e in s.errors],
        "started_at": to_rfc3339(s.started_at),
        "finished_at": to_rfc3339(s.finished_at),
    }


def step_from_json(data: dict[str, Any]) -> Step:
    return Step(
        seq=int(data["seq"]),
        name=str(data["name"]),
        status=RunStatus(data["status"]),
        attempt=int(data.get("attempt", 1)),
        input=data.get("input"),
        output=data.get("output"),
        errors=tuple(
            StepError(
                str(e["error_code"]),
                str(e.get("message", "")),
                {k: v for k, v in e.items() if k not in ("error_code", "message")},
            )
            for e in data.get("errors") or ()
        ),
        started_at=parse_time(data.get("started_at")),
        finished_at=parse_time(data.get("finished_at")),
    )
