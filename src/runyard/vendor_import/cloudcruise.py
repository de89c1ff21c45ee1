"""CloudCruise (seed 003): ``GET /runs`` with ``cc-key``; up to 10,000 runs a page, newest
first, the next page strictly before the last row's ``created_at`` (``cursor``).

A session is a run, ``execution_start``/``execution_end`` its start and finish;
``execution.requeued`` is a queued run on its second attempt. The list says nothing of
a run's input, errors or credential: each run's results (``GET /run/{id}``) carry
``input_variables``, ``errors`` (each naming its ``node_id``, the step) and
``permissioned_user_id`` (the vault credential: ``credential_id``), asked once per run
unless ``--no-details``. CloudCruise keeps a year of runs and lists the last 24 hours
unless told: ``start_time`` is ``--since``, or as far back as it allows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from runyard.core.statuses import RunStatus
from runyard.core.times import to_rfc3339, utcnow
from runyard.core.vendor_words import CLOUDCRUISE_REQUEUED, CLOUDCRUISE_STATUS
from runyard.vendor_import.paging import CreatedCursor, Item, Listing
from runyard.vendor_import.records import (
    Translated,
    WorkflowSpec,
    compact,
    json_object,
    ordered,
    slug,
    steps_of,
    text,
    when,
)
from runyard.vendor_import.statuses import StatusWords
from runyard.vendor_import.vendor import Ask, Vendor

PAGE = 10_000  # the seed's maximum
# The oldest start_time CloudCruise takes, less a margin for the two clocks.
HISTORY = timedelta(days=365) - timedelta(minutes=5)
STATUS = StatusWords("CloudCruise", CLOUDCRUISE_STATUS, {CLOUDCRUISE_REQUEUED: RunStatus.QUEUED})


class CloudCruise(Vendor):
    name = "cloudcruise"
    title = "CloudCruise"

    def headers(self, ask: Ask) -> dict[str, str]:
        return {"cc-key": ask.key}

    def listings(self, ask: Ask) -> list[Listing]:
        oldest = utcnow() - HISTORY
        start = max(ask.since, oldest) if ask.since else oldest
        params = {"start_time": to_rfc3339(start), "workflow_ids": list(ask.workflows) or None}
        return [Listing("/runs", params, CreatedCursor(PAGE), "runs")]

    def translate(self, item: Item, ask: Ask, listing: Listing) -> Translated:
        ids = self.ids(ask)
        workflow = str(item.get("workflow_id") or "unknown")
        word = item.get("status")
        dry_run = item.get("dry_run")
        record = {
            "id": ids(item.get("session_id")),
            "workflow_id": slug(workflow),
            "status": STATUS(word).value,
            "attempt": 2 if word == CLOUDCRUISE_REQUEUED else None,
            "created_at": when(item.get("created_at")),
            "started_at": when(item.get("execution_start")),
            "finished_at": when(item.get("execution_end")),
            "dry_run": dry_run if isinstance(dry_run, bool) else None,
            "tags": ids.tags(item.get("session_id")),
        }
        session = quote(str(item.get("session_id")), safe="")
        return Translated(
            ordered(compact(record)),
            WorkflowSpec(slug(workflow), title=workflow),
            detail_path=f"/run/{session}" if ask.details else None,
        )

    def detail(self, run: Translated, body: Any, ask: Ask) -> None:
        if not isinstance(body, dict):
            return
        if body.get("input_variables") is not None:
            run.record["input"] = json_object(body["input_variables"])
        credential = text(body.get("permissioned_user_id"))
        if credential:
            run.record["credential_id"] = credential
        status = RunStatus(run.record["status"])
        step_status = RunStatus.FAILED if status is RunStatus.COMPLETED else status
        steps = steps_of(body.get("errors"), "node_id", step_status.value)
        if steps:
            run.record["steps"] = steps
        if body.get("data"):  # {} is what a run without data reads as
            run.record["result"] = body["data"]


VENDOR = CloudCruise()
