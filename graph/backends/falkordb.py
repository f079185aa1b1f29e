"""FalkorDB backend over a Unix socket or TCP.

Statements go through the lean pool of `falkordb_wire`; the falkordb/redis-py client only
serves the rare administrative commands (indexes and constraints, CONFIG, INFO, rewrites
of the append-only file, dropping a graph).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from falkordb.asyncio import FalkorDB
from hiredis import ProtocolError
from redis import exceptions as redis_errors
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.connection import UnixDomainSocketConnection

from graph.backends.falkordb_params import header
from graph.backends.falkordb_wire import PoolTimeout, Reply, ServerError, WirePool
from graph.deadline import remaining_ms
from graph.dialects import falkordb as ddl
from graph.domain import EXTRA_INDEXES, UNIQUE_CODE_LABELS
from graph.errors import QueryFailed, StoreUnavailable, Timeout
from graph.statements import Statement
from graph.store import GraphStore, Row, WriteCounters, WriteResult

log = logging.getLogger(__name__)

#: Connections kept open to the server; enough for uvicorn's concurrency per worker.
MAX_CONNECTIONS = 32
#: The server setting that starts an append-only-file rewrite when the file has grown.
_AUTO_REWRITE = "auto-aof-rewrite-percentage"
#: Inside a load, how often (in writes) the log size is looked at.
BULK_CHECK_EVERY = 20
#: Seconds a query waits for a free connection before the store counts as unavailable.
POOL_TIMEOUT = 30
#: Error replies of a server that wants a (different) password.
_AUTH_ERRORS = ("NOAUTH", "WRONGPASS")


def _refused_password(exc: BaseException) -> bool:
    """redis-py's asyncio client wraps the server's AuthenticationError in a
    ConnectionError while it connects."""
    return isinstance(exc, redis_errors.AuthenticationError) or isinstance(
        exc.__cause__, redis_errors.AuthenticationError)


class FalkorStore(GraphStore):
    """Talks to one FalkorDB server; `graph_name` selects the graph (one per test).

    `password` authenticates every connection, on TCP and on a Unix socket alike (the
    embedded server requires one): the admin client's and, once per connection, the
    statement pool's.
    """

    backend = "falkordb"
    any_loop = True  # the statement pool keeps connections per event loop
    #: Logged queries (bytes) a load may add before the log is rewritten mid-load.
    bulk_rewrite_bytes = 128 * 1024 * 1024

    def __init__(
        self,
        *,
        graph_name: str,
        unix_socket: str | None = None,
        host: str = "localhost",
        port: int = 6379,
        password: str | None = None,
        description: str = "",
    ) -> None:
        super().__init__()
        self.graph_name = graph_name
        self.description = description or (unix_socket or f"{host}:{port}")
        try:  # the client probes the server (cluster or not) while it is constructed
            # a blocking pool: more concurrent queries than connections wait for one
            # instead of failing with "Too many connections" (16 clients on 2 workers did)
            pool: BlockingConnectionPool
            if unix_socket:
                pool = BlockingConnectionPool(
                    connection_class=UnixDomainSocketConnection, path=unix_socket,
                    password=password, max_connections=MAX_CONNECTIONS,
                    timeout=POOL_TIMEOUT, decode_responses=True)
            else:
                pool = BlockingConnectionPool(
                    host=host, port=port, password=password, max_connections=MAX_CONNECTIONS,
                    timeout=POOL_TIMEOUT, decode_responses=True)
            self._db = FalkorDB(connection_pool=pool)
        except (redis_errors.RedisError, OSError) as exc:
            if _refused_password(exc):
                raise self._refused(exc) from exc
            raise StoreUnavailable(
                f"FalkorDB at {self.description} does not answer: {exc}",
                setting="ORGCOVER_GRAPH_URI",
            ) from exc
        self._graph = self._db.select_graph(graph_name)
        self._wire = WirePool(unix_socket=unix_socket, host=host, port=port, password=password,
                              max_connections=MAX_CONNECTIONS, timeout=POOL_TIMEOUT)
        self._bulk_depth = 0
        self._bulk_writes = 0
        self._rewrite_percentage = "100"

    async def _run(self, stmt: Statement, params: dict[str, Any], *, read_only: bool) -> Reply:
        # reads honour the request's deadline on the server too; a load's writes run to
        # the end (each is atomic, and a half-applied batch is what the journal resumes)
        timeout = remaining_ms() if read_only else None
        try:
            return await self._wire.query(self.graph_name, header(params) + stmt.text,
                                          read_only=read_only, timeout_ms=timeout)
        except ServerError as exc:
            if read_only and "empty key" in str(exc):
                return Reply()  # the graph does not exist yet: nothing to read
            if "timed out" in str(exc):
                raise Timeout(f"statement {stmt.name} ran out of time ({timeout} ms left)") \
                    from exc
            if str(exc).startswith(_AUTH_ERRORS):
                raise self._refused(exc) from exc
            raise QueryFailed(  # the server may quote the statement: keep logs small
                f"statement {stmt.name} failed on FalkorDB: {str(exc)[:300]}") from exc
        except (PoolTimeout, OSError, ProtocolError) as exc:
            raise StoreUnavailable(
                f"FalkorDB at {self.description} does not answer: {exc}",
                setting="ORGCOVER_GRAPH_URI",
            ) from exc

    async def _read(self, stmt: Statement, params: dict[str, Any]) -> list[Row]:
        return (await self._run(stmt, params, read_only=True)).rows

    async def _write(self, stmt: Statement, params: dict[str, Any]) -> WriteResult:
        reply = await self._run(stmt, params, read_only=False)
        if self._bulk_depth:
            self._bulk_writes += 1
            if self._bulk_writes % BULK_CHECK_EVERY == 0:
                await self._rewrite_if_grown()
        return WriteResult(rows=reply.rows, counters=WriteCounters(**reply.stats))

    def _refused(self, exc: Exception) -> StoreUnavailable:
        return StoreUnavailable(
            f"FalkorDB at {self.description} refused the client: {exc} (a wrong or missing "
            "password; falkordb+unix:// URIs find it in falkordb.password beside the "
            "socket, or take it as falkordb+unix://:PASSWORD@/path)",
            setting="ORGCOVER_GRAPH_URI")

    async def ping(self) -> None:
        try:
            await self._db.connection.ping()
        except (redis_errors.RedisError, OSError) as exc:
            if _refused_password(exc):
                raise self._refused(exc) from exc
            raise StoreUnavailable(
                f"FalkorDB at {self.description} does not answer: {exc}",
                setting="ORGCOVER_GRAPH_URI",
            ) from exc

    async def ensure_schema(self) -> None:
        indexed = {
            (row["label"], prop)
            for row in await self.read(ddl.LIST_INDEXES)
            for prop in row["properties"]
        }
        for label in UNIQUE_CODE_LABELS:
            if (label.value, "code") not in indexed:
                await self.write(ddl.create_code_index(label=label))
        for label, prop in EXTRA_INDEXES:
            if (label.value, prop) not in indexed:
                await self.write(ddl.create_property_index(label=label, prop=prop))
        created_search = False
        for label in ddl.SEARCH_LABELS:
            if (label.value, "search") not in indexed:
                await self.write(ddl.create_search_index(label=label))
                created_search = True
        constrained = {
            row["label"] for row in await self.read(ddl.LIST_CONSTRAINTS)
            if row["properties"] == ["code"] and row["status"] != "FAILED"
        }
        missing = [label for label in UNIQUE_CODE_LABELS if label.value not in constrained]
        for label in missing:
            try:
                await self._db.connection.execute_command(
                    *ddl.unique_constraint_command(self.graph_name, label)
                )
            except redis_errors.ResponseError as exc:
                raise QueryFailed(
                    f"cannot create the unique constraint on {label.value}.code: {exc}"
                ) from exc
        if missing:
            await self._wait_constraints()
        if missing or created_search:
            await self._compact_log()

    async def _wait_constraints(self) -> None:
        """Constraints are built asynchronously; wait until none is pending."""
        for _ in range(600):
            rows = await self.read(ddl.LIST_CONSTRAINTS)
            if all(row["status"] in ("OPERATIONAL", "FAILED") for row in rows):
                failed = [row["label"] for row in rows if row["status"] == "FAILED"]
                if failed:
                    raise QueryFailed(
                        f"unique constraint on code failed for {', '.join(failed)}: "
                        "the graph holds duplicate codes")
                return
            await asyncio.sleep(0.05)

    async def _compact_log(self) -> None:
        """Rewrite the append-only file once the schema exists.

        FalkorDB appends GRAPH.CONSTRAINT to the AOF out of order (ahead of the graph it
        belongs to), and replaying it on the next start fails and hangs the server. After
        a rewrite the constraints live in the RDB base of the AOF instead of as commands.
        Servers without AOF (remote ones may have none) answer with an error: ignored.
        """
        conn = self._db.connection
        try:
            info = await conn.info("persistence")
        except redis_errors.ResponseError:
            return
        if not int(info.get("aof_enabled", 0)):
            return
        try:
            await conn.execute_command("BGREWRITEAOF")
        except redis_errors.ResponseError as exc:
            log.warning("could not rewrite the append-only file: %s", exc)
            return
        await self.settle()

    async def _rewrite_if_grown(self) -> None:
        """Inside a long load: rewrite once the queries logged since the last snapshot pass
        `bulk_rewrite_bytes`, so a load killed midway leaves a log that replays in seconds."""
        conn = self._db.connection
        info = await conn.info("persistence")
        if int(info.get("aof_rewrite_in_progress", 0)):
            return
        grown = int(info.get("aof_current_size", 0)) - int(info.get("aof_base_size", 0))
        if grown > self.bulk_rewrite_bytes:
            with contextlib.suppress(redis_errors.ResponseError):  # one already scheduled
                await conn.execute_command("BGREWRITEAOF")

    @contextlib.asynccontextmanager
    async def deferred_log_rewrites(self) -> AsyncIterator[None]:
        """No automatic append-only-file rewrite inside the block, one rewrite after it.

        A rewrite forks the server and writes the whole graph; during a district load
        automatic ones fired several times and each made a few batches 6–8× slower on two
        cores. A very large load still rewrites every `bulk_rewrite_bytes` of logged
        queries (a city load: a few times), which bounds the replay after a crash. Only for
        a server this process owns (the setting is server-wide).
        """
        conn = self._db.connection
        self._bulk_depth += 1
        try:
            if self._bulk_depth == 1:
                self._rewrite_percentage = (await conn.config_get(_AUTO_REWRITE)).get(
                    _AUTO_REWRITE, "100")
                await conn.config_set(_AUTO_REWRITE, 0)
            yield
        finally:
            self._bulk_depth -= 1
            if self._bulk_depth == 0:
                await conn.config_set(_AUTO_REWRITE, self._rewrite_percentage)
                if int((await conn.info("persistence")).get("aof_rewrite_in_progress", 0)):
                    await self.settle()  # a mid-load rewrite: the last part needs one more
                with contextlib.suppress(redis_errors.ResponseError):  # one already scheduled
                    await conn.execute_command("BGREWRITEAOF")

    async def settle(self) -> None:
        """Wait (up to 10 minutes) until the server has no append-only-file rewrite running
        (after DDL; and benchmarks: a rewrite forked after a large load competes for cores)."""
        conn = self._db.connection
        for _ in range(12000):
            try:
                info = await conn.info("persistence")
            except (redis_errors.RedisError, OSError):
                return  # no server to wait for
            if not int(info.get("aof_rewrite_in_progress", 0)) and not int(
                    info.get("aof_rewrite_scheduled", 0)):
                return
            await asyncio.sleep(0.05)

    async def delete_graph(self) -> None:
        """Drop the whole graph (tests and `--replace` tooling); missing graphs are fine."""
        try:
            await self._graph.delete()
        except redis_errors.ResponseError as exc:
            if "empty key" not in str(exc) and "Invalid graph" not in str(exc):
                raise

    async def close(self) -> None:
        await self._wire.close()
        await self._db.connection.aclose()

    async def release_loop(self) -> None:
        await self._wire.close()
