"""How the CLI reaches runyard: a server over HTTP, or a database in-process.

Both go through the same native API (in-process it is the same ASGI app, acting as
the server admin on the chosen project), so validation, errors and output are the
same whichever way the CLI is pointed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from runyard.api.app import create_app, prepare
from runyard.api.services import get_principal
from runyard.config import Settings
from runyard.core.models import Role
from runyard.service.access import Principal
from runyard.store import tenancy
from runyard.store.database import Database


class ApiError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _check(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            body = response.json()
            detail = body.get("detail") or body.get("title") or response.text
        except ValueError:
            detail = response.text
        raise ApiError(response.status_code, f"{response.status_code}: {detail}")
    if response.status_code == 204 or not response.content:
        return None
    return response.json()


class ApiClient:
    """``request`` returns the decoded JSON body or raises ``ApiError``."""

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class RemoteClient(ApiClient):
    def __init__(
        self, url: str, api_key: str | None, project: str | None, timeout: float = 60
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        if project:
            headers["X-Project-ID"] = project
        self.http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return _check(self.http.request(method, path, **kwargs))
        except httpx.TransportError as exc:
            raise ApiError(0, f"cannot reach {self.http.base_url}: {exc}") from None

    def close(self) -> None:
        self.http.close()


class LocalClient(ApiClient):
    """The API served in-process on a database URL, as the server admin."""

    def __init__(self, database_url: str, project: str | None) -> None:
        settings = Settings.from_env(database_url=database_url)
        self.db = Database.connect(database_url, pool_size=2)
        app = create_app(settings, self.db)
        try:
            app.state.services = prepare(settings, self.db)
            principal = self._principal(project)
        except BaseException:
            self.db.dispose()
            raise
        app.dependency_overrides[get_principal] = lambda: principal
        self.loop = asyncio.new_event_loop()
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://runyard.local"
        )

    def _principal(self, project: str | None) -> Principal:
        with self.db.read() as conn:
            found = tenancy.project_by_name(conn, project or "default")
            if found is None and project:
                found = tenancy.project_by_id(conn, project)
        if found is None:
            raise ApiError(404, f"project {project!r} does not exist")
        return Principal(found.id, Role.ADMIN, server_admin=True)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return _check(self.loop.run_until_complete(self.http.request(method, path, **kwargs)))

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()
        self.db.dispose()


def connect(
    url: str | None, api_key: str | None, database_url: str, project: str | None
) -> ApiClient:
    if url:
        return RemoteClient(url, api_key, project)
    return LocalClient(database_url, project)
