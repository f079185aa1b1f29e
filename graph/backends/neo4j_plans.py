"""Neo4j plans made before they are needed: `EXPLAIN` every statement in the background.

A statement's first run on Neo4j pays for planning it: 0.2–3.5 s per statement on 5.26
(a compound page's 17 statements took 4.8 s the first time, 48 ms warm), and a large load
changes the statistics enough that the next run plans again. `EXPLAIN` plans and caches
without running (the same statement, cache cleared: 252 ms cold, 26 ms after an EXPLAIN,
6 ms warm), so the store plans, one statement at a time so users' queries keep the
server's cores:

- after start-up, every registered read statement, with its registered example
  parameters;
- after each committed load, the statements this process has run lately (up to
  `RECENT`), with parameters of the same types and sizes as their last run (Neo4j's plan
  cache is keyed by the text, the parameter types and size buckets of strings and lists).
  Only types and sizes are kept: strings become as many `x`, numbers are zeroed, so no
  code, name or search text stays in memory;
- a combination of light reads (graph/backends/read_batches.py) the first time it is
  made, ahead of the rest: it is sent only once planned.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import neo4j
from neo4j import exceptions as neo4j_errors

from graph.dialects.collected import sent_text
from graph.statements import Mode, all_statements, import_all_query_modules

log = logging.getLogger(__name__)

#: Statements remembered for planning again after a load.
RECENT = 500


#: Seconds `close` waits for the statement being planned (a cold plan took up to 3.5 s).
CLOSE_WAIT_S = 5.0


#: Longest list a shape keeps element by element (a DataLoader batch is far shorter).
MAX_SHAPE_ITEMS = 10_000


def shape(value: Any) -> Any:
    """A value Neo4j plans alike and nothing of the original: the same type and the same
    size — Neo4j 5 keys cached plans by the parameters' types and size buckets of strings
    and lists. Strings become as many `x`, lists keep their length, numbers are zeroed.
    Measured: the audit page's first run after an EXPLAIN with empty strings took 219 ms
    (unplanned 227), with strings of the same length 69 (the real values 110, warm 22)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return 0.0
    if isinstance(value, str):
        return "x" * len(value)
    if isinstance(value, list | tuple):
        return [shape(v) for v in value[:MAX_SHAPE_ITEMS]]
    if isinstance(value, dict):
        return {str(k): shape(v) for k, v in value.items()}
    return None


#: A statement to plan: its name (for the log), the text sent and parameters.
Planned = tuple[str, str, dict[str, Any]]


#: Lengths of the place codes a scope usually is (district, street, community): Neo4j
#: plans a scoped statement once per length bucket of `$scope` (a 9-character street
#: code planned as a 1-character example: 150 ms first run; as 9 characters: 72).
SCOPE_CODE_LENGTHS = (6, 9, 12)


def registered_reads() -> list[Planned]:
    """Every read statement that runs on Neo4j, with its example parameters made like a
    real call's: an unscoped variant is called with `scope` null (repositories pass
    `scope`, None when unscoped), a scoped one with a place code — planned once for each
    of SCOPE_CODE_LENGTHS."""
    import_all_query_modules()
    out: list[Planned] = []
    for s in all_statements():
        if s.mode is not Mode.READ or "neo4j" not in s.backends:
            continue
        params, text = dict(s.params), sent_text(s.text)
        if "scope" not in params:
            out.append((s.name, text, params))
        elif not s.name.endswith(".scoped"):
            out.append((s.name, text, {**params, "scope": None}))
        else:
            out.extend((s.name, text, {**params, "scope": "x" * n})
                       for n in SCOPE_CODE_LENGTHS)
    return out


def _key(planned: Planned) -> str:
    """What Neo4j's plan cache tells apart: the text and the parameters' types and sizes."""
    return planned[1] + "\0" + repr(sorted((k, repr(shape(v))) for k, v in planned[2].items()))


class PlanWarmer:
    """Plans statements ahead on one driver; at most one planning task at a time."""

    def __init__(self, driver: neo4j.AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database
        self._recent: OrderedDict[str, Planned] = OrderedDict()  # by text
        self._task: asyncio.Task[int] | None = None
        self._queued: OrderedDict[str, Planned] = OrderedDict()  # by _key
        self._done: dict[str, Callable[[bool], None]] = {}  # by _key: told when planned
        self.planned = 0
        self.failed: list[str] = []  # names of statements Neo4j could not plan
        self.enabled = False  # by `after_start`: a serving process, not a CLI run or a test

    def record(self, name: str, sent: str, params: dict[str, Any]) -> None:
        """Remember a statement run: the text sent, its parameter types only."""
        self._recent[sent] = (name, sent, {k: shape(v) for k, v in params.items()})
        self._recent.move_to_end(sent)
        while len(self._recent) > RECENT:
            self._recent.popitem(last=False)

    def after_start(self) -> None:
        self.enabled = True
        self._plan(registered_reads())

    def after_load(self) -> None:
        if self.enabled:
            self._plan(list(self._recent.values()))

    def prepare(self, name: str, text: str, params: dict[str, Any],
                done: Callable[[bool], None]) -> None:
        """Plan `text` before anything else queued; `done` is told whether Neo4j could."""
        planned = (name, text, {k: shape(v) for k, v in params.items()})
        key = _key(planned)
        self._done[key] = done
        self._plan([planned])
        self._queued.move_to_end(key, last=False)

    async def idle(self) -> None:
        """Wait until everything queued is planned (tests, the bench)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    def _plan(self, statements: Iterable[Planned]) -> None:
        for planned in statements:
            self._queued[_key(planned)] = planned
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> int:
        planned = failed = 0
        async with self._driver.session(database=self._database,
                                        default_access_mode=neo4j.READ_ACCESS) as session:
            while self._queued:
                key, (name, text, params) = self._queued.popitem(last=False)
                done = self._done.pop(key, None)
                try:
                    await (await session.run(f"EXPLAIN {text}", params)).consume()
                    planned += 1
                except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
                    failed += 1  # the real run will say what is wrong, with its name
                    self.failed.append(name)
                    log.warning("Neo4j could not plan %s: %s", name, type(exc).__name__)
                    if done is not None:
                        done(False)
                else:
                    if done is not None:
                        done(True)
        self.planned += planned
        # one combination planned is routine (DEBUG); a start-up's or a load's batch is news
        log.log(logging.INFO if planned + failed > 1 else logging.DEBUG,
                "planned %d statements ahead on Neo4j (%d could not be planned)",
                planned, failed)
        return planned

    async def close(self) -> None:
        """Drop what waits; let the statement being planned finish (within CLOSE_WAIT_S):
        one cancelled mid-run is logged by the server as a client gone while its query
        ran (seen on every `serve` shutdown during start-up's planning)."""
        self._queued.clear()
        self._done.clear()
        if self._task is None or self._task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), CLOSE_WAIT_S)
        except BaseException as exc:  # out of time, a failure _run let through, or cancelled
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            if not isinstance(exc, Exception):
                raise
