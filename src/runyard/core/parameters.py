"""A run's input against its workflow's parameter definitions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runyard.core.errors import FieldError, InvalidInput
from runyard.core.models import Parameter

_CHECKS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def matches_type(kind: str, value: Any) -> bool:
    """Whether ``value`` is of the parameter type ``kind``."""
    if kind not in _CHECKS or value is None:
        return True  # "json" and unknown kinds take anything; null is "not given"
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _CHECKS[kind])


def apply_parameters(parameters: Sequence[Parameter], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` with defaults filled in; a value of the wrong type is refused.

    Keys without a definition pass through unchanged (a workflow may read more than
    it declares).
    """
    result = dict(given)
    errors = []
    for param in parameters:
        if param.key not in result:
            if param.default is not None:
                result[param.key] = param.default
        elif not matches_type(param.type, result[param.key]):
            errors.append(FieldError(("body", "input", param.key), f"must be of type {param.type}"))
    if errors:
        raise InvalidInput("; ".join(f"input.{e.loc[-1]}: {e.msg}" for e in errors), errors)
    return result
