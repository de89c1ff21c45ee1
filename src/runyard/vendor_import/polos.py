"""Polos (seed 000): ``GET /api/v1/workflows/runs`` with ``Authorization: Bearer`` and the
project's UUID in ``X-Project-ID``; ``limit``/``offset`` pages, newest first.

Polos lists one workflow type at a time (``workflow`` unless told), so every type is
walked in turn, and that type becomes the workflow's. ``workflow_id`` is the workflow's
name; ``payload`` the input; ``root_execution_id`` the root. A nested run's parent is only
in its execution (``GET /api/v1/executions/{id}``), asked for runs whose root is another.
``start_time`` and ``end_time`` (both inclusive) hold the walk to ``--since`` and to the
moment it began, so runs arriving meanwhile do not shift its pages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from runyard.core.errors import InvalidInput
from runyard.core.ids import canonical_uuid
from runyard.core.statuses import RunStatus
from runyard.core.times import to_rfc3339
from runyard.core.vendor_words import POLOS_STATUS
from runyard.vendor_import.paging import Item, Listing, Offset
from runyard.vendor_import.records import (
    Translated,
    WorkflowSpec,
    compact,
    json_object,
    slug,
    text,
    when,
)
from runyard.vendor_import.statuses import StatusWords
from runyard.vendor_import.vendor import Ask, Vendor

PATH = "/api/v1/workflows/runs"
TYPES = ("workflow", "agent", "tool")
PAGE = 1000  # runyard's Polos dialect serves up to 1,000 a page; the seed sets no bound
STATUS = StatusWords("Polos", POLOS_STATUS, {"claimed": RunStatus.RUNNING})


class Polos(Vendor):
    name = "polos"
    title = "Polos"

    def headers(self, ask: Ask) -> dict[str, str]:
        if not ask.project or canonical_uuid(ask.project) is None:
            raise InvalidInput(
                "Polos needs --vendor-project: the project's UUID (sent as X-Project-ID)"
            )
        return {"Authorization": f"Bearer {ask.key}", "X-Project-ID": ask.project}

    def listings(self, ask: Ask) -> list[Listing]:
        window = {"start_time": to_rfc3339(ask.since), "end_time": to_rfc3339(ask.until)}
        return [
            Listing(
                PATH,
                {"workflow_type": kind, "workflow_id": workflow, **window},
                Offset(PAGE),
                label=kind,
            )
            for workflow in ask.workflows or (None,)
            for kind in TYPES
        ]

    def translate(self, item: Item, ask: Ask, listing: Listing) -> Translated:
        ids = self.ids(ask)
        workflow = str(item.get("workflow_id") or "unknown")
        run_id = ids(item.get("id"))
        record = {
            "id": run_id,
            "workflow_id": slug(workflow),
            "status": STATUS(item.get("status")).value,
            "input": json_object(item.get("payload")),
            "result": item.get("result"),
            "error": item.get("error"),
            "root_run_id": ids(item.get("root_execution_id")),
            "session_id": text(item.get("session_id")),
            "created_at": when(item.get("created_at")),
            "finished_at": when(item.get("completed_at")),
            "tags": ids.tags(item.get("id")),
        }
        root = record["root_run_id"]
        nested = root is not None and root != run_id
        return Translated(
            compact(record),
            WorkflowSpec(slug(workflow), title=workflow, type=listing.params["workflow_type"]),
            detail_path=f"/api/v1/executions/{quote(str(item['id']), safe='')}"
            if nested and ask.details
            else None,
        )

    def detail(self, run: Translated, body: Any, ask: Ask) -> None:
        if isinstance(body, dict) and body.get("parent_execution_id"):
            run.record["parent_run_id"] = self.ids(ask)(body["parent_execution_id"])


VENDOR = Polos()
