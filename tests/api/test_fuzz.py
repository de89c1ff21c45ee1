"""Property-based fuzzing of the whole HTTP surface from its OpenAPI documents.

schemathesis generates requests for every operation of the native API and of each vendor
dialect (its own document at ``/compat/<vendor>/openapi.json``) from the documents
themselves, valid ones and invalid ones, and sends them to a live ``runyard serve``
holding the dialect corpus. No response may be a 5xx, and each must conform to its
document: a documented status, a documented content type, a body matching its schema.

``RUNYARD_FUZZ_EXAMPLES`` sets the examples per operation (CI: the default below).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from benchmarks.server import running_server
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from runyard.api import dialects
from runyard.api.app import create_app
from runyard.config import Settings
from tests.api.dialect_corpus import WORKFLOWS, base_time, runs
from tests.conftest import ADMIN_KEY

EXAMPLES = int(os.environ.get("RUNYARD_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _documents() -> dict[str, dict[str, Any]]:
    """Each API's OpenAPI document, by the path prefix it is served under, as the
    application builds it (the live server below runs the same code)."""
    never_opened = Path(tempfile.mkdtemp()) / "unused.db"  # documents need no database
    app = create_app(Settings(database_url=f"sqlite:///{never_opened}"))
    found = {"": app.openapi()}
    for vendor, build in dialects.DIALECTS.items():
        found[vendor] = build().openapi()
    return found


DOCUMENTS = _documents()
native = schemathesis.openapi.from_dict(DOCUMENTS[""])


class Served:
    """A live server holding the dialect corpus, and the headers every vendor's client
    would send (each dialect reads its own)."""

    def __init__(self, url: str) -> None:
        self.url = url
        http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        for body in WORKFLOWS:
            assert http.post("/api/v1/workflows", json=body).status_code == 201
        imported = http.post("/api/v1/runs/import", json={"runs": runs(base_time())})
        assert imported.status_code == 200, imported.text
        project = http.get("/api/v1/projects").json()["items"][0]["id"]
        http.close()
        self.headers = {
            "Authorization": f"Bearer {ADMIN_KEY}",
            "X-API-Key": ADMIN_KEY,
            "cc-key": ADMIN_KEY,
            "X-Project-ID": project,
        }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the module, on SQLite (the store's own tests cover both databases;
    this one looks for what the HTTP layer lets through)."""
    folder: Path = tmp_path_factory.mktemp("fuzz")
    with running_server(f"sqlite:///{folder / 'fuzz.db'}", ADMIN_KEY, folder / "serve.log") as url:
        yield Served(url)
    log = (folder / "serve.log").read_text()
    assert "Traceback" not in log, log[-4000:]


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@native.parametrize()
@FUZZ
def test_native_api(case: Any, served: Served) -> None:
    case.call_and_validate(base_url=served.url, headers=served.headers, checks=CHECKS)


def _dialect_test(vendor: str) -> Any:
    schema = schemathesis.openapi.from_dict(DOCUMENTS[vendor])

    @schema.parametrize()
    @FUZZ
    def test(case: Any, served: Served) -> None:
        base_url = f"{served.url}/compat/{vendor}"
        case.call_and_validate(base_url=base_url, headers=served.headers, checks=CHECKS)

    return test


test_polos = _dialect_test("polos")
test_b3os = _dialect_test("b3os")
test_skyvern = _dialect_test("skyvern")
test_cloudcruise = _dialect_test("cloudcruise")
test_noxus = _dialect_test("noxus")
