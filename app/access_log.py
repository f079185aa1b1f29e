"""The access log's writer: one `AccessLog` per process appends every GraphQL request's
entry as the next line of the hash chain, on the request path. Checking the chain and
reading it back (app/access_log_verify.py) is the CLI's side and never writes; the format
both follow, and the scrubbing, is app/access_log_format.py.

Entry keys the service passes (any dict is accepted; only `time` is interpreted):
    time          ISO 8601 (UTC when naive) or datetime; the writer sets it when missing
    request_id    the request's X-Request-Id
    sub           the token's subject (who)
    roles         list of role names
    jurisdiction  the token's place code
    operation     GraphQL operation name
    fields        root fields: [{"field": str, "alias": str (optional),
                  "args": {"scope", "code", "text", "from", "to", "replaceScope", ...}}]
    persons       number of person records in the answer (int)
    errors        list of error codes
    duration_ms   float
    client        client address
`prev` and `event` are reserved (the chain hash and prune records).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.access_log_format import (
    CODE_KEYS,
    GENESIS,
    LOCK_NAME,
    MIN_RETENTION_DAYS,
    as_utc,
    line_hash,
    month_end,
    month_files,
    scrub,
)

__all__ = ["AccessLog"]

log = logging.getLogger("orgcover.access_log")

DIR_MODE = 0o700
FILE_MODE = 0o600

_RESERVED = frozenset({"prev", "event"})
_MONTH = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")
_LOG_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
_LOCK_FLAGS = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW  # no O_APPEND: pwrite


# --- time and files ---------------------------------------------------------------------

def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(when: datetime) -> str:
    return when.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _month(when: datetime) -> str:
    return f"{when.year:04d}-{when.month:02d}"


def _dumps(record: Mapping[str, Any]) -> bytes:
    # backslashreplace: a lone surrogate from a client string becomes a valid \\udXXX escape
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "backslashreplace")


def _tail(fd: int, size: int) -> tuple[bytes, bool] | None:
    """The last line of an open file (no newline) and whether it lacks its newline (a torn
    write); None when empty. Reads backwards, so a month of lines costs nothing."""
    if size == 0:
        return None
    torn = os.pread(fd, 1, size - 1) != b"\n"
    end = size if torn else size - 1
    buf, pos = b"", end
    while True:
        start = max(0, pos - 4096)
        buf = os.pread(fd, pos - start, start) + buf
        pos = start
        cut = buf.rfind(b"\n")
        if cut >= 0:
            return buf[cut + 1:], torn
        if pos == 0:
            return buf, torn


def _tail_of(path: Path) -> tuple[bytes, bool] | None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return _tail(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def _open_private(path: Path, flags: int) -> int:
    """Open (creating) with mode 0600 whatever the umask; a looser existing file is fixed
    with a warning."""
    fd = os.open(path, flags, FILE_MODE)
    try:
        mode = os.fstat(fd).st_mode & 0o777
        if mode != FILE_MODE:
            if mode & 0o077:
                log.warning("access log file %s had mode %o; set to %o", path, mode, FILE_MODE)
            os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _private_directory(directory: Path) -> None:
    """Create `directory` 0700, or fix (with a warning) an existing one with other bits."""
    existed = directory.is_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    mode = directory.stat().st_mode & 0o777
    if mode != DIR_MODE:
        if existed and mode & 0o077:
            log.warning("access log directory %s had mode %o; set to %o", directory, mode,
                        DIR_MODE)
        os.chmod(directory, DIR_MODE)


# --- writing ----------------------------------------------------------------------------

@dataclass(slots=True)
class _Position:
    """What this process last wrote: the open month file, its size right after that write
    and the line's hash. A different size on disk means another process appended."""

    month: str | None = None
    fd: int = -1
    size: int = -1
    last: str = GENESIS


class AccessLog:
    """The writer: one per process (open it after forking; it reopens if forked anyway).

    `append` is synchronous and cheap (one flock, pread, fstat, write, no fsync), meant to
    be called on the event loop once per request. Thread- and multi-process-safe.
    With `retention_days`, month files past it are pruned on open and whenever an append
    starts a new month; `prune(now)` may also be called from a timer or the CLI.
    """

    def __init__(self, directory: str | os.PathLike[str], *, retention_days: int | None = None,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        if retention_days is not None and retention_days < MIN_RETENTION_DAYS:
            raise ValueError(f"access-log retention must be at least {MIN_RETENTION_DAYS} "
                             f"days, not {retention_days}")
        self.directory = Path(directory)
        self.retention_days = retention_days
        self._clock = clock
        self._mutex = threading.Lock()
        self._pos = _Position()
        _private_directory(self.directory)
        self._lock_fd = _open_private(self.directory / LOCK_NAME, _LOCK_FLAGS)
        self._pid = os.getpid()
        if retention_days is not None:
            try:
                self.prune()
            except BaseException:
                self.close()
                raise

    def __enter__(self) -> AccessLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        with self._mutex:
            for fd in (self._pos.fd, self._lock_fd):
                if fd >= 0:
                    os.close(fd)
            self._pos = _Position()
            self._lock_fd = -1

    def append(self, entry: Mapping[str, Any]) -> None:
        """Write one entry (scrubbed, `time` set when missing) as the next line of the
        chain. Raises OSError when the log cannot be written: the caller decides whether the
        request fails (for personal data, it should)."""
        reserved = _RESERVED.intersection(entry)
        if reserved:
            raise ValueError(f"access-log entries may not set {', '.join(sorted(reserved))}")
        raw_time = entry.get("time")
        when = as_utc(self._clock() if raw_time is None else raw_time)
        record: dict[str, Any] = {"time": _iso(when)}
        for key, value in entry.items():
            if key != "time":
                record[str(key)] = scrub(value, codes=key in CODE_KEYS)
        body = _dumps(record)
        with self._exclusive():
            new_month = self._append_locked(body, _month(when))
            if new_month and self.retention_days is not None:
                try:
                    self._prune_locked(as_utc(self._clock()))
                except OSError:
                    log.exception("access log: pruning at the new month failed")

    def prune(self, now: datetime | None = None) -> list[str]:
        """Delete the month files whose every entry is older than the retention, after
        appending a prune record that names them and the hash of their last line (which
        `verify` needs to accept the oldest remaining line). Returns the removed names."""
        if self.retention_days is None:
            return []
        with self._exclusive():
            return self._prune_locked(as_utc(now if now is not None else self._clock()))

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Both locks: the mutex for this process's threads, the flock for other processes
        (a flock is per open file, so threads sharing the descriptor need the mutex)."""
        with self._mutex:
            if self._lock_fd < 0:
                raise ValueError("access log is closed")
            if self._pid != os.getpid():
                self._after_fork()
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _after_fork(self) -> None:
        """An inherited descriptor shares the parent's flock: open our own."""
        os.close(self._lock_fd)
        self._lock_fd = _open_private(self.directory / LOCK_NAME, _LOCK_FLAGS)
        if self._pos.fd >= 0:
            os.close(self._pos.fd)
        self._pos = _Position()
        self._pid = os.getpid()

    def _head(self) -> str | None:
        """The newest month, from the lock file (fallback: the directory)."""
        raw = os.pread(self._lock_fd, 8, 0)
        if len(raw) == 8 and _MONTH.fullmatch(raw[:7].decode("ascii", "replace")):
            return raw[:7].decode()
        files = month_files(self.directory)
        if not files:
            return None
        head = files[-1].stem
        os.pwrite(self._lock_fd, f"{head}\n".encode(), 0)
        return head

    def _append_locked(self, body: bytes, month: str) -> bool:
        """Append `body` + prev as the next line (both locks held). True when this started
        a month newer than an existing one (time to prune)."""
        head = self._head()
        target = max(month, head) if head else month
        pos = self._pos
        if target != pos.month:
            self._switch(target)
        stat = os.fstat(pos.fd)
        if stat.st_nlink == 0:
            # removed while open: start it again, chained to what we wrote, so that
            # verify shows the gap instead of lines vanishing into an unlinked file
            log.error("access log file %s.jsonl was removed while open", target)
            self._switch(target)
            stat = os.fstat(pos.fd)
            pos.size = stat.st_size if stat.st_size == 0 and pos.last != GENESIS else -1
        prefix = b""
        if stat.st_size != pos.size:
            pos.last, torn = self._previous(target, pos.fd, stat.st_size)
            prefix = b"\n" if torn else b""
        line = b'%s,"prev":"%s"}' % (body[:-1], pos.last.encode())
        data = prefix + line + b"\n"
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(pos.fd, view):]
        except BaseException:
            pos.size = -1  # a torn line, perhaps: read the file again next time
            raise
        pos.last = line_hash(line)
        pos.size = stat.st_size + len(data)
        if head is None or target > head:
            os.pwrite(self._lock_fd, f"{target}\n".encode(), 0)
            return head is not None
        return False

    def _switch(self, month: str) -> None:
        pos = self._pos
        if pos.fd >= 0:
            os.close(pos.fd)
            pos.fd = -1
        pos.fd = _open_private(self.directory / f"{month}.jsonl", _LOG_FLAGS)
        pos.month = month
        pos.size = -1

    def _previous(self, month: str, fd: int, size: int) -> tuple[str, bool]:
        """Hash of the chain's last line and whether it is torn (lacks its newline in the
        file about to be appended to): the last line of this month's file, else of the
        newest older non-empty file, else GENESIS."""
        tail = _tail(fd, size)
        if tail is not None:
            return line_hash(tail[0]), tail[1]
        for path in reversed(month_files(self.directory)):
            if path.stem < month and (older := _tail_of(path)) is not None:
                return line_hash(older[0]), False
        return GENESIS, False

    def _prune_locked(self, now: datetime) -> list[str]:
        assert self.retention_days is not None
        cutoff = now - timedelta(days=self.retention_days)
        old: list[Path] = []
        for path in month_files(self.directory):
            if month_end(path.stem) > cutoff:
                break
            old.append(path)
        if not old:
            return []
        last = next((line_hash(tail[0]) for path in reversed(old)
                     if (tail := _tail_of(path)) is not None), None)
        names = [path.name for path in old]
        if last is not None:  # only empty files: nothing in the chain to vouch for
            record = {"time": _iso(now), "event": "pruned", "removed": names, "last": last,
                      "retention_days": self.retention_days}
            self._append_locked(_dumps(record), _month(now))
        for path in old:
            path.unlink(missing_ok=True)
        log.info("access log: pruned %s (older than %d days)", ", ".join(names),
                 self.retention_days)
        return names
