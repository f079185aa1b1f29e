"""Every statement in graph/ passes Neo4j 5's own semantic analysis (pinned npm package).

A diagnostic of severity error fails; so does a warning about a label or relationship type
the domain does not have (a typo would otherwise only show up on Neo4j). Parameters are
passed in, so "parameter not defined" cannot be filtered away by accident.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from graph.domain import Label, Rel
from graph.statements import Statement, all_statements

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).with_name("cypher_lint.mjs")
STATEMENTS: list[Statement] = list(all_statements())
ERROR = 1
UNKNOWN_SCHEMA = ("is not present in the database",)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@pytest.fixture(scope="module")
def diagnostics() -> dict[str, list[dict[str, Any]]]:
    node = shutil.which("node")
    assert node, "node is required for the Cypher linter test"
    package = ROOT / "node_modules" / "@neo4j-cypher" / "language-support"
    assert package.exists(), "run `make test` (it runs `npm ci`) to install the pinned linter"
    # the linter takes ≈0.2 s a statement: one node process per core
    workers = max(1, min(4, os.cpu_count() or 1))

    def lint(chunk: list[Statement]) -> dict[str, list[dict[str, Any]]]:
        payload = {
            "labels": [label.value for label in Label],
            "relationshipTypes": [rel.value for rel in Rel],
            "statements": [{"name": s.name, "text": s.text, "params": _jsonable(dict(s.params))}
                           for s in chunk],
        }
        done = subprocess.run([node, str(SCRIPT)], input=json.dumps(payload), cwd=ROOT,
                              capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
        found: dict[str, list[dict[str, Any]]] = json.loads(done.stdout)
        return found

    result: dict[str, list[dict[str, Any]]] = {}
    with ThreadPoolExecutor(workers) as pool:
        for found in pool.map(lint, [STATEMENTS[i::workers] for i in range(workers)]):
            result.update(found)
    return result


def test_registry_is_complete_and_names_unique() -> None:
    names = [s.name for s in STATEMENTS]
    assert len(names) == len(set(names)), "statement names must be unique"
    assert len(STATEMENTS) > 100  # every builder variant, not just the constants


@pytest.mark.parametrize("stmt", STATEMENTS, ids=lambda s: s.name)
def test_statement_passes_neo4j_linter(stmt: Statement,
                                       diagnostics: dict[str, list[dict[str, Any]]]) -> None:
    found = diagnostics[stmt.name]
    errors = [d["message"] for d in found if d["severity"] == ERROR]
    unknown = [d["message"] for d in found if any(k in d["message"] for k in UNKNOWN_SCHEMA)]
    assert not errors, f"{stmt.name}: {errors}\n{stmt.text}"
    assert not unknown, f"{stmt.name}: {unknown}\n{stmt.text}"


def test_linter_catches_mistakes(diagnostics: dict[str, list[dict[str, Any]]]) -> None:
    """The harness itself reports errors (guards against a linter that says nothing)."""
    node = shutil.which("node")
    assert node
    payload = {"labels": ["Place"], "relationshipTypes": ["IN"], "statements": [
        {"name": "bad", "text": "MATCH (n:Place RETURN n", "params": {}},
        {"name": "undefined", "text": "MATCH (n) RETURN m", "params": {}},
        {"name": "param", "text": "MATCH (n {code: $code}) RETURN n", "params": {}},
    ]}
    done = subprocess.run([node, str(SCRIPT)], input=json.dumps(payload), cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(done.stdout)
    for name in ("bad", "undefined", "param"):
        assert any(d["severity"] == ERROR for d in result[name]), name
