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
from tests.api.conftest import introspected_app
from tests.api.dialect_corpus import WORKFLOWS, base_time, run_id, runs
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
    found = {"": introspected_app().openapi()}
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


# Requests whose answers hold data (generated ones mostly miss the corpus' ids): each
# answer must match its operation in the document. (api, method, documented path, path)
KNOWN = [
    ("", "GET", "/api/v1/runs", "/api/v1/runs?limit=50"),
    ("", "GET", "/api/v1/runs/{run_id}", f"/api/v1/runs/{run_id(2)}"),
    ("", "GET", "/api/v1/runs/count", "/api/v1/runs/count?status=failed"),
    ("", "GET", "/api/v1/runs/stats", "/api/v1/runs/stats?bucket=1d"),
    ("", "GET", "/api/v1/workflows", "/api/v1/workflows"),
    ("", "GET", "/api/v1/workflows/{id_or_name}", "/api/v1/workflows/invoice-agent"),
    ("", "GET", "/api/v1/projects", "/api/v1/projects"),
    ("", "GET", "/api/v1/api-keys", "/api/v1/api-keys"),
    ("", "POST", "/api/v1/runs/{run_id}/cancel", f"/api/v1/runs/{run_id(5)}/cancel"),
    ("", "POST", "/api/v1/workflows/{id_or_name}/webhooks", "/api/v1/workflows/lookup/webhooks"),
    ("", "GET", "/api/v1/webhooks", "/api/v1/webhooks"),
    ("", "GET", "/healthz", "/healthz"),
    ("polos", "GET", "/api/v1/workflows/runs", "/api/v1/workflows/runs"),
    ("polos", "GET", "/api/v1/executions/{execution_id}", f"/api/v1/executions/{run_id(3)}"),
    ("b3os", "GET", "/v1/workflows/{workflow_id}/runs", "/v1/workflows/invoice-agent/runs"),
    ("skyvern", "GET", "/v1/workflows/runs", "/v1/workflows/runs?page_size=20"),
    ("skyvern", "GET", "/v1/workflows/{workflow_id}/runs", "/v1/workflows/crm-sync/runs"),
    ("skyvern", "GET", "/v1/runs/{run_id}", f"/v1/runs/{run_id(2)}"),
    ("cloudcruise", "GET", "/runs", "/runs"),
    ("cloudcruise", "GET", "/run/{session_id}", f"/run/{run_id(12)}"),
    ("cloudcruise", "POST", "/run/{session_id}/interrupt", f"/run/{run_id(4)}/interrupt"),
    ("noxus", "GET", "/v1/runs", "/v1/runs"),
    (
        "noxus",
        "GET",
        "/v1/workflows/{workflow_id}/runs/{run_id}",
        f"/v1/workflows/invoice-agent/runs/{run_id(1)}",
    ),
    ("noxus", "POST", "/v1/runs/{run_id}/stop", f"/v1/runs/{run_id(7)}/stop"),
]


def test_answers_with_data_conform_to_the_documents(served: Served) -> None:
    """Runs first in this module: the fuzzing below may cancel or prune the corpus."""
    http = httpx.Client(base_url=served.url, headers=served.headers)
    for api, method, documented, path in KNOWN:
        prefix = f"/compat/{api}" if api else ""
        response = http.request(method, prefix + path)
        assert response.status_code < 300, (path, response.text)
        assert response.content not in (b"[]", b"{}"), path
        operation = schemathesis.openapi.from_dict(DOCUMENTS[api])[documented][method]
        operation.validate_response(response)
    http.close()


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
