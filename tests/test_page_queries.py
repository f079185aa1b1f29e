"""The queries the place and search pages send (app/static/place.js, search.js): each
validates against the schema and costs well under the limit, and the ones kept in
tests/queries (run by the shape and attack suites) are the page's own, word for word."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from graphql import parse, print_ast, validate

from app import limits
from app.graphql import build_schema

SCHEMA = build_schema()
STATIC = Path(__file__).resolve().parent.parent / "app" / "static"
QUERIES = Path(__file__).resolve().parent / "queries"
_TOKEN = r'"(?:[^"\\]|\\.)*"|\w+'
_VAR = re.compile(rf"var (\w+) = ((?:{_TOKEN})(?:\s*\+\s*(?:{_TOKEN}))*);")


def script_strings(name: str) -> dict[str, str]:
    """The script's `var X = "…" + Y + …;` strings, pieced together as the browser does
    (string literals, earlier such variables, numbers)."""
    env: dict[str, str] = {}
    for m in _VAR.finditer((STATIC / name).read_text(encoding="utf-8")):
        parts: list[str] = []
        for token in re.findall(_TOKEN, m.group(2)):
            if token.startswith('"'):
                parts.append(json.loads(token))
            elif token in env:
                parts.append(env[token])
            elif token.isdigit():
                parts.append(token)
            else:
                break
        else:
            env[m.group(1)] = "".join(parts)
    return env


PAGE_QUERIES = [(script, var, text) for script in ("place.js", "search.js")
                for var, text in script_strings(script).items()
                if text.startswith("query ")]


def test_the_pages_queries_are_found() -> None:
    assert {f"{s}:{v}" for s, v, _ in PAGE_QUERIES} == {
        "place.js:PLACE", "place.js:REGION_INSIDE", "place.js:GRID_INSIDE",
        "place.js:COMPOUND_GAPS", "place.js:BUILDING_GAPS", "search.js:SEARCH"}


@pytest.mark.parametrize(("script", "var", "text"), PAGE_QUERIES,
                         ids=[f"{s}:{v}" for s, v, _ in PAGE_QUERIES])
def test_page_query_validates_and_costs_well_under_the_limit(script: str, var: str,
                                                              text: str) -> None:
    document = parse(text)
    assert validate(SCHEMA._schema, document) == []
    cost = limits.estimate(SCHEMA._schema, document, None, {})
    assert 0 < cost <= limits.MAX_COST / 2, cost


@pytest.mark.parametrize(("file", "script", "var"), [
    ("place_page", "place.js", "PLACE"), ("place_inside", "place.js", "REGION_INSIDE"),
    ("search_page", "search.js", "SEARCH")])
def test_kept_queries_are_the_pages_own(file: str, script: str, var: str) -> None:
    kept = (QUERIES / f"{file}.graphql").read_text(encoding="utf-8")
    assert print_ast(parse(kept)) == print_ast(parse(script_strings(script)[var]))
