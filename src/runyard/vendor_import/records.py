"""What a vendor's run becomes: an import record (the shape of ``POST /api/v1/runs/import``,
``ImportedRun``) and the workflow it names, with the helpers every vendor's translator
shares: stable run ids, times, workflow names and step errors.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from runyard.core.ids import canonical_uuid
from runyard.core.models import TriggerType
from runyard.core.times import to_rfc3339

# uuid5 namespace of vendor run ids that are not UUIDs (Skyvern's ``wr_...``): the same
# vendor id always becomes the same runyard id, so a rerun finds the runs it imported.
NAMESPACE = uuid.UUID("6f0c1d2e-8a4b-5c3d-9e7f-1a2b3c4d5e6f")
SLUG_MAX = 200
_NOT_SLUG = re.compile(r"[^a-z0-9._-]+")
TAG_VENDOR = "imported_from"
TAG_VENDOR_ID = "vendor_run_id"


class Unreadable(ValueError):
    """A vendor run that cannot become a runyard run (the reason says why); the import
    counts it and goes on."""


@dataclass(frozen=True)
class WorkflowSpec:
    """A workflow as a vendor names it: created in runyard when no workflow has ``name``."""

    name: str
    title: str = ""
    type: str | None = None
    description: str = ""
    definition: dict[str, Any] | None = None

    def fields(self) -> dict[str, Any]:
        found: dict[str, Any] = {"title": self.title[:500] or self.name}
        if self.type:
            found["type"] = self.type
        if self.description:
            found["description"] = self.description[:10_000]
        if self.definition:
            found["definition"] = self.definition
        return found


@dataclass
class Translated:
    """One vendor run: its import record, its workflow, and the per-run call (if any)
    that adds what the vendor's list leaves out."""

    record: dict[str, Any]
    workflow: WorkflowSpec
    detail_path: str | None = None  # a per-run call for what the list leaves out


@dataclass(frozen=True)
class Ids:
    """Vendor run ids -> runyard run ids, for one vendor and project."""

    vendor: str
    project: str = ""

    def __call__(self, raw: object) -> str | None:
        if raw is None or raw == "":
            return None
        text = str(raw)
        return canonical_uuid(text) or str(
            uuid.uuid5(NAMESPACE, f"{self.vendor}\x1f{self.project}\x1f{text}")
        )

    def tags(self, raw: object) -> dict[str, str]:
        """The run's tags: where it came from, and the vendor's id when it was not a UUID
        (so ``--tag vendor_run_id=wr_123`` finds it)."""
        tags = {TAG_VENDOR: self.vendor}
        if canonical_uuid(str(raw)) is None:
            tags[TAG_VENDOR_ID] = str(raw)[:500]
        return tags


def parse_time(value: object) -> datetime | None:
    """A vendor's timestamp: ISO 8601 (without an offset: UTC) or epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        raise Unreadable(f"{value!r} is not a time")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise Unreadable(f"{value!r} is not an ISO 8601 time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def when(value: object) -> str | None:
    """A vendor's timestamp as RFC 3339 in UTC (what the import endpoint takes)."""
    return to_rfc3339(parse_time(value))


def slug(text: str) -> str:
    """A runyard workflow name for a vendor's workflow id or name: lower case, and only
    letters, digits, ``.``, ``_`` and ``-`` (others become ``-``)."""
    name = _NOT_SLUG.sub("-", text.strip().lower()).strip("-._")[:SLUG_MAX]
    if not name:
        name = "workflow-" + uuid.uuid5(NAMESPACE, text).hex[:12]
    return name


_TRIGGERS = {t.value for t in TriggerType}
_TRIGGER_SYNONYMS = {"schedule": "scheduled", "cron": "scheduled", "mcp": "api", "ui": "manual"}


def trigger_type(word: object) -> str | None:
    """runyard's trigger type for a vendor's word (None: the import's default, ``api``)."""
    if not isinstance(word, str):
        return None
    text = word.strip().lower()
    return text if text in _TRIGGERS else _TRIGGER_SYNONYMS.get(text)


def steps_of(errors: object, step_key: str, status: str) -> list[Any]:
    """A run's errors (a list of objects), grouped by the step each names (``step_key``),
    as import steps; an error without a code gets the code ``error``."""
    steps: dict[str, list[dict[str, Any]]] = {}
    for raw in errors if isinstance(errors, list) else ():
        if not isinstance(raw, Mapping):
            continue
        error = {k: v for k, v in raw.items() if k != step_key and v is not None}
        error["error_code"] = str(raw.get("error_code") or "error")[:200]
        error["message"] = str(raw.get("message") or "")
        steps.setdefault(str(raw.get(step_key) or "run")[:200], []).append(error)
    return [{"name": name, "status": status, "errors": found} for name, found in steps.items()]


def compact(record: dict[str, Any]) -> dict[str, Any]:
    """The record without its None values: the import endpoint's defaults apply."""
    return {k: v for k, v in record.items() if v is not None}


def ordered(record: dict[str, Any]) -> dict[str, Any]:
    """A finish before the start is refused by the import; the vendor's start is dropped
    rather than the whole batch."""
    start, end = record.get("started_at"), record.get("finished_at")
    if start and end and parse_time(end) < parse_time(start):  # type: ignore[operator]
        record.pop("started_at")
    return record


def text(value: object, limit: int = 200) -> str | None:
    return None if value is None or value == "" else str(value)[:limit]


def strings(value: object) -> dict[str, str] | None:
    """An object of strings (headers, tags); None values dropped."""
    if not isinstance(value, Mapping):
        return None
    return {str(k): str(v) for k, v in value.items() if v is not None}


def json_object(value: object) -> dict[str, Any]:
    """A run's input: a JSON object (anything else goes under ``value``)."""
    if value is None:
        return {}
    return dict(value) if isinstance(value, Mapping) else {"value": value}
