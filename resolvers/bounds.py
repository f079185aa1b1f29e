"""Whether a caller's jurisdiction bounds anything: the store's only top place does not.

A district's token on a store that holds that one district reads what an unbounded
caller reads: every place lies inside it, and the scope predicates only cost time (the
frontend mix: compound pages +36%, search across kinds ×3 on the district). Nodes linked
to no place at all (a person with no residence, post, employer or membership) then show
too — they belong to no other jurisdiction of that store.

The answer is cached for `ttl` seconds and forgotten after every load this process
makes. Only a load can add a top place, and a token-bound load cannot (rows must lie
inside the jurisdiction), so a stale answer needs the operator's CLI to load another
district into a store that other processes serve (a shared `orgcover store` or Neo4j):
callers of the first district may then read the second one's for up to `ttl` seconds.
With the embedded store the serving process is the only writer, and nothing is stale.
"""

from __future__ import annotations

import asyncio
import logging
import time

from graph.deadline import within
from graph.errors import OrgcoverError
from graph.repo.nodes import top_places
from graph.store import GraphStore

#: Seconds a "the only top place" answer is trusted.
TTL = 2.0
#: Seconds the lookup may take (waiting for the lock included).
LOOKUP_TIMEOUT = 1.0
log = logging.getLogger("orgcover.bounds")


class ReadBounds:
    def __init__(self, store: GraphStore, *, ttl: float = TTL) -> None:
        self.store = store
        self.ttl = ttl
        self._tops: tuple[str, ...] | None = None
        self._at = float("-inf")
        self._lock = asyncio.Lock()

    async def whole_store(self, jurisdiction: str | None) -> bool:
        """True when `jurisdiction` is the store's only top place; False (bounded, the safe
        answer) when the store cannot say within a second."""
        if jurisdiction is None:
            return False
        try:
            tops = await self._top_places()
        except (OrgcoverError, TimeoutError) as exc:
            log.warning("top places not known (%s): reads stay bounded", exc)
            return False
        return tops == (jurisdiction,)

    def forget(self) -> None:
        self._tops = None

    async def _top_places(self) -> tuple[str, ...]:
        if self._tops is not None and time.monotonic() - self._at < self.ttl:
            return self._tops
        async with asyncio.timeout(LOOKUP_TIMEOUT), self._lock:
            if self._tops is None or time.monotonic() - self._at >= self.ttl:
                with within(LOOKUP_TIMEOUT):
                    self._tops = tuple(await top_places(self.store, limit=2))
                self._at = time.monotonic()
            return self._tops
