"""An upkeep thread whose database is away (restarting, say) says so in one line of
warning per pass and carries on; a traceback in the log would read as a bug."""

from __future__ import annotations

import logging
import time

import pytest

from runyard.store.backends.postgres_maintenance import Maintenance
from runyard.store.engine import make_engine


def test_an_upkeep_pass_without_its_database_logs_one_line_and_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:9/runyard_nowhere", pool_size=1)
    upkeep = Maintenance(engine, interval=0.05)
    with caplog.at_level(logging.WARNING, logger="runyard.store"):
        upkeep.start()
        deadline = time.monotonic() + 10
        while len(caplog.records) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        upkeep.stop()
    engine.dispose()
    assert len(caplog.records) >= 2, "the thread stopped after its first failed pass"
    for record in caplog.records:
        assert record.levelno == logging.WARNING
        assert record.exc_info is None
        assert record.getMessage().startswith("pg-maintenance: the database is unavailable")
