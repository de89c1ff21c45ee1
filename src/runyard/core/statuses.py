"""Run statuses and the one transition table every status change goes through."""

from __future__ import annotations

from enum import StrEnum

from runyard.core.errors import IllegalTransition


class RunStatus(StrEnum):
    CREATED = "created"
    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"
    PAUSED = "paused"
    CANCELING = "canceling"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    TERMINATED = "terminated"
    TIMED_OUT = "timed_out"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


S = RunStatus
TERMINAL: frozenset[RunStatus] = frozenset(
    {S.COMPLETED, S.FAILED, S.CANCELED, S.TERMINATED, S.TIMED_OUT}
)

# What each status may become. QUEUED -> QUEUED is a requeue (attempt + 1) after a
# worker vanished; terminal statuses lead nowhere (a retry is a new run).
TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    S.CREATED: frozenset({S.QUEUED, S.RUNNING, S.CANCELED, S.FAILED, S.TERMINATED}),
    S.QUEUED: frozenset(
        {S.QUEUED, S.RUNNING, S.PAUSED, S.CANCELED, S.FAILED, S.TERMINATED, S.TIMED_OUT}
    ),
    S.RUNNING: frozenset(
        {
            S.QUEUED,
            S.WAITING,
            S.PAUSED,
            S.CANCELING,
            S.COMPLETED,
            S.FAILED,
            S.TERMINATED,
            S.TIMED_OUT,
        }
    ),
    S.WAITING: frozenset(
        {S.RUNNING, S.QUEUED, S.PAUSED, S.CANCELING, S.FAILED, S.TERMINATED, S.TIMED_OUT}
    ),
    S.PAUSED: frozenset({S.QUEUED, S.RUNNING, S.CANCELED, S.TERMINATED, S.TIMED_OUT}),
    S.CANCELING: frozenset({S.CANCELED, S.COMPLETED, S.FAILED, S.TERMINATED, S.TIMED_OUT}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELED: frozenset(),
    S.TERMINATED: frozenset(),
    S.TIMED_OUT: frozenset(),
}


def can_transition(current: RunStatus, target: RunStatus) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: RunStatus, target: RunStatus) -> None:
    """Raise ``IllegalTransition`` unless ``current`` may become ``target``."""
    if not can_transition(current, target):
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (terminal)"
        raise IllegalTransition(
            f"a run that is {current} cannot become {target}; it may become: {allowed}"
        )


def cancel_target(current: RunStatus) -> RunStatus:
    """Where a cancel request takes a run: at once if nothing executes it, else via canceling."""
    if current in (S.RUNNING, S.WAITING):
        return S.CANCELING
    return S.CANCELED
