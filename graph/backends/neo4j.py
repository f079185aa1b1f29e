"""Neo4j 5 backend through the official async driver.

One driver per process (created in the app lifespan); reads as auto-commit statements in
READ sessions, so a `neo4j://` cluster spreads them over followers, each read's rows as one
record (graph/dialects/collected.py) and light reads issued together as one statement
(graph/backends/read_batches.py); managed write transactions for writes (a whole batch of
statements in one transaction); an explicit database name.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from functools import partial
from typing import Any

import neo4j
from neo4j import (
    AsyncGraphDatabase,
    AsyncManagedTransaction,
    NotificationDisabledClassification,
    NotificationMinimumSeverity,
    Query,
    RoutingControl,
)
from neo4j import exceptions as neo4j_errors

from graph import deadline
from graph.backends.neo4j_plans import PlanWarmer
from graph.backends.read_batches import Part, Plan, ReadBatches, ServerCosts
from graph.dialects import neo4j as ddl
from graph.dialects.collected import ROWS, collected
from graph.dialects.combined import column, combined, prefix
from graph.domain import EXTRA_INDEXES, UNIQUE_CODE_LABELS
from graph.errors import ConfigError, QueryFailed, StoreUnavailable, Timeout
from graph.queries.admin import PING
from graph.statements import Statement
from graph.store import GraphStore, Row, WriteCounters, WriteResult

log = logging.getLogger(__name__)


#: Graph entities: statements project them to maps (architecture.md). FalkorDB's reply
#: parser refuses them; the driver would quietly turn a node into its property map.
_ENTITIES: tuple[tuple[type, str], ...] = (
    (neo4j.graph.Node, "a node"), (neo4j.graph.Relationship, "a relationship"),
    (neo4j.graph.Path, "a path"))


def _plain(stmt: Statement, value: Any) -> Any:
    """Driver values as plain Python (temporal values to the standard library's), refusing
    graph entities the way the FalkorDB backend does."""
    for kind, what in _ENTITIES:
        if isinstance(value, kind):
            raise QueryFailed(f"statement {stmt.name} failed on Neo4j: the result holds "
                              f"{what}; statements return plain values and maps")
    if isinstance(value, Mapping):
        return {str(k): _plain(stmt, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(stmt, v) for v in value]
    to_native = getattr(value, "to_native", None)
    if callable(to_native) and not isinstance(value, dt.date):
        return to_native()
    return value


def _row(stmt: Statement, record: neo4j.Record) -> Row:
    return {key: _plain(stmt, value) for key, value in zip(record.keys(), record.values(),
                                                           strict=True)}


def _unpacked(stmt: Statement, columns: tuple[str, ...], rows: list[list[Any]]) -> list[Row]:
    """The rows of a wrapped read, sent as one list of value lists."""
    return [{c: _plain(stmt, v) for c, v in zip(columns, values, strict=True)}
            for values in rows]


def _columns(stmt: Statement) -> tuple[str, ...]:
    wrapped = collected(stmt.text)
    assert wrapped is not None  # only wrapped reads are combined
    return wrapped[1]


def _server_ms(summary: neo4j.ResultSummary) -> float:
    """Time the server spent on a statement (planning and running it, streaming its
    result)."""
    return float((summary.result_available_after or 0) + (summary.result_consumed_after or 0))


class _RetryNote(logging.Filter):
    """The driver's "Transaction failed and will be retried" warning carries the server's
    whole message (a deadlock's lock-wait lists run to many lines); two writes of one load
    waiting on each other's locks is expected and retried (`load_streams`). One line at
    INFO with the error's code instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("Transaction failed and will be retried"):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        delay, error = (*args, None, None)[:2]
        code = getattr(error, "code", None) or type(error).__name__
        log.info("Neo4j write transaction retried in %s s (%s)", delay, code)
        return False


logging.getLogger("neo4j.session").addFilter(_RetryNote())


#: How long a read abandoned without a deadline (CLI, a mutation's reads) may go on.
ABANDONED_READ_SECONDS = 30.0


def _counters(summary: neo4j.ResultSummary) -> WriteCounters:
    c = summary.counters
    return WriteCounters(
        nodes_created=c.nodes_created,
        nodes_deleted=c.nodes_deleted,
        relationships_created=c.relationships_created,
        relationships_deleted=c.relationships_deleted,
        properties_set=c.properties_set,
    )


class Neo4jStore(GraphStore):
    backend = "neo4j"
    #: A server commits two transactions at once on two cores: a district load 44 → 31 s
    #: (bench/RESULTS.md). Batches of one template write disjoint nodes; relationships to
    #: the same targets may make two of them wait on each other's locks, which Neo4j
    #: detects and the managed transaction retries.
    load_streams = 2

    def __init__(
        self, *, uri: str, user: str, password: str, database: str = "neo4j",
        strict_notifications: bool = False,
    ) -> None:
        """`strict_notifications`: the server sends its warnings (but for names it does
        not know yet: an empty database has no HOLDS_POST, no row_hash) and each one fails
        its statement. Otherwise it sends none, and the driver has nothing to log: one
        demo load printed 32 notification blocks, a short serve session 604."""
        super().__init__()
        self.uri = uri
        self.database = database
        self.description = f"{uri} (database {database})"
        self.strict_notifications = strict_notifications
        self._settling: set[asyncio.Future[Any]] = set()
        notifications: dict[str, Any] = (
            {"notifications_min_severity": NotificationMinimumSeverity.WARNING,
             "notifications_disabled_classifications": [
                 NotificationDisabledClassification.UNRECOGNIZED]}
            if strict_notifications else
            {"notifications_min_severity": NotificationMinimumSeverity.OFF})
        self._driver = AsyncGraphDatabase.driver(
            uri, auth=(user, password), warn_notification_severity=NotificationMinimumSeverity.OFF,
            **notifications)
        self.plans = PlanWarmer(self._driver, database)
        self.costs = ServerCosts()
        self.sent = 0  # statements sent for reads (fewer than `round_trips`: combined)
        self.batches = ReadBatches(self._run_chunk)

    def _unavailable(self, exc: Exception) -> StoreUnavailable:
        return StoreUnavailable(
            f"Neo4j at {self.uri} is unreachable: {exc}", setting="ORGCOVER_GRAPH_URI"
        )

    async def connect(self) -> None:
        """Verify address and credentials once at start-up, with a setting to blame."""
        try:
            await self._driver.execute_query(
                PING.text, routing_=RoutingControl.READ, database_=self.database)
        except neo4j_errors.AuthError as exc:
            raise ConfigError(
                f"Neo4j at {self.uri} rejected the user name or password",
                setting="ORGCOVER_NEO4J_USER / ORGCOVER_NEO4J_PASSWORD",
            ) from exc
        except (neo4j_errors.ServiceUnavailable, OSError) as exc:
            raise self._unavailable(exc) from exc
        except neo4j_errors.ClientError as exc:
            raise ConfigError(
                f"Neo4j at {self.uri} refused database {self.database!r}: {exc.message}",
                setting="ORGCOVER_NEO4J_DATABASE",
            ) from exc

    async def _read(self, stmt: Statement, params: dict[str, Any]) -> list[Row]:
        at = deadline.current()
        seconds = deadline.seconds_left(at)  # the transaction's timeout; out of time: nothing
        wrapped = collected(stmt.text)  # the rows as one record: graph/dialects/collected.py
        cost = None if wrapped is None else self.costs.light(stmt.name)
        if cost is None:
            return await self._alone(stmt, params, seconds)
        # light: sent with the reads issued meanwhile (graph/backends/read_batches.py)
        return await self.batches.submit(stmt, params, deadline=at, cost_ms=cost)

    async def _alone(self, stmt: Statement, params: dict[str, Any],
                     seconds: float | None) -> list[Row]:
        """One read in a transaction of its own; its server time tells whether it may be
        combined next time."""
        wrapped = collected(stmt.text)
        query = Query(stmt.text if wrapped is None else wrapped[0], timeout=seconds)
        records, summary = await self._run_read(query, params, stmt.name)
        self._heed(stmt.name, summary)
        self.costs.observe(stmt.name, _server_ms(summary))
        self.plans.record(stmt.name, query.text, params)
        if wrapped is None:
            return [_row(stmt, record) for record in records]
        return _unpacked(stmt, wrapped[1], records[0][ROWS])

    async def _run_read(self, query: Query, params: dict[str, Any], name: str
                        ) -> tuple[list[neo4j.Record], neo4j.ResultSummary]:
        """Run a read to its end even when its caller is cancelled; driver errors as ours,
        naming `name`."""
        running = asyncio.ensure_future(self._auto_read(query, params))
        try:
            # A caller cancelled mid-stream (a request's deadline, a client gone) would
            # break the pooled connection; the query finishes on its own instead, within
            # its transaction timeout.
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            self._settle(running, seconds=query.timeout)
            raise
        except neo4j_errors.ServiceUnavailable as exc:
            raise self._unavailable(exc) from exc
        except neo4j_errors.Neo4jError as exc:
            if "TransactionTimedOut" in str(exc.code or ""):
                raise Timeout(f"statement {name} ran out of time on Neo4j") from exc
            raise QueryFailed(
                f"statement {name} failed on Neo4j: {str(exc.message)[:300]}") from exc

    async def _run_chunk(self, deadline_at: float | None, parts: list[Part]) -> None:
        """Light reads issued together, as one statement (graph/dialects/combined.py);
        when it fails, each read runs alone, so an error reaches its own caller only."""
        try:
            seconds = deadline.seconds_left(deadline_at)
        except Timeout as exc:
            for part in parts:
                part.fail(exc)
            return
        if len(parts) > 1 and await self._combined(parts, seconds):
            return

        async def alone(part: Part) -> None:
            try:
                part.settle(await self._alone(part.stmt, part.params, seconds))
            except Exception as exc:
                part.fail(exc)

        await asyncio.gather(*(alone(part) for part in parts))

    async def _combined(self, parts: list[Part], seconds: float | None) -> bool:
        """Send `parts` as one statement if Neo4j has planned it; whether every part is
        settled (False: each is to run alone)."""
        names = ", ".join(p.stmt.name for p in parts)
        query = Query(combined([p.stmt.text for p in parts]), timeout=seconds)
        params = {prefix(i) + k: v for i, p in enumerate(parts) for k, v in p.params.items()}
        plan = self.costs.combination(query.text)
        if plan is Plan.NEW:  # planned in the background; this time each read goes alone
            self.costs.planning(query.text)
            self.plans.prepare(f"combined ({names[:200]})", query.text, params,
                               partial(self.costs.planned, query.text))
        if plan not in (Plan.READY, Plan.RAN):
            return False
        try:
            records, summary = await self._run_read(query, params, f"({names[:200]})")
            self._heed(names, summary)
        except QueryFailed as exc:
            log.info("%d combined reads failed together (%s); each runs alone",
                     len(parts), getattr(exc.__cause__, "code", None) or "a warning")
            return False
        except (Timeout, StoreUnavailable) as exc:
            for part in parts:
                part.fail(exc)
            return True
        if self.costs.overran(query.text, parts, _server_ms(summary)):
            log.info("%d combined reads took %.0f ms; measured alone again",
                     len(parts), _server_ms(summary))
        self.plans.record(f"combined ({names[:200]})", query.text, params)
        for i, part in enumerate(parts):
            try:
                part.settle(_unpacked(part.stmt, _columns(part.stmt), records[0][column(i)]))
            except QueryFailed as exc:
                part.fail(exc)
        return True

    async def _auto_read(self, query: Query, params: dict[str, Any]
                         ) -> tuple[list[neo4j.Record], neo4j.ResultSummary]:
        """One auto-commit statement in a read session: one network round trip where a
        managed transaction (`execute_query`) takes two (1.27 → 0.90 ms a statement,
        measured on Neo4j 5.26); a read is safe to send again, once, after a transient
        failure or a connection lost."""
        for attempt in (1, 2):
            self.sent += 1
            try:
                async with self._driver.session(
                        database=self.database, default_access_mode=neo4j.READ_ACCESS
                ) as session:
                    result = await session.run(query, params)
                    records = [record async for record in result]
                    return records, await result.consume()
            except (neo4j_errors.TransientError, neo4j_errors.SessionExpired,
                    neo4j_errors.ServiceUnavailable):
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _settle(self, running: asyncio.Future[Any], *, seconds: float | None) -> None:
        """Keep an abandoned query referenced until it ends; its outcome is nobody's.

        The server bounds a running transaction, not a wait for a pooled connection or
        the driver's retries: past the time the request had left (plus a grace), nothing
        can be in flight any more and the rest is cancelled."""
        if running.done():
            return
        self._settling.add(running)
        asyncio.get_running_loop().call_later(
            (seconds if seconds is not None else ABANDONED_READ_SECONDS) + 1.0, running.cancel)

        def forget(done: asyncio.Future[Any]) -> None:
            self._settling.discard(done)
            if not done.cancelled():
                done.exception()

        running.add_done_callback(forget)

    def _heed(self, name: str, summary: neo4j.ResultSummary) -> None:
        """In strict mode (the Neo4j test mode) a warning fails the statement: a
        deprecation today is a syntax error in the next Cypher version."""
        if not self.strict_notifications:
            return
        warnings = [f"{g.gql_status} {g.status_description}"
                    for g in summary.gql_status_objects if g.is_notification]
        if warnings:
            raise QueryFailed(f"statement {name}: Neo4j warns: {'; '.join(warnings)}")

    async def _write(self, stmt: Statement, params: dict[str, Any]) -> WriteResult:
        results = await self._transaction([(stmt, params)], keep_rows=True)
        return results[0]

    async def write_many(
        self, batch: Sequence[tuple[Statement, Mapping[str, Any]]]
    ) -> WriteCounters:
        """The whole batch in one managed transaction: all or nothing."""
        self.round_trips += 1
        total = WriteCounters()
        for result in await self._transaction(batch, keep_rows=False):
            total.add(result.counters)
        return total

    async def _transaction(
        self, batch: Sequence[tuple[Statement, Mapping[str, Any]]], *, keep_rows: bool
    ) -> list[WriteResult]:
        async def work(tx: AsyncManagedTransaction) -> list[WriteResult]:
            out = []
            for stmt, params in batch:
                result = await tx.run(stmt.text, dict(params))
                # every row is checked (a node or path refused, as FalkorDB refuses it),
                # kept only when asked for
                rows = [_row(stmt, r) async for r in result]
                summary = await result.consume()
                self._heed(stmt.name, summary)
                out.append(WriteResult(rows=rows if keep_rows else [],
                                       counters=_counters(summary)))
            return out

        try:
            async with self._driver.session(database=self.database) as session:
                return await session.execute_write(work)
        except neo4j_errors.ServiceUnavailable as exc:
            raise self._unavailable(exc) from exc
        except neo4j_errors.Neo4jError as exc:
            names = ", ".join(stmt.name for stmt, _ in batch)
            raise QueryFailed(
                f"write ({names[:200]}) failed on Neo4j: {str(exc.message)[:300]}") from exc

    async def ping(self) -> None:
        try:
            await self._driver.verify_connectivity()
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
            raise self._unavailable(exc) from exc

    async def ensure_schema(self) -> None:
        statements = [ddl.create_code_constraint(label=label) for label in UNIQUE_CODE_LABELS]
        statements += [ddl.create_property_index(label=label, prop=prop)
                       for label, prop in EXTRA_INDEXES]
        # Schema statements cannot share a transaction with each other's data; one each.
        for stmt in statements:
            await self.write(stmt)
        await self._ensure_search_index()

    async def _ensure_search_index(self) -> None:
        """The full-text index with today's configuration: one created before it became
        eventually consistent is made again (searches wait for it to be online)."""
        found = await self.read(ddl.SEARCH_INDEX_CONFIG_NOW, {"name": ddl.SEARCH_INDEX})
        if found and any(found[0]["config"].get(k) != v
                         for k, v in ddl.SEARCH_INDEX_CONFIG.items()):
            log.warning("recreating the full-text index %s with its current configuration",
                        ddl.SEARCH_INDEX)
            await self.write(ddl.drop_schema_object(kind="INDEX", name=ddl.SEARCH_INDEX))
        await self.write(ddl.create_search_index())
        await self.read(ddl.AWAIT_INDEX, {"name": ddl.SEARCH_INDEX, "seconds": 600})

    @contextlib.asynccontextmanager
    async def bulk(self) -> AsyncIterator[None]:
        """After a load's writes, the full-text index has taken all of them (it takes a
        commit's documents in the background), so a search right after finds them."""
        yield
        # routed as a write: on a cluster, to the leader that committed the load
        await self.write(ddl.AWAIT_SEARCH_INDEX)

    async def delete_graph(self, *, schema: bool = False) -> None:
        """Empty the database (tests and tooling; Community has one user database, so it
        is emptied rather than dropped), and with `schema` drop our constraints and
        indexes too."""
        while (await self.write(ddl.DELETE_SOME, {"limit": 10_000})).rows[0]["deleted"]:
            pass
        if schema:
            for kind, name in ddl.schema_names():
                await self.write(ddl.drop_schema_object(kind=kind, name=name))

    def plan_ahead(self, *, after_load: bool = False) -> None:
        if after_load:
            self.plans.after_load()
        else:
            self.plans.after_start()

    async def close(self) -> None:
        await self.plans.close()
        await self.batches.close()
        for running in list(self._settling):
            running.cancel()
        await asyncio.gather(*self._settling, return_exceptions=True)
        await self._driver.close()
