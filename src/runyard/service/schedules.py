"""Cron schedules: create, list, delete, and fire the due ones (each tick exactly once).

Every server and worker process fires due schedules from its housekeeping. A firing locks
the schedule row (skipping rows another process holds), creates the run with the
idempotency key ``schedule:<id>:<tick>`` and moves ``next_fire_at`` on, all in one
transaction; a process that looked at the same tick finds it moved and does nothing.
Ticks missed while nothing ran are not replayed: the latest one fires once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from pydantic import Field

from runyard.core.errors import InvalidInput, NotFound
from runyard.core.ids import new_id
from runyard.core.models import Role, Schedule
from runyard.core.times import Clock, as_utc
from runyard.service.access import Principal
from runyard.service.inputs import Strict, TriggerIn
from runyard.service.runs import RunService
from runyard.store import schedule_rows, workflow_rows
from runyard.store.database import Database


class ScheduleIn(Strict):
    cron: Annotated[str, Field(min_length=1, max_length=120)]
    timezone: Annotated[str, Field(min_length=1, max_length=64)] = "UTC"
    input: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


def next_tick(cron: str, timezone: str, after: datetime) -> datetime:
    """The first tick of ``cron`` (in ``timezone``) strictly after ``after``, in UTC."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput.field(("body", "timezone"), f"unknown time zone {timezone!r}") from None
    try:
        tick = next(CronSim(cron, after.astimezone(zone)))
    except CronSimError as exc:
        raise InvalidInput.field(("body", "cron"), f"{cron!r}: {exc}") from None
    except StopIteration:
        raise InvalidInput.field(("body", "cron"), f"{cron!r} never fires") from None
    return as_utc(tick)


class ScheduleService:
    def __init__(self, db: Database, clock: Clock, runs: RunService) -> None:
        self.db = db
        self.clock = clock
        self.runs = runs

    def create(self, principal: Principal, workflow_ref: str, body: ScheduleIn) -> Schedule:
        principal.require(Role.WRITE)
        now = self.clock()
        with self.db.write() as conn:
            workflow = workflow_rows.find_workflow(conn, principal.project_id, workflow_ref)
            if workflow is None:
                raise NotFound(f"workflow {workflow_ref!r} does not exist")
            schedule = Schedule(
                id=new_id(),
                project_id=principal.project_id,
                workflow_id=workflow.id,
                cron=body.cron,
                timezone=body.timezone,
                input=body.input,
                enabled=body.enabled,
                next_fire_at=next_tick(body.cron, body.timezone, now),
                created_at=now,
            )
            schedule_rows.insert(conn, schedule)
        return schedule

    def all(self, principal: Principal) -> list[Schedule]:
        with self.db.read() as conn:
            return schedule_rows.of_project(conn, principal.project_id)

    def delete(self, principal: Principal, schedule_id: str) -> None:
        principal.require(Role.WRITE)
        with self.db.write() as conn:
            if not schedule_rows.remove(conn, principal.project_id, schedule_id):
                raise NotFound(f"schedule {schedule_id} does not exist")

    def fire_due(self, batch: int = 100) -> int:
        """Fire every due schedule once; returns how many runs were created."""
        fired = 0
        with self.db.write() as conn:
            now = self.clock()
            for schedule in schedule_rows.due(conn, now, batch):
                tick = schedule.next_fire_at
                following = next_tick(schedule.cron, schedule.timezone, now)
                if not schedule_rows.advance(conn, schedule, tick, following):
                    continue
                owner = Principal(schedule.project_id, Role.ADMIN)
                body = TriggerIn.model_validate(
                    {
                        "input": schedule.input,
                        "trigger_type": "scheduled",
                        "triggered_by": f"schedule:{schedule.id}",
                    }
                )
                key = f"schedule:{schedule.id}:{tick.isoformat()}"
                try:
                    outcome = self.runs.create_in(conn, owner, schedule.workflow_id, body, key)
                except (InvalidInput, NotFound):
                    continue  # the workflow was deleted, or its parameters changed
                if isinstance(outcome, tuple) and outcome[1]:
                    fired += 1
        return fired
