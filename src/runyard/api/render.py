"""Records to the native API's JSON, rendered directly (no per-field validation)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from runyard.core.models import ApiKey, Project, Run, Schedule, Workflow
from runyard.core.step_json import step_to_json
from runyard.core.times import to_rfc3339


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


step = step_to_json


def run(r: Run) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": r.id,
        "project_id": r.project_id,
        "workflow_id": r.workflow_id,
        "workflow_name": r.workflow_name,
        "workflow_version": r.workflow_version,
        "status": r.status.value,
        "attempt": r.attempt,
        "input": r.input,
        "result": r.result,
        "error": r.error,
        "failure_reason": r.failure_reason,
        "failure_category": r.failure_category,
        "parent_run_id": r.parent_run_id,
        "root_run_id": r.root_run_id,
        "depends_on_run_id": r.depends_on_run_id,
        "source_run_id": r.source_run_id,
        "trigger_type": r.trigger_type.value,
        "triggered_by": r.triggered_by,
        "credential_id": r.credential_id,
        "is_test": r.is_test,
        "dry_run": r.dry_run,
        "progress": r.progress,
        "node_ids": r.node_ids,
        "credits_used": r.credits_used,
        "extra_http_headers": r.extra_http_headers,
        "webhook_callback_url": r.webhook_callback_url,
        "tags": r.tags,
        "session_id": r.session_id,
        "created_at": to_rfc3339(r.created_at),
        "queued_at": to_rfc3339(r.queued_at),
        "started_at": to_rfc3339(r.started_at),
        "finished_at": to_rfc3339(r.finished_at),
        "modified_at": to_rfc3339(r.modified_at),
        "duration_seconds": r.duration_seconds,
    }
    if r.steps is not None:
        body["steps"] = [step(s) for s in r.steps]
    return body


def workflow(w: Workflow) -> dict[str, Any]:
    return {
        "id": w.id,
        "project_id": w.project_id,
        "name": w.name,
        "title": w.title,
        "type": w.type.value,
        "description": w.description,
        "version": w.version,
        "version_id": w.version_id,
        "definition": w.definition,
        "parameters": [
            {"key": p.key, "description": p.description, "type": p.type, "default": p.default}
            for p in w.parameters
        ],
        "error_handler_id": w.error_handler_id,
        "created_at": to_rfc3339(w.created_at),
        "modified_at": to_rfc3339(w.modified_at),
        "runs_count": w.runs_count,
        "last_run_at": to_rfc3339(w.last_run_at),
    }


def project(p: Project) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "created_at": to_rfc3339(p.created_at)}


def api_key(k: ApiKey) -> dict[str, Any]:
    return {
        "id": k.id,
        "project_id": k.project_id,
        "name": k.name,
        "role": k.role.value,
        "server_admin": k.server_admin,
        "prefix": k.prefix,
        "created_at": to_rfc3339(k.created_at),
    }


def schedule(s: Schedule) -> dict[str, Any]:
    return {
        "id": s.id,
        "project_id": s.project_id,
        "workflow_id": s.workflow_id,
        "cron": s.cron,
        "timezone": s.timezone,
        "input": s.input,
        "enabled": s.enabled,
        "next_fire_at": to_rfc3339(s.next_fire_at),
        "last_fired_at": to_rfc3339(s.last_fired_at),
        "created_at": to_rfc3339(s.created_at),
    }
