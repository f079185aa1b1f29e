"""Planning ahead on Neo4j (graph/backends/neo4j_plans.py): what is kept of a statement's
parameters, which stores plan, and — on a live Neo4j (`make test-neo4j`) — that every
registered read statement plans there with its example parameters."""

from __future__ import annotations

import asyncio
import time
from unittest import mock

import pytest
from neo4j import exceptions as neo4j_errors

from graph.backends import neo4j_plans
from graph.backends.neo4j import Neo4jStore
from graph.backends.neo4j_plans import (
    RECENT,
    SCOPE_CODE_LENGTHS,
    PlanWarmer,
    _key,
    registered_reads,
    shape,
)
from graph.queries.admin import PING
from graph.store import GraphStore
from tests.graphs import on_neo4j

NEO4J_ONLY = "Neo4j only: set ORGCOVER_TEST_NEO4J_URI (make test-neo4j)"


def test_a_shape_keeps_types_and_sizes_and_nothing_of_the_values() -> None:
    params = {"codes": ["371327001001", "371327"], "text": "张三", "limit": 21,
              "rate": 0.5, "after": None, "flag": True, "row": {"phone": "13812345678"},
              "empty": []}
    assert shape(params) == {"codes": ["x" * 12, "x" * 6], "text": "xx", "limit": 0,
                             "rate": 0.0, "after": None, "flag": True,
                             "row": {"phone": "x" * 11}, "empty": []}


def test_every_registered_read_is_planned_with_parameters_like_a_real_calls() -> None:
    reads = registered_reads()
    assert len(reads) > 400
    assert all(not text.startswith("EXPLAIN") for _, text, _ in reads)
    assert any(text.startswith("CALL () {") for _, text, _ in reads)  # as the store sends
    scopes: dict[str, set[int | None]] = {}
    for name, _, params in reads:
        if "scope" in params:
            scope = params["scope"]
            scopes.setdefault(name, set()).add(None if scope is None else len(scope))
    assert scopes["nav.nodes_by_code.Compound"] == {None}  # unscoped: called with null
    assert scopes["nav.nodes_by_code.Compound.scoped"] == set(SCOPE_CODE_LENGTHS)


async def test_recent_statements_are_remembered_by_text_up_to_a_bound() -> None:
    warmer = PlanWarmer(driver=None, database="neo4j")  # type: ignore[arg-type]
    warmer.record(PING.name, PING.text, {"code": "secret-code"})
    assert warmer._recent == {PING.text: (PING.name, PING.text, {"code": "x" * 11})}
    for i in range(RECENT + 5):
        warmer.record(f"s{i}", f"RETURN {i}", {})
    assert len(warmer._recent) == RECENT
    assert PING.text not in warmer._recent  # the oldest went first
    warmer.after_load()  # not serving (no after_start): a CLI load or a test plans nothing
    assert warmer._task is None


async def test_a_store_that_plans_cheaply_does_nothing(store: GraphStore) -> None:
    if on_neo4j():
        pytest.skip("FalkorDB's side")
    store.plan_ahead()
    store.plan_ahead(after_load=True)
    assert await store.read(PING) == [{"ok": 1}]


async def test_a_serving_neo4j_store_plans_every_read_then_what_ran_before_a_load(
        store: GraphStore) -> None:
    if not isinstance(store, Neo4jStore):
        pytest.skip(NEO4J_ONLY)
    await store.read(PING)
    store.plan_ahead()
    assert store.plans._task is not None
    started = time.perf_counter()
    planned = await store.plans._task
    assert store.plans.failed == []
    assert planned == len({_key(p) for p in registered_reads()})  # alike: once
    print(f"planned {planned} statements in {time.perf_counter() - started:.1f} s")
    store.plan_ahead(after_load=True)
    assert await store.plans._task >= 1  # PING, at least, ran since


class _Session:
    """A driver session that keeps what it is asked to plan; `RETURN 0` cannot be."""

    def __init__(self, asked: list[tuple[str, dict[str, object]]], delay: float = 0.0) -> None:
        self.asked = asked
        self.delay = delay
        self.finished = 0

    async def __aenter__(self) -> _Session:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def run(self, text: str, params: dict[str, object]) -> _Session:
        self.asked.append((text, params))
        if text == "EXPLAIN RETURN 0":
            raise neo4j_errors.ClientError("cannot plan")
        await asyncio.sleep(self.delay)
        self.finished += 1
        return self

    async def consume(self) -> None:
        return None


async def test_a_combination_is_planned_before_what_waits_and_its_caller_told() -> None:
    asked: list[tuple[str, dict[str, object]]] = []
    driver = mock.Mock(session=lambda **_: _Session(asked))
    warmer = PlanWarmer(driver, database="neo4j")
    told: list[tuple[str, bool]] = []
    warmer._plan([("a", "RETURN 1", {}), ("b", "RETURN 2", {})])  # queued, not yet run
    warmer.prepare("c", "RETURN $code", {"code": "secret"}, lambda ok: told.append(("c", ok)))
    warmer.prepare("d", "RETURN 0", {}, lambda ok: told.append(("d", ok)))
    await warmer.idle()
    # the last prepared first, then the one before, then what was queued
    assert asked == [("EXPLAIN RETURN 0", {}), ("EXPLAIN RETURN $code", {"code": "xxxxxx"}),
                     ("EXPLAIN RETURN 1", {}), ("EXPLAIN RETURN 2", {})]
    assert told == [("d", False), ("c", True)]
    assert warmer.failed == ["d"]


async def test_closing_lets_the_statement_being_planned_finish_and_drops_the_rest(
        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, dict[str, object]]] = []
    session = _Session(asked, delay=0.2)
    warmer = PlanWarmer(mock.Mock(session=lambda **_: session), database="neo4j")
    warmer._plan([("a", "RETURN 1", {}), ("b", "RETURN 2", {})])
    await asyncio.sleep(0.05)  # planning "a"
    await warmer.close()
    assert (len(asked), session.finished) == (1, 1)  # "a" ran to its end, "b" never began
    # one that takes longer than CLOSE_WAIT_S is cancelled
    monkeypatch.setattr(neo4j_plans, "CLOSE_WAIT_S", 0.05)
    session.delay = 10.0
    warmer._plan([("c", "RETURN 3", {})])
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    await warmer.close()
    assert time.perf_counter() - started < 1.0
    assert (len(asked), session.finished) == (2, 1)
