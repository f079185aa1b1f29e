"""GRAPH.QUERY over a lean pool of RESP connections: the path every statement takes.

The falkordb client decodes each result cell through a coroutine of its own, and redis-py
records observability counters around every command it sends: reading one compound's
buildings cost 0.37 ms of client CPU that way against 0.10 ms here (2-core VM,
bench/RESULTS.md).
Replies arrive in FalkorDB's compact format and are decoded straight into plain dicts and
lists. Statements project graph entities to maps (architecture.md), so a node, edge or path
in a result is reported as an error rather than decoded half-way. Administrative commands
(CONFIG, INFO, BGREWRITEAOF, constraints) stay on redis-py: they are rare.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import hiredis

#: Bytes read from the socket at a time (a large result arrives in several reads).
_CHUNK = 1 << 20

#: Compact-format value types (FalkorDB's `ValueType`), by the number the server sends.
_NULL, _STRING, _INTEGER, _BOOLEAN, _DOUBLE, _ARRAY, _MAP, _POINT = 1, 2, 3, 4, 5, 6, 10, 11
_ENTITY_TYPES = {7: "a relationship", 8: "a node", 9: "a path", 12: "a vector",
                 13: "a datetime", 14: "a date", 15: "a time", 16: "a duration"}

#: Write statistics as the server words them, and the counters they feed.
_STATS = {
    "Nodes created": "nodes_created", "Nodes deleted": "nodes_deleted",
    "Relationships created": "relationships_created",
    "Relationships deleted": "relationships_deleted", "Properties set": "properties_set",
}


class ServerError(Exception):
    """The server answered with an error (syntax, constraint, runtime, unknown graph)."""


class UnsupportedValue(ServerError):
    """A result held a value statements are not meant to return (a node, a date…)."""


class PoolTimeout(ConnectionError):
    """No connection became free within the pool's timeout."""


class ServerUnavailable(ConnectionError):
    """The server answers but cannot serve yet (still loading its data after a restart)."""


#: Error replies that mean "not now" rather than "wrong": the store is unavailable.
_NOT_NOW = ("LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN")


class _ReplyError(Exception):
    """What hiredis builds for an error reply (returned inside the reply, not raised)."""


def _value(cell: Sequence[Any]) -> Any:
    kind, value = cell[0], cell[1]
    if kind in (_STRING, _INTEGER, _NULL):
        return value
    if kind == _ARRAY:
        return [_value(item) for item in value]
    if kind == _MAP:
        return {value[i]: _value(value[i + 1]) for i in range(0, len(value), 2)}
    if kind == _BOOLEAN:
        return value == "true"
    if kind == _DOUBLE:
        return float(value)
    if kind == _POINT:
        return {"latitude": float(value[0]), "longitude": float(value[1])}
    what = _ENTITY_TYPES.get(kind, f"a value of unknown type {kind}")
    raise UnsupportedValue(f"the result holds {what}; statements return plain values and maps")


@dataclass(slots=True)
class Reply:
    """A decoded GRAPH.QUERY reply: rows keyed by column name, and the write statistics."""

    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


def decode(reply: Any) -> Reply:
    """A compact-format reply as plain rows; an error reply (anywhere) raises ServerError."""
    if isinstance(reply, _ReplyError):
        if str(reply).startswith(_NOT_NOW):
            raise ServerUnavailable(str(reply))
        raise ServerError(str(reply))
    if not isinstance(reply, list) or not reply:
        raise ServerError(f"unexpected reply {reply!r:.200}")
    if isinstance(reply[-1], _ReplyError):  # a runtime error after the header
        raise ServerError(str(reply[-1]))
    out = Reply(stats=_stats(reply[-1]))
    if len(reply) == 3:
        out.columns = names = [column[1] for column in reply[0]]
        out.rows = [dict(zip(names, map(_value, row), strict=True)) for row in reply[1]]
    return out


def _stats(lines: Sequence[str]) -> dict[str, int]:
    stats: dict[str, int] = {}
    for line in lines:
        name, _, rest = line.partition(": ")
        if name in _STATS:
            stats[_STATS[name]] = int(float(rest.split(" ", 1)[0]))
    return stats


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.parser = hiredis.Reader(replyError=_ReplyError, encoding="utf-8")

    async def call(self, args: Sequence[str]) -> Any:
        # hiredis's stub types the command as a 1-tuple; any length is accepted
        self.writer.write(hiredis.pack_command(cast(Any, tuple(args))))
        await self.writer.drain()
        while True:
            reply = self.parser.gets()
            if reply is not False:
                return reply
            data = await self.reader.read(_CHUNK)
            if not data:
                raise ConnectionResetError("the server closed the connection")
            self.parser.feed(data)

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # its event loop may be gone already
            self.writer.transport.abort()


@dataclass(slots=True)
class _LoopConnections:
    """One event loop's share of the pool: its connections and its slots."""

    slots: asyncio.Semaphore
    idle: list[_Connection] = field(default_factory=list)


class WirePool:
    """Up to `max_connections` connections per event loop; callers beyond that wait up to
    `timeout` s. Connections belong to the loop that opened them: the serving loop has its
    own, and so has the worker loop costly queries complete on (app/offloop.py), which
    then reads and decodes its large replies itself.

    A connection is used by one command at a time and returned after a complete reply;
    one that failed or whose command was cancelled midway is dropped, never reused. A
    command that fails on a connection taken from the idle list (the server restarted
    since) is sent once more on a new one: the old socket cannot have reached the new
    server, so nothing runs twice.
    """

    def __init__(self, *, unix_socket: str | None = None, host: str = "localhost",
                 port: int = 6379, password: str | None = None, max_connections: int = 32,
                 timeout: float = 30.0) -> None:
        self._unix_socket = unix_socket
        self._host = host
        self._port = port
        self._password = password
        self._max = max_connections
        self._timeout = timeout
        self._loops: dict[asyncio.AbstractEventLoop, _LoopConnections] = {}
        self._lock = threading.Lock()

    @property
    def _idle(self) -> list[_Connection]:
        """The running loop's idle connections."""
        return self._here().idle

    async def execute(self, *args: str) -> Any:
        """Send one command and return its raw reply (errors come back as values)."""
        here = self._here()
        slots, idle = here.slots, here.idle
        try:
            async with asyncio.timeout(self._timeout):
                await slots.acquire()
        except TimeoutError:
            raise PoolTimeout(f"no free connection in {self._timeout:g} s") from None
        try:
            reused = bool(idle)
            conn = idle.pop() if reused else await self._connect()
            try:
                reply = await conn.call(args)
            except OSError:
                conn.abort()
                if not reused:
                    raise
                conn = await self._connect()
                try:
                    reply = await conn.call(args)
                except BaseException:
                    conn.abort()
                    raise
            except BaseException:
                conn.abort()
                raise
            idle.append(conn)
            return reply
        finally:
            slots.release()

    async def query(self, graph: str, text: str, *, read_only: bool,
                    timeout_ms: int | None = None) -> Reply:
        """GRAPH.QUERY (or GRAPH.RO_QUERY) in compact format, decoded; with `timeout_ms`
        the server stops the query after that long ("Query timed out")."""
        command = "GRAPH.RO_QUERY" if read_only else "GRAPH.QUERY"
        if timeout_ms is None:
            return decode(await self.execute(command, graph, text, "--compact"))
        return decode(await self.execute(command, graph, text, "--compact", "TIMEOUT",
                                         str(timeout_ms)))

    async def close(self) -> None:
        """Close the running loop's connections; drop those of loops that are gone."""
        loop = asyncio.get_running_loop()
        with self._lock:
            here = self._loops.pop(loop, None)
            self._drop_others(loop)
        for conn in here.idle if here else ():
            conn.writer.close()
            with contextlib.suppress(Exception):
                await conn.writer.wait_closed()

    def _here(self) -> _LoopConnections:
        loop = asyncio.get_running_loop()
        here = self._loops.get(loop)
        if here is None:
            with self._lock:
                self._drop_others(loop)
                here = self._loops.setdefault(loop, _LoopConnections(
                    asyncio.Semaphore(self._max)))
        return here

    def _drop_others(self, loop: asyncio.AbstractEventLoop) -> None:
        """Forget loops that no longer run (a test's loop after it ended): their sockets
        cannot be used any more. Loops running in other threads keep theirs."""
        for other in [o for o in self._loops if o is not loop and not o.is_running()]:
            for conn in self._loops.pop(other).idle:
                conn.abort()

    async def _connect(self) -> _Connection:
        if self._unix_socket:
            reader, writer = await asyncio.open_unix_connection(self._unix_socket)
        else:
            reader, writer = await asyncio.open_connection(self._host, self._port)
        conn = _Connection(reader, writer)
        if self._password:
            reply = await conn.call(("AUTH", self._password))
            if isinstance(reply, _ReplyError):
                conn.abort()
                raise ConnectionRefusedError(f"authentication failed: {reply}")
        return conn
