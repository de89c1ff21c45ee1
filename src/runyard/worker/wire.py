"""The worker protocol's JSON, as the HTTP worker reads and writes it: the server's run
and step bodies (``api/render.py``) back into core records, and the records it sends."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from runyard.core.errors import IllegalTransition, LeaseLost, NotFound
from runyard.core.execution import Claim, Ended, Ending
from runyard.core.logs import LogLine
from runyard.core.models import Run, TriggerType
from runyard.core.statuses import RunStatus
from runyard.core.step_json import parse_time, step_from_json, step_to_json
from runyard.core.times import to_rfc3339

_RUN_FIELDS = {f.name for f in fields(Run)}
_TIMES = ("created_at", "modified_at", "queued_at", "started_at", "finished_at")


def run(data: dict[str, Any]) -> Run:
    values = {k: v for k, v in data.items() if k in _RUN_FIELDS}
    for name in _TIMES:
        values[name] = parse_time(values.get(name))
    values["status"] = RunStatus(values["status"])
    values["trigger_type"] = TriggerType(values.get("trigger_type", TriggerType.API.value))
    if values.get("steps") is not None:
        values["steps"] = tuple(step_from_json(s) for s in values["steps"])
    return Run(**values)


def claim(data: dict[str, Any]) -> Claim:
    ready = parse_time(data["ready_at"])
    assert ready is not None
    return Claim(run(data["run"]), tuple(step_from_json(s) for s in data["steps"]), ready)


def ending_json(e: Ending) -> dict[str, Any]:
    return {
        "run_id": e.run_id,
        "outcome": e.outcome.value,
        "result": e.result,
        "error": e.error,
        "retryable": e.retryable,
        "steps": [step_to_json(s) for s in e.steps],
    }


def ended(data: dict[str, Any]) -> Ended:
    status = data.get("status")
    problem = data.get("problem") or {}
    refused: LeaseLost | IllegalTransition | NotFound | None = None
    if problem:
        detail, code = str(problem.get("detail", "refused")), problem.get("code")
        if code == "illegal_transition":
            refused = IllegalTransition(detail)
        elif code == "not_found":
            refused = NotFound(detail)
        else:
            refused = LeaseLost(detail)
    return Ended(str(data["run_id"]), RunStatus(status) if status else None, refused)


def log_line_json(line: LogLine) -> dict[str, Any]:
    return {
        "run_id": line.run_id,
        "ts": to_rfc3339(line.ts),
        "level": line.level.value,
        "step": line.step,
        "message": line.message,
    }
