"""Skyvern (seed 002): ``GET /v1/agents/runs`` with ``x-api-key``; ``page`` (from 1) /
``page_size`` pages, a bare array, newest first.

``workflow_permanent_id`` is the workflow (``workflow_title`` its title);
``failure_reason`` the error; ``parent_workflow_run_id`` and
``depends_on_workflow_run_id`` the lineage; ``browser_session_id`` the session. Skyvern's
run ids (``wr_...``) are not UUIDs: each becomes a uuid5 (and the tag
``vendor_run_id``). The errors with their codes are in each run (``GET /v1/runs/{id}``,
its ``errors``, each naming its ``step``), asked once per run unless ``--no-details``.

Skyvern's list of all runs leaves out child runs. Naming workflows with
``--vendor-workflow`` walks ``/v1/agents/{id}/runs?include_child_runs=true`` instead,
which lists them (and takes ``created_at_start`` for ``--since``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from runyard.core.statuses import RunStatus
from runyard.core.times import to_rfc3339
from runyard.core.vendor_words import SKYVERN_STATUS
from runyard.vendor_import.paging import Item, Listing, PageNumber
from runyard.vendor_import.records import (
    Translated,
    WorkflowSpec,
    compact,
    json_object,
    ordered,
    slug,
    steps_of,
    strings,
    text,
    trigger_type,
    when,
)
from runyard.vendor_import.statuses import StatusWords
from runyard.vendor_import.vendor import Ask, Vendor

PAGE = 1000  # the seed sets no bound; runyard's Skyvern dialect serves up to 1,000
STATUS = StatusWords("Skyvern", SKYVERN_STATUS)


class Skyvern(Vendor):
    name = "skyvern"
    title = "Skyvern"

    def headers(self, ask: Ask) -> dict[str, str]:
        return {"x-api-key": ask.key}

    def listings(self, ask: Ask) -> list[Listing]:
        paging = PageNumber(PAGE, "page_size")
        if not ask.workflows:
            return [Listing("/v1/agents/runs", {}, paging, "all runs")]
        since = {"include_child_runs": True, "created_at_start": to_rfc3339(ask.since)}
        return [
            Listing(f"/v1/agents/{quote(w, safe='')}/runs", since, paging, w) for w in ask.workflows
        ]

    def translate(self, item: Item, ask: Ask, listing: Listing) -> Translated:
        ids = self.ids(ask)
        workflow = str(item.get("workflow_permanent_id") or listing.label)
        reason = text(item.get("failure_reason"), 100_000)
        category = item.get("failure_category")
        credits = item.get("credits_used")
        record = {
            "id": ids(item.get("workflow_run_id")),
            "workflow_id": slug(workflow),
            "status": STATUS(item.get("status")).value,
            "error": reason,
            "failure_reason": reason,
            "failure_category": (
                [c for c in category if isinstance(c, dict)] if isinstance(category, list) else None
            ),
            "parent_run_id": ids(item.get("parent_workflow_run_id")),
            "depends_on_run_id": ids(item.get("depends_on_workflow_run_id")),
            "trigger_type": trigger_type(item.get("trigger_type")),
            "extra_http_headers": strings(item.get("extra_http_headers")),
            "webhook_callback_url": text(item.get("webhook_callback_url"), 2000),
            "session_id": text(item.get("browser_session_id")),
            "credits_used": credits if isinstance(credits, int | float) and credits >= 0 else None,
            "created_at": when(item.get("created_at")),
            "queued_at": when(item.get("queued_at")),
            "started_at": when(item.get("started_at")),
            "finished_at": when(item.get("finished_at")),
            "modified_at": when(item.get("modified_at")),
            "tags": ids.tags(item.get("workflow_run_id")),
        }
        title = str(item.get("workflow_title") or workflow)
        run_id = quote(str(item.get("workflow_run_id")), safe="")
        return Translated(
            ordered(compact(record)),
            WorkflowSpec(slug(workflow), title=title),
            detail_path=f"/v1/runs/{run_id}" if ask.details else None,
        )

    def detail(self, run: Translated, body: Any, ask: Ask) -> None:
        if not isinstance(body, dict):
            return
        status = RunStatus(run.record["status"])
        step_status = RunStatus.FAILED if status is RunStatus.COMPLETED else status
        steps = steps_of(body.get("errors"), "step", step_status.value)
        if steps:
            run.record["steps"] = steps
        output = body.get("output")
        if output is not None:
            run.record["result"] = (
                output if isinstance(output, dict | list) else json_object(output)
            )


VENDOR = Skyvern()
