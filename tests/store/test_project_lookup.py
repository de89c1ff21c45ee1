"""Finding a project by name or id for the processes a server runs, on both databases: a
reference that is neither answers None, never a database error (PostgreSQL's ids are UUIDs)."""

from __future__ import annotations

from runyard.core.times import utcnow
from runyard.service.projects import ProjectService
from runyard.store.database import Database


def test_a_project_is_found_by_name_or_id_and_nothing_else(db: Database) -> None:
    projects = ProjectService(db, utcnow)
    default = projects.bootstrap(None)
    assert projects.find("default") == default
    assert projects.find(default.id) == default
    assert projects.find(default.id.upper()) == default  # any spelling of the UUID
    assert projects.find("no-such-project") is None
    assert projects.find("00000000-0000-4000-8000-000000000000") is None
