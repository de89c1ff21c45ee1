"""An app over a fresh database, and clients holding keys of different projects/roles."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from runyard.api.app import create_app
from runyard.config import Settings
from runyard.store.database import Database
from tests.conftest import ADMIN_KEY, _database_url


@dataclass
class Api:
    """A test client with helpers that assert the status they expect."""

    client: TestClient
    headers: dict[str, str]

    def call(self, method: str, path: str, expect: int | None = None, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = self.client.request(method, path, headers=headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.text)
        if not response.content:
            return None
        if response.headers.get("content-type", "").startswith(
            ("application/json", "application/problem")
        ):
            return response.json()
        return response.text

    def get(self, path: str, expect: int | None = 200, **kwargs: Any) -> Any:
        return self.call("GET", path, expect, **kwargs)

    def post(self, path: str, json: Any = None, expect: int | None = None, **kwargs: Any) -> Any:
        return self.call("POST", path, expect, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, expect: int | None = 200, **kwargs: Any) -> Any:
        return self.call("PATCH", path, expect, json=json, **kwargs)

    def delete(self, path: str, expect: int | None = None, **kwargs: Any) -> Any:
        return self.call("DELETE", path, expect, **kwargs)

    def as_key(self, key: str, project_id: str | None = None) -> Api:
        headers = {"Authorization": f"Bearer {key}"}
        if project_id:
            headers["X-Project-ID"] = project_id
        return Api(self.client, headers)

    def new_project(self, name: str, role: str = "admin") -> tuple[Api, str]:
        """A project and a client holding a key of ``role`` for it."""
        project = self.post("/api/v1/projects", {"name": name}, expect=201)
        key = self.post(
            f"/api/v1/projects/{project['id']}/api-keys", {"name": "t", "role": role}, expect=201
        )
        return self.as_key(key["key"]), project["id"]


def introspected_app() -> FastAPI:
    """The application as it is served, to read its routes and documents (which need no
    database: the one it is given is closed at once)."""
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'unused.db'}"
    db = Database.connect(url, pool_size=1)
    db.dispose()
    return create_app(Settings(database_url=url), db)


@contextmanager
def corpus_per_module(request: pytest.FixtureRequest) -> Iterator[tuple[Api, dict[str, Any]]]:
    """An app holding the dialect corpus for a whole test module, on the database
    ``request.param`` names (the module's fixture is parametrized by ``BACKENDS``):
    (the native admin client, the corpus' workflows by name)."""
    from tests.api.dialect_corpus import load  # the corpus builds on this module's Api

    folder = request.getfixturevalue("tmp_path_factory").mktemp("corpus")
    sqlite_template = request.getfixturevalue("sqlite_template")
    pg_templates = request.getfixturevalue("pg_templates")
    for url in _database_url(str(request.param), folder, sqlite_template, pg_templates, True):
        db = Database.connect(url, pool_size=4)
        app = create_app(Settings(database_url=url, bootstrap_api_key=ADMIN_KEY), db)
        with TestClient(app) as client:
            admin = Api(client, {"Authorization": f"Bearer {ADMIN_KEY}"})
            yield admin, load(admin)[1]
        db.dispose()


@pytest.fixture
def app_client(database_url: str) -> Iterator[TestClient]:
    db = Database.connect(database_url, pool_size=4)
    app = create_app(Settings(database_url=database_url, bootstrap_api_key=ADMIN_KEY), db)
    with TestClient(app) as client:
        yield client
    db.dispose()


@pytest.fixture
def admin(app_client: TestClient) -> Api:
    """The server-admin (bootstrap) key, acting on the ``default`` project."""
    return Api(app_client, {"Authorization": f"Bearer {ADMIN_KEY}"})


def make_workflow(api: Api, name: str = "invoice-agent", **fields: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "type": "agent",
        "parameters": [
            {"key": "customer_id", "description": "Customer to collect invoices for"},
            {"key": "portal_url", "description": "Supplier portal login page"},
        ],
        **fields,
    }
    return api.post("/api/v1/workflows", body)  # type: ignore[no-any-return]
