"""What the planner decides, as plain data: how a page, a count or a chart is read.

A page or a count of runs filtered by side-index filters (``search``, ``error_codes``,
``tag<i>``) is planned from what probing those filters found (``Probes``):

* ``NoMatch``: a sparse filter matched no run; nothing is read.
* ``IndexOrder``: the page is read in the order of a filter index; ``dense`` filters
  (common: at least the dense threshold of matches) are tested on each row read.
* ``FromCandidates``: the runs every sparse filter allows (a short list of pks) are read
  by pk and sorted.
* ``AlongSideTable``: one error code's or one tag value's table, keyed by the run's
  ``created_at``, is walked in page order (the filter is dense, or the only short list).

A count is ``KeptTotals``, ``KeptDays``, ``OwnKey`` or ``Counted``; a chart a
``ChartPlan``. Pure: the compiler turns these into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from runyard.core.query import RunQuery
from runyard.store.query.days import Window


@dataclass(frozen=True, slots=True)
class Probes:
    """What probing a query's side-index filters found: each filter's matching pks, up to
    the dense threshold (all of them when it is sparse), and the workflows whose live
    parameter keys or descriptions contain the search term."""

    found: dict[str, list[int]]
    search_workflow_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NoMatch:
    """A sparse side filter matched no run: the answer is empty, nothing is read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Reading:
    """What every plan that reads runs carries."""

    # Common side filters: tested on each row a page reads; a count reads them through
    # their index instead.
    dense: frozenset[str] = frozenset()
    # Workflows whose parameters match the search term (their runs all match it).
    search_workflow_ids: tuple[str, ...] = ()
    # The multi-valued filter a page is split on: one ordered branch per value.
    split_on: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexOrder(_Reading):
    """Read in the order of a filter index, stopping after the page."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FromCandidates(_Reading):
    """Read the few runs every sparse filter allows by pk (never empty), and sort them."""

    candidates: frozenset[int]


@dataclass(frozen=True, slots=True, kw_only=True)
class AlongSideTable(_Reading):
    """A page walks the ``driver`` filter's table in ``created_at`` order, joined to each
    run by pk. A count never walks it: it reads ``candidates`` (the driver's short list,
    when it is sparse) or the filter indexes, as ``FromCandidates`` or ``IndexOrder``."""

    driver: str
    candidates: frozenset[int] | None = None


Reading = IndexOrder | FromCandidates | AlongSideTable
ListPlan = NoMatch | Reading


@dataclass(frozen=True, slots=True)
class KeptTotals:
    """A count of nothing but workflows and statuses: summed from the kept counts."""


@dataclass(frozen=True, slots=True)
class KeptDays:
    """A count of workflows, statuses and a window spanning whole days: those days summed
    from the kept day counts, the partial days at its ends (``edges``, the query narrowed
    to each) counted from the runs, exactly."""

    window: Window
    edges: tuple[RunQuery, ...]


@dataclass(frozen=True, slots=True)
class OwnKey:
    """A count of one error code or one tag value and nothing else: read from that
    filter's own key alone, stopped after ``cap + 1`` matches (None: all of them)."""

    cap: int | None


@dataclass(frozen=True, slots=True)
class Counted:
    """Counted from the runs: the side filters are probed, the query planned
    (``Planner.plan_list``) and counted, stopped at ``Planner.count_cap_for``."""


CountPlan = KeptTotals | KeptDays | OwnKey | Counted


@dataclass(frozen=True, slots=True)
class ChartPart:
    """Part of a chart counted from the runs; ``by_status``: one branch per status, each
    read from the status index alone (a query of nothing but statuses and a window)."""

    query: RunQuery
    by_status: bool


@dataclass(frozen=True, slots=True)
class ChartPlan:
    """Runs per time bucket and status: the whole days of ``kept_days`` (None: none)
    summed from the kept day counts, and ``counted`` counted from the runs."""

    kept_days: Window | None
    counted: tuple[ChartPart, ...]
