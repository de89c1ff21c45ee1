"""B3OS (seed 001): ``GET /v1/workflows/{id}/runs`` with ``Authorization: Bearer``;
``limit`` (up to 100) / ``offset`` pages and ``data.hasMore``, in B3OS's envelope.

B3OS lists runs per workflow and documents no call listing workflows, so the workflows
are named with ``--vendor-workflow`` (``--vendor-project`` is sent as ``X-Org-ID``).
Its runs carry no creation time: a run is created at its ``startedAt`` (else its
``finishedAt``; a run that never started is created when imported), and ``--since``
compares ``startedAt``: the newest-first walk stops at the first run started before it
(a run starts after it is created, so every later one was created before it too).
``totalCu`` is ``credits_used``, ``isDustTest`` ``is_test``, ``isSimulation``
``dry_run``, ``triggerSource`` ``trigger_type``, ``sourceRunId`` the run it retries.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from runyard.core.errors import InvalidInput
from runyard.core.vendor_words import B3OS_STATUS
from runyard.vendor_import.paging import Item, Listing, Offset
from runyard.vendor_import.records import (
    Translated,
    WorkflowSpec,
    compact,
    ordered,
    parse_time,
    slug,
    text,
    trigger_type,
    when,
)
from runyard.vendor_import.statuses import StatusWords
from runyard.vendor_import.transport import VendorError
from runyard.vendor_import.vendor import Ask, Vendor

PAGE = 100  # the seed's maximum
STATUS = StatusWords("B3OS", B3OS_STATUS)


def _data(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), Mapping):
        raise VendorError(f"B3OS answered without its envelope's data: {str(body)[:200]}")
    if body.get("code") not in (None, 200):
        raise VendorError(f"B3OS answered code {body.get('code')}: {body.get('message')}")
    return body["data"]  # type: ignore[no-any-return]


def _more(body: Any) -> bool | None:
    more = _data(body).get("hasMore")
    return more if isinstance(more, bool) else None


class B3os(Vendor):
    name = "b3os"
    title = "B3OS"

    def headers(self, ask: Ask) -> dict[str, str]:
        found = {"Authorization": f"Bearer {ask.key}"}
        if ask.project:
            found["X-Org-ID"] = ask.project
        return found

    def listings(self, ask: Ask) -> list[Listing]:
        if not ask.workflows:
            raise InvalidInput(
                "B3OS lists runs per workflow and has no call listing workflows: "
                "name each with --vendor-workflow ID (repeatable)"
            )
        return [
            Listing(f"/v1/workflows/{quote(w, safe='')}/runs", {}, Offset(PAGE, more=_more), w)
            for w in ask.workflows
        ]

    def items(self, body: Any) -> list[Item]:
        return super().items(_data(body).get("items") or [])

    def listed_at(self, item: Item) -> datetime | None:
        try:
            return parse_time(item.get("startedAt"))
        except ValueError:
            return None

    def translate(self, item: Item, ask: Ask, listing: Listing) -> Translated:
        ids = self.ids(ask)
        workflow = str(item.get("workflowId") or listing.label)
        version = item.get("workflowVersion")
        record = {
            "id": ids(item.get("id")),
            "workflow_id": slug(workflow),
            "workflow_version": version if isinstance(version, int) and version >= 1 else None,
            "status": STATUS(item.get("status")).value,
            "created_at": when(item.get("startedAt") or item.get("finishedAt")),
            "started_at": when(item.get("startedAt")),
            "finished_at": when(item.get("finishedAt")),
            "is_test": item.get("isDustTest") if isinstance(item.get("isDustTest"), bool) else None,
            "dry_run": (
                item.get("isSimulation") if isinstance(item.get("isSimulation"), bool) else None
            ),
            "source_run_id": ids(item.get("sourceRunId")),
            "credits_used": _credits(item.get("totalCu")),
            "trigger_type": trigger_type(item.get("triggerSource")),
            "triggered_by": text(item.get("triggeredBy")),
            "tags": ids.tags(item.get("id")),
        }
        return Translated(ordered(compact(record)), WorkflowSpec(slug(workflow), title=workflow))


def _credits(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


VENDOR = B3os()
