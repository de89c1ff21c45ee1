"""A dashboard over a fresh database: a browser-like client that signs in with a key."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from runyard.api.app import create_app
from runyard.config import Settings
from runyard.store.database import Database
from tests.api.conftest import Api, make_workflow
from tests.conftest import ADMIN_KEY

ORIGIN = "http://testserver"


class Browser:
    """A cookie-keeping client that submits forms as a browser would."""

    def __init__(self, app: Any) -> None:
        self.client = TestClient(app, base_url=ORIGIN, follow_redirects=False)

    def sign_in(self, key: str) -> None:
        answer = self.form("/ui/login", {"key": key, "next": "/"}, csrf=False)
        assert answer.status_code == 303, answer.text

    def page(self, path: str, expect: int = 200) -> str:
        answer = self.client.get(path)
        assert answer.status_code == expect, (answer.status_code, answer.text[:500])
        return answer.text

    def csrf(self, path: str = "/ui/workflows") -> str:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', self.page(path))
        assert found, "no CSRF token on the page"
        return found.group(1)

    def form(self, path: str, fields: dict[str, str], *, csrf: bool = True, **kw: Any) -> Any:
        data = {**fields, **({"csrf": self.csrf()} if csrf else {})}
        return self.client.post(path, data=data, **kw)


def import_runs(api: Api, workflow: str, runs: list[dict[str, Any]]) -> list[str]:
    for run in runs:
        run.setdefault("id", str(uuid.uuid4()))
        run.setdefault("workflow_id", workflow)
    api.post("/api/v1/runs/import", {"runs": runs}, expect=200)
    return [r["id"] for r in runs]


@pytest.fixture
def app(database_url: str) -> Iterator[Any]:
    db = Database.connect(database_url, pool_size=4)
    application = create_app(Settings(database_url=database_url, bootstrap_api_key=ADMIN_KEY), db)
    with TestClient(application):  # runs the start-up (migrations, default project)
        yield application
    db.dispose()


@pytest.fixture
def admin_api(app: Any) -> Api:
    return Api(TestClient(app), {"Authorization": f"Bearer {ADMIN_KEY}"})


@pytest.fixture
def browser(app: Any) -> Browser:
    return Browser(app)


@pytest.fixture
def invoice(admin_api: Api) -> dict[str, Any]:
    return make_workflow(admin_api)
