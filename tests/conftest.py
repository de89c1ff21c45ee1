"""Fixtures shared by every tier.

Store and API tests run once per database: ``sqlite`` always, ``postgres`` when a server
is reachable at ``RUNYARD_TEST_PG`` (default: postgresql://postgres@127.0.0.1:5432/test).
Without one they are skipped with the reason shown, except in CI (``CI=true``), where a
missing PostgreSQL is an error. Each test gets a database of its own: a copy of a
migrated template, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from runyard.store.database import Database

PG_ADMIN_URL = os.environ.get("RUNYARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
ADMIN_KEY = "ry_test_server_admin_key"


def _pg_reason() -> str | None:
    try:
        engine = create_engine(make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg"))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    return None


class PgTemplates:
    """A migrated template database; each test clones it (CREATE DATABASE ... TEMPLATE)."""

    def __init__(self) -> None:
        self.admin = create_engine(
            make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg"),
            isolation_level="AUTOCOMMIT",
            pool_pre_ping=True,  # a test restarts PostgreSQL (tests/reliability)
        )
        self.template = f"runyard_tpl_{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []
        self._exec(f'CREATE DATABASE "{self.template}"')
        db = Database.connect(self.url(self.template), pool_size=1)
        db.upgrade()
        db.dispose()

    def _exec(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def url(self, name: str) -> str:
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def fresh(self, migrated: bool = True) -> str:
        name = f"runyard_t_{uuid.uuid4().hex[:10]}"
        template = f' TEMPLATE "{self.template}"' if migrated else ""
        self._exec(f'CREATE DATABASE "{name}"{template}')
        self.created.append(name)
        return self.url(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for name in [*self.created, self.template]:
            self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_templates() -> Iterator[PgTemplates | None]:
    reason = _pg_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"CI requires PostgreSQL: {reason}")
        yield None
        return
    templates = PgTemplates()
    yield templates
    templates.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    db = Database.connect(f"sqlite:///{path}", pool_size=1)
    db.upgrade()
    db.dispose()
    return path


def _database_url(
    backend: str, tmp_path: Path, sqlite_template: Path, pg: PgTemplates | None, migrated: bool
) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path / "runyard.db"
        if migrated:
            shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if pg is None:
        pytest.skip(_pg_reason() or "PostgreSQL unavailable")
    url = pg.fresh(migrated)
    yield url
    pg.drop(url)


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(
    backend: str, tmp_path: Path, sqlite_template: Path, pg_templates: PgTemplates | None
) -> Iterator[str]:
    """A migrated, empty database of its own for this test."""
    yield from _database_url(backend, tmp_path, sqlite_template, pg_templates, migrated=True)


@pytest.fixture
def empty_database_url(
    backend: str, tmp_path: Path, sqlite_template: Path, pg_templates: PgTemplates | None
) -> Iterator[str]:
    """A database with no schema at all (for migration tests)."""
    yield from _database_url(backend, tmp_path, sqlite_template, pg_templates, migrated=False)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.connect(database_url, pool_size=4)
    yield database
    database.dispose()
