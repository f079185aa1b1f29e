"""Several Neo4j reads as one statement: each in a `CALL () { }` of its own.

A statement costs the async driver about 0.65 ms of Python whatever it asks (`RETURN 1`,
measured on 5.26), and a page's resolvers send 6–17 small ones; sixteen combined cost what
one does (0.75 ms). Each read keeps its text, wrapped the way a single read is
(graph/dialects/collected.py: its rows as one list), its parameters renamed with a prefix
of its own so two reads' `$code` stay apart; the combined statement returns one row, the
i-th read's rows in column `__r<i>`. The subqueries share nothing (`CALL ()`: no outer
variable goes in), so each read answers as it would alone, in one read transaction.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from graph.dialects.collected import code_offsets, collected, without_comments

_PARAM = re.compile(r"\$(?:([A-Za-z_][A-Za-z0-9_]*)|`([^`]+)`)")


def prefix(i: int) -> str:
    """The prefix of the i-th read's parameters."""
    return f"b{i}_"


def column(i: int) -> str:
    """The column of the i-th read's rows."""
    return f"__r{i}"


def renamed(text: str, before: str) -> str:
    """`text` (comments blanked) with every parameter `$x` as `$<before>x`; the `$` in
    strings is left alone."""
    text = without_comments(text)
    out: list[str] = []
    last = 0
    for i in code_offsets(text):
        if text[i] != "$" or i < last:
            continue
        m = _PARAM.match(text, i)
        if m is None:
            continue
        out += [text[last:i], f"$`{before}{m.group(1) or m.group(2)}`"]
        last = m.end()
    return "".join([*out, text[last:]])


@functools.lru_cache(maxsize=4096)
def _call(text: str, i: int) -> str:
    """The i-th read's subquery: renaming walks the text character by character (16
    reads took 1.1 ms, every request), and a page sends the same reads each time."""
    wrapped = collected(text)
    if wrapped is None:
        raise ValueError(f"read {i} cannot be combined: its columns are not known")
    listed = ", ".join(f"`{c}`" for c in wrapped[1])
    return (f"CALL () {{ CALL () {{ {renamed(text, prefix(i))}\n}} "
            f"RETURN collect([{listed}]) AS {column(i)} }}")


def combined(texts: Sequence[str]) -> str:
    """One statement running every read of `texts` (each must be one `collected` can
    wrap); the i-th read's parameters are to be sent with `prefix(i)`."""
    calls = [_call(text, i) for i, text in enumerate(texts)]
    return "\n".join(calls) + "\nRETURN " + ", ".join(column(i) for i in range(len(texts)))
