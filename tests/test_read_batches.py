"""Neo4j reads issued together, sent as one statement: the combined text
(graph/dialects/combined.py), the grouping of reads (graph/backends/read_batches.py), and —
on a live Neo4j (`make test-neo4j`) — that every registered read combines and answers as
it does alone."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from graph.backends.neo4j import Neo4jStore
from graph.backends.read_batches import (
    LIGHT_MS,
    OVERRUN_MS,
    RUNS,
    Part,
    Plan,
    ReadBatches,
    ServerCosts,
    chunks,
)
from graph.deadline import within
from graph.dialects.collected import collected
from graph.dialects.combined import column, combined, prefix, renamed
from graph.errors import QueryFailed, Timeout
from graph.queries.admin import PING
from graph.statements import Mode, Statement, all_statements
from graph.store import GraphStore, Row

NEO4J_ONLY = "Neo4j only: set ORGCOVER_TEST_NEO4J_URI (make test-neo4j)"


def _stmt(name: str, text: str = "RETURN $x AS x") -> Statement:
    return Statement(name, text, Mode.READ, {"x": 1}, frozenset({"neo4j"}))


# --- the text -----------------------------------------------------------------------------

def test_parameters_are_renamed_outside_strings_and_comments() -> None:
    text = ("MATCH (n {code: $code}) WHERE n.note <> '$code' AND n.x IN $`odd name`\n"
            "// $code in a comment\nRETURN n.name AS name, $limit AS `$limit`")
    out = renamed(text, "b3_")
    assert "$`b3_code`" in out
    assert "$`b3_odd name`" in out
    assert "$`b3_limit`" in out
    assert "'$code'" in out  # a string keeps its dollar
    assert "`$limit`" in out  # and so does a backticked name
    assert "// $code" not in out  # comments are blanked
    assert out.count("$`b3_") == 3


def test_combined_reads_each_keep_their_columns_and_parameters() -> None:
    first = "MATCH (n:Person {code: $code}) RETURN n.name AS name"
    second = "UNWIND $codes AS c RETURN c AS code, size(c) AS n ORDER BY code"
    text = combined([first, second])
    assert text.splitlines()[-1] == f"RETURN {column(0)}, {column(1)}"
    assert f"{{code: $`{prefix(0)}code`}}" in text
    assert f"UNWIND $`{prefix(1)}codes`" in text
    assert f"collect([`name`]) AS {column(0)}" in text
    assert f"collect([`code`, `n`]) AS {column(1)}" in text
    assert text.count("CALL () {") == 4  # each read in a scope of its own, wrapped
    with pytest.raises(ValueError, match="read 1"):
        combined([first, "MATCH (n) RETURN *"])


# --- grouping -----------------------------------------------------------------------------

def _part(name: str, loop: asyncio.AbstractEventLoop, cost: float = 0.0) -> Part:
    return Part(_stmt(name), {}, cost, loop.create_future())


async def test_a_chunk_holds_a_statement_once_and_its_text_does_not_depend_on_order() -> None:
    loop = asyncio.get_running_loop()
    parts = [_part(n, loop) for n in ("b", "a", "b", "c", "b")]
    got = [[p.stmt.name for p in chunk] for chunk in chunks(parts)]
    assert got == [["a", "b", "c"], ["b"], ["b"]]
    many = [_part(f"s{i:02}", loop) for i in range(20)]
    assert [len(c) for c in chunks(many, max_parts=16)] == [16, 4]


def test_a_statement_is_light_after_most_of_its_last_runs_alone_were_cheap() -> None:
    costs = ServerCosts()
    costs.observe("s", LIGHT_MS + 30)  # its first run planned it
    for _ in range(RUNS - 2):
        costs.observe("s", 0.0)
    assert costs.light("s") is None  # not measured enough yet
    costs.observe("s", 1.0)
    assert costs.light("s") == pytest.approx((LIGHT_MS + 31) / RUNS)  # one dear run of RUNS
    for _ in range(RUNS // 2 + 1):
        costs.observe("s", LIGHT_MS + 5)
    assert costs.light("s") is None  # most of its last RUNS dear: alone again
    assert costs.light("never ran") is None


async def test_a_combination_is_sent_once_planned_and_judged_from_its_second_run() -> None:
    loop = asyncio.get_running_loop()
    parts = [_part("a", loop), _part("b", loop)]
    costs = ServerCosts()
    assert costs.combination("T") is Plan.NEW
    costs.planning("T")
    assert costs.combination("T") is Plan.PLANNING
    costs.planned("T", ok=True)
    assert costs.combination("T") is Plan.READY
    assert not costs.overran("T", parts, 10 * OVERRUN_MS)  # a plan made ahead may be redone
    assert costs.combination("T") is Plan.RAN
    costs.planned("U", ok=False)
    assert costs.combination("U") is Plan.REFUSED


async def test_an_overrunning_combination_sends_its_reads_alone_and_twice_never_again(
        ) -> None:
    loop = asyncio.get_running_loop()
    costs = ServerCosts()
    for _ in range(RUNS):
        costs.observe("a", 0.0)
        costs.observe("b", 1.0)
    parts = [_part("a", loop, 0.0), _part("b", loop, 1.0)]
    # a text's first run plans it: not judged, however long
    assert not costs.overran("T", parts, 10 * OVERRUN_MS)
    assert not costs.overran("T", parts, OVERRUN_MS - 1)
    assert costs.overran("T", parts, OVERRUN_MS + 1)
    assert costs.light("a") is None
    assert costs.light("b") is None
    for _ in range(RUNS):
        costs.observe("a", 0.0)
    assert costs.light("a") == 0.0
    assert costs.overran("T", parts[:1], OVERRUN_MS + 1)
    for _ in range(RUNS):
        costs.observe("a", 0.0)
    assert costs.light("a") is None  # twice: never combined again


class _Runner:
    """Runs chunks the way a backend would (each part answered with its name), keeping
    what it was handed."""

    def __init__(self) -> None:
        self.chunks: list[tuple[float | None, list[str]]] = []
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, deadline: float | None, parts: list[Part]) -> None:
        self.chunks.append((deadline, [p.stmt.name for p in parts]))
        await self.release.wait()
        for part in parts:
            if part.stmt.name == "boom":
                part.fail(QueryFailed("statement boom failed"))
            else:
                part.settle([{"name": part.stmt.name, **part.params}])


async def test_reads_submitted_in_the_same_turns_with_one_deadline_go_together() -> None:
    runner = _Runner()
    batches = ReadBatches(runner)

    async def read(name: str, deadline: float | None, delay_turns: int = 0) -> list[Row]:
        for _ in range(delay_turns):
            await asyncio.sleep(0)  # a resolver that passes a DataLoader first
        return await batches.submit(_stmt(name), {"x": name}, deadline=deadline, cost_ms=0)

    got = await asyncio.gather(read("b", None), read("a", None, 2), read("c", 5.0),
                               read("d", None, 10))
    assert [rows[0]["name"] for rows in got] == ["b", "a", "c", "d"]
    assert [rows[0]["x"] for rows in got] == ["b", "a", "c", "d"]
    assert sorted(runner.chunks, key=str) == sorted(
        [(None, ["a", "b"]), (5.0, ["c"]), (None, ["d"])], key=str)


async def test_one_failing_read_or_a_cancelled_caller_leaves_the_others_answered() -> None:
    runner = _Runner()
    runner.release.clear()
    batches = ReadBatches(runner)
    ok = asyncio.ensure_future(batches.submit(_stmt("ok"), {}, deadline=None, cost_ms=0))
    boom = asyncio.ensure_future(batches.submit(_stmt("boom"), {}, deadline=None, cost_ms=0))
    gone = asyncio.ensure_future(batches.submit(_stmt("gone"), {}, deadline=None, cost_ms=0))
    while not runner.chunks:
        await asyncio.sleep(0)
    gone.cancel()
    runner.release.set()
    assert (await ok)[0]["name"] == "ok"
    with pytest.raises(QueryFailed, match="boom"):
        await boom
    assert gone.cancelled()
    assert runner.chunks == [(None, ["boom", "gone", "ok"])]


async def test_a_runner_that_breaks_or_forgets_fails_every_caller_of_its_chunk() -> None:
    async def broken(deadline: float | None, parts: list[Part]) -> None:
        raise RuntimeError("a bug")

    async def forgetful(deadline: float | None, parts: list[Part]) -> None:
        parts[0].settle([])

    batches = ReadBatches(broken)
    results = await asyncio.gather(
        *(batches.submit(_stmt(n), {}, deadline=None, cost_ms=0) for n in "ab"),
        return_exceptions=True)
    assert [str(r) for r in results] == ["a bug", "a bug"]
    batches = ReadBatches(forgetful)
    results = await asyncio.gather(
        *(batches.submit(_stmt(n), {}, deadline=None, cost_ms=0) for n in "ab"),
        return_exceptions=True)
    assert results[0] == []
    assert isinstance(results[1], RuntimeError)
    assert "read b was never answered" in str(results[1])


async def test_closing_cancels_what_waits() -> None:
    runner = _Runner()
    runner.release.clear()
    batches = ReadBatches(runner)
    waiting = batches.submit(_stmt("a"), {}, deadline=None, cost_ms=0)
    await batches.close()
    assert waiting.cancelled()


# --- on a live Neo4j ----------------------------------------------------------------------

def _combinable() -> list[Statement]:
    return sorted((s for s in all_statements() if s.mode is Mode.READ
                   and "neo4j" in s.backends and collected(s.text) is not None),
                  key=lambda s: s.name)


def _combined_params(parts: list[tuple[Statement, dict[str, Any]]]) -> dict[str, Any]:
    return {prefix(i) + k: v for i, (_, params) in enumerate(parts) for k, v in params.items()}


async def test_neo4j_plans_every_registered_read_combined_without_a_warning(
        store: GraphStore) -> None:
    if not isinstance(store, Neo4jStore):
        pytest.skip(NEO4J_ONLY)
    reads = _combinable()
    assert len(reads) > 500
    wrong = []
    async with store._driver.session(database=store.database) as session:
        for start in range(0, len(reads), 16):
            chunk = reads[start:start + 16]
            text = combined([s.text for s in chunk])
            result = await session.run(
                f"EXPLAIN {text}", _combined_params([(s, dict(s.params)) for s in chunk]))
            keys = result.keys()
            summary = await result.consume()
            notes = [g.gql_status for g in summary.gql_status_objects if g.is_notification]
            if list(keys) != [column(i) for i in range(len(chunk))] or notes:
                wrong.append(([s.name for s in chunk], keys, notes))
    assert wrong == []


def _light(store: Neo4jStore, *stmts: Statement) -> None:
    """Make `stmts` light, as RUNS cheap runs alone would."""
    for stmt in stmts:
        for _ in range(RUNS):
            store.costs.observe(stmt.name, 0.0)


async def test_light_reads_issued_together_answer_as_they_do_alone(store: GraphStore) -> None:
    if not isinstance(store, Neo4jStore):
        pytest.skip(NEO4J_ONLY)
    rows = _stmt("test.rows", "UNWIND range(1, $x) AS i RETURN i AS i, 'n' + i AS name "
                 "ORDER BY i DESC")
    maps = _stmt("test.maps", "RETURN {a: $x, when: date('2026-12-01')} AS m, [] AS none")
    boom = _stmt("test.boom", "RETURN 1 / $x AS q")
    _light(store, rows, maps, boom, PING)
    sent: list[str] = []
    inner = store._auto_read

    async def counted(query: Any, params: dict[str, Any]) -> Any:
        sent.append(query.text)
        return await inner(query, params)

    store._auto_read = counted  # type: ignore[method-assign]
    expected = [[{"i": 3, "name": "n3"}, {"i": 2, "name": "n2"}, {"i": 1, "name": "n1"}],
                [{"m": {"a": 7, "when": dt.date(2026, 12, 1)}, "none": []}],
                [{"ok": 1}]]
    for alone in (True, False):  # a new combination is planned first, its reads sent alone
        sent.clear()
        with within(30):
            got = await asyncio.gather(store.read(rows, {"x": 3}), store.read(maps, {"x": 7}),
                                       store.read(PING))
        assert got == expected
        assert len(sent) == (3 if alone else 1)  # then one statement for three reads
        await store.plans.idle()
        _light(store, rows, maps, PING)  # their first runs alone were planned: dear
    assert sent[0].count(column(0)) == 2
    # a read that fails at run time fails alone: the others run again on their own
    await asyncio.gather(store.read(rows, {"x": 1}), store.read(boom, {"x": 1}))
    await store.plans.idle()
    _light(store, rows, boom)
    sent.clear()
    got = await asyncio.gather(store.read(rows, {"x": 1}), store.read(boom, {"x": 0}),
                               return_exceptions=True)
    assert got[0] == [{"i": 1, "name": "n1"}]
    assert isinstance(got[1], QueryFailed)
    assert "test.boom" in str(got[1])
    assert len(sent) == 3  # combined, then each alone
    # a request out of time sends nothing
    sent.clear()
    with within(0.001):
        await asyncio.sleep(0.002)
        with pytest.raises(Timeout):
            await store.read(PING)
    assert sent == []
