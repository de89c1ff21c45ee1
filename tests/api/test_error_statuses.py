"""One map from errors to HTTP statuses: a dialect answers the native status for every
kind of error unless its vendor gives one of its own."""

from __future__ import annotations

from runyard.api import problems
from runyard.api.dialects import base
from runyard.core import errors


def _kinds(cls: type[errors.RunyardError]) -> list[type[errors.RunyardError]]:
    """``cls`` and every kind of error below it that the server raises (core's; the client
    library adds its own, which no server answers with)."""
    below = [k for sub in cls.__subclasses__() for k in _kinds(sub)]
    return [cls, *below] if cls.__module__ == errors.__name__ else below


def test_a_dialect_answers_the_native_status_unless_its_vendor_says_otherwise() -> None:
    native, skyvern = base.ErrorStatuses(), base.ErrorStatuses(invalid=400, unauthenticated=403)
    for kind in _kinds(errors.RunyardError):
        exc = kind("x")
        assert native.of(exc) == problems.status_of(exc), kind
        if isinstance(exc, errors.InvalidInput):
            assert skyvern.of(exc) == 400
        elif isinstance(exc, errors.Unauthenticated):
            assert skyvern.of(exc) == 403
        else:
            assert skyvern.of(exc) == problems.status_of(exc), kind
    assert native.of(errors.TooLarge("x")) == 413  # the dialects' own map once said 400
