"""The migration lineage on both databases: up from nothing, down to nothing, up again.

After ``upgrade`` the database must be exactly ``runyard.store.schema.metadata`` as
alembic's autogenerate comparison sees it. The only objects the declared schema cannot
hold are the search index's, created by raw DDL: SQLite's FTS5 table ``run_search``
with its FTS5 shadow tables ``run_search_{data,idx,config,docsize,content}`` (reported
as ``remove_table``), and PostgreSQL's GIN index ``ix_runs_search_trgm`` on ``runs``
(reported as ``remove_index``). Exactly those are set aside, and they must be there.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from runyard.store import migrate, schema
from runyard.store.database import Database
from runyard.store.schema import metadata

ALEMBIC_OBJECTS = {"alembic_version", "alembic_version_pkc", "sqlite_autoindex_alembic_version_1"}
SQLITE_FTS_TABLE = "run_search"
# The shadow tables FTS5 keeps beside a virtual table (sqlite.org/fts5.html, "shadow tables").
SQLITE_FTS_OBJECTS = {SQLITE_FTS_TABLE} | {
    f"{SQLITE_FTS_TABLE}_{suffix}" for suffix in ("data", "idx", "config", "docsize", "content")
}
PG_TRGM_INDEX = "ix_runs_search_trgm"
WRITES = re.compile(r"^\s*(CREATE|DROP|ALTER|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@pytest.fixture
def empty_db(empty_database_url: str) -> Iterator[Database]:
    db = Database.connect(empty_database_url, pool_size=1)
    yield db
    db.dispose()


def _search_object(diff: Any, dialect: str) -> str | None:
    """The name of the search-index object this diff reports, or None if it is another."""
    if not isinstance(diff, tuple):  # a list groups the modify_* diffs of one column
        return None
    kind, obj = diff[0], diff[1]
    if dialect == "sqlite" and kind == "remove_table" and obj.name in SQLITE_FTS_OBJECTS:
        return str(obj.name)
    if (
        dialect == "postgresql"
        and kind == "remove_index"
        and obj.name == PG_TRGM_INDEX
        and obj.table.name == "runs"
    ):
        return str(obj.name)
    return None


def _compare(engine: Engine) -> tuple[list[Any], set[str]]:
    """(every difference but the search index's, the search-index objects found)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diffs = compare_metadata(context, metadata)
    dialect = engine.dialect.name
    search = {n for d in diffs if (n := _search_object(d, dialect)) is not None}
    rest = [d for d in diffs if _search_object(d, dialect) is None]
    return rest, search


def _assert_exact_schema(engine: Engine) -> None:
    rest, search = _compare(engine)
    assert rest == []
    if engine.dialect.name == "sqlite":
        assert SQLITE_FTS_TABLE in search
        with engine.connect() as conn:
            ddl = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": SQLITE_FTS_TABLE}
            ).scalar_one()
        assert "fts5" in ddl.lower()
        assert "trigram" in ddl
    else:
        assert search == {PG_TRGM_INDEX}
        with engine.connect() as conn:
            indexdef = conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": PG_TRGM_INDEX}
            ).scalar_one()
        assert "USING gin" in indexdef
        assert "gin_trgm_ops" in indexdef


def _relations(conn: Connection) -> set[str]:
    """Every table, index, view, trigger or sequence in the database."""
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("SELECT name FROM sqlite_master"))
    else:
        rows = conn.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema()"
            )
        )
    return set(rows.scalars())


def _snapshot(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        insp = inspect(conn)
        tables = sorted(insp.get_table_names())
        return {
            "relations": _relations(conn),
            "tables": {
                t: (
                    [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(t)],
                    sorted(
                        (i["name"] or "", tuple(i["column_names"])) for i in insp.get_indexes(t)
                    ),
                    insp.get_pk_constraint(t),
                    sorted(str(fk) for fk in insp.get_foreign_keys(t)),
                )
                for t in tables
            },
        }


def _add_project(db: Database, name: str) -> None:
    with db.write() as conn:
        conn.execute(
            insert(schema.projects).values(
                id=f"00000000-0000-4000-8000-{len(name):012d}",
                name=name,
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )


def _project_names(db: Database) -> list[str]:
    with db.read() as conn:
        return list(conn.execute(select(schema.projects.c.name)).scalars())


# -- the lineage ----------------------------------------------------------------------------


def test_the_lineage_is_linear_with_one_head() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    heads = scripts.get_heads()
    assert heads == [migrate.head_revision()]
    bases = scripts.get_bases()
    assert len(bases) == 1
    chain = list(scripts.walk_revisions())
    assert chain[0].revision == heads[0]
    assert chain[-1].revision == bases[0]
    assert chain[-1].down_revision is None
    for newer, older in itertools.pairwise(chain):
        assert newer.down_revision == older.revision


# -- both databases -------------------------------------------------------------------------


def test_upgrade_from_nothing_builds_exactly_the_declared_schema(empty_db: Database) -> None:
    with empty_db.engine.connect() as conn:
        assert _relations(conn) == set()
    assert migrate.current_revision(empty_db.engine) is None

    empty_db.upgrade()

    assert migrate.current_revision(empty_db.engine) == migrate.head_revision()
    with empty_db.engine.connect() as conn:
        assert set(metadata.tables) <= set(inspect(conn).get_table_names())
    _assert_exact_schema(empty_db.engine)


def test_downgrade_to_base_leaves_no_runyard_object_and_upgrade_works_again(
    empty_db: Database,
) -> None:
    empty_db.upgrade()
    _add_project(empty_db, "before-downgrade")

    migrate.downgrade(empty_db.engine, "base")

    with empty_db.engine.connect() as conn:
        left = _relations(conn)
        assert left - ALEMBIC_OBJECTS == set()
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    assert migrate.current_revision(empty_db.engine) is None

    empty_db.upgrade()

    assert migrate.current_revision(empty_db.engine) == migrate.head_revision()
    _assert_exact_schema(empty_db.engine)
    # The rebuilt schema is empty and usable.
    assert _project_names(empty_db) == []
    _add_project(empty_db, "after-upgrade")
    assert _project_names(empty_db) == ["after-upgrade"]


def test_upgrade_at_head_is_a_no_op(empty_db: Database) -> None:
    empty_db.upgrade()
    _add_project(empty_db, "kept")
    before = _snapshot(empty_db.engine)

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(empty_db.engine, "before_cursor_execute", record)
    try:
        empty_db.upgrade()
        migrate.upgrade(empty_db.engine, migrate.head_revision() or "head")
    finally:
        event.remove(empty_db.engine, "before_cursor_execute", record)

    assert statements  # it did look at the database ...
    assert [s for s in statements if WRITES.match(s)] == []  # ... and changed nothing
    assert _snapshot(empty_db.engine) == before
    assert _project_names(empty_db) == ["kept"]
    assert migrate.current_revision(empty_db.engine) == migrate.head_revision()


def test_current_revision_follows_upgrade_and_downgrade(empty_db: Database) -> None:
    head = migrate.head_revision()
    assert head is not None
    assert migrate.current_revision(empty_db.engine) is None
    migrate.upgrade(empty_db.engine, head)
    assert migrate.current_revision(empty_db.engine) == head
    migrate.downgrade(empty_db.engine, "base")
    assert migrate.current_revision(empty_db.engine) is None
    migrate.upgrade(empty_db.engine)
    assert migrate.current_revision(empty_db.engine) == head


# -- SQLite connection settings ---------------------------------------------------------------

EXPECTED_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15000,
    "synchronous": 2,
}


def _pragmas(conn: Connection) -> dict[str, Any]:
    return {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in EXPECTED_PRAGMAS}


def test_sqlite_connections_have_their_pragmas(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'pragmas.db'}", pool_size=2)
    try:
        db.upgrade()
        # Several connections open at once (pool and overflow): each one is configured.
        with db.engine.connect() as a, db.engine.connect() as b, db.engine.connect() as c:
            for conn in (a, b, c):
                assert _pragmas(conn) == EXPECTED_PRAGMAS
        with db.read() as conn:
            assert _pragmas(conn) == EXPECTED_PRAGMAS
        with db.write() as conn:
            assert _pragmas(conn) == EXPECTED_PRAGMAS
    finally:
        db.dispose()


def test_sqlite_enforces_foreign_keys(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'fk.db'}", pool_size=1)
    try:
        db.upgrade()
        with pytest.raises(IntegrityError, match="FOREIGN KEY"), db.write() as conn:
            conn.execute(
                insert(schema.api_keys).values(
                    id="k1",
                    project_id="no-such-project",
                    name="k",
                    role="read",
                    server_admin=False,
                    key_hash="0" * 64,
                    prefix="ry_",
                    created_at=datetime(2026, 1, 1, tzinfo=UTC),
                )
            )
    finally:
        db.dispose()
