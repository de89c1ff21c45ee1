"""A thread that folds the run-count deltas every two seconds, and vacuums and
analyzes the run tables when bulk writes make it due.

Index-only scans (how pages, counts and offsets read the run indexes) need the
visibility map that VACUUM maintains, and plans need fresh statistics. PostgreSQL's
autovacuum does both when it is on; runyard does not count on it (it is off on some
servers, and slow to react after a bulk import). The rule is autovacuum's own: past
a share of rows inserted or changed since the last pass. VACUUM never blocks reads or
writes; a pass that finds the table busy with another VACUUM skips it.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from runyard.store import migrate
from runyard.store.upkeep import Upkeep

log = logging.getLogger("runyard.store")

TABLES = (
    "runs",
    "steps",
    "run_error_codes",
    "run_tags",
    "run_counts",
    "run_day_counts",
    "run_count_deltas",
)
# Autovacuum's rules, made eager enough for bulk imports: statistics are refreshed past
# 20 % of rows changed since the last ANALYZE; VACUUM (for the visibility map, and the
# dead rows of updates) runs past 50 % inserted or changed, since during a bulk load it
# competes with the load for the disk.
ANALYZE_SHARE = 0.2
VACUUM_SHARE = 0.5
FLOOR = 10_000
# ...but after this many rows at most, however big the table: the newest rows are the
# ones pages and counts read most, and an index-only scan reads the table too for rows
# not yet marked all-visible (a count of the last 7 days at 10M runs, with 2M rows
# unvacuumed, took 172 ms at p50). A pass visits only pages not yet all-visible.
VACUUM_CAP = 200_000
DUE_QUERY = """
SELECT relname,
       n_ins_since_vacuum + n_dead_tup
           > least(%(vacuum)s * greatest(n_live_tup, %(floor)s), %(cap)s),
       n_mod_since_analyze > %(analyze)s * greatest(n_live_tup, %(floor)s)
FROM pg_stat_user_tables WHERE relname = ANY(%(tables)s)
"""

# The run-count deltas the triggers append (migrations 0006, 0008), added into the
# counts per workflow and status and into those per day, in one statement.
FOLD = """
WITH moved AS (
  DELETE FROM run_count_deltas RETURNING project_id, workflow_id, status, day, n
), totals AS (
  INSERT INTO run_counts AS c (project_id, workflow_id, status, n)
  SELECT project_id, workflow_id, status, sum(n) FROM moved
  GROUP BY project_id, workflow_id, status ORDER BY project_id, workflow_id, status
  ON CONFLICT (project_id, workflow_id, status) DO UPDATE SET n = c.n + excluded.n
)
INSERT INTO run_day_counts AS c (project_id, day, workflow_id, status, n)
SELECT project_id, day, workflow_id, status, sum(n) FROM moved
GROUP BY project_id, day, workflow_id, status ORDER BY project_id, day, workflow_id, status
ON CONFLICT (project_id, day, workflow_id, status) DO UPDATE SET n = c.n + excluded.n
"""


class Maintenance(Upkeep):
    name = "pg-maintenance"

    def __init__(self, engine: Engine, interval: float = 2.0, vacuum_cap: int = VACUUM_CAP) -> None:
        super().__init__(engine, interval)
        self.vacuum_cap = vacuum_cap
        self._schema_current = False

    def schema_current(self) -> bool:
        """Whether the database is at this version's newest migration. Until it is (a
        migration running, here or in another process) the fold would name tables and
        columns not there yet: passes wait, quietly."""
        if not self._schema_current:
            head = migrate.head_revision()  # read here: the migrations import this module
            self._schema_current = migrate.current_revision(self.engine) == head
        return self._schema_current

    def run_once(self) -> list[str]:
        """Fold the run-count deltas; vacuum and/or analyze each run table that is due;
        returns the names of the tables vacuumed or analyzed (none while the schema is
        not current)."""
        if not self.schema_current():
            return []
        # VACUUM cannot run inside a transaction. The isolation level is SQLAlchemy's to
        # set, so that it resets it when the connection goes back to the pool: a pooled
        # connection left in autocommit would make later transactions commit statement
        # by statement.
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(FOLD)  # one statement: readers see before or after
            params = {
                "tables": list(TABLES),
                "vacuum": VACUUM_SHARE,
                "cap": self.vacuum_cap,
                "analyze": ANALYZE_SHARE,
                "floor": FLOOR,
            }
            due = list(conn.exec_driver_sql(DUE_QUERY, params))
            conn.exec_driver_sql("SET lock_timeout = '1s'")
            done = []
            for table, vacuum, analyze in due:
                if not (vacuum or analyze):
                    continue
                command = "VACUUM (ANALYZE, SKIP_LOCKED)" if vacuum else "ANALYZE (SKIP_LOCKED)"
                try:
                    conn.exec_driver_sql(f"{command} {table}")
                    done.append(table)
                except Exception:  # busy: the next pass tries again
                    log.warning("%s %s skipped", command, table, exc_info=True)
            conn.exec_driver_sql("RESET lock_timeout")
            return done
