"""Skyvern's words for runyard's: run statuses, trigger types, run types, parameter types.

Skyvern's enums are closed on its server (an unknown word in a filter is a 422) and
narrower than runyard's in two places: it has no ``waiting`` or ``canceling`` (they read
as ``paused`` and ``running``), and no ``event`` trigger: a run started by an event
reads as ``webhook`` — "triggered by an external system" — so that every run carries
one of the four words Skyvern documents, and a filter on ``webhook`` finds it.
"""

from __future__ import annotations

from collections.abc import Iterable

from runyard.core import vendor_words
from runyard.core.errors import FieldError, InvalidInput

STATUS = vendor_words.SKYVERN_STATUS  # core/vendor_words.py: shared with runyard.vendor_import

TRIGGER = vendor_words.SKYVERN_TRIGGER  # core/vendor_words.py: shared with runyard.vendor_import

# Every runyard run is an agent (workflow) run; the other kinds are Skyvern's task engines.
WORKFLOW_RUN = "workflow_run"
RUN_TYPES = (
    "task_v1",
    "task_v2",
    "task_v3",
    WORKFLOW_RUN,
    "openai_cua",
    "anthropic_cua",
    "ui_tars",
    "yutori_navigator",
)

# runyard parameter type -> Skyvern's ``workflow_parameter_type``.
PARAMETER_TYPE = {
    "string": "string",
    "integer": "integer",
    "number": "float",
    "boolean": "boolean",
    "object": "json",
    "array": "json",
    "json": "json",
}


def _known(name: str, words: Iterable[str], known: Iterable[str]) -> list[str]:
    """``words``, each checked against ``known`` (an unknown one is a 422 naming it)."""
    allowed = sorted(set(known))
    wanted = list(words)
    for index, word in enumerate(wanted):
        if word not in allowed:
            raise InvalidInput(
                f"{name}: {word!r} is not one of {', '.join(allowed)}",
                [FieldError(("query", name, index), f"must be one of {', '.join(allowed)}")],
            )
    return wanted


def trigger_types_for(words: Iterable[str]) -> tuple[str, ...]:
    """The runyard trigger types that read as any of ``words`` (``webhook`` -> webhook, event)."""
    wanted = _known("trigger_type", words, TRIGGER.values())
    return tuple(t.value for t, word in TRIGGER.items() if word in wanted)


def only_workflow_runs(words: Iterable[str]) -> bool:
    """Whether a ``run_type`` filter lets runyard's runs (all ``workflow_run``) through."""
    wanted = _known("run_type", words, RUN_TYPES)
    return not wanted or WORKFLOW_RUN in wanted
