"""Data at rest (design/security.md): the embedded store's data directory is 0700 and its
files 0600 whatever the umask, its socket lives in a directory only this user may enter,
and the server wants a password on every connection, the socket's included."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import exceptions as redis_errors
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from graph.backends.embedded import (
    PASSWORD_FILE,
    SOCKET_FILE,
    EmbeddedFalkorServer,
    password_beside,
)
from graph.backends.falkordb import FalkorStore
from graph.backends.falkordb_wire import WirePool, _ReplyError
from graph.errors import ConfigError, StoreUnavailable
from graph.factory import EmbeddedStore, StoreConfig, open_store
from graph.queries import load as q
from graph.repo.load import node_columns

#: A user that is not us, for the checks only root can set up (chown).
OTHER_UID = 65534
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown to another user")


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The test process creates everything world-readable and -writable by default."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    """Every entry under `root` (and `root`) by relative path, with its permission bits."""
    found = {".": stat.S_IMODE(os.lstat(root).st_mode)}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, root)] = stat.S_IMODE(os.lstat(path).st_mode)
    return found


def _assert_private(root: Path) -> None:
    modes = _modes(root)
    loose = {name: f"{mode:04o}" for name, mode in modes.items()
             if mode != (0o700 if (root / name).is_dir() else 0o600)}
    assert not loose, f"entries not 0700/0600 under {root}: {loose}"


async def _write(store: object, code: str) -> None:
    assert isinstance(store, FalkorStore)
    await store.write(q.upsert_nodes(kind=q.REGION), {
        **node_columns(q.REGION, [(code, {"name": "张三 13800138000", "level": "district"})]),
        "now": "t", "load_id": "l"})


async def test_every_file_is_0600_and_every_directory_0700_whatever_the_umask(
        tmp_path: Path, open_umask: None) -> None:
    """With umask 000: after start, writes and an AOF rewrite (the server's own files, its
    rewrites and the appendonly directory) nothing under the data directory is open to
    other users."""
    data = tmp_path / "data"
    store = await open_store(StoreConfig(data_dir=data))
    try:
        assert isinstance(store, EmbeddedStore)
        await _write(store, "A1")
        conn = store._db.connection
        await store.settle()
        rewrites = int((await conn.info("persistence"))["aof_rewrites"])
        await conn.execute_command("BGREWRITEAOF")
        await store.settle()
        assert int((await conn.info("persistence"))["aof_rewrites"]) == rewrites + 1
        await _write(store, "A2")  # into the new incremental file
        modes = _modes(data)
        assert any(name.startswith("aof/") and name.endswith(".rdb") for name in modes), modes
        assert SOCKET_FILE in modes
        assert PASSWORD_FILE in modes
        _assert_private(data)
    finally:
        await store.close()
    _assert_private(data)


async def test_a_loose_data_directory_is_tightened_with_a_warning(
        tmp_path: Path, open_umask: None, caplog: pytest.LogCaptureFixture) -> None:
    """A data directory copied or restored with loose modes is tightened at start (with a
    warning naming what was open) and its data is still there."""
    data = tmp_path / "data"
    store = await open_store(StoreConfig(data_dir=data))
    try:
        await _write(store, "L1")
    finally:
        await store.close()
    for folder, dirs, files in os.walk(data):
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o777)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    os.chmod(data, 0o755)
    (data / "notes.txt").write_text("stray copy")  # 0666 under umask 000
    caplog.set_level(logging.WARNING, logger="graph.backends.embedded")
    store = await open_store(StoreConfig(data_dir=data))
    try:
        _assert_private(data)
        rows = await store.read(q.fetch_existing(kind=q.REGION), {"codes": ["L1"]})
        assert rows
        assert rows[0]["code"] == "L1"
    finally:
        await store.close()
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert f"data directory {data} had mode 0755" in warned
    assert "notes.txt 0666" in warned
    assert f"{PASSWORD_FILE} 0644" in warned


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


async def test_the_password_file_is_private_and_kept_across_restarts(tmp_path: Path,
                                                                     open_umask: None) -> None:
    server = EmbeddedFalkorServer(tmp_path / "data")
    await server.start()
    try:
        path = server.data_dir / PASSWORD_FILE
        first = server.password
        assert first
        assert len(first) >= 40
        assert path.read_text().strip() == first
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.stat().st_uid == os.geteuid()
        # the password never shows on the command line other users can read
        assert server.pid is not None
        assert first.encode() not in _cmdline(server.pid)
    finally:
        await server.stop()
    again = EmbeddedFalkorServer(tmp_path / "data")
    await again.start()
    try:
        assert again.password == first
        store = FalkorStore(graph_name="g", unix_socket=again.socket_path,
                            password=again.password)
        try:
            await store.ping()
        finally:
            await store.close()
    finally:
        await again.stop()
    # another data directory, another password
    other = EmbeddedFalkorServer(tmp_path / "other")
    await other.start()
    try:
        assert other.password != first
    finally:
        await other.stop()


async def test_clients_without_the_password_are_refused(
        falkor_server: EmbeddedFalkorServer) -> None:
    """On the socket too: raw RESP gets NOAUTH, redis-py, the statement pool and a store
    without (or with a wrong) password are refused."""
    reader, writer = await asyncio.open_unix_connection(falkor_server.socket_path)
    try:
        writer.write(b"GRAPH.LIST\r\n")
        await writer.drain()
        assert (await reader.readline()).startswith(b"-NOAUTH")
    finally:
        writer.close()
    raw = Redis(unix_socket_path=falkor_server.socket_path, protocol=2,
                retry=Retry(NoBackoff(), 0))
    try:
        # the server's NOAUTH, as redis-py's asyncio client words it (wrapped while it
        # connects)
        with pytest.raises(redis_errors.ConnectionError, match="Authentication required"):
            await raw.execute_command("GRAPH.LIST")  # type: ignore[no-untyped-call]
    finally:
        await raw.aclose()
    pool = WirePool(unix_socket=falkor_server.socket_path)
    try:
        reply = await pool.execute("GRAPH.LIST")
        assert isinstance(reply, _ReplyError)
        assert str(reply).startswith("NOAUTH")
    finally:
        await pool.close()
    wrong = WirePool(unix_socket=falkor_server.socket_path, password="wrong")
    with pytest.raises(ConnectionRefusedError, match="authentication failed"):
        await wrong.execute("PING")
    with pytest.raises(StoreUnavailable, match="refused the client"):
        FalkorStore(graph_name="g", unix_socket=falkor_server.socket_path, password="wrong")
    # statements refused for want of a password are "unavailable", naming the remedy
    store = FalkorStore(graph_name="g", unix_socket=falkor_server.socket_path,
                        password=falkor_server.password)
    real, store._wire = store._wire, WirePool(unix_socket=falkor_server.socket_path)
    try:
        with pytest.raises(StoreUnavailable, match=r"refused the client.*NOAUTH"):
            await _write(store, "N1")
    finally:
        await real.close()
        await store.close()


async def test_unix_uri_takes_the_password_beside_the_socket_or_in_the_uri(
        falkor_server: EmbeddedFalkorServer) -> None:
    sock = falkor_server.socket_path
    assert password_beside(sock) == falkor_server.password
    store = await open_store(StoreConfig(uri=f"falkordb+unix://{sock}?graph=beside"))
    try:
        await _write(store, "U1")
        await store.delete_graph()  # type: ignore[attr-defined]
    finally:
        await store.close()
    # a password in the URI wins over the file
    with pytest.raises(StoreUnavailable, match="refused the client"):
        await open_store(StoreConfig(uri=f"falkordb+unix://:wrong@{sock}?graph=beside"))
    store = await open_store(StoreConfig(
        uri=f"falkordb+unix://:{falkor_server.password}@{sock}?graph=beside"))
    await store.close()


def _bad_socket_dir(tmp_path: Path, kind: str) -> Path:
    """A socket directory as someone racing us could leave it."""
    bad = tmp_path / "sockdir"
    if kind == "symlink":
        target = tmp_path / "elsewhere"
        target.mkdir(mode=0o700)
        bad.symlink_to(target)
    else:
        bad.mkdir()
        os.chmod(bad, 0o777 if kind == "open" else 0o700)
        if kind == "foreign":
            os.chown(bad, OTHER_UID, OTHER_UID)
    return bad


@pytest.mark.parametrize(("kind", "says"), [
    ("open", "has mode 0777"),
    ("symlink", "is a symbolic link"),
    pytest.param("foreign", f"belongs to uid {OTHER_UID}", marks=as_root),
])
async def test_a_socket_directory_others_can_reach_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, says: str) -> None:
    """The private socket directory of a deep data directory is made by mkdtemp, so no one
    can make it first; were it open to others, a link or someone else's all the same, the
    server refuses to start (naming it) and leaves it alone."""
    bad = _bad_socket_dir(tmp_path, kind)
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    monkeypatch.setattr(tempfile, "mkdtemp", lambda **_: str(bad))
    server = EmbeddedFalkorServer(deep)
    with pytest.raises(ConfigError) as err:
        await server.start()
    assert str(bad) in err.value.message
    assert says in err.value.message
    assert "refusing" in err.value.message
    assert bad.is_symlink() or bad.is_dir()
    assert not (bad / PASSWORD_FILE).exists()  # no password handed to it
    assert server.pid is None
    monkeypatch.undo()
    await server.start()  # the lock was released; a real mkdtemp directory works
    await server.stop()


@pytest.mark.parametrize(("kind", "says"), [
    ("open", "has mode 0777"),
    pytest.param("foreign", f"belongs to uid {OTHER_UID}", marks=as_root),
])
async def test_a_unix_uri_in_a_directory_others_can_reach_is_refused(
        tmp_path: Path, kind: str, says: str) -> None:
    """A worker given falkordb+unix:// reads the password beside the socket only from a
    directory private to it (else it could be talking to someone else's server)."""
    bad = _bad_socket_dir(tmp_path, kind)
    (bad / PASSWORD_FILE).write_text("planted")
    with pytest.raises(ConfigError) as err:
        await open_store(StoreConfig(uri=f"falkordb+unix://{bad}/{SOCKET_FILE}"))
    assert str(bad) in err.value.message
    assert says in err.value.message
    assert err.value.setting == "ORGCOVER_GRAPH_URI"


def test_a_password_file_open_to_others_is_refused_by_clients(tmp_path: Path) -> None:
    folder = tmp_path / "sock"
    folder.mkdir(mode=0o700)
    (folder / PASSWORD_FILE).write_text("pw\n")
    os.chmod(folder / PASSWORD_FILE, 0o644)
    with pytest.raises(ConfigError, match="mode 0644"):
        password_beside(str(folder / SOCKET_FILE))
    os.chmod(folder / PASSWORD_FILE, 0o600)
    assert password_beside(str(folder / SOCKET_FILE)) == "pw"
    (folder / PASSWORD_FILE).write_text('p"w\n')  # would break the server's config line
    with pytest.raises(ConfigError, match="quotes"):
        password_beside(str(folder / SOCKET_FILE))
    assert password_beside(str(tmp_path / "none" / SOCKET_FILE)) is None


async def test_a_deep_data_directory_gets_a_fresh_private_socket_directory(
        tmp_path: Path, open_umask: None) -> None:
    """Too deep for a socket path: the socket goes to a mkdtemp directory (unpredictable
    name, 0700, ours) holding a copy of the password for `orgcover store` workers; it is
    removed on stop and a new one is made on the next start."""
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    server = EmbeddedFalkorServer(deep)
    await server.start()
    try:
        folder = Path(server.socket_path).parent
        assert folder.parent == Path(tempfile.gettempdir())
        assert folder.name.startswith("orgcover-")
        assert len(folder.name) > len("orgcover-")
        st = os.lstat(folder)
        assert stat.S_ISDIR(st.st_mode)
        assert st.st_uid == os.geteuid()
        assert stat.S_IMODE(st.st_mode) == 0o700
        assert stat.S_IMODE(os.stat(folder / PASSWORD_FILE).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(server.socket_path).st_mode) == 0o600
        assert password_beside(server.socket_path) == server.password
        store = await open_store(StoreConfig(uri=f"falkordb+unix://{server.socket_path}"))
        try:
            await _write(store, "D1")
        finally:
            await store.close()
        _assert_private(server.data_dir)
    finally:
        await server.stop()
    assert not folder.exists()
    await server.start()
    try:
        assert Path(server.socket_path).parent != folder
    finally:
        await server.stop()


@as_root
async def test_a_data_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "theirs"
    data.mkdir(mode=0o700)
    os.chown(data, OTHER_UID, OTHER_UID)
    with pytest.raises(ConfigError) as err:
        await EmbeddedFalkorServer(data).start()
    assert str(data) in err.value.message
    assert f"uid {OTHER_UID}" in err.value.message
    assert err.value.setting == "ORGCOVER_DATA_DIR"


def test_the_socket_file_accepts_only_its_owner(falkor_server: EmbeddedFalkorServer) -> None:
    st = os.stat(falkor_server.socket_path)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600
    with socket.socket(socket.AF_UNIX) as probe:  # reachable by us, of course
        probe.connect(falkor_server.socket_path)
