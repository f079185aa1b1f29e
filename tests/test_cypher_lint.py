"""Every statement in graph/ passes Neo4j's own semantic analysis (pinned npm package),
under Cypher 5 (what Neo4j 5.26 runs) and Cypher 25 (what it will run next).

A diagnostic of severity error fails; so does a deprecation (Neo4j 5.26 answers a deprecated
form with a notification on every run, and Cypher 25 drops it) and a warning about a label
or relationship type the domain does not have (a typo would otherwise only show up on
Neo4j). Parameters are passed in, so "parameter not defined" cannot be filtered away by
accident.
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
ON_NEO4J: list[Statement] = [s for s in STATEMENTS if "neo4j" in s.backends]
#: FalkorDB's dialect (`CALL { … }`, its procedures): Neo4j never runs these, so only
#: errors and unknown labels count (a typo is a typo in either dialect).
FALKORDB_ONLY: list[Statement] = [s for s in STATEMENTS if "neo4j" not in s.backends]
ERROR = 1
VERSIONS = ("CYPHER 5", "CYPHER 25")
UNKNOWN_SCHEMA = ("is not present in the database",)
DEPRECATED = ("deprecated",)
Diagnostics = dict[str, dict[str, list[dict[str, Any]]]]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@pytest.fixture(scope="module")
def diagnostics() -> Diagnostics:
    node = shutil.which("node")
    assert node, "node is required for the Cypher linter test"
    package = ROOT / "node_modules" / "@neo4j-cypher" / "language-support"
    assert package.exists(), "run `make test` (it runs `npm ci`) to install the pinned linter"
    # the linter takes ≈0.2 s a statement: one node process per core
    workers = max(1, min(4, os.cpu_count() or 1))

    def lint(chunk: list[Statement]) -> Diagnostics:
        payload = {
            "versions": list(VERSIONS),
            "labels": [label.value for label in Label],
            "relationshipTypes": [rel.value for rel in Rel],
            "statements": [{"name": s.name, "text": s.text, "params": _jsonable(dict(s.params))}
                           for s in chunk],
        }
        done = subprocess.run([node, str(SCRIPT)], input=json.dumps(payload), cwd=ROOT,
                              capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
        found: Diagnostics = json.loads(done.stdout)
        return found

    result: Diagnostics = {}
    with ThreadPoolExecutor(workers) as pool:
        for found in pool.map(lint, [STATEMENTS[i::workers] for i in range(workers)]):
            result.update(found)
    return result


def test_registry_is_complete_and_names_unique() -> None:
    names = [s.name for s in STATEMENTS]
    assert len(names) == len(set(names)), "statement names must be unique"
    assert len(STATEMENTS) > 100  # every builder variant, not just the constants


@pytest.mark.parametrize("stmt", ON_NEO4J, ids=lambda s: s.name)
@pytest.mark.parametrize("version", VERSIONS)
def test_statement_passes_neo4j_linter(stmt: Statement, version: str,
                                       diagnostics: Diagnostics) -> None:
    found = diagnostics[stmt.name][version]
    errors = [d["message"] for d in found if d["severity"] == ERROR]
    unknown = [d["message"] for d in found if any(k in d["message"] for k in UNKNOWN_SCHEMA)]
    deprecated = [d["message"] for d in found
                  if any(k in d["message"].lower() for k in DEPRECATED)]
    assert not errors, f"{stmt.name}: {errors}\n{stmt.text}"
    assert not unknown, f"{stmt.name}: {unknown}\n{stmt.text}"
    assert not deprecated, f"{stmt.name}: {deprecated}\n{stmt.text}"


@pytest.mark.parametrize("stmt", FALKORDB_ONLY, ids=lambda s: s.name)
def test_falkordb_statement_has_no_error_or_unknown_name(stmt: Statement,
                                                         diagnostics: Diagnostics) -> None:
    found = diagnostics[stmt.name]["CYPHER 5"]
    errors = [d["message"] for d in found if d["severity"] == ERROR
              and "procedure" not in d["message"].lower()]
    unknown = [d["message"] for d in found if any(k in d["message"] for k in UNKNOWN_SCHEMA)]
    assert not errors, f"{stmt.name}: {errors}\n{stmt.text}"
    assert not unknown, f"{stmt.name}: {unknown}\n{stmt.text}"


def test_linter_catches_mistakes(diagnostics: Diagnostics) -> None:
    """The harness itself reports errors (guards against a linter that says nothing)."""
    node = shutil.which("node")
    assert node
    payload = {"labels": ["Place"], "relationshipTypes": ["IN"], "versions": list(VERSIONS),
               "statements": [
        {"name": "bad", "text": "MATCH (n:Place RETURN n", "params": {}},
        {"name": "undefined", "text": "MATCH (n) RETURN m", "params": {}},
        {"name": "param", "text": "MATCH (n {code: $code}) RETURN n", "params": {}},
        {"name": "old_call", "text": "CALL { RETURN 1 AS x } RETURN x", "params": {}},
        {"name": "let", "text": "LET x = 1 RETURN x", "params": {}},
    ]}
    done = subprocess.run([node, str(SCRIPT)], input=json.dumps(payload), cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(done.stdout)
    for version in VERSIONS:
        for name in ("bad", "undefined", "param"):
            assert any(d["severity"] == ERROR for d in result[name][version]), name
        assert any("deprecated" in d["message"] for d in result["old_call"][version])
    # the version is applied, not silently defaulted: LET exists in Cypher 25 only
    assert any(d["severity"] == ERROR for d in result["let"]["CYPHER 5"])
    assert not any(d["severity"] == ERROR for d in result["let"]["CYPHER 25"])
