"""Workflows, their versions and their parameter definitions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from runyard.core.ids import canonical_uuid
from runyard.core.models import Parameter, Workflow, WorkflowType
from runyard.core.search_text import fold
from runyard.store.query.counts import by_workflow_status
from runyard.store.schema import runs, workflow_parameters, workflow_versions, workflows


def _workflow(row: Row[Any], parameters: Sequence[Parameter]) -> Workflow:
    m = row._mapping
    return Workflow(
        id=m["id"],
        project_id=m["project_id"],
        name=m["name"],
        title=m["title"],
        type=WorkflowType(m["type"]),
        description=m["description"],
        version=m["version"],
        version_id=m["version_id"],
        definition=m["definition"],
        parameters=tuple(parameters),
        error_handler_id=m["error_handler_id"],
        created_at=m["created_at"],
        modified_at=m["modified_at"],
        deleted_at=m["deleted_at"],
    )


def _parameters(conn: Connection, workflow_ids: Sequence[str]) -> dict[str, list[Parameter]]:
    found: dict[str, list[Parameter]] = {wid: [] for wid in workflow_ids}
    if not workflow_ids:
        return found
    p = workflow_parameters.c
    rows = conn.execute(
        select(workflow_parameters)
        .where(p.workflow_id.in_(workflow_ids), p.deleted_at.is_(None))
        .order_by(p.workflow_id, p.position)
    )
    for row in rows:
        m = row._mapping
        found[m["workflow_id"]].append(
            Parameter(
                key=m["key"], description=m["description"], type=m["type"], default=m["default"]
            )
        )
    return found


def find_workflow(conn: Connection, project_id: str, id_or_name: str) -> Workflow | None:
    """A live workflow of the project, by id (UUID) or by name."""
    w = workflows.c
    by = w.id == id_or_name if canonical_uuid(id_or_name) else w.name == id_or_name
    row = conn.execute(
        select(workflows).where(w.project_id == project_id, w.deleted_at.is_(None), by)
    ).first()
    if row is None:
        return None
    return _workflow(row, _parameters(conn, [row.id])[row.id])


def list_workflows(
    conn: Connection, project_id: str, *, types: Sequence[str] = (), with_counts: bool = True
) -> list[Workflow]:
    w = workflows.c
    query = select(workflows).where(w.project_id == project_id, w.deleted_at.is_(None))
    if types:
        query = query.where(w.type.in_(types))
    rows = conn.execute(query.order_by(w.name)).all()
    params = _parameters(conn, [r.id for r in rows])
    counts = _run_counts(conn, project_id, [r.id for r in rows]) if with_counts else {}
    result = []
    for row in rows:
        workflow = _workflow(row, params[row.id])
        if with_counts:
            n, last = counts.get(row.id, (0, None))
            workflow = replace(workflow, runs_count=n, last_run_at=last)
        result.append(workflow)
    return result


def _run_counts(
    conn: Connection, project_id: str, workflow_ids: Sequence[str]
) -> dict[str, tuple[int, datetime | None]]:
    """Each workflow's number of runs (from the kept counts) and newest ``created_at``
    (one index probe for each)."""
    if not workflow_ids:
        return {}
    kept = by_workflow_status(conn, project_id, workflow_ids)
    counts = {wid: sum(by_status.values()) for wid, by_status in kept.items()}
    last = last_runs(conn, project_id, list(counts))
    return {wid: (n, last.get(wid)) for wid, n in counts.items()}


def last_runs(
    conn: Connection, project_id: str, workflow_ids: Sequence[str]
) -> dict[str, datetime]:
    """Each workflow's newest run's ``created_at`` (one index probe per workflow)."""
    if not workflow_ids:
        return {}
    newest = (
        select(func.max(runs.c.created_at))
        .where(runs.c.project_id == project_id, runs.c.workflow_id == workflows.c.id)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(workflows.c.id, newest).where(
            workflows.c.project_id == project_id, workflows.c.id.in_(workflow_ids)
        )
    )
    return {wid: at for wid, at in rows if at is not None}


def workflows_by_id(
    conn: Connection, project_id: str, workflow_ids: Sequence[str], *, with_counts: bool = False
) -> dict[str, Workflow]:
    """The project's workflows with these ids, deleted ones included (their runs remain);
    parameters are left out."""
    if not workflow_ids:
        return {}
    w = workflows.c
    rows = conn.execute(
        select(workflows).where(w.project_id == project_id, w.id.in_(workflow_ids))
    ).all()
    counts = _run_counts(conn, project_id, [r.id for r in rows]) if with_counts else {}
    found = {}
    for row in rows:
        workflow = _workflow(row, ())
        if with_counts:
            n, last = counts.get(row.id, (0, None))
            workflow = replace(workflow, runs_count=n, last_run_at=last)
        found[row.id] = workflow
    return found


def version_ids(
    conn: Connection, versions: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], str]:
    """(workflow id, version) -> the id of that version."""
    if not versions:
        return {}
    v = workflow_versions.c
    rows = conn.execute(
        select(v.workflow_id, v.version, v.version_id).where(
            v.workflow_id.in_({wid for wid, _ in versions})
        )
    )
    wanted = set(versions)
    return {(wid, n): vid for wid, n, vid in rows if (wid, n) in wanted}


NAMES = "runyard_workflow_names"  # in a connection's info: the names it has read


def workflow_names(conn: Connection, workflow_ids: Sequence[str]) -> dict[str, str]:
    """Each workflow's name. A workflow's name never changes, so each pooled connection
    remembers the names it has read: a page of runs needs no read of them after the
    first (at most 10,000 are kept per connection)."""
    known: dict[str, str] = conn.info.setdefault(NAMES, {})
    missing = [w for w in workflow_ids if w not in known]
    if missing:
        rows = conn.execute(
            select(workflows.c.id, workflows.c.name).where(workflows.c.id.in_(missing))
        )
        if len(known) > 10_000:
            known.clear()
        known.update((workflow_id, name) for workflow_id, name in rows)
    return {w: known[w] for w in workflow_ids if w in known}


def insert_workflow(conn: Connection, workflow: Workflow) -> None:
    conn.execute(
        workflows.insert().values(
            id=workflow.id,
            project_id=workflow.project_id,
            name=workflow.name,
            title=workflow.title,
            type=workflow.type.value,
            description=workflow.description,
            version=workflow.version,
            version_id=workflow.version_id,
            definition=workflow.definition,
            error_handler_id=workflow.error_handler_id,
            created_at=workflow.created_at,
            modified_at=workflow.modified_at,
        )
    )
    _record_version(conn, workflow)
    _write_parameters(conn, workflow, workflow.created_at)


def update_workflow(conn: Connection, workflow: Workflow, *, new_version: bool) -> None:
    conn.execute(
        update(workflows)
        .where(workflows.c.id == workflow.id)
        .values(
            title=workflow.title,
            type=workflow.type.value,
            description=workflow.description,
            version=workflow.version,
            version_id=workflow.version_id,
            definition=workflow.definition,
            error_handler_id=workflow.error_handler_id,
            modified_at=workflow.modified_at,
        )
    )
    if new_version:
        _record_version(conn, workflow)
        _write_parameters(conn, workflow, workflow.modified_at)


def _record_version(conn: Connection, workflow: Workflow) -> None:
    conn.execute(
        workflow_versions.insert().values(
            version_id=workflow.version_id,
            workflow_id=workflow.id,
            version=workflow.version,
            definition=workflow.definition,
            parameters=[
                {"key": p.key, "description": p.description, "type": p.type, "default": p.default}
                for p in workflow.parameters
            ],
            created_at=workflow.modified_at,
        )
    )


def _write_parameters(conn: Connection, workflow: Workflow, now: datetime) -> None:
    """Make the live parameter set exactly ``workflow.parameters``; others become deleted."""
    p = workflow_parameters.c
    conn.execute(
        update(workflow_parameters)
        .where(p.workflow_id == workflow.id, p.deleted_at.is_(None))
        .values(deleted_at=now)
    )
    existing = set(conn.execute(select(p.key).where(p.workflow_id == workflow.id)).scalars())
    for position, param in enumerate(workflow.parameters):
        values = {
            "project_id": workflow.project_id,
            "position": position,
            "description": param.description,
            "type": param.type,
            "default": param.default,
            "deleted_at": None,
            "search_text": fold(f"{param.key}\n{param.description}"),
        }
        if param.key in existing:
            conn.execute(
                update(workflow_parameters)
                .where(p.workflow_id == workflow.id, p.key == param.key)
                .values(**values)
            )
        else:
            conn.execute(
                workflow_parameters.insert().values(
                    workflow_id=workflow.id, key=param.key, **values
                )
            )


def soft_delete_workflow(conn: Connection, workflow_id: str, now: datetime) -> None:
    conn.execute(
        update(workflows)
        .where(workflows.c.id == workflow_id)
        .values(deleted_at=now, modified_at=now)
    )


def versions_of(
    conn: Connection, workflow_ids: Sequence[str]
) -> dict[str, list[tuple[int, datetime]]]:
    """Each workflow's versions, newest first: (version, created_at)."""
    if not workflow_ids:
        return {}
    v = workflow_versions.c
    found: dict[str, list[tuple[int, datetime]]] = {wid: [] for wid in workflow_ids}
    rows = conn.execute(
        select(v.workflow_id, v.version, v.created_at)
        .where(v.workflow_id.in_(workflow_ids))
        .order_by(v.workflow_id, v.version.desc())
    )
    for wid, version, created_at in rows:
        found[wid].append((version, created_at))
    return found


def ids_of_types(conn: Connection, project_id: str, types: Sequence[str]) -> list[str]:
    """The ids of the project's workflows of these types (any version, live or not)."""
    found = conn.execute(
        select(workflows.c.id).where(
            workflows.c.project_id == project_id, workflows.c.type.in_(list(types))
        )
    )
    return sorted(found.scalars())
