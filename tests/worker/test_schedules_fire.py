"""Three server processes over one database fire a schedule's tick exactly once."""

from __future__ import annotations

import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import httpx
from benchmarks.server import running_server
from sqlalchemy import update

from runyard.core.times import utcnow
from runyard.store.database import Database
from runyard.store.schema import schedules
from tests.conftest import ADMIN_KEY

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


def test_three_servers_fire_each_tick_once(db: Database, database_url: str, tmp_path: Path) -> None:
    with ExitStack() as stack:
        urls = [
            stack.enter_context(
                running_server(database_url, ADMIN_KEY, tmp_path / f"serve-{n}.log", "--no-worker")
            )
            for n in range(3)
        ]
        http = stack.enter_context(httpx.Client(base_url=urls[0], headers=AUTH))
        assert http.post("/api/v1/workflows", json={"name": "nightly"}).status_code == 201
        made = http.post(
            "/api/v1/workflows/nightly/schedules", json={"cron": "0 0 1 1 *", "input": {"k": 1}}
        )
        assert made.status_code == 201, made.text

        def runs() -> list[dict[str, object]]:
            page = http.get("/api/v1/runs", params={"workflow_id": "nightly"}).json()
            return list(page["items"])

        for tick in range(1, 4):
            with db.write() as conn:  # the next tick comes in a second
                conn.execute(update(schedules).values(next_fire_at=utcnow() + timedelta(seconds=1)))
            deadline = time.monotonic() + 20
            while len(runs()) < tick:
                assert time.monotonic() < deadline, f"tick {tick} never fired"
                time.sleep(0.1)
            time.sleep(2.5)  # every server has looked at least twice since
            assert len(runs()) == tick
        fired = runs()
        assert {(r["trigger_type"], r["triggered_by"]) for r in fired} == {
            ("scheduled", f"schedule:{made.json()['id']}")
        }
        assert all(r["input"] == {"k": 1} for r in fired)
