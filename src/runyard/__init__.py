"""runyard: a self-hosted workflow run service that keeps every run and finds any of them.

What users may import from here is listed in ``__all__``.
"""

from runyard.core.errors import (
    Conflict,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    RunyardError,
    Unauthenticated,
)
from runyard.core.models import Run, Step, Workflow
from runyard.core.query import RunQuery, Sort, SortField
from runyard.core.statuses import TERMINAL, RunStatus

__version__ = "0.1.0"

__all__ = [
    "TERMINAL",
    "Conflict",
    "Forbidden",
    "IllegalTransition",
    "InvalidInput",
    "NotFound",
    "Run",
    "RunQuery",
    "RunStatus",
    "RunyardError",
    "Sort",
    "SortField",
    "Step",
    "Unauthenticated",
    "Workflow",
    "__version__",
]
