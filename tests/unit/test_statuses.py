"""The transition table (core/statuses.py) and the pure status change (core/lifecycle.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runyard.core.errors import Conflict, IllegalTransition, RunyardError
from runyard.core.lifecycle import transition
from runyard.core.models import Run
from runyard.core.statuses import (
    TERMINAL,
    TRANSITIONS,
    RunStatus,
    can_transition,
    cancel_target,
    check_transition,
)

S = RunStatus
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
ALL = list(RunStatus)
NON_TERMINAL = [s for s in ALL if s not in TERMINAL]
PAIRS = [(a, b) for a in ALL for b in ALL]
ILLEGAL = [(a, b) for a, b in PAIRS if b not in TRANSITIONS[a]]
LEGAL = [(a, b) for a, b in PAIRS if b in TRANSITIONS[a]]


def make_run(status: RunStatus = S.CREATED, **fields: object) -> Run:
    return Run(
        id="0190a0b0-0000-7000-8000-000000000001",
        project_id="p",
        workflow_id="w",
        workflow_version=1,
        status=status,
        created_at=T0,
        modified_at=T0,
        **fields,  # type: ignore[arg-type]
    )


# -- the table ------------------------------------------------------------------------------


def test_the_canonical_statuses_and_the_five_terminal_ones() -> None:
    assert [s.value for s in RunStatus] == [
        "created",
        "queued",
        "running",
        "waiting",
        "paused",
        "canceling",
        "completed",
        "failed",
        "canceled",
        "terminated",
        "timed_out",
    ]
    assert {s.value for s in TERMINAL} == {
        "completed",
        "failed",
        "canceled",
        "terminated",
        "timed_out",
    }
    assert set(TRANSITIONS) == set(RunStatus)
    assert all(s.is_terminal == (s in TERMINAL) for s in RunStatus)


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_a_terminal_status_has_no_way_out(terminal: RunStatus) -> None:
    assert TRANSITIONS[terminal] == frozenset()
    for target in RunStatus:
        assert not can_transition(terminal, target)
        with pytest.raises(IllegalTransition, match=r"nothing \(terminal\)"):
            check_transition(terminal, target)


def test_every_table_entry_is_a_status_and_only_terminal_statuses_are_dead_ends() -> None:
    for current, targets in TRANSITIONS.items():
        assert targets <= set(RunStatus)
        assert bool(targets) == (current not in TERMINAL)


def test_nothing_goes_back_to_created() -> None:
    assert all(S.CREATED not in targets for targets in TRANSITIONS.values())


def _reachable(start: RunStatus) -> set[RunStatus]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_status_is_reachable_from_created() -> None:
    assert _reachable(S.CREATED) == set(RunStatus)


@pytest.mark.parametrize("status", NON_TERMINAL)
def test_every_live_status_can_still_end(status: RunStatus) -> None:
    assert _reachable(status) & TERMINAL


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.CREATED, S.QUEUED),
        (S.QUEUED, S.QUEUED),  # a requeue after the worker vanished
        (S.QUEUED, S.RUNNING),
        (S.RUNNING, S.QUEUED),  # the lease expired
        (S.RUNNING, S.CANCELING),
        (S.CANCELING, S.CANCELED),
        (S.RUNNING, S.COMPLETED),
        (S.RUNNING, S.TIMED_OUT),
        (S.PAUSED, S.QUEUED),  # resume
        (S.WAITING, S.RUNNING),
    ],
)
def test_the_moves_the_design_relies_on_are_legal(current: RunStatus, target: RunStatus) -> None:
    assert can_transition(current, target)
    check_transition(current, target)  # does not raise


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.COMPLETED, S.RUNNING),
        (S.FAILED, S.QUEUED),
        (S.CANCELED, S.CANCELED),
        (S.CREATED, S.COMPLETED),  # never ran
        (S.CANCELING, S.RUNNING),  # a cancel is not undone
        (S.QUEUED, S.CREATED),
    ],
)
def test_some_moves_are_refused(current: RunStatus, target: RunStatus) -> None:
    assert not can_transition(current, target)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_an_illegal_transition_raises_and_names_both_statuses(
    current: RunStatus, target: RunStatus
) -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_transition(current, target)
    error = caught.value
    assert f"a run that is {current.value} cannot become {target.value}" in error.detail
    assert str(error) == error.detail
    assert error.code == "illegal_transition"
    assert isinstance(error, Conflict)
    assert isinstance(error, RunyardError)
    # The message lists what is allowed instead.
    for allowed in TRANSITIONS[current]:
        assert allowed.value in error.detail.split("it may become:")[1]


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_a_legal_transition_passes(current: RunStatus, target: RunStatus) -> None:
    check_transition(current, target)


# -- cancel ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (S.CREATED, S.CANCELED),
        (S.QUEUED, S.CANCELED),
        (S.PAUSED, S.CANCELED),
        (S.RUNNING, S.CANCELING),
        (S.WAITING, S.CANCELING),
        (S.CANCELING, S.CANCELED),
    ],
)
def test_cancel_target(current: RunStatus, expected: RunStatus) -> None:
    assert cancel_target(current) is expected
    # A cancel of a live run is always a move the table allows.
    check_transition(current, cancel_target(current))


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_cancelling_a_finished_run_is_refused_by_the_table(terminal: RunStatus) -> None:
    with pytest.raises(IllegalTransition):
        check_transition(terminal, cancel_target(terminal))


# -- transition() ---------------------------------------------------------------------------


def test_transition_stamps_a_first_run() -> None:
    queued = transition(make_run(S.CREATED), S.QUEUED, T0 + timedelta(seconds=1))
    assert (queued.status, queued.queued_at, queued.attempt) == (
        S.QUEUED,
        T0 + timedelta(seconds=1),
        1,
    )
    running = transition(queued, S.RUNNING, T0 + timedelta(seconds=2))
    assert running.started_at == T0 + timedelta(seconds=2)
    assert running.finished_at is None
    done = transition(running, S.COMPLETED, T0 + timedelta(seconds=7), result={"ok": True})
    assert done.finished_at == T0 + timedelta(seconds=7)
    assert done.progress == 100
    assert done.result == {"ok": True}
    assert done.started_at == T0 + timedelta(seconds=2)
    assert done.duration_seconds == 5.0


def test_a_refused_transition_changes_nothing() -> None:
    run = make_run(S.COMPLETED, finished_at=T0)
    with pytest.raises(IllegalTransition):
        transition(run, S.RUNNING, T0 + timedelta(hours=1))
    assert run.status is S.COMPLETED
    assert run.modified_at == T0


def test_explicit_changes_are_applied_alongside_the_stamps() -> None:
    moved = transition(make_run(S.RUNNING), S.FAILED, T0, error="boom", progress=40)
    assert (moved.status, moved.error, moved.progress, moved.finished_at) == (
        S.FAILED,
        "boom",
        40,
        T0,
    )


def _stamp_invariants(before: Run, target: RunStatus, now: datetime, after: Run) -> None:
    assert after.status is target
    assert after.modified_at == now
    # started_at is set the first time the run runs, and kept afterwards.
    if before.started_at is not None:
        assert after.started_at == before.started_at
    elif target is S.RUNNING:
        assert after.started_at == now
    else:
        assert after.started_at is None
    # finished_at is set when the run ends.
    if target in TERMINAL:
        assert after.finished_at == now
    else:
        assert after.finished_at == before.finished_at
    if target is S.QUEUED:
        assert after.queued_at == now
    else:
        assert after.queued_at == before.queued_at
    # A requeue of a queued or running run is a new attempt; nothing else changes it.
    requeue = target is S.QUEUED and before.status in (S.QUEUED, S.RUNNING)
    assert after.attempt == before.attempt + (1 if requeue else 0)
    assert after.progress == (100 if target is S.COMPLETED else before.progress)
    # The identity and the payload are untouched.
    assert (after.id, after.input, after.created_at) == (before.id, before.input, before.created_at)


@settings(max_examples=150, deadline=None)
@given(
    start=st.sampled_from(ALL),
    attempt=st.integers(1, 20),
    progress=st.integers(0, 99),
    started=st.booleans(),
    steps=st.lists(
        st.tuples(st.sampled_from(ALL), st.integers(1, 10_000)), min_size=1, max_size=25
    ),
)
def test_transition_either_refuses_or_lands_on_the_target(
    start: RunStatus,
    attempt: int,
    progress: int,
    started: bool,
    steps: list[tuple[RunStatus, int]],
) -> None:
    run = make_run(
        start,
        attempt=attempt,
        progress=progress,
        input={"k": "v"},
        started_at=T0 if started else None,
    )
    now = T0
    for target, gap_ms in steps:
        now += timedelta(milliseconds=gap_ms)
        if not can_transition(run.status, target):
            with pytest.raises(IllegalTransition):
                transition(run, target, now)
            continue
        moved = transition(run, target, now)
        _stamp_invariants(run, target, now, moved)
        run = moved
