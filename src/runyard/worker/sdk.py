"""Declaring workflows: ``@workflow`` on a Python function, and an ``App`` that holds them.

    from runyard.worker import App, Context, workflow

    @workflow(retries=2, timeout=600)
    def invoice_agent(ctx: Context, customer_id: str, limit: int = 10) -> dict:
        invoices = ctx.step("fetch", fetch_invoices, customer_id, limit)
        return {"count": len(invoices)}

    app = App(invoice_agent)          # runyard worker mymodule:app

The parameters after ``ctx`` become the workflow's parameter definitions (name, type from
the annotation, default); a change to them or to the options makes a new version when a
worker registers the workflow.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from runyard.core.models import WorkflowType

TYPES: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    dict: "object",
    list: "array",
}


class WorkflowError(Exception):
    """Fail the run (or the step it is raised in) with a findable ``error_code``.

    ``retryable=False`` fails the run at once, whatever its retry policy says.
    """

    def __init__(
        self, message: str, error_code: str = "WORKFLOW_FAILED", *, retryable: bool = True
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.retryable = retryable


@dataclass(frozen=True)
class WorkflowDef:
    fn: Callable[..., Any]
    name: str
    title: str = ""
    type: WorkflowType = WorkflowType.WORKFLOW
    description: str = ""
    retries: int = 0
    backoff_seconds: float = 1.0
    timeout_seconds: float | None = None
    parameters: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def definition(self) -> dict[str, Any]:
        """What the server stores as the workflow's definition (its options and entry point)."""
        body: dict[str, Any] = {
            "entrypoint": f"{self.fn.__module__}:{self.fn.__qualname__}",
            "retries": self.retries,
            "backoff_seconds": self.backoff_seconds,
        }
        if self.timeout_seconds is not None:
            body["timeout_seconds"] = self.timeout_seconds
        return body

    def registration(self) -> dict[str, Any]:
        """The body of ``POST /api/v1/workflows`` for this workflow."""
        return {
            "name": self.name,
            "title": self.title,
            "type": self.type.value,
            "description": self.description,
            "parameters": list(self.parameters),
            "definition": self.definition(),
        }


def _kind(hint: Any) -> str:
    """A parameter type from an annotation: ``list[str] | None`` is an array, and one that
    says nothing (or a mix) takes any JSON."""
    if hint is None:
        return "json"
    options = [hint]
    if get_origin(hint) in (Union, UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
    kinds = {TYPES.get(get_origin(o) or o, "json") for o in options}
    return kinds.pop() if len(kinds) == 1 else "json"


def _parameters(fn: Callable[..., Any]) -> tuple[dict[str, Any], ...]:
    signature = inspect.signature(fn)
    hints = get_type_hints(fn)
    found = []
    for index, (name, param) in enumerate(signature.parameters.items()):
        if index == 0:
            continue  # the Context
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        spec: dict[str, Any] = {"key": name, "type": _kind(hints.get(name))}
        if param.default is not param.empty:
            spec["default"] = param.default
        found.append(spec)
    return tuple(found)


def workflow(
    name: str | None = None,
    *,
    title: str = "",
    type: str = "workflow",
    description: str | None = None,
    retries: int = 0,
    backoff: float = 1.0,
    timeout: float | None = None,
) -> Callable[[Callable[..., Any]], WorkflowDef]:
    """Declare a workflow; ``name`` defaults to the function's name with ``-`` for ``_``."""

    def declare(fn: Callable[..., Any]) -> WorkflowDef:
        return WorkflowDef(
            fn=fn,
            name=name or fn.__name__.replace("_", "-"),
            title=title,
            type=WorkflowType(type),
            description=description if description is not None else inspect.getdoc(fn) or "",
            retries=retries,
            backoff_seconds=backoff,
            timeout_seconds=timeout,
            parameters=_parameters(fn),
        )

    return declare


class App:
    """The workflows one worker serves (``runyard worker module:app``)."""

    def __init__(self, *workflows: WorkflowDef) -> None:
        self.workflows: dict[str, WorkflowDef] = {}
        for w in workflows:
            self.add(w)

    def add(self, definition: WorkflowDef) -> WorkflowDef:
        if definition.name in self.workflows:
            raise ValueError(f"two workflows are named {definition.name!r}")
        self.workflows[definition.name] = definition
        return definition

    def __iter__(self) -> Iterator[WorkflowDef]:
        return iter(self.workflows.values())
