"""What a workflow prints and logs is its run's log, over both transports and on both
databases: every line, in order, with its level and step, by the time the run ends."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from runyard.core.models import Role
from runyard.core.times import utcnow
from runyard.service.access import Principal
from runyard.service.housekeeping import Housekeeper
from runyard.service.inputs import TriggerIn
from runyard.service.projects import ProjectService
from runyard.service.run_logs import LogService
from runyard.service.runs import RunService
from runyard.service.services import Services
from runyard.store.database import Database
from runyard.worker import App, Context, WorkflowError, workflow
from runyard.worker.runner import Worker
from tests.worker.conftest import Transports

log = logging.getLogger("flows.chatty")


def work(n: int) -> int:
    print("in the step")
    print("two\nlines", end="")
    print()
    log.warning("a warning from the step")
    return n * 2


@workflow()
def chatty(ctx: Context, n: int = 1) -> int:
    print("starting")
    doubled = int(ctx.step("work", work, n))
    print("finished with", doubled, file=sys.stderr)
    return doubled


def boom() -> None:
    print("about to fail")
    try:
        raise ValueError("bad value")
    except ValueError:
        log.exception("caught it")
    raise WorkflowError("it failed", "BOOM", retryable=False)


@workflow()
def failing(ctx: Context) -> None:
    ctx.step("boom", boom)


@workflow()
def napping(ctx: Context) -> str:
    print("before the nap")
    ctx.step("prepare", lambda: print("preparing"))
    print("going to sleep")
    ctx.sleep(0.2)  # the run resumes later, replaying the step and the prints before it
    print("after the nap")
    return "rested"


@workflow()
def loud(ctx: Context, lines: int) -> int:
    for n in range(lines):
        print(f"line {n}")
    return lines


APP = App(chatty, failing, napping, loud)


@pytest.fixture
def worker(db: Database, transports: Transports) -> Iterator[tuple[Principal, Worker]]:
    project = ProjectService(db, utcnow).bootstrap(None)
    housekeeper = Housekeeper(Services.build(db))  # wakes the sleeping run
    housekeeper.start()
    running = Worker(transports.make(project.id), APP, concurrency=2, lease=timedelta(seconds=5))
    running.start()
    yield Principal(project.id, Role.ADMIN), running
    running.stop(grace_seconds=5)
    housekeeper.stop()


def _ended_log(db: Database, admin: Principal, name: str, **data: object) -> list[tuple[str, ...]]:
    runs = RunService(db, utcnow)
    run = runs.trigger(admin, name, TriggerIn(input=data))[0]
    deadline = time.monotonic() + 30
    while not runs.get(admin, run.id).status.is_terminal:
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(0.05)
    logs, found, after = LogService(db, utcnow), [], 0  # read at once: no waiting
    while page := logs.page(admin, run.id, after, limit=1000).lines:
        found += [(line.level.value, line.step or "", line.message) for line in page]
        after = page[-1].seq
    return found


def test_prints_and_log_records_are_the_runs_log(
    db: Database, worker: tuple[Principal, Worker]
) -> None:
    admin, _ = worker
    assert _ended_log(db, admin, "chatty", n=21) == [
        ("info", "", "starting"),
        ("info", "work", "in the step"),
        ("info", "work", "two"),
        ("info", "work", "lines"),
        ("warning", "work", "a warning from the step"),
        ("error", "", "finished with 42"),
    ]


def test_a_failing_steps_log_keeps_its_traceback(
    db: Database, worker: tuple[Principal, Worker]
) -> None:
    admin, _ = worker
    lines = _ended_log(db, admin, "failing")
    assert lines[0] == ("info", "boom", "about to fail")
    level, step, message = lines[1]
    assert (level, step) == ("error", "boom")
    assert message.startswith("caught it\nTraceback")
    assert "ValueError: bad value" in message


def test_a_resumed_run_does_not_log_again_what_it_replays(
    db: Database, worker: tuple[Principal, Worker]
) -> None:
    admin, _ = worker
    assert [message for _, _, message in _ended_log(db, admin, "napping")] == [
        "before the nap",
        "preparing",
        "going to sleep",
        "after the nap",
    ]


def test_thousands_of_lines_arrive_whole_and_in_order(
    db: Database, worker: tuple[Principal, Worker]
) -> None:
    admin, _ = worker
    lines = _ended_log(db, admin, "loud", lines=3000)
    assert [message for _, _, message in lines] == [f"line {n}" for n in range(3000)]
