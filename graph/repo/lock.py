"""Repository functions for the store's roster-load lock (graph/queries/lock.py)."""

from __future__ import annotations

from dataclasses import dataclass

from graph.queries import lock as q
from graph.store import GraphStore

#: The one lock of a store: loads are one at a time, whatever they load.
LOCK_NAME = "roster-load"


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds the lock: their token, where they run (`owner`), the caller, since when
    and how long the lock has left (database milliseconds)."""

    holder: str
    owner: str | None
    who: str | None
    since: int | None
    left: int | None


def _holder(rows: list[dict[str, object]]) -> LockHolder | None:
    if not rows:
        return None
    row = rows[0]
    left = row.get("left")
    since = row.get("since")
    return LockHolder(str(row["holder"]), _text(row.get("owner")), _text(row.get("who")),
                      int(since) if isinstance(since, int | float) else None,
                      int(left) if isinstance(left, int | float) else None)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


async def acquire(store: GraphStore, *, holder: str, owner: str, who: str,
                  ttl_ms: int) -> LockHolder:
    """Take the lock when it is free, expired or already ours; the holder after the
    attempt (ours when `holder` matches)."""
    rows = (await store.write(q.ACQUIRE, {"name": LOCK_NAME, "holder": holder,
                                          "owner": owner, "who": who,
                                          "ttl": ttl_ms})).rows
    found = _holder(rows)
    assert found is not None  # MERGE always returns the node
    return found


async def take_over(store: GraphStore, *, gone: str, holder: str, owner: str, who: str,
                    ttl_ms: int) -> bool:
    """Take the lock from a holder known to be gone, if it still holds it."""
    rows = (await store.write(q.TAKE_OVER, {"name": LOCK_NAME, "gone": gone,
                                            "holder": holder, "owner": owner, "who": who,
                                            "ttl": ttl_ms})).rows
    return bool(rows) and rows[0].get("holder") == holder


async def refresh(store: GraphStore, *, holder: str, ttl_ms: int) -> bool:
    """Push the expiry on; False when the lock is no longer ours."""
    rows = (await store.write(q.REFRESH, {"name": LOCK_NAME, "holder": holder,
                                          "ttl": ttl_ms})).rows
    return bool(rows)


async def release(store: GraphStore, *, holder: str) -> None:
    await store.write(q.RELEASE, {"name": LOCK_NAME, "holder": holder})
