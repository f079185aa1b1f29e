"""The deadline of the request being served, for the database to honour too.

The API sets it around each GraphQL query (ORGCOVER_REQUEST_TIMEOUT); the backends pass
the time left to the database with every read (FalkorDB's per-query `TIMEOUT`, Neo4j's
transaction timeout), so work a client gave up on stops there as well, rather than
holding a query thread after the answer was abandoned.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator

from graph.errors import Timeout

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "deadline", default=None)


@contextlib.contextmanager
def within(seconds: float | None) -> Iterator[None]:
    """Statements run inside have `seconds` from now (None: no deadline)."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining_ms() -> int | None:
    """Milliseconds left (at least 1), None without a deadline; Timeout when none are."""
    left = seconds_left(_deadline.get())
    return None if left is None else max(1, int(left * 1000))


def current() -> float | None:
    """The deadline in force (`time.monotonic()` seconds), None without one: what reads
    issued together must share to be sent together (graph/backends/read_batches.py)."""
    return _deadline.get()


def seconds_left(deadline: float | None) -> float | None:
    """Seconds until `deadline` (None without one); Timeout when it has passed."""
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise Timeout("the request ran out of time before this statement")
    return max(0.001, left)
