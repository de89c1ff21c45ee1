"""Runs and steps: rows to records and back, and every write to them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Update, bindparam, delete, func, select, update

from runyard.core.models import Run, RunHead, Step, StepError, TriggerType
from runyard.core.search_text import build_search_text
from runyard.core.statuses import RunStatus
from runyard.core.times import to_micros
from runyard.store import callback_rows, signals
from runyard.store.backends import backend_of
from runyard.store.schema import run_error_codes, run_status_changes, run_tags, runs, steps


def duration_us(started_at: datetime | None, finished_at: datetime | None) -> int | None:
    if started_at is None or finished_at is None:
        return None
    return to_micros(finished_at) - to_micros(started_at)


def run_values(run: Run) -> dict[str, Any]:
    """The ``runs`` row of a record (without ``pk``)."""
    return {
        "id": run.id,
        "project_id": run.project_id,
        "workflow_id": run.workflow_id,
        "workflow_version": run.workflow_version,
        "status": run.status.value,
        "attempt": run.attempt,
        "input": run.input,
        "result": run.result,
        "error": run.error,
        "failure_reason": run.failure_reason,
        "failure_category": run.failure_category,
        "parent_run_id": run.parent_run_id,
        "root_run_id": run.root_run_id or run.id,
        "depends_on_run_id": run.depends_on_run_id,
        "source_run_id": run.source_run_id,
        "trigger_type": run.trigger_type.value,
        "triggered_by": run.triggered_by,
        "credential_id": run.credential_id,
        "is_test": run.is_test,
        "dry_run": run.dry_run,
        "progress": run.progress,
        "node_ids": run.node_ids,
        "credits_used": run.credits_used,
        "extra_http_headers": run.extra_http_headers,
        "webhook_callback_url": run.webhook_callback_url,
        "tags": run.tags,
        "session_id": run.session_id,
        "created_at": run.created_at,
        "queued_at": run.queued_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "modified_at": run.modified_at,
        "duration_us": duration_us(run.started_at, run.finished_at),
    }


# The columns a ``RunHead`` is read from (``duration_us`` for a page's sort position).
HEAD_COLUMNS = [
    runs.c[name]
    for name in (
        *(f.name for f in fields(RunHead) if f.name != "workflow_name"),
        "duration_us",
    )
]


def _head_values(m: RowMapping, workflow_name: str | None) -> dict[str, Any]:
    return {
        "id": m["id"],
        "project_id": m["project_id"],
        "workflow_id": m["workflow_id"],
        "workflow_version": m["workflow_version"],
        "status": RunStatus(m["status"]),
        "attempt": m["attempt"],
        "parent_run_id": m["parent_run_id"],
        "root_run_id": m["root_run_id"],
        "depends_on_run_id": m["depends_on_run_id"],
        "source_run_id": m["source_run_id"],
        "trigger_type": TriggerType(m["trigger_type"]),
        "triggered_by": m["triggered_by"],
        "credential_id": m["credential_id"],
        "is_test": bool(m["is_test"]),
        "dry_run": bool(m["dry_run"]),
        "progress": m["progress"],
        "credits_used": m["credits_used"],
        "webhook_callback_url": m["webhook_callback_url"],
        "session_id": m["session_id"],
        "created_at": m["created_at"],
        "queued_at": m["queued_at"],
        "started_at": m["started_at"],
        "finished_at": m["finished_at"],
        "modified_at": m["modified_at"],
        "workflow_name": workflow_name,
    }


def head_from_row(m: RowMapping, workflow_name: str | None = None) -> RunHead:
    return RunHead(**_head_values(m, workflow_name))


def run_from_row(m: RowMapping, workflow_name: str | None = None) -> Run:
    return Run(
        **_head_values(m, workflow_name),
        input=m["input"],
        result=m["result"],
        error=m["error"],
        failure_reason=m["failure_reason"],
        failure_category=m["failure_category"],
        node_ids=m["node_ids"],
        extra_http_headers=m["extra_http_headers"],
        tags=m["tags"],
    )


def _step_errors(raw: Any) -> tuple[StepError, ...]:
    errors = []
    for item in raw or ():
        extra = {k: v for k, v in item.items() if k not in ("error_code", "message")}
        errors.append(StepError(item["error_code"], item.get("message") or "", extra))
    return tuple(errors)


def step_from_row(m: RowMapping) -> Step:
    return Step(
        seq=m["seq"],
        name=m["name"],
        status=RunStatus(m["status"]),
        attempt=m["attempt"],
        input=m["input"],
        output=m["output"],
        errors=_step_errors(m["errors"]),
        started_at=m["started_at"],
        finished_at=m["finished_at"],
    )


def step_values(run_pk: int, step: Step) -> dict[str, Any]:
    return {
        "run_pk": run_pk,
        "seq": step.seq,
        "name": step.name,
        "status": step.status.value,
        "attempt": step.attempt,
        "input": step.input,
        "output": step.output,
        "errors": [
            {**e.extra, "error_code": e.error_code, "message": e.message} for e in step.errors
        ],
        "started_at": step.started_at,
        "finished_at": step.finished_at,
    }


def insert_runs(
    conn: Connection,
    records: Sequence[Run],
    *,
    idempotency_keys: Sequence[str | None] = (),
    history: bool = False,
) -> dict[str, int]:
    """Insert the runs whose id is new (others are left as they are); their ids -> pks.

    Steps, error codes, tags and the search index are written with them. Rows go in as
    one ``executemany`` with pks allocated up front, which both drivers stream without
    building a statement per batch. A run that a concurrent writer stored first (same
    id, or same idempotency key) is skipped like one stored before, never duplicated.
    """
    keys = dict(zip((r.id for r in records), idempotency_keys, strict=False))
    taken = set(
        conn.execute(select(runs.c.id).where(runs.c.id.in_([r.id for r in records]))).scalars()
    )
    fresh: dict[str, Run] = {}
    for record in records:
        if record.id not in taken:
            fresh.setdefault(record.id, record)
    if not fresh:
        return {}
    allocated = dict(zip(fresh, backend_of(conn).allocate_run_pks(conn, len(fresh)), strict=True))
    rows = []
    for run_id, record in fresh.items():
        row = run_values(record)
        row["pk"] = allocated[run_id]
        row["search_text"] = build_search_text(record.id, record.input, record.extra_http_headers)
        row["idempotency_key"] = keys.get(run_id)
        rows.append(row)
    stored = backend_of(conn).bulk_insert_new(conn, runs, rows, key="pk")
    inserted = {run_id: pk for run_id, pk in allocated.items() if pk in stored}
    kept = [row for row in rows if row["pk"] in stored]
    step_rows = [
        step_values(inserted[run_id], step)
        for run_id, record in fresh.items()
        if run_id in inserted
        for step in record.steps or ()
    ]
    backend_of(conn).bulk_insert(conn, steps, step_rows)
    _index_codes_and_tags(
        conn, [(inserted[run_id], r) for run_id, r in fresh.items() if run_id in inserted]
    )
    backend_of(conn).index_search_text(conn, [(row["pk"], row["search_text"]) for row in kept])
    if history:  # a run created here starts its history (imported ones bring timestamps)
        record_status(conn, [(pk, fresh[run_id]) for run_id, pk in inserted.items()])
    queued = {fresh[r].project_id for r in inserted if fresh[r].status is RunStatus.QUEUED}
    for project_id in queued:
        signals.note(conn, signals.queued(project_id))  # idle workers look at once
    return inserted


def _index_codes_and_tags(conn: Connection, pairs: Iterable[tuple[int, Run]]) -> None:
    codes: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    for pk, run in pairs:
        seen = {e.error_code for s in run.steps or () for e in s.errors}
        project, at = run.project_id, run.created_at
        codes.extend(
            {"project_id": project, "error_code": c, "created_at": at, "run_pk": pk} for c in seen
        )
        tags.extend(
            {"project_id": project, "key": k, "value": v, "created_at": at, "run_pk": pk}
            for k, v in run.tags.items()
        )
    backend_of(conn).bulk_insert(conn, run_error_codes, codes)
    backend_of(conn).bulk_insert(conn, run_tags, tags)


def run_pk_and_record(
    conn: Connection, project_id: str, run_id: str, *, for_update: bool = False
) -> tuple[int, Run] | None:
    query = select(runs).where(runs.c.id == run_id, runs.c.project_id == project_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        return None
    return row._mapping["pk"], run_from_row(row._mapping)


def pks_and_statuses(
    conn: Connection, project_id: str, run_ids: Sequence[str]
) -> dict[str, tuple[int, RunStatus]]:
    """The pk and status of each of the project's runs among ``run_ids``."""
    if not run_ids:
        return {}
    c = runs.c
    rows = conn.execute(
        select(c.id, c.pk, c.status).where(c.project_id == project_id, c.id.in_(set(run_ids)))
    )
    return {run_id: (pk, RunStatus(status)) for run_id, pk, status in rows}


def run_by_idempotency_key(
    conn: Connection, project_id: str, workflow_id: str, key: str
) -> Run | None:
    row = conn.execute(
        select(runs).where(
            runs.c.project_id == project_id,
            runs.c.workflow_id == workflow_id,
            runs.c.idempotency_key == key,
        )
    ).first()
    return run_from_row(row._mapping) if row else None


def load_steps(conn: Connection, run_pk: int) -> tuple[Step, ...]:
    rows = conn.execute(select(steps).where(steps.c.run_pk == run_pk).order_by(steps.c.seq))
    return tuple(step_from_row(r._mapping) for r in rows)


def load_steps_of(conn: Connection, run_pks: Sequence[int]) -> dict[int, tuple[Step, ...]]:
    """The steps of several runs in one query."""
    found: dict[int, list[Step]] = {pk: [] for pk in run_pks}
    if run_pks:
        query = select(steps).where(steps.c.run_pk.in_(run_pks))
        for row in conn.execute(query.order_by(steps.c.run_pk, steps.c.seq)):
            found[row._mapping["run_pk"]].append(step_from_row(row._mapping))
    return {pk: tuple(found_steps) for pk, found_steps in found.items()}


# What may change on a run after it is created (everything else is fixed at creation).
MUTABLE_FIELDS = (
    "status",
    "attempt",
    "result",
    "error",
    "failure_reason",
    "failure_category",
    "progress",
    "credits_used",
    "queued_at",
    "started_at",
    "finished_at",
    "modified_at",
    "duration_us",
)


# Set while runyard's own workers execute a run (see store/queue.py).
EXECUTION_FIELDS = ("lease_owner", "lease_expires_at", "available_at", "waiting_for", "deadline_at")


def _state_statement(*, execution: bool, held: bool) -> Update:
    """An ``UPDATE`` of a run's state, its values and guards all bound parameters: built
    once, so a status change costs no statement building (workers make many)."""
    c = runs.c
    where = [c.pk == bindparam("w_pk"), c.status == bindparam("w_status")]
    if held:
        where.append(c.lease_owner == bindparam("w_owner"))
    fields = MUTABLE_FIELDS + (EXECUTION_FIELDS if execution else ())
    return (
        update(runs).where(*where).values({f: bindparam(f"v_{f}", type_=c[f].type) for f in fields})
    )


_STATE = _state_statement(execution=False, held=False)
_STATE_AND_EXECUTION = _state_statement(execution=True, held=False)
_STATE_HELD = _state_statement(execution=True, held=True)


def write_state(
    conn: Connection,
    run_pk: int,
    expected: RunStatus,
    run: Run,
    *,
    execution: dict[str, Any] | None = None,
    owner: str | None = None,
    record: bool = True,
) -> bool:
    """Write ``run``'s mutable fields (and ``execution``'s columns) if the stored run still
    has status ``expected`` (and ``owner``'s lease). A run that ends gets its callback
    queued in the same transaction; a new status goes into its history (unless the caller
    records a batch of them itself: ``record=False``)."""
    values = run_values(run)
    params: dict[str, Any] = {"w_pk": run_pk, "w_status": expected.value}
    params.update((f"v_{f}", values[f]) for f in MUTABLE_FIELDS)
    if execution is not None:
        params.update((f"v_{f}", execution[f]) for f in EXECUTION_FIELDS)
    if owner is not None:
        assert execution is not None, "a held run's execution columns are always written"
        params["w_owner"] = owner
        statement = _STATE_HELD
    else:
        statement = _STATE if execution is None else _STATE_AND_EXECUTION
    if conn.execute(statement, params).rowcount != 1:
        return False
    if record and run.status is not expected:
        record_status(conn, [(run_pk, run)])
    if run.status is RunStatus.QUEUED:
        signals.note(conn, signals.queued(run.project_id))
    callback_rows.enqueue_if_finished(conn, expected, run)
    return True


_RECORD_STATUS = run_status_changes.insert()


def record_status(conn: Connection, changed: Sequence[tuple[int, Run]]) -> None:
    """Add each run's current status to its history (at ``modified_at``)."""
    if changed:
        conn.execute(
            _RECORD_STATUS,
            [
                {
                    "project_id": run.project_id,
                    "run_pk": pk,
                    "status": run.status.value,
                    "attempt": run.attempt,
                    "at": run.modified_at,
                }
                for pk, run in changed
            ],
        )


def save_run_state(conn: Connection, run_pk: int, expected: RunStatus, run: Run) -> bool:
    """Write ``run``'s mutable fields if the stored run still has status ``expected``.

    The status guard makes a concurrent change lose cleanly instead of being overwritten.
    """
    cleared = None
    if run.status.is_terminal or run.status is RunStatus.QUEUED:
        # An ended run holds nothing; a queued one waits for a new claim.
        cleared = dict.fromkeys(EXECUTION_FIELDS)
    return write_state(conn, run_pk, expected, run, execution=cleared)


def next_step_seq(conn: Connection, run_pk: int) -> int:
    current = conn.execute(select(func.max(steps.c.seq)).where(steps.c.run_pk == run_pk)).scalar()
    return 1 if current is None else int(current) + 1


def upsert_steps(conn: Connection, project_id: str, items: Sequence[tuple[int, Step]]) -> None:
    """Write each ``(run pk, step)``, replacing the step with that ``seq`` (the last of a
    batch wins), in one statement; then re-index the error codes of the runs whose codes
    may have changed: those given a step with errors, and those that had codes (a step
    with errors replaced). A batch of clean steps of clean runs costs two statements."""
    latest = {(pk, step.seq): (pk, step) for pk, step in items}
    if not latest:
        return
    pks = sorted({pk for pk, _ in latest.values()})
    had_codes = set(
        conn.execute(
            select(run_error_codes.c.run_pk).where(run_error_codes.c.run_pk.in_(pks)).distinct()
        ).scalars()
    )
    backend_of(conn).bulk_upsert(
        conn, steps, [step_values(pk, step) for pk, step in latest.values()], ("run_pk", "seq")
    )
    stale = had_codes | {pk for pk, step in latest.values() if step.errors}
    for run_pk in sorted(stale):
        _index_step_codes(conn, project_id, run_pk)


def _index_step_codes(conn: Connection, project_id: str, run_pk: int) -> None:
    """Rewrite a run's rows of ``run_error_codes`` from its steps."""
    codes: set[str] = set()
    for (errors,) in conn.execute(select(steps.c.errors).where(steps.c.run_pk == run_pk)):
        codes.update(e["error_code"] for e in errors or ())
    conn.execute(delete(run_error_codes).where(run_error_codes.c.run_pk == run_pk))
    if codes:
        at = conn.execute(select(runs.c.created_at).where(runs.c.pk == run_pk)).scalar_one()
        conn.execute(
            run_error_codes.insert(),
            [
                {"project_id": project_id, "error_code": c, "created_at": at, "run_pk": run_pk}
                for c in sorted(codes)
            ],
        )


def roots_of(conn: Connection, project_id: str, run_ids: Sequence[str]) -> dict[str, str]:
    """The ``root_run_id`` of each stored run among ``run_ids``."""
    if not run_ids:
        return {}
    rows = conn.execute(
        select(runs.c.id, runs.c.root_run_id).where(
            runs.c.project_id == project_id, runs.c.id.in_(set(run_ids))
        )
    )
    return dict(rows.all())
