"""The only module that turns a ``RunQuery`` into SQL.

Plans, and why:

* Every filter column has an index ``(project_id, <column>, created_at, id)``, so a
  filtered page is read from an index in the requested order and stops after
  ``limit + 1`` rows; the extra row makes ``has_more`` exact.
* A multi-valued filter (``status IN (a, b)``) cannot be read in order from one index
  range, so a page over it is a ``UNION ALL`` of one ordered, limited branch per value,
  merged and cut to the page. Each branch is an index range in order.
* Nullable sort keys (``started_at``, ``finished_at``, ``duration``) put runs without a
  value last in both directions: one branch for runs with a value, one for runs without.
* Side-index filters (``search`` through its trigram index, ``error_code`` and ``tag``
  through their tables) are probed first, for up to ``DENSE_THRESHOLD`` matches (see
  ``Plan``). Sparse ones hand over their few matching pks and the page is read from
  those rows; dense ones are tested row by row while the page is read in order, which
  stops early precisely because matches are common. Neither reads all of a project.
* A filter on one error code or one tag value, in a page sorted by ``created_at``, drives
  the page instead when it is dense or the only short list: its table is keyed by the
  run's ``created_at``, so the page walks that key in order, joined to each run by pk,
  and stops after ``limit + 1`` matches. A code in 0.2 % of runs no longer means testing
  500 runs per match found, nor 1,600 matches fetched to keep the newest 50.
* Keyset pagination: ``(key, id)`` after the cursor, as ``key <= v AND (key < v OR id <
  i)`` (descending), which any B-tree range can serve on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Dialect,
    Select,
    Table,
    and_,
    exists,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import KeyedColumnElement

from runyard.core.query import Position, RunQuery, SortField
from runyard.core.search_text import fold
from runyard.core.statuses import RunStatus
from runyard.core.times import from_micros
from runyard.store import dialect_hooks as hooks
from runyard.store.schema import run_error_codes, run_tags, runs, workflow_parameters, workflows

# Up to this many matches a side-index filter is "sparse" and its matches drive the page.
DENSE_THRESHOLD = 2000
# A multi-valued filter with more values than this is not split into branches.
MAX_BRANCHES = 32

SORT_COLUMNS: dict[SortField, KeyedColumnElement[object]] = {
    SortField.CREATED_AT: runs.c.created_at,
    SortField.STARTED_AT: runs.c.started_at,
    SortField.FINISHED_AT: runs.c.finished_at,
    SortField.DURATION: runs.c.duration_us,
}


@dataclass(frozen=True, slots=True)
class Plan:
    """How the side-index filters (``search``, ``error_code``, ``tag``) are applied.

    The store probes each one for up to ``DENSE_THRESHOLD`` matching runs. A *sparse*
    filter's matches are few: their pks, intersected over all sparse filters, become
    ``candidates`` and the page is read from those rows alone. A *dense* filter is in
    ``dense`` and is tested row by row while the page is read in index order. The
    ``driver``, a dense filter or the only sparse one whose table yields its runs in page
    order, is walked to read a page instead (counts still use the candidates).
    """

    candidates: frozenset[int] | None = None
    dense: frozenset[str] = frozenset()
    # Workflows whose live parameter keys or descriptions contain the search term.
    search_workflow_ids: tuple[str, ...] = ()
    # Pages test dense filters row by row; counts read them through their index instead.
    scan_dense: bool = True
    driver: str | None = None

    def for_counting(self) -> Plan:
        return replace(self, scan_dense=False)

    @property
    def driving(self) -> str | None:
        """The filter whose side table a page is read along (never a count's)."""
        return self.driver if self.scan_dense else None

    @property
    def drives_from_pks(self) -> bool:
        """Rows come from pk lookups (candidates, side indexes), not from an index range."""
        if self.candidates is not None or self.driving is not None:
            return True
        return bool(self.dense) and not self.scan_dense


def _error_code_rows(query: RunQuery) -> Select[int]:
    return select(run_error_codes.c.run_pk).where(
        run_error_codes.c.project_id == query.project_id,
        run_error_codes.c.error_code.in_(query.error_codes),
    )


def _tag_rows(query: RunQuery, index: int) -> Select[int]:
    tag = query.tags[index]
    rows = select(run_tags.c.run_pk).where(
        run_tags.c.project_id == query.project_id, run_tags.c.key == tag.key
    )
    if tag.values:
        rows = rows.where(run_tags.c.value.in_(tag.values))
    return rows


def _search_rows(dialect: Dialect, query: RunQuery) -> Select[int]:
    assert query.search
    return hooks.search_pks(dialect, runs, query.project_id, fold(query.search))


def side_filters(dialect: Dialect, query: RunQuery) -> dict[str, Select[int]]:
    """Each side-index filter of the query, as the pks of the runs it allows."""
    filters: dict[str, Select[int]] = {}
    if query.search:
        filters["search"] = _search_rows(dialect, query)
    if query.error_codes:
        filters["error_codes"] = _error_code_rows(query)
    for index in range(len(query.tags)):
        filters[f"tag{index}"] = _tag_rows(query, index)
    return filters


def _in_run_order(query: RunQuery, name: str) -> tuple[Table, list[ColumnElement[bool]]]:
    """The side table of filter ``name`` and the conditions picking its one key prefix,
    along which its runs lie in ``created_at`` order."""
    if name == "error_codes":
        (code,) = query.error_codes
        e = run_error_codes.c
        return run_error_codes, [e.project_id == query.project_id, e.error_code == code]
    tag = query.tags[int(name.removeprefix("tag"))]
    (value,) = tag.values
    t = run_tags.c
    return run_tags, [t.project_id == query.project_id, t.key == tag.key, t.value == value]


def _single_valued(query: RunQuery) -> list[str]:
    """The side filters naming one error code or one tag value (``_in_run_order``)."""
    names = ["error_codes"] if len(query.error_codes) == 1 else []
    names += [f"tag{i}" for i, tag in enumerate(query.tags) if len(tag.values) == 1]
    return names


def orderable_filters(query: RunQuery) -> list[str]:
    """The side filters that can drive a page of this query (``_in_run_order``)."""
    return _single_valued(query) if query.sort.field is SortField.CREATED_AT else []


def own_index_count_statement(query: RunQuery, cap: int | None) -> Select[int] | None:
    """A count of a query of nothing but one error code or one tag value, read from that
    filter's own key alone (index-only, no run looked up; ``cap``: stop after ``cap + 1``);
    None for any other query."""
    bare = RunQuery(query.project_id, sort=query.sort, limit=query.limit)
    names = _single_valued(query)
    if len(names) != 1 or replace(query, error_codes=(), tags=()).filters_only() != bare:
        return None
    if len(query.error_codes) + len(query.tags) != 1:
        return None
    side, picked = _in_run_order(query, names[0])
    matches: Select[Any] = select(literal_column("1")).select_from(side).where(*picked)
    if cap is not None:
        matches = matches.limit(cap + 1)
    return select(func.count()).select_from(matches.subquery())


def stretch_statement(
    dialect: Dialect, project_id: str, stretches: list[str], limit: int
) -> Select[int]:
    """Up to ``limit`` pks of runs whose search text holds each of these parts of a search
    term (see store/search_terms.py), by the trigram index."""
    return hooks.search_pks_holding_all(dialect, runs, project_id, stretches).limit(limit)


def containing_statement(dialect: Dialect, pks: list[int], folded_term: str) -> Select[int]:
    """Those of these runs whose search text contains the whole folded term."""
    return select(runs.c.pk).where(
        hooks.pk_among(dialect, runs.c.pk, pks), hooks.search_scan(dialect, runs, folded_term)
    )


def probe_statement(rows: Select[int]) -> Select[int]:
    """The first ``DENSE_THRESHOLD`` pks a side filter allows: all of them if it is sparse."""
    return rows.limit(DENSE_THRESHOLD)


def plan_from_probes(
    found: dict[str, list[int]],
    search_workflow_ids: Sequence[str],
    orderable: Sequence[str] = (),
) -> Plan:
    dense = {name for name, pks in found.items() if len(pks) >= DENSE_THRESHOLD}
    if search_workflow_ids and "search" in found:
        dense.add("search")  # it matches whole workflows: never a short list of runs
    candidates: frozenset[int] | None = None
    for name, pks in found.items():
        if name not in dense:
            candidates = frozenset(pks) if candidates is None else candidates & frozenset(pks)
    driver = None
    sparse = [name for name in found if name not in dense]
    if candidates is None:
        driver = next((name for name in orderable if name in dense), None)
    elif len(sparse) == 1 and sparse[0] in orderable:
        # One short list, walkable in page order: the page stops after ``limit + 1`` of
        # its runs instead of fetching all of them to sort (1,653 runs: 19 -> 1 ms at 1M
        # on PostgreSQL). Counts still count the candidates.
        driver = sparse[0]
    return Plan(candidates, frozenset(dense), tuple(search_workflow_ids), driver=driver)


def parameter_match_statement(project_id: str, term: str) -> Select[str]:
    """Workflows with a live parameter whose key or description contains ``term``."""
    p = workflow_parameters.c
    return (
        select(p.workflow_id)
        .where(
            p.project_id == project_id,
            p.deleted_at.is_(None),
            p.search_text.like(hooks.like_pattern(fold(term)), escape="\\"),
        )
        .distinct()
    )


def _side_conditions(dialect: Dialect, query: RunQuery, plan: Plan) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if plan.candidates is not None and plan.driving is None:  # a driver's walk is its list
        where.append(hooks.pk_among(dialect, runs.c.pk, sorted(plan.candidates)))
    for name, rows in side_filters(dialect, query).items():
        if name == plan.driving:
            continue  # the page is read along its table (``_branch``)
        scan = name in plan.dense and plan.scan_dense
        covered = name not in plan.dense and plan.candidates is not None
        if name == "search" and plan.search_workflow_ids:
            text = _scan(dialect, query, name, rows) if scan else runs.c.pk.in_(rows)
            where.append(or_(text, runs.c.workflow_id.in_(plan.search_workflow_ids)))
        elif scan:
            where.append(_scan(dialect, query, name, rows))
        elif not covered:
            where.append(runs.c.pk.in_(rows))
    return where


def _scan(dialect: Dialect, query: RunQuery, name: str, rows: Select[int]) -> ColumnElement[bool]:
    """A common filter, tested on each row as the page is read in order."""
    if name == "search":
        assert query.search
        return hooks.search_scan(dialect, runs, fold(query.search))
    pk_column = run_error_codes.c.run_pk if name == "error_codes" else run_tags.c.run_pk
    return exists(rows.where(pk_column == runs.c.pk))


def _filters(dialect: Dialect, query: RunQuery, plan: Plan) -> list[ColumnElement[bool]]:
    c = runs.c
    where = [hooks.project_filter(dialect, runs, query.project_id, plan.drives_from_pks)]
    if query.workflow_ids:
        where.append(c.workflow_id.in_(query.workflow_ids))
    if query.workflow_types:
        where.append(
            c.workflow_id.in_(
                select(workflows.c.id).where(
                    workflows.c.project_id == query.project_id,
                    workflows.c.type.in_(query.workflow_types),
                )
            )
        )
    if query.statuses:
        where.append(c.status.in_([s.value for s in query.statuses]))
    if query.created_after is not None:
        where.append(c.created_at >= query.created_after)
    if query.created_before is not None:
        where.append(c.created_at < query.created_before)
    if query.trigger_types:
        where.append(c.trigger_type.in_(query.trigger_types))
    if query.triggered_by:
        where.append(c.triggered_by.in_(query.triggered_by))
    if query.credential_ids:
        where.append(c.credential_id.in_(query.credential_ids))
    if query.parent_run_id is not None:
        where.append(c.parent_run_id == query.parent_run_id)
    if query.root_run_id is not None:
        where.append(c.root_run_id == query.root_run_id)
    if query.is_test is not None:
        where.append(c.is_test.is_(query.is_test))
    if query.has_parent is not None:
        parent = c.parent_run_id
        where.append(parent.is_not(None) if query.has_parent else parent.is_(None))
    if query.requeued is not None:
        attempt = c.attempt > 1 if query.requeued else c.attempt <= 1
        where.append(or_(c.status != RunStatus.QUEUED.value, attempt))
    where.extend(_side_conditions(dialect, query, plan))
    return where


def _sort_bound(query: RunQuery, value: int) -> object:
    return value if query.sort.field is SortField.DURATION else from_micros(value)


def _after_value(
    query: RunQuery, position: Position, key: ColumnElement[Any] | None = None
) -> ColumnElement[bool]:
    """Rows with a sort value (``key``, by default the runs' column) strictly after
    ``position`` (which has one)."""
    assert position.value is not None
    key = SORT_COLUMNS[query.sort.field] if key is None else key
    bound = _sort_bound(query, position.value)
    if query.sort.descending:
        return and_(key <= bound, or_(key < bound, runs.c.id < position.run_id))
    return and_(key >= bound, or_(key > bound, runs.c.id > position.run_id))


def _null_branches(query: RunQuery) -> list[list[ColumnElement[bool]]]:
    """Per branch of the sort key (with a value / without), its extra conditions."""
    key = SORT_COLUMNS[query.sort.field]
    after = query.after
    if query.sort.field is SortField.CREATED_AT:
        return [[_after_value(query, after)] if after else []]
    branches: list[list[ColumnElement[bool]]] = []
    if after is None:
        branches.append([key.is_not(None)])
    elif after.value is not None:
        branches.append([key.is_not(None), _after_value(query, after)])
    without: list[ColumnElement[bool]] = [key.is_(None)]
    if after is not None and after.value is None:
        past = runs.c.id < after.run_id if query.sort.descending else runs.c.id > after.run_id
        without.append(past)
    branches.append(without)
    return branches


def _order(
    query: RunQuery, key: ColumnElement[object], id_col: ColumnElement[object]
) -> list[ColumnElement[object]]:
    if query.sort.descending:
        return [key.desc(), id_col.desc()]
    return [key.asc(), id_col.asc()]


def _split(query: RunQuery) -> list[RunQuery]:
    """The query once per value of the multi-valued filter the page is split on."""
    for name in ("workflow_ids", "statuses", "credential_ids", "trigger_types", "triggered_by"):
        values = getattr(query, name)
        if 1 < len(values) <= MAX_BRANCHES:
            narrowed: list[dict[str, Any]] = [{name: (value,)} for value in values]
            return [replace(query, **fields) for fields in narrowed]
    return [query]


def _branch(
    dialect: Dialect, query: RunQuery, part: RunQuery, plan: Plan, extra: list[ColumnElement[bool]]
) -> Select[Any]:
    """One ordered branch of a page: ids and sort keys of ``part``'s runs, in page order."""
    key = SORT_COLUMNS[query.sort.field]
    if plan.driving is None:
        return (
            select(runs.c.id, key)
            .where(*_filters(dialect, part, plan), *extra)
            .order_by(*_order(query, key, runs.c.id))
        )
    # Read along the driver's table: its created_at, the run's, leads the order, so the
    # walk stops after the page (``extra`` is the cursor on runs.created_at: restated).
    side, picked = _in_run_order(query, plan.driving)
    at = side.c.created_at
    bounds = [_after_value(query, query.after, at)] if query.after else []
    if query.created_after is not None:
        bounds.append(at >= query.created_after)
    if query.created_before is not None:
        bounds.append(at < query.created_before)
    return (
        select(runs.c.id, at.label(key.name))
        .select_from(runs.join(side, side.c.run_pk == runs.c.pk))
        .where(*picked, *bounds, *_filters(dialect, part, plan))
        .order_by(*_order(query, at, runs.c.id))
    )


def page_statement(
    dialect: Dialect,
    query: RunQuery,
    plan: Plan,
    columns: Sequence[ColumnElement[Any]] | None = None,
) -> Select[Any]:
    """The runs of one page (whole rows, or only ``columns``), plus one more row if there
    are more (``has_more``).

    The page is found on narrow rows (id and sort key, which every filter index covers)
    and only its own runs are then read whole, so an offset, the branches of a split
    filter or a list of candidates never drag wide rows through a sort.
    """
    key = SORT_COLUMNS[query.sort.field]
    branches = [
        _branch(dialect, query, part, plan, extra)
        for part in _split(query)
        for extra in _null_branches(query)
    ]
    if len(branches) == 1:
        page = branches[0].offset(query.offset or None).limit(query.limit + 1).subquery()
        page_ids = select(page.c.id)
    else:
        want = query.offset + query.limit + 1
        merged = union_all(*(b.limit(want).subquery().select() for b in branches)).subquery()
        merged_key = merged.c[key.name]
        page_ids = (
            select(merged.c.id)
            .order_by(merged_key.is_(None), *_order(query, merged_key, merged.c.id))
            .offset(query.offset or None)
            .limit(query.limit + 1)
        )
    return (
        (select(*columns) if columns else select(runs))
        .where(runs.c.id.in_(page_ids.scalar_subquery()))
        .order_by(key.is_(None), *_order(query, key, runs.c.id))
    )


def count_statement(
    dialect: Dialect, query: RunQuery, plan: Plan, cap: int | None = None
) -> Select[int]:
    """How many runs match (side filters through their indexes: cost ~ matches); with a
    ``cap``, counting stops after ``cap + 1`` matches, so a count above ``cap`` is known
    to be one without paying for the rest."""
    where = _filters(dialect, query, plan.for_counting())
    if cap is None:
        return select(func.count()).select_from(runs).where(*where)
    # A constant column: an index serving the filters answers without reading the rows.
    matches: Select[Any] = (
        select(literal_column("1")).select_from(runs).where(*where).limit(cap + 1)
    )
    return select(func.count()).select_from(matches.subquery())


def stats_statement(
    dialect: Dialect, query: RunQuery, plan: Plan, bucket_seconds: int, *, by_status: bool = False
) -> Select[Any]:
    """Runs per (time bucket, status), planned like ``count_statement``.

    ``by_status``, for a query of nothing but statuses and a time window: one branch per
    status, each read from the status index alone (it holds ``created_at``: index-only),
    instead of every run's row for its status (7 days by 6 hours at 1M runs on
    PostgreSQL: 110 -> 19 ms, with ``date_bin``).
    """
    if not by_status:
        return _stats_rows(dialect, query, plan, bucket_seconds).order_by("bucket", "status")
    statuses = query.statuses or tuple(RunStatus)
    merged = union_all(
        *(
            _stats_rows(dialect, replace(query, statuses=(s,)), plan, bucket_seconds)
            for s in statuses
        )
    ).subquery()
    return select(merged.c.bucket, merged.c.status, merged.c.count).order_by(
        merged.c.bucket, merged.c.status
    )


def _stats_rows(dialect: Dialect, query: RunQuery, plan: Plan, bucket_seconds: int) -> Select[Any]:
    bucket = hooks.time_bucket(dialect, runs.c.created_at, bucket_seconds).label("bucket")
    return (
        select(bucket, runs.c.status, func.count().label("count"))
        .where(*_filters(dialect, query, plan.for_counting()))
        .group_by(bucket, runs.c.status)
    )
