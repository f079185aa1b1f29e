"""The `CYPHER name=value …` header FalkorDB takes parameters in, built through `json`.

The falkordb client walks every value in Python (`stringify_param_value`): about 40% of a
district load's write time went there. JSON of plain values is a Cypher literal once map
keys lose their quotes, and the C encoder writes it in a fraction of the time. Values JSON
would escape (`\\uXXXX`, …), non-finite floats and other types go through the client's
own function, so the text FalkorDB receives always means the same.
"""

from __future__ import annotations

import json
import re
from typing import Any

from falkordb.helpers import stringify_param_value

#: A JSON object key. Only used on text without backslashes, where every quote delimits a
#: string, so a quoted name after `{` or `,` and before `:` is a key, never string content.
_KEY = re.compile(r'(?<=[{,])"([A-Za-z_][A-Za-z0-9_]*)":')
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def literal(value: Any) -> str:
    """One parameter value as a Cypher literal FalkorDB parses back to the same value."""
    try:
        text = _ENCODE(value)
    except (TypeError, ValueError):
        text = "\\"
    if "\\" not in text:
        cypher = _KEY.sub(r"`\1`:", text) if "{" in text else text
        if '":' not in cypher:  # else a key that is no identifier is left quoted
            return cypher
    # JSON escapes FalkorDB does not all read (\u0001 stays literal), keys that are no
    # identifiers, or no JSON at all: only the parts concerned take the client's way.
    if isinstance(value, list | tuple):
        return "[" + ",".join(literal(item) for item in value) + "]"
    if isinstance(value, dict) and all(isinstance(k, str) and _IDENT.fullmatch(k)
                                       for k in value):
        return "{" + ",".join(f"`{k}`:{literal(v)}" for k, v in value.items()) + "}"
    return str(stringify_param_value(value))


def header(params: dict[str, Any]) -> str:
    """`CYPHER a=… b=… ` for a statement's parameters ("" when there are none)."""
    if not params:
        return ""
    return "CYPHER " + "".join(f"`{name}`={literal(value)} " for name, value in params.items())
