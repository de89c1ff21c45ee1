"""Webhook triggers: a URL per workflow that starts a run, guarded by a secret.

The secret is shown once and stored hashed; a request presents it in the
``X-Runyard-Secret`` header and it is compared in constant time. An unknown hook and a
wrong secret get the same answer, so hook ids cannot be probed.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from runyard.core.errors import NotFound, Unauthenticated
from runyard.core.ids import new_id
from runyard.core.models import Hook, Role, Run
from runyard.core.times import Clock
from runyard.service.access import Principal
from runyard.service.inputs import TriggerIn
from runyard.service.runs import RunService
from runyard.store import hook_rows, workflow_rows
from runyard.store.database import Database
from runyard.store.tenancy import hash_key

SECRET_PREFIX = "whs_"


class WebhookService:
    def __init__(self, db: Database, clock: Clock, runs: RunService) -> None:
        self.db = db
        self.clock = clock
        self.runs = runs

    def create(self, principal: Principal, workflow_ref: str) -> tuple[Hook, str]:
        """A new hook for the workflow, and its secret (returned this once only)."""
        principal.require(Role.WRITE)
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        with self.db.write() as conn:
            workflow = workflow_rows.find_workflow(conn, principal.project_id, workflow_ref)
            if workflow is None:
                raise NotFound(f"workflow {workflow_ref!r} does not exist")
            hook = Hook(new_id(), principal.project_id, workflow.id, hash_key(secret), self.clock())
            hook_rows.insert(conn, hook)
        return hook, secret

    def all(self, principal: Principal) -> list[Hook]:
        with self.db.read() as conn:
            return hook_rows.of_project(conn, principal.project_id)

    def delete(self, principal: Principal, hook_id: str) -> None:
        principal.require(Role.WRITE)
        with self.db.write() as conn:
            if not hook_rows.remove(conn, principal.project_id, hook_id):
                raise NotFound(f"webhook {hook_id} does not exist")

    def fire(
        self, hook_id: str, secret: str | None, input: dict[str, Any], idempotency_key: str | None
    ) -> tuple[Run, bool]:
        """Start a run of the hook's workflow with ``input``; (run, whether it is new)."""
        with self.db.read() as conn:
            hook = hook_rows.find(conn, hook_id)
        presented = hash_key(secret or "")
        if hook is None or not secret or not hmac.compare_digest(presented, hook.secret_hash):
            raise Unauthenticated("unknown webhook or wrong secret (send it in X-Runyard-Secret)")
        body = TriggerIn.model_validate(
            {"input": input, "trigger_type": "webhook", "triggered_by": f"webhook:{hook.id}"}
        )
        owner = Principal(hook.project_id, Role.WRITE)
        return self.runs.trigger(owner, hook.workflow_id, body, idempotency_key)
