"""The importer's pure parts and its HTTP transport, without servers: status words read
back, run ids, paging positions, the checkpoint file, retries and refusals."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from runyard.core.errors import InvalidInput
from runyard.core.statuses import RunStatus
from runyard.core.vendor_words import STATUS_BY_VENDOR
from runyard.vendor_import import VENDORS
from runyard.vendor_import.checkpoint import Checkpoint, Saved
from runyard.vendor_import.driver import _which
from runyard.vendor_import.paging import CreatedCursor, Offset, Position
from runyard.vendor_import.records import Ids, Unreadable, slug, when
from runyard.vendor_import.statuses import StatusWords, inverse
from runyard.vendor_import.transport import (
    Retries,
    VendorError,
    VendorHttp,
    VendorRefused,
    VendorUnavailable,
)


@pytest.mark.parametrize("vendor", sorted(STATUS_BY_VENDOR))
def test_a_status_read_back_renders_as_the_same_word(vendor: str) -> None:
    table = STATUS_BY_VENDOR[vendor]
    back = inverse(table)
    assert set(back) == set(table.values())
    for word, status in back.items():
        assert table[status] == word
    with pytest.raises(Unreadable, match="is not one of"):
        StatusWords(vendor, table)("exploded")


def test_words_named_like_a_status_read_back_as_that_status() -> None:
    assert inverse(STATUS_BY_VENDOR["polos"])["queued"] is RunStatus.QUEUED  # not created
    assert inverse(STATUS_BY_VENDOR["cloudcruise"])["execution.failed"] is RunStatus.FAILED
    assert inverse(STATUS_BY_VENDOR["noxus"])["stopped"] is RunStatus.CANCELED


def test_run_ids_stay_the_vendors_or_derive_from_them_stably() -> None:
    ids = Ids("skyvern", "org-1")
    given = str(uuid.uuid4())
    assert ids(given.upper()) == given
    assert ids("wr_123") == ids("wr_123") == str(uuid.UUID(ids("wr_123") or ""))
    assert ids("wr_123") != Ids("skyvern", "org-2")("wr_123") != Ids("noxus", "org-1")("wr_123")
    assert ids.tags("wr_123") == {"imported_from": "skyvern", "vendor_run_id": "wr_123"}
    assert ids(None) is None


def test_names_and_times_are_made_acceptable() -> None:
    assert slug("Invoice Agent/v2") == "invoice-agent-v2"
    assert slug("!!!").startswith("workflow-")
    assert when("2026-01-02T03:04:05") == "2026-01-02T03:04:05.000000Z"  # no offset: UTC
    assert when("2026-01-02T04:04:05+01:00") == "2026-01-02T03:04:05.000000Z"
    with pytest.raises(Unreadable):
        when("yesterday")


def test_a_full_cursor_page_is_followed_by_the_rows_at_its_last_instant() -> None:
    paging = CreatedCursor(2)
    page = [{"created_at": "t3"}, {"created_at": "t2"}]
    assert paging.params(paging.first()) == {"limit": 2}
    tie = paging.next(paging.first(), page, page)
    assert paging.params(tie) == {"limit": 2, "start_time": "t2", "end_time": "t2"}
    after = paging.next(tie, page[1:], page[1:])
    assert paging.params(after) == {"limit": 2, "cursor": "t2"}
    assert paging.next(after, page[:1], page[:1]) is None  # a short page is the last
    assert paging.after(after, page, 0) == ({"at": "t3"}, 0)  # resume: that instant again


def test_offset_pages_end_on_a_short_page_or_the_vendors_word() -> None:
    paging = Offset(2, more=lambda body: body["more"])
    two = [{}, {}]
    assert paging.next(0, two, {"more": True}) == 2
    assert paging.next(0, two, {"more": False}) is None
    assert paging.next(4, two[:1], {"more": True}) is None
    assert paging.after(4, two, 0) == (5, 0)


def test_a_checkpoint_is_written_whole_and_refused_for_another_import(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "c.json"
    checkpoint = Checkpoint(path, {"vendor": "noxus", "since": None})
    assert checkpoint.load() is None
    saved = Saved(Position(1, 3, 40), "2026-01-02T00:00:00.000000Z", 4000, 2, 31)
    checkpoint.save(saved)
    assert checkpoint.load() == saved
    assert [p.name for p in path.parent.iterdir()] == ["c.json"]
    with pytest.raises(InvalidInput, match=r"other options \(since\); use --restart"):
        Checkpoint(path, {"vendor": "noxus", "since": "30d"}).load()
    path.write_text("{not json")
    with pytest.raises(InvalidInput, match="cannot be read"):
        checkpoint.load()


# -- the transport ---------------------------------------------------------------------------


def _http(answers: list[httpx.Response | Exception], waits: list[float]) -> VendorHttp:
    def answer(request: httpx.Request) -> httpx.Response:
        found = answers.pop(0)
        if isinstance(found, Exception):
            raise found
        return found

    return VendorHttp(
        "Polos",
        "https://polos.example/",
        {"Authorization": "Bearer k"},
        VENDORS["polos"].message,
        retries=Retries(attempts=3, backoff=0.5),
        transport=httpx.MockTransport(answer),
        sleep=waits.append,
    )


def test_rate_limits_and_bad_days_are_waited_out() -> None:
    waits: list[float] = []
    http = _http(
        [
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(502),
            httpx.Response(200, json=[{"id": "x"}]),
        ],
        waits,
    )
    assert http.get("/api/v1/workflows/runs", {"limit": 5, "none": None}) == [{"id": "x"}]
    assert waits == [7.0, 1.0]


def test_a_vendor_that_stays_away_ends_the_import_clearly() -> None:
    waits: list[float] = []
    down = httpx.ConnectError("connection refused")
    http = _http([down, down, down], waits)
    with pytest.raises(VendorUnavailable, match=r"no usable answer .* after 3 tries.*ConnectError"):
        http.get("/api/v1/workflows/runs")
    assert waits == [0.5, 1.0]


def test_refusals_carry_the_vendors_message() -> None:
    refused = httpx.Response(401, json={"error": "Not authenticated", "error_type": "UNAUTHORIZED"})
    with pytest.raises(VendorRefused, match=r"Polos refused the key \(401: Not authenticated\)"):
        _http([refused], []).get("/x")
    with pytest.raises(VendorError, match=r"\(404: no such workflow\)") as found:
        _http([httpx.Response(404, json={"error": "no such workflow"})], []).get("/x")
    assert found.value.vendor_status == 404


def test_a_refused_run_is_named_by_its_ids_not_its_place_in_the_batch() -> None:
    records = [{"id": "a"}, {"id": "b", "tags": {"vendor_run_id": "wr_1"}}]
    assert _which("runs.1.input: not an object", records) == (
        "runyard refused run b (vendor id wr_1): input: not an object"
    )
    assert _which("too large", records) == "runyard refused a batch: too large"
