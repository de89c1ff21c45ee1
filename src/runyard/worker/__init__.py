"""Python workflows executed durably by runyard's workers (see ``sdk`` and ``runner``)."""

from runyard.worker.context import Context
from runyard.worker.sdk import App, WorkflowDef, WorkflowError, workflow

__all__ = ["App", "Context", "WorkflowDef", "WorkflowError", "workflow"]
