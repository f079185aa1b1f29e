"""Neo4j 5 backend through the official async driver.

One driver per process (created in the app lifespan), `execute_query` with READ routing
for reads so a `neo4j://` cluster spreads them over followers, managed write transactions
for writes (a whole batch of statements in one transaction), an explicit database name.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import neo4j
from neo4j import AsyncGraphDatabase, AsyncManagedTransaction, Query, RoutingControl
from neo4j import exceptions as neo4j_errors

from graph.deadline import remaining_ms
from graph.dialects import neo4j as ddl
from graph.domain import UNIQUE_CODE_LABELS, Label
from graph.errors import ConfigError, QueryFailed, StoreUnavailable, Timeout
from graph.queries.admin import PING
from graph.statements import Statement
from graph.store import GraphStore, Row, WriteCounters, WriteResult, plain

log = logging.getLogger(__name__)


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

    def __init__(
        self, *, uri: str, user: str, password: str, database: str = "neo4j"
    ) -> None:
        super().__init__()
        self.uri = uri
        self.database = database
        self.description = f"{uri} (database {database})"
        self._driver = AsyncGraphDatabase.driver(uri, auth=(user, password))

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
        left = remaining_ms()  # the request's deadline, as the transaction's timeout
        query = Query(stmt.text, timeout=None if left is None else left / 1000)
        try:
            result = await self._driver.execute_query(
                query, params, routing_=RoutingControl.READ, database_=self.database
            )
        except neo4j_errors.ServiceUnavailable as exc:
            raise self._unavailable(exc) from exc
        except neo4j_errors.Neo4jError as exc:
            if "TransactionTimedOut" in str(exc.code or ""):
                raise Timeout(f"statement {stmt.name} ran out of time on Neo4j") from exc
            raise QueryFailed(
                f"statement {stmt.name} failed on Neo4j: {str(exc.message)[:300]}") from exc
        return [plain(record.data()) for record in result.records]

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
                rows = [plain(r.data()) async for r in result] if keep_rows else []
                summary = await result.consume()
                out.append(WriteResult(rows=rows, counters=_counters(summary)))
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
        statements.append(ddl.create_property_index(label=Label.REGION, prop="level"))
        statements.append(ddl.create_search_index())
        # Schema statements cannot share a transaction with each other's data; one each.
        for stmt in statements:
            await self.write(stmt)

    async def close(self) -> None:
        await self._driver.close()
