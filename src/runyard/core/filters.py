"""The run filters: one table, and the reading of a filter's values from text.

Each ``Filter`` names a way to narrow a ``RunQuery``: its parameter (the native API's
query parameter, the dashboard URL's, the Python client's keyword), the ``RunQuery``
field it sets, the kind of value it takes, its help and its command-line flags. The
edges take everything from here: the API's query parameters (``api/run_params.py``),
the dashboard's form and URL (``web/filters.py``), the options of ``runyard runs list``,
the cursor's fingerprint (``core/cursors.py``). Adding a filter is a ``RunQuery`` field,
an entry at the end of ``FILTERS``, and its clause in the store's query compiler.

``query_fields`` reads a request's values (text, by parameter name) into ``RunQuery``
keyword arguments; a bad value is an ``InvalidInput`` naming the parameter and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NoReturn

from runyard.core.errors import InvalidInput
from runyard.core.models import TriggerType, WorkflowType
from runyard.core.query import TagFilter
from runyard.core.search_text import MAX_TERM_LENGTH
from runyard.core.statuses import RunStatus
from runyard.core.times import parse_timestamp

MAX_VALUE_LENGTH = 200  # an id, a name or a code given as a filter value

# Text a true/false filter takes: the words the API's query parameters accept.
TRUE_WORDS = frozenset({"true", "1", "yes", "on", "t", "y"})
FALSE_WORDS = frozenset({"false", "0", "no", "off", "f", "n"})


class Kind(StrEnum):
    TEXT = "text"  # an id, a name or a code, matched exactly
    SEARCH = "search"  # a search term: blank is no filter
    CHOICE = "choice"  # one of an enumeration's values
    TIME = "time"  # an RFC 3339 timestamp with an offset
    FLAG = "flag"  # true or false; absent is either
    TAG = "tag"  # 'key' (any value) or 'key=value'


@dataclass(frozen=True, slots=True)
class Filter:
    """One filter. ``many``: repeatable, any of its values matches; ``cli``: the flags of
    ``runs list`` (a flag filter's one ``--yes/--no`` pair); ``answers``: how a flag's
    true and false read on the dashboard; ``hint``: an example value."""

    name: str
    field: str
    kind: Kind
    help: str
    label: str
    cli: tuple[str, ...]
    many: bool = False
    max_len: int | None = None
    choices: type[StrEnum] | None = None
    hint: str = ""
    answers: tuple[str, str] = ("yes", "no")

    def read(self, values: Sequence[str], time: TimeReader | None = None) -> Any:
        """The ``RunQuery`` value of this filter's texts (a single filter takes the last)."""
        if self.many:
            return tuple(self._one(v, time) for v in values)
        return self._one(values[-1], time)

    def _one(self, text: str, time: TimeReader | None) -> Any:
        match self.kind:
            case Kind.TEXT:
                return self._text(text)
            case Kind.SEARCH:
                return read_search(self.name, text)
            case Kind.CHOICE:
                return self._choice(text)
            case Kind.TIME:
                return (time or read_time)(self.name, text)
            case Kind.FLAG:
                return self._flag(text)
            case Kind.TAG:
                return self._tag(text)

    def _text(self, text: str) -> str:
        if self.max_len is not None and not 1 <= len(text) <= self.max_len:
            self.refuse(f"each value must be 1-{self.max_len} characters")
        return text

    def _choice(self, text: str) -> StrEnum:
        assert self.choices is not None
        try:
            return self.choices(text)
        except ValueError:
            known = ", ".join(c.value for c in self.choices)
            self.refuse(f"{text!r} is not one of its values: {known}")

    def _flag(self, text: str) -> bool:
        word = text.strip().lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            self.refuse(f"{text!r} is not a boolean; use true or false")
        return word in TRUE_WORDS

    def _tag(self, text: str) -> TagFilter:
        try:
            return TagFilter.parse(text)
        except ValueError as exc:
            self.refuse(str(exc))

    def refuse(self, reason: str) -> NoReturn:
        raise InvalidInput.field(("query", self.name), reason)


# Reads a TIME filter's text: (parameter name, text) -> an aware datetime.
TimeReader = Callable[[str, str], datetime]


def read_time(name: str, text: str) -> datetime:
    """An RFC 3339 timestamp with an offset, or a 4xx naming the parameter (any edge's,
    a vendor dialect's ``start_time`` as the API's ``created_after``)."""
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise InvalidInput.field(("query", name), str(exc)) from None


def read_search(name: str, text: str | None) -> str | None:
    """A search term: blank is no search; longer than the engine searches is a 4xx."""
    if not text:
        return None
    if len(text) > MAX_TERM_LENGTH:
        raise InvalidInput.field(("query", name), f"at most {MAX_TERM_LENGTH} characters")
    return text


_ID = MAX_VALUE_LENGTH
# Filter(name, field, kind, help, label, cli flags, ...). The order is the fingerprint's
# (``core/cursors.py``): a new filter goes at the end.
FILTERS: tuple[Filter, ...] = (
    Filter(
        "workflow_id",
        "workflow_ids",
        Kind.TEXT,
        "Workflow id or name; repeat for several",
        "Workflow",
        ("--workflow", "-w"),
        many=True,
        max_len=_ID,
        hint="workflow name",
    ),
    Filter(
        "workflow_type",
        "workflow_types",
        Kind.CHOICE,
        "Workflow type; repeatable",
        "Type",
        ("--type",),
        many=True,
        choices=WorkflowType,
    ),
    Filter(
        "status",
        "statuses",
        Kind.CHOICE,
        "Canonical status; repeatable",
        "Status",
        ("--status", "-s"),
        many=True,
        choices=RunStatus,
    ),
    Filter(
        "created_after",
        "created_after",
        Kind.TIME,
        "Created at or after (inclusive): RFC 3339 with offset",
        "From (UTC)",
        ("--since",),
    ),
    Filter(
        "created_before",
        "created_before",
        Kind.TIME,
        "Created before (exclusive): RFC 3339 with offset",
        "Until (UTC, exclusive)",
        ("--until",),
    ),
    Filter(
        "trigger_type",
        "trigger_types",
        Kind.CHOICE,
        "How the run was started; repeatable",
        "Trigger",
        ("--trigger",),
        many=True,
        choices=TriggerType,
    ),
    Filter(
        "triggered_by",
        "triggered_by",
        Kind.TEXT,
        "Who or what triggered the run (e.g. schedule:<id>); repeatable",
        "Triggered by",
        ("--triggered-by",),
        many=True,
        max_len=_ID,
        hint="e.g. schedule:…",
    ),
    Filter(
        "credential_id",
        "credential_ids",
        Kind.TEXT,
        "Credential id; repeatable",
        "Credential",
        ("--credential",),
        many=True,
        max_len=_ID,
        hint="credential id",
    ),
    Filter(
        "error_code",
        "error_codes",
        Kind.TEXT,
        "Runs with a step error of this code; repeatable",
        "Error code",
        ("--error-code",),
        many=True,
        max_len=_ID,
        hint="e.g. CAPTCHA_FAILED",
    ),
    Filter(
        "search",
        "search",
        Kind.SEARCH,
        "Case-insensitive substring of the run id, input values, extra_http_headers, "
        "or the workflow's parameter keys and descriptions",
        "Search",
        ("--search", "-q"),
        max_len=MAX_TERM_LENGTH,
        hint="Search run ids, inputs, headers, parameter names…",
    ),
    Filter(
        "parent_run_id",
        "parent_run_id",
        Kind.TEXT,
        "Children of this run",
        "Parent run",
        ("--parent",),
        hint="run id",
    ),
    Filter(
        "root_run_id",
        "root_run_id",
        Kind.TEXT,
        "Runs of the tree under this root run, the root included",
        "Root run",
        ("--root",),
        hint="run id",
    ),
    Filter(
        "tag",
        "tags",
        Kind.TAG,
        "'key' (any value) or 'key=value'; repeatable",
        "Tag",
        ("--tag",),
        many=True,
        hint="key or key=value",
    ),
    Filter(
        "is_test",
        "is_test",
        Kind.FLAG,
        "true: test runs only; false: no test runs",
        "Test runs",
        ("--test/--no-test",),
        answers=("only test runs", "no test runs"),
    ),
    Filter(
        "has_parent",
        "has_parent",
        Kind.FLAG,
        "false: top-level runs only; true: child runs only",
        "Child runs",
        ("--children/--top-level",),
        answers=("child runs only", "top-level runs only"),
    ),
    Filter(
        "requeued",
        "requeued",
        Kind.FLAG,
        "Qualifies queued runs: true keeps those queued again after a worker vanished "
        "(attempt > 1), false first attempts; other statuses are unaffected",
        "Requeued",
        ("--requeued/--first-attempt",),
        answers=("queued again", "first attempts"),
    ),
)
BY_NAME: Mapping[str, Filter] = {f.name: f for f in FILTERS}
NAMES = frozenset(BY_NAME)


def query_fields(
    values: Mapping[str, Sequence[str]], time: TimeReader | None = None
) -> dict[str, Any]:
    """``RunQuery`` keyword arguments of the filters given in ``values`` (texts by parameter
    name; other names are left alone). ``time`` reads TIME filters (``read_time``)."""
    return {f.field: f.read(values[f.name], time) for f in FILTERS if values.get(f.name)}
