"""Resolving the workflow references callers use (id or name) to workflow ids."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Connection, or_, select

from runyard.core.ids import canonical_uuid
from runyard.store.schema import workflows


def resolve(conn: Connection, project_id: str, refs: Iterable[str]) -> dict[str, tuple[str, int]]:
    """Each ref (a workflow id, or the name of a live workflow) -> (id, current version).

    Refs that name nothing in the project are absent from the result. Ids of deleted
    workflows still resolve: their runs stay findable.
    """
    wanted = set(refs)
    ids = {canonical_uuid(r) or "" for r in wanted} - {""}
    names = {r for r in wanted if not canonical_uuid(r)}
    w = workflows.c
    conditions: list[ColumnElement[bool]] = []
    if ids:
        conditions.append(w.id.in_(ids))
    if names:
        conditions.append((w.name.in_(names)) & w.deleted_at.is_(None))
    if not conditions:
        return {}
    found: dict[str, tuple[str, int]] = {}
    rows = conn.execute(
        select(w.id, w.name, w.version, w.deleted_at).where(
            w.project_id == project_id, or_(*conditions)
        )
    )
    for wid, name, version, deleted_at in rows:
        if wid in ids:
            found[wid] = (wid, version)
        if name in names and deleted_at is None:
            found[name] = (wid, version)
    # A ref given as a non-canonical UUID string maps through its canonical form.
    for ref in wanted:
        canonical = canonical_uuid(ref)
        if canonical and canonical in found:
            found[ref] = found[canonical]
    return found
