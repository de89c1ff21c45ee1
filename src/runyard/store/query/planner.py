"""The planner: how to read a query, from the query and what its probes found. Pure.

``Planner`` holds the engine's thresholds as fields, today's values as defaults; the
service holds one (``RunService.planner``) and a test sets others with
``dataclasses.replace``. It returns the plans of ``plans.py``, which the compiler turns
into SQL; the probes (``probes.py``) run first and bring it what they found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from runyard.core.query import COUNT_CAP, RunQuery, SortField
from runyard.store.query.days import SECONDS_PER_DAY, Window, split_window
from runyard.store.query.plans import (
    AlongSideTable,
    ChartPart,
    ChartPlan,
    Counted,
    CountPlan,
    FromCandidates,
    IndexOrder,
    KeptDays,
    KeptTotals,
    ListPlan,
    NoMatch,
    OwnKey,
    Probes,
    Reading,
)
from runyard.store.query.terms import rare_stretches

# The multi-valued filters a page may be split on, in the order they are tried.
SPLITTABLE = ("workflow_ids", "statuses", "credential_ids", "trigger_types", "triggered_by")


@dataclass(frozen=True, slots=True)
class Planner:
    """The thresholds the engine plans with."""

    # A side filter with fewer matches than this is sparse, and its matches drive the
    # page; the probes stop at this many.
    dense_threshold: int = 2000
    # A multi-valued filter with more values than this is not split into branches.
    max_branches: int = 32
    # Counting stops after this many matches unless asked to be exact (core/query.py).
    count_cap: int = COUNT_CAP
    # More runs than this hold a search term's rare stretches: the term is looked up whole.
    stretch_candidates: int = 10_000
    # A trigram in fewer than this share of the sampled runs is rare.
    rare_share: float = 0.02
    # The newest runs sampled to estimate how common each trigram is, and the seconds a
    # sample is used.
    trigram_sample: int = 500
    sample_seconds: float = 600.0

    def plan_list(self, query: RunQuery, probes: Probes) -> ListPlan:
        """How a page of ``query`` is read, from its probes (see plans.py)."""
        found = probes.found
        dense = {name for name, pks in found.items() if len(pks) >= self.dense_threshold}
        if probes.search_workflow_ids and "search" in found:
            dense.add("search")  # it matches whole workflows: never a short list of runs
        candidates: frozenset[int] | None = None
        for name, pks in found.items():
            if name not in dense:
                candidates = frozenset(pks) if candidates is None else candidates & frozenset(pks)
        if candidates is not None and not candidates:
            return NoMatch()
        sparse = [name for name in found if name not in dense]
        driver = _driver(query, sparse, dense, candidates)
        kept = frozenset(dense)
        ids, split = probes.search_workflow_ids, self._split_on(query)
        if driver is not None:
            return AlongSideTable(
                driver=driver,
                candidates=candidates,
                dense=kept,
                search_workflow_ids=ids,
                split_on=split,
            )
        if candidates is not None:
            return FromCandidates(
                candidates=candidates, dense=kept, search_workflow_ids=ids, split_on=split
            )
        return IndexOrder(dense=kept, search_workflow_ids=ids, split_on=split)

    def _split_on(self, query: RunQuery) -> str | None:
        """The multi-valued filter a page is split on, one branch per value."""
        for name in SPLITTABLE:
            if 1 < len(getattr(query, name)) <= self.max_branches:
                return name
        return None

    def plan_count(self, query: RunQuery, *, exact: bool) -> CountPlan:
        """How a count of ``query`` is answered: from the kept counts, from one side
        filter's own key, or from the runs (``Counted``: probe, then ``count_cap_for``)."""
        if _kept_totals_answer(query):
            return KeptTotals()
        window = _kept_window(query)
        if window is not None:
            return KeptDays(window, tuple(_within(query, edge) for edge in window.edges))
        if _own_key_answers(query):
            # A short list of matches is always counted exactly, as below.
            return OwnKey(None if exact else max(self.count_cap, self.dense_threshold))
        return Counted()

    def count_cap_for(self, plan: Reading, *, exact: bool) -> int | None:
        """Where a count of the runs stops (None: it counts them all): nowhere if asked to
        be exact or if the side filters matched a short list (at most the dense threshold
        of runs to look at), else after ``count_cap`` matches."""
        short = isinstance(plan, FromCandidates) or (
            isinstance(plan, AlongSideTable) and plan.candidates is not None
        )
        return None if exact or short else self.count_cap

    def plan_chart(self, query: RunQuery, bucket_seconds: int) -> ChartPlan:
        """Runs per bucket and status: buckets of whole days, for a query the day counts
        answer, are summed from those, and the window's partial end days counted."""
        window = _kept_window(query) if bucket_seconds % SECONDS_PER_DAY == 0 else None
        parts = [query] if window is None else [_within(query, edge) for edge in window.edges]
        counted = tuple(
            ChartPart(part, _kept_days_answer(part) and not part.workflow_ids) for part in parts
        )
        return ChartPlan(window, counted)

    def search_stretches(self, term: str, shares: dict[str, float]) -> list[str] | None:
        """The stretches of rare trigrams a folded term is looked up by (terms.py), from the
        share of sampled runs holding each trigram; None: it is looked up whole."""
        return rare_stretches(term, shares, self.rare_share)


def _single_valued(query: RunQuery) -> list[str]:
    """The side filters naming one error code or one tag value: their tables hold their
    runs in ``created_at`` order (a page can walk them, a count read them alone)."""
    names = ["error_codes"] if len(query.error_codes) == 1 else []
    names += [f"tag{i}" for i, tag in enumerate(query.tags) if len(tag.values) == 1]
    return names


def _driver(
    query: RunQuery, sparse: Sequence[str], dense: set[str], candidates: frozenset[int] | None
) -> str | None:
    """The side filter whose table a page of ``created_at`` order is read along: a dense
    one, or the only sparse one."""
    orderable = _single_valued(query) if query.sort.field is SortField.CREATED_AT else []
    if candidates is None:
        return next((name for name in orderable if name in dense), None)
    if len(sparse) == 1 and sparse[0] in orderable:
        # One short list, walkable in page order: the page stops after ``limit + 1`` of
        # its runs instead of fetching all of them to sort (1,653 runs: 19 -> 1 ms at 1M
        # on PostgreSQL). Counts still count the candidates.
        return sparse[0]
    return None


def _kept_totals_answer(query: RunQuery) -> bool:
    """Whether the query filters on nothing but its project, workflows and statuses."""
    bare = RunQuery(project_id=query.project_id)
    return (
        replace(
            query,
            workflow_ids=(),
            statuses=(),
            sort=bare.sort,
            limit=bare.limit,
            after=None,
            offset=0,
            include_total=False,
            exact_total=False,
        )
        == bare
    )


def _kept_days_answer(query: RunQuery) -> bool:
    """Whether the query filters on nothing but its project, workflows, statuses and a
    time window (``split_window`` then says which of it the day counts answer)."""
    return _kept_totals_answer(replace(query, created_after=None, created_before=None))


def _kept_window(query: RunQuery) -> Window | None:
    """The whole days of the query's window, if the day counts answer the query."""
    if not _kept_days_answer(query):
        return None
    return split_window(query.created_after, query.created_before)


def _within(query: RunQuery, edge: tuple[datetime | None, datetime | None]) -> RunQuery:
    return replace(query, created_after=edge[0], created_before=edge[1])


def _own_key_answers(query: RunQuery) -> bool:
    """Whether the query is nothing but one error code or one tag value (any paging)."""
    bare = RunQuery(query.project_id, sort=query.sort, limit=query.limit)
    if len(_single_valued(query)) != 1:
        return False
    if replace(query, error_codes=(), tags=()).filters_only() != bare:
        return False
    return len(query.error_codes) + len(query.tags) == 1
