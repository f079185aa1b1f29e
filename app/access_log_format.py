"""The access log's file format and scrubbing: what its writer (app/access_log.py) and its
checker and reader (app/access_log_verify.py) share, so that neither imports the other.

The access log is who saw what, one hash-chained JSON line per GraphQL request. It is the
evidence of every look at party members' personal data (security.md, "Records"), so it has
to show tampering: each line ends in `"prev"`, the SHA-256 hex of the previous line's exact
bytes (no newline), across month files; the first line of a fresh log carries GENESIS.
`verify` names the first line whose `prev` does not fit (an edited, deleted or reordered
line, a month file removed from the middle or the start).

Layout: `<directory>/YYYY-MM.jsonl` (0600) by the month of the entry's UTC time, in a 0700
directory; `<directory>/.lock` (0600) is the flock every writer holds around "find the
previous hash + append" and holds the newest month's name. A late entry (a request that
started before midnight on the last day of a month) goes into the newest file, never back
into an older one, so the chain order is the file order; file `M` therefore holds only
entries of month `M` or before, which is what pruning relies on.

`prev` and `event` are reserved: a prune record is
`{"time", "event": "pruned", "removed": [file names], "last": hash, "retention_days"}`.

Every string value goes through `scrub` (ID-card numbers, phone numbers, tokens), keys
are not scrubbed (they are code-given names). Limits: a hash chain cannot show lines
cut off the end of the newest file, or the whole log rewritten by someone who recomputes
the hashes; `VerifyResult.head` is the value to note elsewhere to detect that.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "CODE_KEYS", "GENESIS", "LOCK_NAME", "MIN_RETENTION_DAYS", "MONTH_FILE", "as_utc",
    "line_hash", "month_end", "month_files", "scrub",
]

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
MONTH_FILE = re.compile(r"(\d{4}-(?:0[1-9]|1[0-2]))\.jsonl")


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

def as_utc(value: datetime | str) -> datetime:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def month_end(month: str) -> datetime:
    """Start of the month after `month`: every entry of file `month` is older."""
    year, number = int(month[:4]), int(month[5:7])
    return datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)


def month_files(directory: Path) -> list[Path]:
    return sorted(directory / name for name in os.listdir(directory)
                  if MONTH_FILE.fullmatch(name))


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()
