"""One roster load at a time per store: the load lock and how a load holds it.

Every load (CLI or GraphQL, dry run or not) takes the store's lock before it reads a file
and gives it back when it ends; a second load meanwhile — another request, another API
worker, a CLI process on the same store — is refused at once with `LOAD_IN_PROGRESS`
rather than queued behind it. The lock is a node in the graph (graph/queries/lock.py), so
it holds across every process that shares the store, and it expires: the holder refreshes
it every `REFRESH_SECONDS` (a task on the event loop, which a load never blocks), and a
lock not refreshed for `TTL_SECONDS` is free.

A holder killed mid-load (a worker's SIGKILL, a crash) would hold the store until the lock
expires. Its `owner` says where it ran — the machine's boot id, its PID namespace, its PID
and that process's start time — so a load on the same machine and PID namespace that
finds the lock held by a process that no longer exists takes it over at once; the
interrupted load's journal entry (status `started`) is untouched, and running the same
files again completes it as before. Holders elsewhere are waited out by the expiry.

A holder that loses its lock (stalled beyond the expiry, then taken over) notices at its
next refresh and stops at its next batch with `LOAD_IN_PROGRESS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from pathlib import Path
from types import TracebackType

from graph.errors import LoadInProgress, OrgcoverError
from graph.repo import lock as repo
from graph.store import GraphStore

log = logging.getLogger(__name__)

#: A lock not refreshed for this long is free (a holder that vanished elsewhere).
TTL_SECONDS = 30.0
#: How often the holder refreshes it.
REFRESH_SECONDS = 10.0

_PROC = Path("/proc")


def _pid_space() -> str | None:
    """This machine's boot and this process's PID namespace: two processes with the same
    value see the same PIDs. None where /proc cannot tell (then only expiry frees)."""
    try:
        boot = (_PROC / "sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink(_PROC / "self/ns/pid")
    except OSError:
        return None
    return f"{boot}/{namespace}"


def _start_time(pid: int) -> str | None:
    """When process `pid` started (clock ticks after boot), None if there is none."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


def own_owner() -> str:
    """`pid-space|pid|start time` of this process (`-` where unknown)."""
    pid = os.getpid()
    return f"{_pid_space() or '-'}|{pid}|{_start_time(pid) or '-'}"


def owner_gone(owner: str | None) -> bool:
    """Whether the process named by `owner` certainly no longer exists: it ran in this
    very PID space and that PID is free now or belongs to a later process."""
    parts = (owner or "").rsplit("|", 2)
    if len(parts) != 3:
        return False
    space, pid_text, started = parts
    mine = _pid_space()
    if mine is None or space != mine or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # ourselves: a lock taken by this process (never stolen here)
    now = _start_time(pid)
    return now is None or (started != "-" and now != started)


class LoadLock:
    """`async with LoadLock(store, who=...)`: hold the store's load lock for a load."""

    def __init__(self, store: GraphStore, *, who: str, ttl: float = TTL_SECONDS,
                 refresh: float = REFRESH_SECONDS) -> None:
        self.store = store
        self.who = who
        self.ttl_ms = int(ttl * 1000)
        self.refresh_every = refresh
        self.token = uuid.uuid4().hex
        self.owner = own_owner()
        self.lost = False
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LoadLock:
        held = await repo.acquire(self.store, holder=self.token, owner=self.owner,
                                  who=self.who, ttl_ms=self.ttl_ms)
        if held.holder != self.token:
            if not (owner_gone(held.owner) and await repo.take_over(
                    self.store, gone=held.holder, holder=self.token, owner=self.owner,
                    who=self.who, ttl_ms=self.ttl_ms)):
                left = f"; it expires in {held.left / 1000:.0f} s unless refreshed" \
                    if held.left is not None and held.left > 0 else ""
                raise LoadInProgress(
                    "another roster load is running on this store; try again when it has "
                    f"finished (one load at a time{left})")
            log.warning("load lock taken over from a load whose process is gone (%s)",
                        held.owner)
        self._task = asyncio.create_task(self._keep())
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await repo.release(self.store, holder=self.token)
        except OrgcoverError as error:  # it expires by itself
            log.warning("could not release the load lock: %s", error)

    def check(self) -> None:
        """Raise when the lock was lost: another load may be writing now."""
        if self.lost:
            raise LoadInProgress("this load lost the store's load lock (it stalled beyond "
                                 f"{self.ttl_ms // 1000} s) and another load took it; "
                                 "nothing more was written")

    async def _keep(self) -> None:
        while not self.lost:
            await asyncio.sleep(self.refresh_every)
            try:
                if not await repo.refresh(self.store, holder=self.token,
                                          ttl_ms=self.ttl_ms):
                    self.lost = True
                    log.error("the load lock was taken over by another load")
            except OrgcoverError as error:  # the store may come back before expiry
                log.warning("could not refresh the load lock: %s", error)
