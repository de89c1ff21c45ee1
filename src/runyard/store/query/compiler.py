"""The compiler: a ``RunQuery`` and its plan (plans.py) become SQL. With
``compiler_counts.py``, the only place that turns a ``RunQuery`` into SQL.

Plans, and why:

* Every filter column has an index ``(project_id, <column>, created_at, id)``, so a
  filtered page is read from an index in the requested order and stops after
  ``limit + 1`` rows; the extra row makes ``has_more`` exact.
* A multi-valued filter (``status IN (a, b)``) cannot be read in order from one index
  range, so a page over it is a ``UNION ALL`` of one ordered, limited branch per value,
  merged and cut to the page (the plan's ``split_on``). Each branch is an index range in
  order.
* Nullable sort keys (``started_at``, ``finished_at``, ``duration``) put runs without a
  value last in both directions: one branch for runs with a value, one for runs without.
* Side-index filters (``search`` through its trigram index, ``error_code`` and ``tag``
  through their tables) are probed first (probes.py), for up to the planner's dense
  threshold of matches. Sparse ones hand over their few matching pks and the page is
  read from those rows (``FromCandidates``); dense ones are tested row by row while the
  page is read in order, which stops early precisely because matches are common. Neither
  reads all of a project.
* A filter on one error code or one tag value, in a page sorted by ``created_at``, drives
  the page instead when it is dense or the only short list (``AlongSideTable``): its
  table is keyed by the run's ``created_at``, so the page walks that key in order, joined
  to each run by pk, and stops after ``limit + 1`` matches. A code in 0.2 % of runs no
  longer means testing 500 runs per match found, nor 1,600 matches fetched to keep the
  newest 50.
* Keyset pagination: ``(key, id)`` after the cursor, as ``key <= v AND (key < v OR id <
  i)`` (descending), which any B-tree range can serve on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Dialect,
    Select,
    Table,
    and_,
    exists,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import KeyedColumnElement

from runyard.core.query import Position, RunQuery, SortField
from runyard.core.search_text import fold
from runyard.core.statuses import RunStatus
from runyard.core.times import from_micros
from runyard.store.backends import backend_for, like_pattern
from runyard.store.query.plans import AlongSideTable, FromCandidates, Reading
from runyard.store.schema import run_error_codes, run_tags, runs, workflow_parameters, workflows

SORT_COLUMNS: dict[SortField, KeyedColumnElement[object]] = {
    SortField.CREATED_AT: runs.c.created_at,
    SortField.STARTED_AT: runs.c.started_at,
    SortField.FINISHED_AT: runs.c.finished_at,
    SortField.DURATION: runs.c.duration_us,
}


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
    return backend_for(dialect).search_pks(runs, query.project_id, fold(query.search))


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


def in_run_order(query: RunQuery, name: str) -> tuple[Table, list[ColumnElement[bool]]]:
    """The side table of filter ``name`` (one error code or one tag value) and the
    conditions picking its one key prefix, along which its runs lie in ``created_at``
    order."""
    if name == "error_codes":
        (code,) = query.error_codes
        e = run_error_codes.c
        return run_error_codes, [e.project_id == query.project_id, e.error_code == code]
    tag = query.tags[int(name.removeprefix("tag"))]
    (value,) = tag.values
    t = run_tags.c
    return run_tags, [t.project_id == query.project_id, t.key == tag.key, t.value == value]


def probe_statement(rows: Select[int], limit: int) -> Select[int]:
    """The first ``limit`` (the dense threshold) pks a side filter allows: all of them if
    it is sparse."""
    return rows.limit(limit)


def stretch_statement(
    dialect: Dialect, project_id: str, stretches: list[str], limit: int
) -> Select[int]:
    """Up to ``limit`` pks of runs whose search text holds each of these parts of a search
    term (see terms.py), by the trigram index."""
    return backend_for(dialect).search_pks_holding_all(runs, project_id, stretches).limit(limit)


def containing_statement(dialect: Dialect, pks: list[int], folded_term: str) -> Select[int]:
    """Those of these runs whose search text contains the whole folded term."""
    backend = backend_for(dialect)
    return select(runs.c.pk).where(
        backend.pk_among(runs.c.pk, pks), backend.search_scan(runs, folded_term)
    )


def trigram_sample_statement(project_id: str, limit: int) -> Select[str]:
    """The search text of the project's ``limit`` newest runs (terms.py)."""
    return (
        select(runs.c.search_text)
        .where(runs.c.project_id == project_id)
        .order_by(runs.c.created_at.desc())
        .limit(limit)
    )


def parameter_match_statement(project_id: str, term: str) -> Select[str]:
    """Workflows with a live parameter whose key or description contains ``term``."""
    p = workflow_parameters.c
    return (
        select(p.workflow_id)
        .where(
            p.project_id == project_id,
            p.deleted_at.is_(None),
            p.search_text.like(like_pattern(fold(term)), escape="\\"),
        )
        .distinct()
    )


def _candidates(plan: Reading) -> frozenset[int] | None:
    return plan.candidates if isinstance(plan, FromCandidates | AlongSideTable) else None


def _side_conditions(
    dialect: Dialect, query: RunQuery, plan: Reading, *, page: bool
) -> list[ColumnElement[bool]]:
    """The side filters' conditions: a page tests dense filters row by row, a count reads
    them through their index; a page along a side table leaves that filter to the walk."""
    candidates = _candidates(plan)
    driving = plan.driver if isinstance(plan, AlongSideTable) and page else None
    where: list[ColumnElement[bool]] = []
    if candidates is not None and driving is None:  # a driver's walk is its list
        where.append(backend_for(dialect).pk_among(runs.c.pk, sorted(candidates)))
    for name, rows in side_filters(dialect, query).items():
        if name == driving:
            continue  # the page is read along its table (``_branch``)
        scan = name in plan.dense and page
        covered = name not in plan.dense and candidates is not None
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
        return backend_for(dialect).search_scan(runs, fold(query.search))
    pk_column = run_error_codes.c.run_pk if name == "error_codes" else run_tags.c.run_pk
    # Correlated on ``runs`` alone: a page walking another tag's ``run_tags`` (``_branch``)
    # must not correlate this subquery's own ``run_tags`` away.
    return exists(rows.where(pk_column == runs.c.pk).correlate(runs))


def _from_pks(plan: Reading, *, page: bool) -> bool:
    """Whether the rows come from pk lookups (candidates, side indexes), not from an
    index range: a page along a side table, candidates, or a count of dense filters."""
    if isinstance(plan, FromCandidates | AlongSideTable):
        return True
    return bool(plan.dense) and not page


def conditions(
    dialect: Dialect, query: RunQuery, plan: Reading, *, page: bool
) -> list[ColumnElement[bool]]:
    """The WHERE clause of the query's runs, for a page or (``page`` False) a count."""
    c = runs.c
    where = [
        backend_for(dialect).project_filter(runs, query.project_id, _from_pks(plan, page=page))
    ]
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
    where.extend(_side_conditions(dialect, query, plan, page=page))
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


def _split(query: RunQuery, plan: Reading) -> list[RunQuery]:
    """The query once per value of the multi-valued filter the page is split on."""
    if plan.split_on is None:
        return [query]
    narrowed: list[dict[str, Any]] = [{plan.split_on: (v,)} for v in getattr(query, plan.split_on)]
    return [replace(query, **fields) for fields in narrowed]


def _branch(
    dialect: Dialect,
    query: RunQuery,
    part: RunQuery,
    plan: Reading,
    extra: list[ColumnElement[bool]],
) -> Select[Any]:
    """One ordered branch of a page: ids and sort keys of ``part``'s runs, in page order."""
    key = SORT_COLUMNS[query.sort.field]
    if not isinstance(plan, AlongSideTable):
        return (
            select(runs.c.id, key)
            .where(*conditions(dialect, part, plan, page=True), *extra)
            .order_by(*_order(query, key, runs.c.id))
        )
    # Read along the driver's table: its created_at, the run's, leads the order, so the
    # walk stops after the page (``extra`` is the cursor on runs.created_at: restated).
    side, picked = in_run_order(query, plan.driver)
    at = side.c.created_at
    bounds = [_after_value(query, query.after, at)] if query.after else []
    if query.created_after is not None:
        bounds.append(at >= query.created_after)
    if query.created_before is not None:
        bounds.append(at < query.created_before)
    return (
        select(runs.c.id, at.label(key.name))
        .select_from(runs.join(side, side.c.run_pk == runs.c.pk))
        .where(*picked, *bounds, *conditions(dialect, part, plan, page=True))
        .order_by(*_order(query, at, runs.c.id))
    )


def page_statement(
    dialect: Dialect,
    query: RunQuery,
    plan: Reading,
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
        for part in _split(query, plan)
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
