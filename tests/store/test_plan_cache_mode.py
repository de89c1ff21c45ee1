"""PostgreSQL plans reads for their own values and lets writes reuse cached plans,
whichever transactions a pooled connection served before (and however they ended)."""

from __future__ import annotations

import pytest

from runyard.store.database import Database


def _mode(db: Database, *, write: bool) -> str:
    with db.write() if write else db.read() as conn:
        return str(conn.exec_driver_sql("SHOW plan_cache_mode").scalar())


def test_reads_plan_per_value_and_writes_reuse_plans(database_url: str, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has no plan cache mode")
    db = Database.connect(database_url, pool_size=1)  # one connection serves every step
    try:
        assert _mode(db, write=False) == "force_custom_plan"
        assert _mode(db, write=True) == "auto"
        assert _mode(db, write=False) == "force_custom_plan"
        with pytest.raises(RuntimeError), db.write():
            raise RuntimeError("rolled back: the SET of this transaction is undone")
        assert _mode(db, write=True) == "auto"
        with pytest.raises(RuntimeError), db.read():
            raise RuntimeError("rolled back")
        assert _mode(db, write=False) == "force_custom_plan"
        assert _mode(db, write=False) == "force_custom_plan"
    finally:
        db.dispose()
