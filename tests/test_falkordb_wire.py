"""The lean GRAPH.QUERY path: decoding of compact replies, errors, the pool's behaviour."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from graph.backends.embedded import EmbeddedFalkorServer
from graph.backends.falkordb import FalkorStore
from graph.backends.falkordb_wire import (
    PoolTimeout,
    ServerError,
    ServerUnavailable,
    UnsupportedValue,
    WirePool,
    _ReplyError,
    decode,
)
from graph.queries.admin import ECHO

STATS = ["Nodes created: 2", "Properties set: 5",
         "Query internal execution time: 0.123 milliseconds"]


def test_compact_values_decode_to_plain_python() -> None:
    row = [[1, None], [2, "小区"], [3, 7], [4, "true"], [4, "false"], [5, "2.5"],
           [6, [[3, 1], [2, "a"]]],
           [10, ["k", [6, [[10, ["inner", [1, None]]]]], "n", [3, 0]]],
           [11, ["36.5", "117.25"]]]
    names = [[1, f"c{i}"] for i in range(len(row))]
    reply = decode([names, [row], STATS])
    assert reply.columns == [f"c{i}" for i in range(len(row))]
    assert list(reply.rows[0].values()) == [
        None, "小区", 7, True, False, 2.5, [1, "a"], {"k": [{"inner": None}], "n": 0},
        {"latitude": 36.5, "longitude": 117.25}]
    assert reply.stats == {"nodes_created": 2, "properties_set": 5}


def test_a_write_without_rows_has_statistics_only() -> None:
    reply = decode([STATS])
    assert reply.rows == []
    assert reply.columns == []
    assert reply.stats["nodes_created"] == 2


@pytest.mark.parametrize(("kind", "what"), [(8, "a node"), (7, "a relationship"),
                                            (9, "a path"), (14, "a date"), (99, "unknown")])
def test_graph_entities_in_a_result_are_refused(kind: int, what: str) -> None:
    with pytest.raises(UnsupportedValue, match=what):
        decode([[[1, "n"]], [[[kind, [1, [], []]]]], STATS])


@pytest.mark.parametrize("reply", [
    _ReplyError("errMsg: Invalid input"),
    [[[1, "n"]], [], _ReplyError("Division by zero")],
])
def test_error_replies_raise(reply: Any) -> None:
    with pytest.raises(ServerError):
        decode(reply)


def test_a_server_still_loading_is_unavailable_not_wrong() -> None:
    with pytest.raises(ServerUnavailable):
        decode(_ReplyError("LOADING Redis is loading the dataset in memory"))


async def test_more_callers_than_connections_all_get_answers(
        falkor_server: EmbeddedFalkorServer) -> None:
    pool = WirePool(unix_socket=falkor_server.socket_path, password=falkor_server.password,
                    max_connections=2)
    try:
        values = await asyncio.gather(*(pool.execute("ECHO", str(i)) for i in range(40)))
        assert values == [str(i) for i in range(40)]
        assert len(pool._idle) <= 2
    finally:
        await pool.close()


async def test_a_caller_waits_no_longer_than_the_pool_timeout(
        falkor_server: EmbeddedFalkorServer) -> None:
    pool = WirePool(unix_socket=falkor_server.socket_path, password=falkor_server.password,
                    max_connections=1, timeout=0.2)
    try:
        busy = asyncio.create_task(pool.execute("BLPOP", "wire-test-never", "2"))
        await asyncio.sleep(0.05)
        with pytest.raises(PoolTimeout):
            await pool.execute("ECHO", "x")
        assert await busy is None  # BLPOP timed out with nothing
        assert await pool.execute("ECHO", "after") == "after"
    finally:
        await pool.close()


async def test_a_cancelled_command_frees_its_slot_and_drops_its_connection(
        falkor_server: EmbeddedFalkorServer) -> None:
    pool = WirePool(unix_socket=falkor_server.socket_path, password=falkor_server.password,
                    max_connections=1, timeout=1)
    try:
        busy = asyncio.create_task(pool.execute("BLPOP", "wire-test-never", "5"))
        await asyncio.sleep(0.05)
        busy.cancel()
        with pytest.raises(asyncio.CancelledError):
            await busy
        assert pool._idle == []  # its reply may still come: never reused
        assert await pool.execute("ECHO", "next") == "next"
    finally:
        await pool.close()


async def test_a_connection_closed_by_the_server_is_replaced(
        falkor_server: EmbeddedFalkorServer) -> None:
    """As after a restart of the server: the idle connection is dead, the command is sent
    again on a new one."""
    pool = WirePool(unix_socket=falkor_server.socket_path, password=falkor_server.password,
                    max_connections=1)
    other = WirePool(unix_socket=falkor_server.socket_path, password=falkor_server.password,
                     max_connections=1)
    try:
        me = await pool.execute("CLIENT", "ID")
        assert await other.execute("CLIENT", "KILL", "ID", str(me)) == 1
        assert await pool.execute("ECHO", "again") == "again"
        assert await pool.execute("CLIENT", "ID") != me
    finally:
        await pool.close()
        await other.close()


async def test_parameters_round_trip_through_the_store(store: FalkorStore) -> None:
    value = {"name": "阳光花园", "n": [1, 2.5, None, True], "nested": {"k": "v"}}
    [row] = await store.read(ECHO, {"value": value})
    assert row["value"] == value
