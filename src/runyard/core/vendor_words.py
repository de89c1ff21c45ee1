"""Each vendor's words for runyard's (DESIGN.md §5): run statuses, and the few other
vocabularies a vendor names differently.

Plain data, kept here rather than in the dialects (``api/dialects/``) so that both
directions share one copy: a dialect renders a run with these tables, and the vendor
importer (``runyard.vendor_import``) reads a vendor's runs back through the same tables
without importing the API layer.
"""

from __future__ import annotations

from runyard.core.models import TriggerType, WorkflowType
from runyard.core.statuses import RunStatus

S = RunStatus

POLOS_STATUS: dict[RunStatus, str] = {
    S.CREATED: "queued",
    S.QUEUED: "queued",
    S.RUNNING: "running",
    S.WAITING: "waiting",
    S.PAUSED: "waiting",
    S.CANCELING: "pending_cancel",
    S.COMPLETED: "completed",
    S.FAILED: "failed",
    S.CANCELED: "cancelled",
    S.TERMINATED: "cancelled",
    S.TIMED_OUT: "failed",
}

B3OS_STATUS: dict[RunStatus, str] = {
    S.CREATED: "waiting",
    S.QUEUED: "waiting",
    S.RUNNING: "running",
    S.WAITING: "waiting",
    S.PAUSED: "waiting",
    S.CANCELING: "running",
    S.COMPLETED: "success",
    S.FAILED: "failure",
    S.CANCELED: "cancelled",
    S.TERMINATED: "cancelled",
    S.TIMED_OUT: "failure",
}

SKYVERN_STATUS: dict[RunStatus, str] = {
    S.CREATED: "created",
    S.QUEUED: "queued",
    S.RUNNING: "running",
    S.WAITING: "paused",
    S.PAUSED: "paused",
    S.CANCELING: "running",
    S.COMPLETED: "completed",
    S.FAILED: "failed",
    S.CANCELED: "canceled",
    S.TERMINATED: "terminated",
    S.TIMED_OUT: "timed_out",
}

# A queued run reads as CLOUDCRUISE_REQUEUED from its second attempt on.
CLOUDCRUISE_STATUS: dict[RunStatus, str] = {
    S.CREATED: "execution.queued",
    S.QUEUED: "execution.queued",
    S.RUNNING: "execution.start",
    S.WAITING: "execution.paused",
    S.PAUSED: "execution.paused",
    S.CANCELING: "execution.start",
    S.COMPLETED: "execution.success",
    S.FAILED: "execution.failed",
    S.CANCELED: "execution.stopped",
    S.TERMINATED: "execution.stopped",
    S.TIMED_OUT: "execution.failed",
}
CLOUDCRUISE_QUEUED = "execution.queued"
CLOUDCRUISE_REQUEUED = "execution.requeued"

NOXUS_STATUS: dict[RunStatus, str] = {
    S.CREATED: "queued",
    S.QUEUED: "queued",
    S.RUNNING: "running",
    S.WAITING: "running",
    S.PAUSED: "running",
    S.CANCELING: "running",
    S.COMPLETED: "completed",
    S.FAILED: "failed",
    S.CANCELED: "stopped",
    S.TERMINATED: "stopped",
    S.TIMED_OUT: "failed",
}

# Skyvern has no ``event`` trigger: a run started by an event reads as ``webhook``
# ("triggered by an external system").
SKYVERN_TRIGGER: dict[TriggerType, str] = {
    TriggerType.MANUAL: "manual",
    TriggerType.API: "api",
    TriggerType.SCHEDULED: "scheduled",
    TriggerType.WEBHOOK: "webhook",
    TriggerType.EVENT: "webhook",
}

# Noxus knows three workflow types: runyard's workflow, agent and tool are runnable flows.
W = WorkflowType
NOXUS_TYPE: dict[WorkflowType, str] = {
    W.WORKFLOW: "flow",
    W.AGENT: "flow",
    W.TOOL: "flow",
    W.FLOW: "flow",
    W.HANDLER: "handler",
    W.INGESTION: "ingestion",
}

STATUS_BY_VENDOR: dict[str, dict[RunStatus, str]] = {
    "polos": POLOS_STATUS,
    "b3os": B3OS_STATUS,
    "skyvern": SKYVERN_STATUS,
    "cloudcruise": CLOUDCRUISE_STATUS,
    "noxus": NOXUS_STATUS,
}
