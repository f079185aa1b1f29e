"""Checking the access log's hash chain (`verify`) and reading its entries back (`read`):
the `orgcover access-log` side, apart from the writer the service runs on every request
(app/access_log.py); the format both follow is app/access_log_format.py. Both read a
snapshot of the month files taken under the writers' shared flock, so they never see half
an append.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from app.access_log_format import (
    GENESIS,
    LOCK_NAME,
    MIN_RETENTION_DAYS,
    MONTH_FILE,
    as_utc,
    line_hash,
    month_end,
    month_files,
    scrub,
)

__all__ = ["Broken", "VerifyResult", "read", "verify"]


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
        return [(path, path.stat().st_size) for path in month_files(directory)]
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
            expected = line_hash(line)
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
        pruned_at = as_utc(record.time)
    except ValueError:
        return f"{where} has no valid time"
    for name in record.removed:
        match = MONTH_FILE.fullmatch(name)
        if match is None:
            return f"{where} names {name!r}, not a month file"
        if month_end(match[1]) + timedelta(days=MIN_RETENTION_DAYS) > pruned_at:
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
