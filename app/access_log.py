"""The access log: who saw what, one hash-chained JSON line per GraphQL request.

It is the evidence of every look at party members' personal data (security.md, "Records"),
so it has to show tampering: each line ends in `"prev"`, the SHA-256 hex of the previous
line's exact bytes (no newline), across month files; the first line of a fresh log carries
GENESIS. `verify` names the first line whose `prev` does not fit (an edited, deleted or
reordered line, a month file removed from the middle or the start).

Layout: `<directory>/YYYY-MM.jsonl` (0600) by the month of the entry's UTC time, in a 0700
directory; `<directory>/.lock` (0600) is the flock every writer holds around "find the
previous hash + append" and holds the newest month's name. A late entry (a request that
started before midnight on the last day of a month) goes into the newest file, never back
into an older one, so the chain order is the file order; file `M` therefore holds only
entries of month `M` or before, which is what pruning relies on.

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
`prev` and `event` are reserved: a prune record is
`{"time", "event": "pruned", "removed": [file names], "last": hash, "retention_days"}`.

Every string value goes through `scrub` (ID-card numbers, phone numbers, tokens), keys
are not scrubbed (they are code-given names). Limits: a hash chain cannot show lines
cut off the end of the newest file, or the whole log rewritten by someone who recomputes
the hashes; `VerifyResult.head` is the value to note elsewhere to detect that.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = [
    "CODE_KEYS", "GENESIS", "MIN_RETENTION_DAYS", "AccessLog", "Broken", "VerifyResult",
    "read", "scrub", "verify",
]

log = logging.getLogger("orgcover.access_log")

#: `prev` of the very first line of a fresh log.
GENESIS = "0" * 64
#: The legal minimum; `AccessLog` refuses a shorter retention and `verify` rejects a prune
#: record that removed a file younger than this.
MIN_RETENTION_DAYS = 180
#: Keys whose (nested) string values are place or node codes: digit runs in them are kept
#: unless phone- or ID-shaped, or the log could not say what was looked at (community
#: codes have 12 digits, streets 9). Everything else gets the full `scrub`.
CODE_KEYS = frozenset({"jurisdiction", "scope", "code", "from", "to", "center", "replaceScope"})
LOCK_NAME = ".lock"
DIR_MODE = 0o700
FILE_MODE = 0o600

_RESERVED = frozenset({"prev", "event"})
_MONTH = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")
_MONTH_FILE = re.compile(r"(\d{4}-(?:0[1-9]|1[0-2]))\.jsonl")
_LOG_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
_LOCK_FLAGS = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW  # no O_APPEND: pwrite


# --- scrubbing --------------------------------------------------------------------------

_SENSITIVE = re.compile(
    r"(?P<token>(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
    r"|\b(?i:bearer)\s+[^\s\"',;]+)"
    r"|(?P<phone>(?<!\d)1\d{2}[- ]\d{4}[- ]\d{4}(?!\d))"
    r"|(?P<id>(?<!\d)\d{6}[- ]\d{8}[- ]\d{3}[\dXx](?![\dXx]))"
    r"|(?P<digits>(?<!\d)(?:\d{17}[Xx]|\d{14}[Xx]|\d{7,})(?!\d))")


def _mask(match: re.Match[str], codes: bool) -> str:
    if match.lastgroup == "token":
        return "[token]"
    text = match.group()
    run = text.replace("-", "").replace(" ", "")
    n = len(run)
    if n == 11 and int(run[0]) == 1:
        return f"{run[:3]}****{run[-4:]}"
    if n in (15, 18):
        return f"{run[:4]}{'*' * (n - 8)}{run[-4:]}"
    if codes:
        return text
    return f"{run[:3]}{'*' * (n - 5)}{run[-2:]}"


def _mask_text(match: re.Match[str]) -> str:
    return _mask(match, False)


def _mask_code(match: re.Match[str]) -> str:
    return _mask(match, True)


_DIGITS3 = re.compile(r"\d{3}")
#: Strings seen to need no masking (as text / as codes): most values repeat from request to
#: request (field names, operations, roles, codes), and the full pattern costs ~4 µs a
#: string. Only clean strings are kept, so no raw number or token stays here.
_CLEAN: set[str] = set()
_CLEAN_CODES: set[str] = set()
_CLEAN_MAX = 8192


def _scrub_str(text: str, codes: bool) -> str:
    if text in _CLEAN or (codes and text in _CLEAN_CODES):
        return text
    maybe = "eyJ" in text or "earer" in text.lower() or _DIGITS3.search(text) is not None
    out = _SENSITIVE.sub(_mask_code if codes else _mask_text, text) if maybe else text
    if out == text and len(text) <= 128:
        seen = _CLEAN_CODES if codes else _CLEAN
        if len(seen) >= _CLEAN_MAX:
            seen.clear()
        seen.add(text)
    return out


def scrub(value: Any, *, codes: bool = False) -> Any:
    """`value` with phone numbers (`138****5678`), ID-card numbers (first and last 4 kept),
    other runs of 7+ digits (first 3 and last 2 kept), JWTs and `Bearer …` (`[token]`)
    masked in every string, recursively through dicts and lists (tuples become lists,
    other objects their `str`). Under a key of CODE_KEYS, or with `codes=True`, digit runs
    that are neither phone- nor ID-shaped are kept."""
    kind = type(value)  # exact-type tests first: this runs on every request
    if kind is str:
        return _scrub_str(value, codes)
    if kind is dict:
        return {str(k): scrub(v, codes=codes or k in CODE_KEYS) for k, v in value.items()}
    if kind is list:
        return [scrub(v, codes=codes) for v in value]
    if kind is int or kind is float or kind is bool or value is None:
        return value
    if isinstance(value, str):
        return _scrub_str(str(value), codes)
    if isinstance(value, Mapping):
        return {str(k): scrub(v, codes=codes or k in CODE_KEYS) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(v, codes=codes) for v in value]
    if isinstance(value, int | float):
        return value
    return _scrub_str(str(value), codes)


# --- time and files ---------------------------------------------------------------------

def _utc_now() -> datetime:
    return datetime.now(UTC)


def _as_utc(value: datetime | str) -> datetime:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _iso(when: datetime) -> str:
    return when.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _month(when: datetime) -> str:
    return f"{when.year:04d}-{when.month:02d}"


def _month_end(month: str) -> datetime:
    """Start of the month after `month`: every entry of file `month` is older."""
    year, number = int(month[:4]), int(month[5:7])
    return datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)


def _month_files(directory: Path) -> list[Path]:
    return sorted(directory / name for name in os.listdir(directory)
                  if _MONTH_FILE.fullmatch(name))


def _hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


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
        when = _as_utc(self._clock() if raw_time is None else raw_time)
        record: dict[str, Any] = {"time": _iso(when)}
        for key, value in entry.items():
            if key != "time":
                record[str(key)] = scrub(value, codes=key in CODE_KEYS)
        body = _dumps(record)
        with self._exclusive():
            new_month = self._append_locked(body, _month(when))
            if new_month and self.retention_days is not None:
                try:
                    self._prune_locked(_as_utc(self._clock()))
                except OSError:
                    log.exception("access log: pruning at the new month failed")

    def prune(self, now: datetime | None = None) -> list[str]:
        """Delete the month files whose every entry is older than the retention, after
        appending a prune record that names them and the hash of their last line (which
        `verify` needs to accept the oldest remaining line). Returns the removed names."""
        if self.retention_days is None:
            return []
        with self._exclusive():
            return self._prune_locked(_as_utc(now if now is not None else self._clock()))

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
        files = _month_files(self.directory)
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
        pos.last = _hash(line)
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
            return _hash(tail[0]), tail[1]
        for path in reversed(_month_files(self.directory)):
            if path.stem < month and (older := _tail_of(path)) is not None:
                return _hash(older[0]), False
        return GENESIS, False

    def _prune_locked(self, now: datetime) -> list[str]:
        assert self.retention_days is not None
        cutoff = now - timedelta(days=self.retention_days)
        old: list[Path] = []
        for path in _month_files(self.directory):
            if _month_end(path.stem) > cutoff:
                break
            old.append(path)
        if not old:
            return []
        last = next((_hash(tail[0]) for path in reversed(old)
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


# --- reading and verifying --------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Broken:
    """The first line that does not fit the chain."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    lines: int
    files: tuple[str, ...]
    broken: Broken | None = None
    #: Hash of the last line: note it elsewhere to detect lines cut off the end later.
    head: str = GENESIS
    #: The chain starts where a prune record says the removed files ended, not at GENESIS.
    pruned: bool = False

    def summary(self) -> str:
        if self.broken is not None:
            return f"access log broken at {self.broken} ({self.lines:,} lines checked)"
        span = (f"{self.files[0]} … {self.files[-1]}" if len(self.files) > 1
                else "".join(self.files) or "none")
        start = "after pruned files" if self.pruned else "from genesis"
        lines, files = self.lines, len(self.files)
        return (f"access log intact: {lines:,} line{'s' * (lines != 1)} in {files} "
                f"file{'s' * (files != 1)} ({span}), chained {start}, head {self.head}")


@dataclass(frozen=True, slots=True)
class _PruneRecord:
    file: str
    line: int
    time: str
    removed: tuple[str, ...]
    last: str


def _snapshot(directory: Path) -> list[tuple[Path, int]]:
    """Month files and their sizes, taken under a shared flock so that no append is half
    visible; reading then stops at these sizes and writers wait only for the listing."""
    if not directory.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no access-log directory", str(directory))
    try:
        fd = os.open(directory / LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        fd = -1  # no writer ever ran, or not ours to lock: read without
    try:
        if fd >= 0:
            fcntl.flock(fd, fcntl.LOCK_SH)
        return [(path, path.stat().st_size) for path in _month_files(directory)]
    finally:
        if fd >= 0:
            os.close(fd)


def _lines(path: Path, size: int) -> Iterator[bytes]:
    """Raw lines (with their newline, when they have one) of the first `size` bytes."""
    with path.open("rb") as fh:
        offset = 0
        for raw in fh:
            if offset >= size:
                return
            yield raw[:size - offset]
            offset += len(raw)


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def verify(directory: str | os.PathLike[str]) -> VerifyResult:
    """Check the chain over every month file; the result names the first broken line.

    The oldest line may start from a hash other than GENESIS only when a prune record in
    the chain gives that hash as the last line of files it removed (older than this one,
    and at least MIN_RETENTION_DAYS old when it removed them)."""
    directory = Path(directory)
    for attempt in range(3):
        try:
            return _verify(_snapshot(directory))
        except FileNotFoundError:
            if attempt == 2 or not directory.is_dir():
                raise
    raise AssertionError("unreachable")


def _verify(files: list[tuple[Path, int]]) -> VerifyResult:
    expected: str | None = None
    previous_file = ""
    start: tuple[str, int, str] | None = None  # a first line not starting at GENESIS
    broken: Broken | None = None
    records: list[_PruneRecord] = []
    total = 0
    for path, size in files:
        number = 0
        for raw in _lines(path, size):
            number += 1
            total += 1
            line = raw[:-1] if raw.endswith(b"\n") else raw
            obj = _parse(line)
            prev = obj.get("prev") if obj is not None else None
            problem = None
            if not raw.endswith(b"\n"):
                problem = "the line has no newline: an interrupted write"
            elif obj is None:
                problem = "not a JSON object (a torn or edited line)"
            elif not isinstance(prev, str):
                problem = "no prev hash"
            elif expected is None:
                if prev != GENESIS:
                    start = (path.name, number, prev)
            elif prev != expected:
                problem = (f"prev is not the hash of the last line of {previous_file}: lines "
                           "or a whole month file were removed between them" if number == 1
                           else f"prev is not the hash of line {number - 1}: line "
                           f"{number - 1} was edited, or lines were deleted or reordered here")
            if problem is not None and broken is None:
                broken = Broken(path.name, number, problem)
            if obj is not None and obj.get("event") == "pruned":
                records.append(_PruneRecord(
                    path.name, number, str(obj.get("time", "")),
                    tuple(str(name) for name in obj.get("removed") or ()),
                    str(obj.get("last", ""))))
            expected = _hash(line)
        if number:
            previous_file = path.name
    if start is not None:
        problem = _start_problem(start, records)
        if problem is not None:  # the oldest line: it comes before any other break
            broken = Broken(start[0], start[1], problem)
    return VerifyResult(ok=broken is None, lines=total,
                        files=tuple(path.name for path, _ in files), broken=broken,
                        head=expected or GENESIS, pruned=start is not None)


def _start_problem(start: tuple[str, int, str], records: list[_PruneRecord]) -> str | None:
    file, _, prev = start
    record = next((r for r in records if r.last == prev), None)
    if record is None:
        return ("prev is neither the genesis value nor vouched for by a prune record: the "
                "oldest lines or month files were removed outside pruning")
    where = f"the prune record at {record.file} line {record.line}"
    if not record.removed or any(name >= file for name in record.removed):
        return f"{where} does not name only files older than {file}"
    try:
        pruned_at = _as_utc(record.time)
    except ValueError:
        return f"{where} has no valid time"
    for name in record.removed:
        match = _MONTH_FILE.fullmatch(name)
        if match is None:
            return f"{where} names {name!r}, not a month file"
        if _month_end(match[1]) + timedelta(days=MIN_RETENTION_DAYS) > pruned_at:
            return (f"{where} removed {name}, younger than {MIN_RETENTION_DAYS} days at "
                    f"{record.time}")
    return None


def read(directory: str | os.PathLike[str], *, sub: str | None = None,
         since: date | None = None, until: date | None = None,
         prune_records: bool = False) -> Iterator[dict[str, Any]]:
    """Entries in log order (which is time order but for a late entry now and then at a
    month's end), filtered by subject and by UTC date (`since` and `until` inclusive).
    Prune records only with `prune_records` (they pass the `sub` filter); lines that are
    not JSON are skipped (`verify` reports them). Raises FileNotFoundError at once."""
    files = _snapshot(Path(directory))
    subs = None if sub is None else {sub, scrub(sub)}
    first = since.isoformat()[:10] if since is not None else None
    last = until.isoformat()[:10] if until is not None else None
    return _read(files, subs, first, last, prune_records)


def _read(files: list[tuple[Path, int]], subs: set[str] | None, first: str | None,
          last: str | None, prune_records: bool) -> Iterator[dict[str, Any]]:
    for path, size in files:
        if first is not None and path.stem < first[:7]:
            continue  # file M holds entries of month M or before
        for raw in _lines(path, size):
            if not raw.endswith(b"\n") or (obj := _parse(raw)) is None:
                continue
            event = obj.get("event")
            if event is not None and not (prune_records and event == "pruned"):
                continue
            day = str(obj.get("time", ""))[:10]
            if (first is not None and day < first) or (last is not None and day > last):
                continue
            if subs is not None and event is None and obj.get("sub") not in subs:
                continue
            yield obj
