"""A thread that vacuums and analyzes the run tables when bulk writes make it due.

Index-only scans (how pages, counts and offsets read the run indexes) need the
visibility map that VACUUM maintains, and plans need fresh statistics. PostgreSQL's
autovacuum does both when it is on; runyard does not count on it (it is off on some
servers, and slow to react after a bulk import). The rule is autovacuum's own: past
a share of rows inserted or changed since the last pass. VACUUM never blocks reads or
writes; a pass that finds the table busy with another VACUUM skips it.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine

from runyard.store.upkeep import Upkeep

log = logging.getLogger("runyard.store")

TABLES = ("runs", "steps", "run_error_codes", "run_tags")
# A pass is due past this share of a table's rows inserted or changed since the last.
DUE_SHARE = 0.2
DUE_QUERY = """
SELECT relname FROM pg_stat_user_tables
WHERE relname = ANY(%(tables)s)
  AND n_ins_since_vacuum + n_dead_tup > %(share)s * greatest(n_live_tup, 10000)
"""


class Maintenance(Upkeep):
    name = "pg-maintenance"

    def __init__(self, engine: Engine, interval: float = 15.0) -> None:
        super().__init__(engine, interval)

    def run_once(self) -> list[str]:
        """Vacuum (and analyze) each run table that is due; returns their names."""
        connection: Any = self.engine.raw_connection()
        try:
            driver = connection.driver_connection
            driver.autocommit = True  # VACUUM cannot run inside a transaction
            due = [row[0] for row in driver.execute(
                DUE_QUERY, {"tables": list(TABLES), "share": DUE_SHARE}
            )]  # fmt: skip
            driver.execute("SET lock_timeout = '1s'")
            done = []
            for table in due:
                try:
                    driver.execute(f"VACUUM (ANALYZE, SKIP_LOCKED) {table}")
                    done.append(table)
                except Exception:  # busy: the next pass tries again
                    log.warning("VACUUM %s skipped", table, exc_info=True)
            driver.execute("RESET lock_timeout")
            return done
        finally:
            connection.close()
