"""Neo4j reads as one record: `CALL () { <statement> } RETURN collect([<columns>])`.

The async Neo4j driver spends 40–60 µs of Python on every record it receives (two socket
reads per message, each through a timeout wrapper that schedules a task): 5,000 rows took
300 ms where one record holding them took 28, and the graph view's 209 neighbours cost
15 ms on the client for 4 on the server. Wrapped, a statement's rows come back as one list
in one record; the store unpacks them into the same dicts. Order is kept: the subquery
runs once and `collect` takes its rows as they come.

Only the final `RETURN`'s columns are needed, read from the text (comments left out):
every item must have an `AS` alias or be a bare name. A statement whose columns cannot be
told (`RETURN *`, an unaliased expression, a `SHOW`, a `CYPHER` prefix) is sent as it is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)$")
_OPEN, _CLOSE = "([{", ")]}"
#: The name of the one column a wrapped statement returns.
ROWS = "__rows"


_QUOTES = "'\"`"


def _string_end(text: str, start: int) -> int:
    """The offset after the string or backticked name opening at `start`."""
    quote, i = text[start], start + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" and quote != "`" else 1
    return i + 1


def without_comments(text: str) -> str:
    """`text` with its `//` and `/* */` comments blanked (strings kept), offsets unchanged."""
    out = list(text)
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _QUOTES:
            i = _string_end(text, i)
            continue
        if text.startswith("//", i) or text.startswith("/*", i):
            line = text.startswith("//", i)
            end = text.find("\n" if line else "*/", i + 2)
            end = len(text) if end < 0 else end + (0 if line else 2)
            out[i:end] = " " * (end - i)
            i = end
            continue
        i += 1
    return "".join(out)


def code_offsets(text: str) -> Iterator[int]:
    """Offsets of the characters outside strings and backticked names; comments must
    have been blanked."""
    i = 0
    while i < len(text):
        if text[i] in _QUOTES:
            i = _string_end(text, i)
            continue
        yield i
        i += 1


def _top_level(text: str) -> Iterator[int]:
    """Offsets of the characters outside strings and brackets (the brackets themselves
    excluded); comments must have been blanked."""
    depth = 0
    for i in code_offsets(text):
        ch = text[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif depth == 0:
            yield i


def _top_level_words(text: str) -> list[tuple[int, str]]:
    """(offset, upper-cased word) of every word outside brackets and strings."""
    out: list[tuple[int, str]] = []
    after = 0  # the end of the last word: its letters are not words of their own
    for i in _top_level(text):
        if i < after:
            continue
        m = _WORD.match(text, i)
        if m is not None:
            if i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_$."):
                out.append((i, m.group().upper()))
            after = m.end()
    return out


def _split_items(text: str) -> list[str]:
    """`text` split at its top-level commas."""
    cuts = [i for i in _top_level(text) if text[i] == ","]
    bounds = zip([-1, *cuts], [*cuts, len(text)], strict=True)
    return [text[a + 1:b].strip() for a, b in bounds]


def return_columns(text: str) -> tuple[str, ...] | None:
    """The column names of the statement's final `RETURN`, or None when they cannot be
    told from the text."""
    text = without_comments(text)
    words = _top_level_words(text)
    if not words or words[0][1] in ("SHOW", "EXPLAIN", "PROFILE", "USE", "CYPHER"):
        return None
    returns = [offset for offset, word in words if word == "RETURN"]
    if not returns:
        return None
    start = returns[-1] + len("RETURN")
    end = len(text)
    for offset, word in words:
        if offset > start and word in ("ORDER", "SKIP", "LIMIT", "UNION", "OFFSET"):
            end = offset
            break
    body = text[start:end].strip()
    if body.upper().startswith("DISTINCT "):
        body = body[len("DISTINCT "):]
    columns = []
    for item in _split_items(body):
        aliases = [offset for offset, word in _top_level_words(item) if word == "AS"]
        name = item[aliases[-1] + 2:].strip() if aliases else item
        if not _NAME.match(name):
            return None
        columns.append(name.strip("`"))
    return tuple(columns) if columns and len(set(columns)) == len(columns) else None


@functools.lru_cache(maxsize=4096)
def collected(text: str) -> tuple[str, tuple[str, ...]] | None:
    """The one-record form of a read statement and its columns, or None to send it as
    it is."""
    columns = return_columns(text)
    if columns is None:
        return None
    listed = ", ".join(f"`{c}`" for c in columns)
    # a new line before the brace: a `//` comment at the end of `text` must not swallow it
    return f"CALL () {{ {text}\n}} RETURN collect([{listed}]) AS {ROWS}", columns


def sent_text(text: str) -> str:
    """The text the Neo4j store sends for a read (what its plan cache is keyed by)."""
    wrapped = collected(text)
    return text if wrapped is None else wrapped[0]
