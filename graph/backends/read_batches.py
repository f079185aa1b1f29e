"""Reads issued together, sent together: the scheduling half of combined Neo4j reads.

A GraphQL level's resolvers start in one turn of the event loop and each sends its own
small statement (a place page: 16 in four waves, each 0–2 ms on the server). On Neo4j each
costs the driver ~0.65 ms of Python, and on a machine whose cores the server shares that
is most of the page; combined (graph/dialects/combined.py) a wave costs what one read
does. So reads submitted within a few turns of the loop, with the same deadline, are
handed to the backend as one group, cut into chunks of at most MAX_PARTS different
statements (`chunks`). A chunk runs its reads one after another in one server thread, so
only reads that took little time alone are submitted (`ServerCosts`): a heavy one keeps a
transaction of its own, which the server runs beside the others. A combination is sent
only once Neo4j has planned it in the background (`ServerCosts.combination`): planning a
new one took up to ~400 ms, paid by the request that first sent it and, while statements
became light one by one over a page's first visits, by several requests in a row (a
compound page: 101, 197, 151, 280 ms on four visits in a row, against 20–30 warm).

Backend-neutral (no driver here): the backend runs a chunk and settles each part.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from graph.statements import Statement
from graph.store import Row

log = logging.getLogger(__name__)

#: Turns of the event loop a group waits for more reads: resolvers that first pass
#: through a DataLoader, or gather tasks of their own, submit a turn or two later.
TURNS = 3
#: Reads in one combined statement at most (its text grows, and so does planning it).
MAX_PARTS = 16
#: A statement becomes light, and is combined from then on, when most of its last RUNS runs
#: alone took at most LIGHT_MS on the server (the median: a first run that planned it, or a
#: pause of the server, would otherwise hold one statement back a visit or two, and each
#: statement that turns light later makes one more combination to plan); a parameter that
#: makes a light statement dear is caught by OVERRUN. Its combined runs are not measured,
#: so it stays light: the same page sends the same combined text each time, and Neo4j
#: plans a text once (a text that changed with every run would be planned every run: an
#: overview wave of 5 audits took 428 ms planned anew, a compound page's wave 26 ms, 3 warm).
LIGHT_MS = 1.0
RUNS = 3
#: A combined statement that took this much longer than its parts were expected to, and
#: at least OVERRUN_MS (a text's first run aside: Neo4j may plan it again), sends its parts alone
#: again; a statement in two such runs is never combined again.
OVERRUN = 10.0
OVERRUN_MS = 50.0
#: Combined texts remembered (beyond it, the oldest is forgotten and planned again).
KNOWN_TEXTS = 4096


class Plan(Enum):
    """Where a combined text stands: sent only once planned, judged from its second run."""

    NEW = "new"  # never seen: to be planned in the background, its reads sent alone
    PLANNING = "planning"
    READY = "ready"  # planned, never run
    RAN = "ran"
    REFUSED = "refused"  # Neo4j could not plan it: its reads go alone


@dataclass(eq=False, slots=True)
class Part:
    """One read waiting in a group, and the future its caller awaits."""

    stmt: Statement
    params: dict[str, Any]
    cost_ms: float
    future: asyncio.Future[list[Row]]

    def settle(self, rows: list[Row]) -> None:
        if not self.future.done():  # a caller gone (cancelled) takes nothing
            self.future.set_result(rows)

    def fail(self, error: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(error)


#: Runs one chunk (the parts' deadline, the parts) and settles every part.
Run = Callable[[float | None, list[Part]], Awaitable[None]]


class ServerCosts:
    """Which statements are light, from their server times when they ran alone (by name,
    over its last RUNS runs: parameters change what a statement costs)."""

    def __init__(self, light_ms: float = LIGHT_MS) -> None:
        self.light_ms = light_ms
        self._ms: dict[str, deque[float]] = {}
        self._overruns: Counter[str] = Counter()
        self._texts: OrderedDict[str, Plan] = OrderedDict()

    def observe(self, name: str, ms: float) -> None:
        self._ms.setdefault(name, deque(maxlen=RUNS)).append(ms)

    def light(self, name: str) -> float | None:
        """The expected server ms of a light statement; None for one that is not, has
        not run alone RUNS times yet, or was in two overrunning combinations."""
        runs = self._ms.get(name)
        if runs is None or len(runs) < RUNS or sorted(runs)[RUNS // 2] > self.light_ms:
            return None
        return None if self._overruns[name] >= 2 else sum(runs) / len(runs)

    def combination(self, text: str) -> Plan:
        """Where the combined `text` stands (the caller plans a NEW one: `planning`)."""
        return self._texts.get(text, Plan.NEW)

    def planning(self, text: str) -> None:
        self._set(text, Plan.PLANNING)

    def planned(self, text: str, ok: bool) -> None:
        """Neo4j planned `text` (ok) or could not."""
        self._set(text, Plan.READY if ok else Plan.REFUSED)

    def _set(self, text: str, plan: Plan) -> None:
        self._texts[text] = plan
        self._texts.move_to_end(text)
        if len(self._texts) > KNOWN_TEXTS:
            self._texts.popitem(last=False)

    def overran(self, text: str, parts: list[Part], server_ms: float) -> bool:
        """Whether a combined run of `text` took far longer than its parts were expected
        to (a statement cheap for a grid may be costly for a whole district); then they
        run alone again. A text's first run is not judged: a plan made ahead with other
        values may be made again."""
        first = self.combination(text) is not Plan.RAN
        self._set(text, Plan.RAN)
        if first or server_ms < max(OVERRUN_MS, OVERRUN * sum(p.cost_ms for p in parts)):
            return False
        for part in parts:
            self._ms.pop(part.stmt.name, None)
            self._overruns[part.stmt.name] += 1
        return True


def chunks(parts: list[Part], *, max_parts: int = MAX_PARTS) -> list[list[Part]]:
    """`parts` in chunks of at most `max_parts`, each holding a statement once, ordered by
    name: a chunk's text depends on which statements it holds, not on how many reads of
    one came in one turn (which varies with timing, and each new text is planned anew);
    the many reads of one statement a list's items send are not combined."""
    out: list[list[Part]] = []
    names: list[set[str]] = []
    for part in sorted(parts, key=lambda p: p.stmt.name):
        for chunk, held in zip(out, names, strict=True):
            if len(chunk) < max_parts and part.stmt.name not in held:
                break
        else:
            chunk, held = [], set()
            out.append(chunk)
            names.append(held)
        chunk.append(part)
        held.add(part.stmt.name)
    return out


class ReadBatches:
    """Groups of reads by deadline, each handed to `run` in chunks a few turns after its
    first read. Lives on one event loop (the store's)."""

    def __init__(self, run: Run, *, turns: int = TURNS, max_parts: int = MAX_PARTS) -> None:
        self._run = run
        self._turns = turns
        self._max_parts = max_parts
        self._pending: dict[float | None, list[Part]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def submit(self, stmt: Statement, params: dict[str, Any], *, deadline: float | None,
               cost_ms: float) -> asyncio.Future[list[Row]]:
        """The future of a read's rows; it runs with the others submitted meanwhile."""
        loop = asyncio.get_running_loop()
        group = self._pending.get(deadline)
        if group is None:
            group = self._pending[deadline] = []
            loop.call_soon(self._due, deadline, self._turns)
        part = Part(stmt, params, cost_ms, loop.create_future())
        group.append(part)
        return part.future

    def _due(self, deadline: float | None, turns: int) -> None:
        if turns > 0:
            asyncio.get_running_loop().call_soon(self._due, deadline, turns - 1)
            return
        group = self._pending.pop(deadline, [])
        waiting = [part for part in group if not part.future.done()]
        for chunk in chunks(waiting, max_parts=self._max_parts):
            task = asyncio.get_running_loop().create_task(self._guarded(deadline, chunk))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _guarded(self, deadline: float | None, chunk: list[Part]) -> None:
        try:
            await self._run(deadline, chunk)
        except BaseException as exc:  # a bug of the runner: no caller may wait forever
            for part in chunk:
                part.fail(exc if isinstance(exc, Exception) else asyncio.CancelledError())
            if not isinstance(exc, Exception):
                raise
            log.exception("a group of reads failed as a whole")
        finally:
            for part in chunk:  # a runner that forgot one
                part.fail(RuntimeError(f"read {part.stmt.name} was never answered"))

    async def close(self) -> None:
        """Cancel what waits and what runs."""
        for group in self._pending.values():
            for part in group:
                part.future.cancel()
        self._pending.clear()
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
