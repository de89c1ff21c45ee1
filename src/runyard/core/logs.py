"""Run logs: the lines a workflow writes while a run executes (its ``print`` output and
Python ``logging`` records), or that an external executor posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# A line longer than this is cut (with a note saying how much was cut): one huge line
# must not take the whole of a run's log allowance.
MAX_MESSAGE_CHARS = 32_000


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @classmethod
    def of_number(cls, levelno: int) -> LogLevel:
        """The level of a ``logging`` record's number (custom levels round down)."""
        for bound, level in (
            (50, cls.CRITICAL),
            (40, cls.ERROR),
            (30, cls.WARNING),
            (20, cls.INFO),
        ):
            if levelno >= bound:
                return level
        return cls.DEBUG


@dataclass(frozen=True, slots=True)
class LogCap:
    """How much of a run's log is kept: lines past either limit are dropped, and the log
    ends with a line saying how much was."""

    max_lines: int = 10_000
    max_bytes: int = 10 << 20


@dataclass(frozen=True, slots=True)
class LogLine:
    run_id: str
    ts: datetime
    level: LogLevel
    message: str
    step: str | None = None
    seq: int = 0  # the line's position in its run's log, given when it is stored

    @property
    def size(self) -> int:
        """What the line counts against its run's allowance, in bytes."""
        return len(self.message.encode("utf-8", "replace")) + len(self.step or "") + 32


def clip(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``message`` cut to ``limit`` characters, saying how many were cut."""
    if len(message) <= limit:
        return message
    cut = len(message) - limit
    return f"{message[:limit]} … [{cut:,} more characters cut]"
