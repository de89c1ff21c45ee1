"""Noxus (seed 004): ``GET /v1/runs`` with ``X-API-Key``; ``page`` / ``size`` (up to 100)
pages in ``{items, total, page, size, pages}``, newest first.

Each run embeds its workflow (name, type, description, definition), which becomes the
runyard workflow; ``source`` is the trigger, ``node_ids`` and ``progress`` are kept,
``output`` is the result. ``--vendor-workflow`` walks ``/v1/workflows/{id}/runs`` (the
``noxus-sdk`` call) instead of every run. Noxus takes no time filter: the walk stops at
the first run created before ``--since``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from runyard.core.models import WorkflowType
from runyard.core.vendor_words import NOXUS_STATUS
from runyard.vendor_import.paging import Item, Listing, PageNumber
from runyard.vendor_import.records import (
    Translated,
    WorkflowSpec,
    compact,
    json_object,
    slug,
    trigger_type,
    when,
)
from runyard.vendor_import.statuses import StatusWords
from runyard.vendor_import.transport import VendorError
from runyard.vendor_import.vendor import Ask, Vendor

PAGE = 100  # the seed's maximum
STATUS = StatusWords("Noxus", NOXUS_STATUS)
TYPES = {t.value for t in WorkflowType}


def _more(body: Any, page: int) -> bool | None:
    pages = body.get("pages") if isinstance(body, Mapping) else None
    return page < pages if isinstance(pages, int) else None


class Noxus(Vendor):
    name = "noxus"
    title = "Noxus"

    def headers(self, ask: Ask) -> dict[str, str]:
        return {"X-API-Key": ask.key}

    def listings(self, ask: Ask) -> list[Listing]:
        paging = PageNumber(PAGE, "size", more=_more)
        if not ask.workflows:
            return [Listing("/v1/runs", {}, paging, "runs")]
        return [
            Listing(f"/v1/workflows/{quote(w, safe='')}/runs", {}, paging, w) for w in ask.workflows
        ]

    def items(self, body: Any) -> list[Item]:
        if not isinstance(body, Mapping) or not isinstance(body.get("items"), list):
            raise VendorError(f"Noxus answered without a list of items: {str(body)[:200]}")
        return super().items(body["items"])

    def translate(self, item: Item, ask: Ask, listing: Listing) -> Translated:
        ids = self.ids(ask)
        found = item.get("workflow")
        embedded: dict[str, Any] = found if isinstance(found, dict) else {}
        workflow = str(item.get("workflow_id") or embedded.get("id") or listing.label)
        progress = item.get("progress")
        nodes = item.get("node_ids")
        output = item.get("output")
        record = {
            "id": ids(item.get("id")),
            "workflow_id": slug(workflow),
            "status": STATUS(item.get("status")).value,
            "input": json_object(item.get("input")),
            "node_ids": [str(n) for n in nodes] if isinstance(nodes, list) else None,
            "progress": (
                min(max(int(progress), 0), 100) if isinstance(progress, int | float) else None
            ),
            "created_at": when(item.get("created_at")),
            "finished_at": when(item.get("finished_at")),
            "trigger_type": trigger_type(item.get("source")),
            "result": output,
            "tags": ids.tags(item.get("id")),
        }
        kind = embedded.get("type")
        spec = WorkflowSpec(
            slug(workflow),
            title=str(embedded.get("name") or workflow),
            type=kind if kind in TYPES else None,
            description=str(embedded.get("description") or ""),
            definition=embedded.get("definition")
            if isinstance(embedded.get("definition"), dict)
            else None,
        )
        return Translated(compact(record), spec)


VENDOR = Noxus()
