"""What counts as the database being away, for everyone who talks to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from runyard.core.errors import Unavailable


@contextmanager
def unavailable_when_lost() -> Iterator[None]:
    """A connection lost (the server ended it, restarted, failed over), no connection to
    be had, or a database too busy: ``Unavailable``, which callers may retry, instead of
    an internal error. The pool replaces the lost connection for the next transaction."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError, exc.TimeoutError) as lost:
        cause = getattr(lost, "orig", None) or lost
        raise Unavailable(f"the database is unavailable ({type(cause).__name__}); retry") from lost
    except exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        raise Unavailable("the database connection was lost; retry") from error
