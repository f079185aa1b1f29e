"""Costly queries complete on an event loop of their own, in one worker thread.

graphql-core completes each item of a list in a task of its own. When a DataLoader batch
answers, every waiting item wakes in the same loop iteration, and the loop polls its
sockets only between iterations: a level of 14k people (≈50 µs of Python each) held the
serving loop 0.7 s at a time, and four such queries at once held `/healthz` 0.2–1 s
(`make bench-abuse`, 2b/2c). Yielding inside list completion would split the batches
(a round trip per slice). Instead a query estimated at `OFF_LOOP_COST` or more runs on a
second event loop in a worker thread: its long iterations hold only that loop, and the
serving loop gets the GIL back within the switch interval (app/loop.py) to answer others.

The embedded FalkorDB's statement pool keeps connections per loop, so the worker loop
reads and decodes its own (large) replies. A store bound to the loop that opened it
(Neo4j's driver) is reached through that loop instead (`StoreBridge`): one round trip
each as before, decoded on the serving loop. Context variables (the deadline, the request
id, the access log's set of people seen) travel with the query, and cancelling it (the
deadline, a client gone) cancels its task on the worker loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from graph.statements import Statement
from graph.store import GraphStore, Row, WriteCounters, WriteResult

T = TypeVar("T")

#: Estimated cost (app/limits.py) from which a query completes on the worker loop. At
#: ≈50 µs of loop per unit at most, a query below it holds the serving loop ≲ 50 ms at a
#: time. Of the frontend's pages (tests/queries, 42–7,958) the compound page, the
#: governance map and the linkage lists run there, the others stay.
OFF_LOOP_COST = 1_000
#: Seconds `close` waits for the worker's queries to end once cancelled.
CLOSE_TIMEOUT = 5.0


class OffLoop:
    """One worker thread with an event loop, started on first use, ended by `close`.

    One thread, not a pool: queries on it share one core's worth of Python with the
    serving loop anyway (the GIL), and every extra thread is one more contender the
    serving loop may lose the GIL to.
    """

    def __init__(self, name: str = "orgcover-costly") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self.name,
                                          daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` run on the worker loop (with the caller's context variables);
        cancelled, it is cancelled there too."""
        future = asyncio.run_coroutine_threadsafe(coro, self._started())
        return await asyncio.wrap_future(future)

    async def close(self, last: Callable[[], Awaitable[None]] | None = None) -> None:
        """Cancel what still runs there, await `last()` there (the store closes the
        connections it opened on that loop), stop the loop and join the thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        done = asyncio.run_coroutine_threadsafe(_cancel_all(last), loop)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.wrap_future(done), CLOSE_TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, CLOSE_TIMEOUT)
        if not thread.is_alive():
            loop.close()


async def _cancel_all(last: Callable[[], Awaitable[None]] | None) -> None:
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if last is not None:
        await last()


class StoreBridge(GraphStore):
    """The store as seen from the worker loop: every call runs on `home`, the loop that
    owns the connections, and is counted there (`round_trips` of the store itself)."""

    def __init__(self, store: GraphStore, home: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.store = store
        self.home = home
        self.backend = store.backend
        self.description = store.description

    async def _at_home(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.home))

    async def read(self, stmt: Statement, params: Mapping[str, Any] | None = None) -> list[Row]:
        return await self._at_home(self.store.read(stmt, params))

    async def write(self, stmt: Statement, params: Mapping[str, Any] | None = None
                    ) -> WriteResult:
        return await self._at_home(self.store.write(stmt, params))

    async def write_many(self, batch: Sequence[tuple[Statement, Mapping[str, Any]]]
                         ) -> WriteCounters:
        return await self._at_home(self.store.write_many(batch))

    async def _read(self, stmt: Statement, params: dict[str, Any]) -> list[Row]:
        return await self.read(stmt, params)

    async def _write(self, stmt: Statement, params: dict[str, Any]) -> WriteResult:
        return await self.write(stmt, params)

    async def ping(self) -> None:
        await self._at_home(self.store.ping())

    def plan_ahead(self, *, after_load: bool = False) -> None:
        self.home.call_soon_threadsafe(lambda: self.store.plan_ahead(after_load=after_load))

    async def ensure_schema(self) -> None:
        await self._at_home(self.store.ensure_schema())

    async def close(self) -> None:
        """The store is its owner's to close."""
