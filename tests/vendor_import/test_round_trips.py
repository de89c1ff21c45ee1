"""``runyard runs import --from VENDOR`` against runyard's own ``/compat/<vendor>`` mounts
(the vendors' wire formats) of a second server: every field the vendor's seed documents
survives the trip; a rerun imports nothing; an import cut short (a vendor that stops
answering, a killed process) resumes and imports each run exactly once; ``--since``
filters; a bad key is one clean line. ``RUNYARD_IMPORT_RUNS`` sets the corpus size.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from runyard.client import Client
from runyard.core.models import TriggerType, WorkflowType
from runyard.core.statuses import RunStatus
from runyard.core.vendor_words import (
    CLOUDCRUISE_REQUEUED,
    NOXUS_TYPE,
    SKYVERN_TRIGGER,
    STATUS_BY_VENDOR,
)
from runyard.vendor_import import VENDORS
from runyard.vendor_import.records import slug
from tests.conftest import ADMIN_KEY
from tests.vendor_import import corpus
from tests.vendor_import.conftest import Pair, Source

NAMES = list(VENDORS)
BIN = Path(sys.executable).parent


# -- what each vendor shows of a run ------------------------------------------------------


def _word(vendor: str, row: dict[str, Any]) -> str:
    status = RunStatus(row["status"])
    if vendor == "cloudcruise" and status is RunStatus.QUEUED and row["attempt"] > 1:
        return CLOUDCRUISE_REQUEUED
    return STATUS_BY_VENDOR[vendor][status]


def _object(value: Any) -> Any:
    return value if value is None or isinstance(value, dict) else {"value": value}


def view(vendor: str, row: dict[str, Any], workflow: dict[str, Any], key: str) -> dict[str, Any]:
    """The fields of ``row`` that ``vendor``'s seed documents, in the vendor's words;
    ``key`` is the workflow as runyard named it on that side."""
    shown = {"id": row["id"], "workflow": key, "status": _word(vendor, row)}
    pick = {
        "polos": (
            "created_at",
            "finished_at",
            "input",
            "result",
            "error",
            "root_run_id",
            "session_id",
            "parent_run_id",
        ),
        "b3os": (
            "started_at",
            "finished_at",
            "is_test",
            "dry_run",
            "source_run_id",
            "credits_used",
            "trigger_type",
            "triggered_by",
            "workflow_version",
        ),
        "skyvern": (
            "created_at",
            "modified_at",
            "queued_at",
            "started_at",
            "finished_at",
            "extra_http_headers",
            "webhook_callback_url",
            "failure_category",
            "parent_run_id",
            "depends_on_run_id",
        ),
        "cloudcruise": (
            "created_at",
            "started_at",
            "finished_at",
            "dry_run",
            "input",
            "credential_id",
        ),
        "noxus": ("created_at", "finished_at", "input", "node_ids", "progress", "trigger_type"),
    }[vendor]
    shown.update({k: row[k] for k in pick})
    if vendor == "skyvern":
        shown["failure_reason"] = row["failure_reason"] or row["error"]
        shown["trigger_type"] = SKYVERN_TRIGGER[TriggerType(row["trigger_type"])]
        shown["credits_used"] = round(row["credits_used"])
        shown["title"] = workflow["title"]
    if vendor == "cloudcruise":
        shown["data"] = _object(row["result"]) or None
    if vendor == "noxus":
        shown["output"] = _object(row["result"])
        shown["title"] = workflow["title"]
        shown["description"] = workflow["description"]
        shown["type"] = NOXUS_TYPE[WorkflowType(workflow["type"])]
    return shown


def source_key(vendor: str, row: dict[str, Any]) -> str:
    """The workflow as the vendor names it: Polos by name, the others by id."""
    return slug(row["workflow_name"] if vendor == "polos" else row["workflow_id"])


def visible(source: Source, vendor: str, *, children: bool = True) -> set[str]:
    """The source runs an import from ``vendor`` (with ``vendor_args``) brings; Skyvern's
    list of all runs leaves out ``children``."""
    types = {w["id"]: w["type"] for w in source.workflows.values()}
    found = set(source.rows)
    if vendor == "polos":  # Polos lists workflows, agents and tools
        found = {i for i in found if types[source.rows[i]["workflow_id"]] in corpus.TYPES[:3]}
    if not children:
        found = {i for i in found if source.rows[i]["parent_run_id"] is None}
    return found


def vendor_args(source: Source, vendor: str, *, every_workflow: bool = False) -> list[str]:
    if vendor == "polos":
        return ["--vendor-project", source.project]
    if vendor == "b3os" or every_workflow:
        return [a for w in source.workflows for a in ("--vendor-workflow", w)]
    return []


def counted(out: str) -> int:
    found = re.search(r"imported ([\d,]+) runs", out)
    assert found, out
    return int(found.group(1).replace(",", ""))


def _error_ids(url: str, project: str, code: str) -> set[str]:
    with Client(url, ADMIN_KEY, project=project) as client:
        return {r.id for r in client.iter_runs(error_code=[code], limit=1000)}


def _errors(url: str, project: str, run_id: str) -> list[tuple[str, str, str]]:
    with Client(url, ADMIN_KEY, project=project) as client:
        run = client.get_run(run_id)
    return sorted((s.name, e.error_code, e.message) for s in run.steps for e in s.errors)


def _since_expected(source: Source, vendor: str, since: str) -> set[str]:
    runs = [source.rows[i] for i in visible(source, vendor, children=vendor != "skyvern")]
    if vendor != "b3os":
        return {r["id"] for r in runs if r["created_at"] >= since}
    found = set()  # B3OS: started at or after, each workflow's walk ending at the first before
    for workflow in source.workflows:
        mine = sorted(
            (r for r in runs if r["workflow_id"] == workflow),
            key=lambda r: (r["created_at"], r["id"]),
            reverse=True,
        )
        for r in mine:
            if r["started_at"] is not None and r["started_at"] < since:
                break
            found.add(r["id"])
    return found


def _imported_so_far(checkpoint: Path) -> int:
    try:
        return int(json.loads(checkpoint.read_text())["imported"])
    except FileNotFoundError:
        return 0


def _killed_part_way(pair: Pair, project: str, vendor: str, args: list[str]) -> None:
    """Run the import as a process; kill it once its checkpoint shows runs imported."""
    command = [str(BIN / "runyard"), *pair.cli_args(project, vendor, *args)]
    env = {**os.environ, "XDG_CACHE_HOME": str(pair.cache)}
    checkpoint = Path(args[args.index("--checkpoint") + 1])
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not _imported_so_far(checkpoint) and process.poll() is None:
            time.sleep(0.005)
    finally:
        process.kill()
        _, err = process.communicate()
    assert process.returncode == -9, f"the import ended before it was killed: {err!r}"


# -- the whole story, per vendor ------------------------------------------------------------------


@pytest.mark.parametrize("vendor", NAMES)
def test_history_comes_over_once_with_every_documented_field(
    pair: Pair, vendor: str, tmp_path: Path
) -> None:
    source = pair.vendors[vendor]
    project = pair.new_project(vendor)
    args = vendor_args(source, vendor)
    expected = visible(source, vendor, children=vendor != "skyvern")
    started = time.perf_counter()

    # --since: only the newer runs.
    times = sorted((r["created_at"] for r in source.rows.values()), reverse=True)
    since = times[len(times) // 4]
    code, out = pair.run_cli(project, vendor, "--since", since, *args)
    assert code == 0, out
    newer = _since_expected(source, vendor, since)
    assert 0 < len(newer) < len(expected)
    assert set(pair.target_rows(project)) == newer
    assert counted(out) == len(newer)

    # Everything, killed part-way, then resumed: each run imported once.
    resumable = [*args, "--checkpoint", str(tmp_path / "checkpoint.json")]
    _killed_part_way(pair, project, vendor, [*resumable, "--batch", "250"])
    before = len(pair.target_rows(project))
    assert len(newer) < before < len(expected)
    code, out = pair.run_cli(project, vendor, *resumable)
    assert code == 0, out
    assert "resumed after" in out
    assert counted(out) == len(expected) - before
    assert set(pair.target_rows(project)) == expected
    assert json.loads((tmp_path / "checkpoint.json").read_text())["done"] is True
    if vendor == "skyvern":  # its list of all runs leaves children out; a workflow's does not
        children = visible(source, vendor) - expected
        code, out = pair.run_cli(project, vendor, *vendor_args(source, vendor, every_workflow=True))
        assert code == 0, out
        assert counted(out) == len(children) > 0
        expected |= children
    took = time.perf_counter() - started
    print(f"\n{pair.backend} {vendor}: {len(expected):,} runs in {took:.1f} s")

    # Every field the vendor documents, as the vendor would show it.
    rows = pair.target_rows(project)
    assert set(rows) == expected
    workflows = {w["id"]: w for w in pair.target_workflows(project).values()}
    for run_id in sorted(expected):
        mine, theirs = source.rows[run_id], rows[run_id]
        want = view(vendor, mine, source.workflows[mine["workflow_id"]], source_key(vendor, mine))
        got = view(vendor, theirs, workflows[theirs["workflow_id"]], theirs["workflow_name"])
        assert got == want
        assert theirs["tags"] == {"imported_from": vendor}
    if vendor in ("skyvern", "cloudcruise"):  # errors and their codes, read from each run
        for error_code in corpus.CODES:
            found = _error_ids(pair.target, project, error_code)
            assert found == _error_ids(pair.source, source.project, error_code) & expected
        for run_id in sorted(found)[:5]:
            want_errors = _errors(pair.source, source.project, run_id)
            assert _errors(pair.target, project, run_id) == want_errors

    # Again: nothing new (only the runs since the last walk are asked for), or, walking
    # everything again, nothing new either.
    code, out = pair.run_cli(project, vendor, *resumable)
    assert code == 0, out
    assert counted(out) == 0
    assert "new since the last import" in out
    if vendor not in ("skyvern", "cloudcruise"):  # (their per-run calls make this slow)
        code, out = pair.run_cli(project, vendor, *resumable, "--restart")
        assert code == 0, out
        assert counted(out) == 0
        assert f"skipped {len(expected):,} existing" in out


@pytest.mark.parametrize("vendor", NAMES)
def test_a_bad_vendor_key_is_one_clean_line(pair: Pair, vendor: str) -> None:
    project = pair.new_project(f"bad-key-{vendor}")
    source = pair.vendors[vendor]
    code, out = pair.run_cli(project, vendor, *vendor_args(source, vendor), "--vendor-key", "no")
    assert code == 1
    assert out.strip().count("\n") == 0, out
    assert "refused the key" in out
    assert pair.target_rows(project) == {}
