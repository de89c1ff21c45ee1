"""The schema, declared once. Migrations must produce exactly this (tests check it).

Every table carries ``project_id`` (the tenant) and every index leads with it, so no
query ever reads another project's rows. Runs are addressed by a UUID ``id`` and an
integer ``pk`` that child tables and the SQLite search index point at.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from runyard.store.backends.types import BigId, JsonDocument, UtcTimestamp, partial_index

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Uuid = String(36)


def _live(name: str, where: str, *columns: str) -> Index:
    """A partial index: only rows matching ``where`` (on both databases)."""
    return partial_index(name, *columns, where=where)


projects = Table(
    "projects",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", UtcTimestamp, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Uuid, ForeignKey("projects.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("server_admin", Boolean, nullable=False),
    # sha256 of the key: keys are 256-bit random, so a fast hash is enough, and the
    # lookup by hash never compares secret bytes in application code.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("revoked_at", UtcTimestamp),
    Index(None, "project_id"),
)

workflows = Table(
    "workflows",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Uuid, ForeignKey("projects.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("title", String(500), nullable=False),
    Column("type", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("version_id", Uuid, nullable=False, unique=True),
    Column("definition", JsonDocument, nullable=False),
    Column("error_handler_id", Uuid),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("modified_at", UtcTimestamp, nullable=False),
    Column("deleted_at", UtcTimestamp),
    # A name is unique among a project's live workflows; a deleted one frees its name.
    partial_index(
        "uq_workflows_live_name", "project_id", "name", where="deleted_at IS NULL", unique=True
    ),
    Index(None, "project_id", "type"),
)

workflow_versions = Table(
    "workflow_versions",
    metadata,
    Column("version_id", Uuid, primary_key=True),
    Column("workflow_id", Uuid, ForeignKey("workflows.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", JsonDocument, nullable=False),
    Column("parameters", JsonDocument, nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    UniqueConstraint("workflow_id", "version"),
)

workflow_parameters = Table(
    "workflow_parameters",
    metadata,
    Column("workflow_id", Uuid, ForeignKey("workflows.id"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("project_id", Uuid, nullable=False),
    Column("position", Integer, nullable=False),
    Column("description", Text, nullable=False),
    Column("type", String(32), nullable=False),
    Column("default", JsonDocument),
    Column("deleted_at", UtcTimestamp),
    # Case-folded "key\ndescription", so ``search`` can match it in SQL on both databases.
    Column("search_text", Text, nullable=False),
    Index(None, "project_id"),
)

runs = Table(
    "runs",
    metadata,
    Column("pk", BigId, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("project_id", Uuid, ForeignKey("projects.id"), nullable=False),
    Column("workflow_id", Uuid, ForeignKey("workflows.id"), nullable=False),
    Column("workflow_version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("input", JsonDocument, nullable=False),
    Column("result", JsonDocument),
    Column("error", Text),
    Column("failure_reason", Text),
    Column("failure_category", JsonDocument),
    Column("parent_run_id", Uuid),
    Column("root_run_id", Uuid, nullable=False),
    Column("depends_on_run_id", Uuid),
    Column("source_run_id", Uuid),
    Column("trigger_type", String(16), nullable=False),
    Column("triggered_by", String(200)),
    Column("credential_id", String(200)),
    Column("is_test", Boolean, nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("progress", Integer, nullable=False),
    Column("node_ids", JsonDocument),
    Column("credits_used", Float, nullable=False),
    Column("extra_http_headers", JsonDocument),
    Column("webhook_callback_url", Text),
    Column("tags", JsonDocument, nullable=False),
    Column("session_id", String(200)),
    Column("idempotency_key", String(200)),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("queued_at", UtcTimestamp),
    Column("started_at", UtcTimestamp),
    Column("finished_at", UtcTimestamp),
    Column("modified_at", UtcTimestamp, nullable=False),
    # finished_at - started_at in microseconds, kept so the duration sort has an index.
    Column("duration_us", BigId),
    # Case-folded text that ``search`` matches (see core/search_text.py), trigram-indexed.
    Column("search_text", Text, nullable=False),
    # Execution (set only while a run is live): the worker holding it and until when;
    # when a queued run may be claimed (retry back-off) or a waiting one wakes (sleep);
    # the event a waiting run waits for; when it times out.
    Column("lease_owner", String(64)),
    Column("lease_expires_at", UtcTimestamp),
    Column("available_at", UtcTimestamp),
    Column("waiting_for", String(200)),
    Column("deadline_at", UtcTimestamp),
    # Each filter has an index that also yields the default order, so a page is read
    # in order and stops after ``limit`` rows.
    Index("ix_runs_created", "project_id", "created_at", "id"),
    Index("ix_runs_workflow", "project_id", "workflow_id", "created_at", "id"),
    Index("ix_runs_status", "project_id", "status", "created_at", "id"),
    Index("ix_runs_trigger", "project_id", "trigger_type", "created_at", "id"),
    Index("ix_runs_triggered_by", "project_id", "triggered_by", "created_at", "id"),
    Index("ix_runs_credential", "project_id", "credential_id", "created_at", "id"),
    Index("ix_runs_parent", "project_id", "parent_run_id", "created_at", "id"),
    Index("ix_runs_root", "project_id", "root_run_id", "created_at", "id"),
    Index("ix_runs_is_test", "project_id", "is_test", "created_at", "id"),
    Index("ix_runs_started", "project_id", "started_at", "id"),
    Index("ix_runs_finished", "project_id", "finished_at", "id"),
    Index("ix_runs_duration", "project_id", "duration_us", "id"),
    # Runs by workflow and status, counted from the index alone (the workflows page).
    Index("ix_runs_workflow_status", "project_id", "workflow_id", "status"),
    # Workers claim a project's queued runs, oldest first: read in (queued_at, pk) order,
    # a claim stops after the few it takes however long the queue (workflows filtered).
    _live("ix_runs_queue", "status = 'queued'", "project_id", "queued_at", "pk"),
    # A run's retries (the runs whose ``source_run_id`` it is), for its lineage.
    _live("ix_runs_source", "source_run_id IS NOT NULL", "project_id", "source_run_id"),
    # Housekeeping over live runs only (expired leases, wake-ups, time-outs, events): tiny
    # partial indexes that span projects, serving the server's own upkeep, never a query.
    _live("ix_runs_lease", "lease_expires_at IS NOT NULL", "lease_expires_at"),
    _live("ix_runs_available", "available_at IS NOT NULL", "available_at"),
    _live("ix_runs_deadline", "deadline_at IS NOT NULL", "deadline_at"),
    _live("ix_runs_waiting_for", "waiting_for IS NOT NULL", "project_id", "waiting_for"),
    partial_index(
        "uq_runs_idempotency",
        "project_id",
        "workflow_id",
        "idempotency_key",
        where="idempotency_key IS NOT NULL",
        unique=True,
    ),
)

steps = Table(
    "steps",
    metadata,
    Column("run_pk", BigId, ForeignKey("runs.pk", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("input", JsonDocument),
    Column("output", JsonDocument),
    Column("errors", JsonDocument, nullable=False),
    Column("started_at", UtcTimestamp),
    Column("finished_at", UtcTimestamp),
)

# One row per (run, error code) of any of its steps: the ``error_code`` filter reads
# this index instead of scanning step JSON. Each row keeps its run's ``created_at``
# (which never changes) and the key is ordered by it, so the newest runs with a code are
# read from the key in page order (migration 0007).
run_error_codes = Table(
    "run_error_codes",
    metadata,
    Column("project_id", Uuid, primary_key=True),
    Column("error_code", String(200), primary_key=True),
    Column("created_at", UtcTimestamp, primary_key=True),
    Column("run_pk", BigId, ForeignKey("runs.pk", ondelete="CASCADE"), primary_key=True),
    Index(None, "run_pk"),
)

# Each status a run took, when, and on which attempt: its status history. Written in the
# transaction of the change itself (runs imported with their history as timestamps have
# none: their created/queued/started/finished times tell it).
run_status_changes = Table(
    "run_status_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("project_id", Uuid, nullable=False),
    Column("run_pk", BigId, ForeignKey("runs.pk", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", UtcTimestamp, nullable=False),
    Index(None, "run_pk", "id"),
)

# Runs per project, workflow and status, kept by triggers on ``runs`` (migration 0006;
# store/query/counts.py). On PostgreSQL the triggers append +1/-1 rows to
# ``run_count_deltas``, folded into ``run_counts`` every few seconds; on SQLite they
# update ``run_counts`` itself and the deltas table stays empty.
run_counts = Table(
    "run_counts",
    metadata,
    Column("project_id", Uuid, primary_key=True),
    Column("workflow_id", Uuid, primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("n", BigInteger, nullable=False),
)
run_count_deltas = Table(
    "run_count_deltas",
    metadata,
    Column("project_id", Uuid, nullable=False),
    Column("workflow_id", Uuid, nullable=False),
    Column("status", String(16), nullable=False),
    Column("day", Integer, nullable=False),  # as in run_day_counts
    Column("n", Integer, nullable=False),
)
# The same counts per UTC day of the runs' created_at (``floor(epoch seconds / 86400)``),
# kept by the same triggers (migration 0008): a count or chart over a time window sums
# the whole days it spans and reads runs only for the partial days at its ends.
run_day_counts = Table(
    "run_day_counts",
    metadata,
    Column("project_id", Uuid, primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("workflow_id", Uuid, primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("n", BigInteger, nullable=False),
)

# One row per run tag: the ``tag`` filter (``key`` or ``key=value``) reads this index,
# ordered like ``run_error_codes`` by the run's ``created_at`` within a key and value.
run_tags = Table(
    "run_tags",
    metadata,
    Column("project_id", Uuid, primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", String(500), primary_key=True),
    Column("created_at", UtcTimestamp, primary_key=True),
    Column("run_pk", BigId, ForeignKey("runs.pk", ondelete="CASCADE"), primary_key=True),
    Index(None, "run_pk"),
)

# Run logs: what a workflow printed or logged while the run executed (or an executor
# posted), line by line in the order received. ``seq`` numbers a run's lines from 1 and
# is the cursor of a page; a line's own ``ts`` is the writer's clock. The lines go with
# their run (pruning deletes them).
run_logs = Table(
    "run_logs",
    metadata,
    Column("run_pk", BigId, ForeignKey("runs.pk", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("project_id", Uuid, nullable=False),
    Column("ts", UtcTimestamp, nullable=False),
    Column("level", String(8), nullable=False),
    Column("step", String(200)),
    Column("message", Text, nullable=False),
)
# A run's log in all: its lines and bytes kept, and once it reached the cap (lines or
# bytes per run), what was dropped since; ``capped`` lines end with a marker line that
# says so (the last one, kept up to date). Appends lock this row: one at a time per run.
run_log_totals = Table(
    "run_log_totals",
    metadata,
    Column("run_pk", BigId, ForeignKey("runs.pk", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Uuid, nullable=False),
    Column("lines", Integer, nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("dropped_lines", Integer, nullable=False),
    Column("dropped_bytes", BigInteger, nullable=False),
)

# Cron schedules: each fires one run of its workflow per tick. ``next_fire_at`` is the
# tick to fire next; a firing moves it on in the same transaction, so however many
# processes look, each tick fires once.
schedules = Table(
    "schedules",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Uuid, ForeignKey("projects.id"), nullable=False),
    Column("workflow_id", Uuid, ForeignKey("workflows.id"), nullable=False),
    Column("cron", String(120), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("input", JsonDocument, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("next_fire_at", UtcTimestamp, nullable=False),
    Column("last_fired_at", UtcTimestamp),
    Column("created_at", UtcTimestamp, nullable=False),
    Index(None, "project_id", "workflow_id"),
    _live("ix_schedules_due", "enabled", "next_fire_at"),
)

# Webhook triggers: ``POST /hooks/{id}`` with the secret starts a run of the workflow.
webhook_triggers = Table(
    "webhook_triggers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Uuid, ForeignKey("projects.id"), nullable=False),
    Column("workflow_id", Uuid, ForeignKey("workflows.id"), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Index(None, "project_id", "workflow_id"),
)

# Completion callbacks to ``webhook_callback_url``: written in the transaction that ends
# the run (an outbox), delivered and retried with back-off by housekeeping.
callbacks = Table(
    "callbacks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("project_id", Uuid, nullable=False),
    Column("run_id", Uuid, nullable=False),
    Column("url", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcTimestamp),
    Column("delivered_at", UtcTimestamp),
    Column("last_error", Text),
    Column("created_at", UtcTimestamp, nullable=False),
    Index(None, "project_id", "run_id"),
    _live("ix_callbacks_due", "next_attempt_at IS NOT NULL", "next_attempt_at"),
)
