"""The import loop: walk a vendor's lists, translate each run, import them a batch at a
time through the runyard client, and write down where the walk stands after each batch.

A rerun after a finished walk asks only for the runs created since that walk began
(less ``RERUN_OVERLAP``, for runs a vendor lists late); ``restart`` walks everything.

Exactly once, whatever interrupts it: a batch's runs are imported before the checkpoint
moves past them, so a rerun after a crash imports at most that batch again, and the
import endpoint skips run ids it has (the ids are the vendor's, or derived from them).
Workflows the runs name are created first, those that exist are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from runyard.client import Client
from runyard.core.errors import InvalidInput
from runyard.core.times import parse_timestamp, to_rfc3339, utcnow
from runyard.vendor_import.checkpoint import Checkpoint, Saved
from runyard.vendor_import.paging import Item, Listing, Position
from runyard.vendor_import.records import TAG_VENDOR_ID, Translated, Unreadable
from runyard.vendor_import.transport import Retries, VendorError, VendorHttp
from runyard.vendor_import.vendor import Ask, Vendor

BATCH = 1000  # runs an import request (the endpoint's maximum)
DETAIL_THREADS = 8  # per-run calls in flight at once
REASONS_KEPT = 5
RERUN_OVERLAP = timedelta(hours=1)


@dataclass
class Totals:
    """What an import did (this session; ``earlier``: before it was resumed)."""

    imported: int = 0
    skipped: int = 0
    pages: int = 0
    unreadable: int = 0
    workflows_created: int = 0
    reasons: list[str] = field(default_factory=list)  # the first runs that were unreadable
    earlier: Saved | None = None  # the interrupted walk this one resumed
    since_last: datetime | None = None  # only runs created since: the last walk was done


@dataclass
class Options:
    """How an import runs, besides what it asks (tests shorten the waits)."""

    restart: bool = False
    batch: int = BATCH  # runs an import request, and between two checkpoints
    retries: Retries | None = None
    transport: httpx.BaseTransport | None = None
    report: Callable[[Totals], None] = lambda totals: None


def walk(
    http: VendorHttp,
    vendor: Vendor,
    ask: Ask,
    listings: list[Listing],
    start: Position,
    on_page: Callable[[], None],
) -> Iterator[tuple[Item, Listing, Position]]:
    """Every run of every list from ``start`` on, each with the position after it."""
    for index in range(start.listing, len(listings)):
        listing = listings[index]
        paging = listing.paging
        resuming = index == start.listing and start.page is not None
        page, skip = (start.page, start.skip) if resuming else (paging.first(), 0)
        while page is not None:
            body = http.get(listing.path, {**listing.params, **paging.params(page)})
            on_page()
            items = vendor.items(body)
            for i in range(skip, len(items)):
                listed = vendor.listed_at(items[i])
                if ask.since and listed and listed < ask.since:
                    page = None  # newest first: the rest are older still
                    break
                yield items[i], listing, Position(index, *paging.after(page, items, i))
            else:
                page = paging.next(page, items, body)
            skip = 0


def run_import(
    vendor: Vendor, ask: Ask, target: Client, checkpoint: Checkpoint, options: Options
) -> Totals:
    """Import the vendor's runs into ``target``'s project; see the module's docstring."""
    begun = _begin(ask, checkpoint, options.restart)
    listings = vendor.listings(begun.ask)
    http = VendorHttp(
        vendor.title,
        begun.ask.url,
        vendor.headers(begun.ask),
        vendor.message,
        retries=options.retries,
        transport=options.transport,
    )
    try:
        session = _Session(vendor, target, checkpoint, options, http, begun)
        start = begun.saved.position if begun.saved else Position()
        for item, listing, after in walk(
            http, vendor, begun.ask, listings, start, session.page_done
        ):
            session.add(item, listing, after)
        session.flush(done=True)
    finally:
        http.close()
    return begun.totals


@dataclass
class _Begun:
    """How an import begins: what it asks, the walk it resumes (None: a new one), when
    its walk began (runs created later are left to the next import), its totals."""

    ask: Ask
    saved: Saved | None
    until: str
    totals: Totals


def _begin(ask: Ask, checkpoint: Checkpoint, restart: bool) -> _Begun:
    """Resume an interrupted walk; after a finished one, ask only for the runs created
    since it began (less ``RERUN_OVERLAP``); with ``restart``, forget the checkpoint."""
    saved = None if restart else checkpoint.load()
    if restart:
        checkpoint.clear()
    totals = Totals()
    if saved is not None and saved.done and saved.until:
        previous = parse_timestamp(saved.until) - RERUN_OVERLAP
        ask = replace(ask, since=max(ask.since, previous) if ask.since else previous)
        totals.since_last, saved = previous, None
    totals.earlier = saved
    until = saved.until if saved and saved.until else to_rfc3339(utcnow())
    ask = replace(ask, until=parse_timestamp(str(until)))
    return _Begun(ask, saved, str(until), totals)


class _Session:
    """The runs walked so far, imported a batch at a time, each batch followed by the
    checkpoint of the position after its last run."""

    def __init__(
        self,
        vendor: Vendor,
        target: Client,
        checkpoint: Checkpoint,
        options: Options,
        http: VendorHttp,
        begun: _Begun,
    ) -> None:
        self.vendor, self.target, self.http = vendor, target, http
        self.checkpoint, self.options, self.begun = checkpoint, options, begun
        self.totals = begun.totals
        self.known = {w.name: w.id for w in target.workflows()}
        self.batch: list[Translated] = []
        self.last: Position | None = None

    def page_done(self) -> None:
        self.totals.pages += 1
        self.options.report(self.totals)

    def add(self, item: Item, listing: Listing, after: Position) -> None:
        """Translate a run into the batch (or count it unreadable); import a full batch."""
        try:
            self.batch.append(self.vendor.translate(item, self.begun.ask, listing))
        except Unreadable as exc:
            self.totals.unreadable += 1
            if len(self.totals.reasons) < REASONS_KEPT:
                self.totals.reasons.append(f"run {_vendor_id(item)}: {exc}")
        self.last = after
        if len(self.batch) >= self.options.batch:
            self.flush()

    def flush(self, done: bool = False) -> None:
        """Import the batch, then save the position after it (``done``: the walk ended)."""
        if self.last is None and not done:
            return
        if self.batch:
            self._import_batch()
        earlier = self.begun.saved or Saved(Position(), None)
        totals = self.totals
        self.checkpoint.save(
            Saved(
                self.last or Position(),
                self.begun.until,
                earlier.imported + totals.imported,
                earlier.skipped + totals.skipped,
                earlier.pages + totals.pages,
                done,
            )
        )
        self.batch.clear()
        self.options.report(totals)

    def _import_batch(self) -> None:
        _details(self.http, self.vendor, self.begun.ask, self.batch)
        self.totals.workflows_created += _workflows(self.target, self.batch, self.known)
        records = [{**t.record, "workflow_id": self.known[t.workflow.name]} for t in self.batch]
        try:
            result = self.target.import_runs(records, batch=self.options.batch)
        except InvalidInput as exc:  # name the vendor's run, not its place in the batch
            raise InvalidInput(_which(exc.detail, records), exc.errors) from None
        self.totals.imported += result.imported
        self.totals.skipped += result.skipped


def _which(detail: str, records: list[dict[str, Any]]) -> str:
    """``runs.17.input: ...`` as ``run <id> (vendor id X): input: ...``."""
    found = re.match(r"(?:\d+: )?runs\.(\d+)\.(.*)", detail)
    if not found or int(found.group(1)) >= len(records):
        return f"runyard refused a batch: {detail}"
    record = records[int(found.group(1))]
    vendor_id = record.get("tags", {}).get(TAG_VENDOR_ID)
    named = f"run {record['id']}" + (f" (vendor id {vendor_id})" if vendor_id else "")
    return f"runyard refused {named}: {found.group(2)}"


def _vendor_id(item: Item) -> str:
    for key in ("id", "workflow_run_id", "session_id"):
        if item.get(key):
            return str(item[key])
    return "?"


def _details(http: VendorHttp, vendor: Vendor, ask: Ask, batch: list[Translated]) -> None:
    """Ask each run of the batch for what the list left out, several at once."""
    wanted = [t for t in batch if t.detail_path]
    if not wanted:
        return

    def fetch(run: Translated) -> Any:
        try:
            return http.get(str(run.detail_path))
        except VendorError as exc:
            if exc.vendor_status == 404:  # gone since it was listed: import what the list said
                return None
            raise

    with ThreadPoolExecutor(DETAIL_THREADS) as pool:
        for run, body in zip(wanted, pool.map(fetch, wanted), strict=True):
            if body is not None:
                vendor.detail(run, body, ask)


def _workflows(target: Client, batch: list[Translated], known: dict[str, str]) -> int:
    """Create the workflows the batch names that the project lacks (``known``: name ->
    id, which runs are imported by, as a name that reads as a UUID is taken for an id);
    how many were created."""
    made = 0
    for spec in {t.workflow.name: t.workflow for t in batch}.values():
        if spec.name not in known:
            known[spec.name] = target.create_workflow(spec.name, **spec.fields()).id
            made += 1
    return made
