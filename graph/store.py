"""The one async interface every backend implements.

Callers hand in registered `Statement`s and parameters; rows come back as plain dicts keyed
by the RETURN column names. Each call is one database round trip, counted in
`round_trips` so tests can assert that a GraphQL request stays within a bound.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.statements import Backend, Mode, Statement

Row = dict[str, Any]


@dataclass(slots=True)
class WriteCounters:
    """What a write changed, as reported by the database."""

    nodes_created: int = 0
    nodes_deleted: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0

    def add(self, other: WriteCounters) -> None:
        self.nodes_created += other.nodes_created
        self.nodes_deleted += other.nodes_deleted
        self.relationships_created += other.relationships_created
        self.relationships_deleted += other.relationships_deleted
        self.properties_set += other.properties_set


@dataclass(slots=True)
class WriteResult:
    rows: list[Row] = field(default_factory=list)
    counters: WriteCounters = field(default_factory=WriteCounters)


class GraphStore(abc.ABC):
    """Backend-neutral access to the graph; one instance per process (lifespan-owned)."""

    backend: Backend
    description: str
    #: Whether reads may run on any event loop (each loop gets connections of its own);
    #: otherwise another loop reaches the store through the one that opened it
    #: (app/offloop.py `StoreBridge`).
    any_loop: bool = False
    #: How many batches of one roster template a load may have in flight at once: one
    #: where the server runs writes one after another anyway (FalkorDB).
    load_streams: int = 1

    def __init__(self) -> None:
        self.round_trips = 0

    async def read(self, stmt: Statement, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run a read statement and return its rows."""
        if stmt.mode is not Mode.READ:
            raise ValueError(f"statement {stmt.name} is not a read")
        if self.backend not in stmt.backends:
            raise ValueError(f"statement {stmt.name} does not run on {self.backend}")
        self.round_trips += 1
        return await self._read(stmt, dict(params or {}))

    async def write(
        self, stmt: Statement, params: Mapping[str, Any] | None = None
    ) -> WriteResult:
        """Run one write statement atomically."""
        if self.backend not in stmt.backends:
            raise ValueError(f"statement {stmt.name} does not run on {self.backend}")
        self.round_trips += 1
        return await self._write(stmt, dict(params or {}))

    async def write_many(
        self, batch: Sequence[tuple[Statement, Mapping[str, Any]]]
    ) -> WriteCounters:
        """Run several writes; one transaction where the backend has them (Neo4j).

        FalkorDB has no multi-statement transactions: each statement is atomic by itself
        and callers make their batches idempotent (architecture.md).
        """
        total = WriteCounters()
        for stmt, params in batch:
            total.add((await self.write(stmt, params)).counters)
        return total

    def bulk(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Around the writes of a large load: a backend may defer its housekeeping to the
        end (the embedded FalkorDB rewrites its append-only file once, not mid-load)."""
        return contextlib.nullcontext()

    @abc.abstractmethod
    async def _read(self, stmt: Statement, params: dict[str, Any]) -> list[Row]: ...

    @abc.abstractmethod
    async def _write(self, stmt: Statement, params: dict[str, Any]) -> WriteResult: ...

    @abc.abstractmethod
    async def ping(self) -> None:
        """Raise StoreUnavailable unless the database answers now."""

    @abc.abstractmethod
    async def ensure_schema(self) -> None:
        """Create the uniqueness constraints and indexes of this backend, idempotently."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    def plan_ahead(self, *, after_load: bool = False) -> None:
        """Start planning statements in the background, where a statement's first run
        plans it slowly (Neo4j: graph/backends/neo4j_plans.py): after start-up, and after
        a load changed the statistics. Nothing on FalkorDB (planning costs little)."""
        return

    async def release_loop(self) -> None:
        """Close what the running event loop opened (a worker loop about to end); the
        store stays open for the others. Nothing, for a store bound to one loop."""
        return

