"""The typed client check: the frontend queries of tests/queries/*.graphql validate against
the schema, answer without errors on the hand-built rosters, and keep the result shape
recorded next to them (`<name>.shape.json`: keys and scalar types, not values).

A changed shape fails the test; when the change is intended, regenerate the snapshots with
`ORGCOVER_UPDATE_SHAPES=1 make test` and commit them with the schema change.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate

from app.graphql import build_schema
from graph.store import GraphStore
from resolvers.access import OPERATOR
from resolvers.context import Context
from tests.edges import TODAY

SCHEMA = build_schema()
QUERIES = sorted((Path(__file__).parent / "queries").glob("*.graphql"))
TEXTS = {path: path.read_text(encoding="utf-8") for path in QUERIES}
UPDATE = os.environ.get("ORGCOVER_UPDATE_SHAPES") == "1"


def variables(text: str) -> dict[str, Any]:
    """The `variables: {...}` of the query's header comment."""
    header = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    found = re.search(r"variables:\s*(\{.*\})", header)
    return json.loads(found.group(1)) if found else {}


def shape(value: Any) -> Any:
    """Keys and scalar type names; a list is the merged shape of its items."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            merged = merge(merged, shape(item))
        return [merged] if merged is not None else []
    if value is None:
        return "null"
    return type(value).__name__


def merge(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: merge(a.get(k), b.get(k)) for k in sorted(set(a) | set(b))}
    if isinstance(a, list) and isinstance(b, list):
        return [merge(a[0] if a else None, b[0] if b else None)] if a or b else []
    if a == b:
        return a
    if isinstance(a, str) and isinstance(b, str):
        return "|".join(sorted(set(a.split("|")) | set(b.split("|"))))
    return b if a == "null" else a  # a value against null keeps the value's shape


def test_every_query_has_a_recorded_shape() -> None:
    assert len(QUERIES) >= 8
    missing = [q.name for q in QUERIES if not q.with_suffix(".shape.json").exists()]
    assert UPDATE or not missing, f"no shape recorded for {missing}"


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
async def test_frontend_query_keeps_its_shape(path: Path, edge_store: GraphStore) -> None:
    text = TEXTS[path]
    assert validate(SCHEMA._schema, parse(text)) == []
    ctx = Context(edge_store, caller=OPERATOR, today=dt.date.fromisoformat(TODAY))
    result = await SCHEMA.execute(text, variable_values=variables(text), context_value=ctx)
    assert result.errors is None, result.errors
    found = shape(result.data)
    assert found == recorded(path, found)


def recorded(path: Path, found: Any) -> Any:
    """The recorded shape (written first when updating)."""
    snapshot = path.with_suffix(".shape.json")
    if UPDATE:
        snapshot.write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n",
                            encoding="utf-8")
    return json.loads(snapshot.read_text(encoding="utf-8"))
