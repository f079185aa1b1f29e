"""Registry of every Cypher statement in graph/.

Statements are named constants (`statement(...)`) or small pure builders (`builder(...)`)
whose example arguments enumerate every variant the code can produce. The test suite walks
this registry to lint each statement with Neo4j's semantic analysis (Cypher 5 and 25) and
to run each one on its backends (FalkorDB; Neo4j under `make test-neo4j`), so a statement
that is not registered here cannot exist.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, ParamSpec

Backend = Literal["falkordb", "neo4j"]
BOTH: frozenset[Backend] = frozenset({"falkordb", "neo4j"})


class Mode(StrEnum):
    READ = "read"
    WRITE = "write"


@dataclass(frozen=True, slots=True)
class Statement:
    """One Cypher statement with the parameters a linter needs to see it as complete."""

    name: str
    text: str
    mode: Mode = Mode.READ
    params: Mapping[str, Any] = field(default_factory=dict)
    backends: frozenset[Backend] = BOTH

    def __str__(self) -> str:
        return self.text


_CONSTANTS: dict[str, Statement] = {}
_BUILDERS: dict[str, tuple[Callable[..., Statement], list[dict[str, Any]]]] = {}

P = ParamSpec("P")


def statement(
    name: str,
    text: str,
    *,
    mode: Mode = Mode.READ,
    params: Mapping[str, Any] | None = None,
    backends: frozenset[Backend] = BOTH,
) -> Statement:
    """Declare and register a named constant statement."""
    if name in _CONSTANTS:
        raise ValueError(f"duplicate statement name {name!r}")
    stmt = Statement(name, " ".join(text.split()), mode, dict(params or {}), backends)
    _CONSTANTS[name] = stmt
    return stmt


def builder(
    *examples: dict[str, Any],
) -> Callable[[Callable[P, Statement]], Callable[P, Statement]]:
    """Register a pure statement builder with example keyword arguments covering its variants.

    Builders are pure, so each variant is built once and kept: a compound page asks for a
    dozen statements, some of them (the gaps of every audit) several kilobytes of text.
    """

    def register(fn: Callable[P, Statement]) -> Callable[P, Statement]:
        key = f"{fn.__module__}.{fn.__qualname__}"
        built: dict[Any, Statement] = {}

        @functools.wraps(fn)
        def cached(*args: P.args, **kwargs: P.kwargs) -> Statement:
            variant = (args, tuple(sorted(kwargs.items(), key=lambda item: item[0])))
            try:
                return built[variant]
            except KeyError:
                stmt = built[variant] = fn(*args, **kwargs)
                return stmt
            except TypeError:  # an argument that cannot be a key: build it every time
                return fn(*args, **kwargs)

        _BUILDERS[key] = (cached, list(examples) or [{}])
        return cached

    return register


def compose(
    name: str,
    text: str,
    *,
    mode: Mode = Mode.READ,
    params: Mapping[str, Any] | None = None,
    backends: frozenset[Backend] = BOTH,
) -> Statement:
    """Build a statement inside a builder (not registered; the builder is)."""
    return Statement(name, " ".join(text.split()), mode, dict(params or {}), backends)


def subquery(body: str, *, backend: Backend) -> str:
    """A `CALL` subquery importing nothing, in the backend's dialect: Neo4j 5.26 deprecates
    `CALL { … }` (a notification on every run; Cypher 25 drops it) for `CALL () { … }`,
    which FalkorDB does not parse."""
    opening = "CALL () {" if backend == "neo4j" else "CALL {"
    return f"{opening} {body} }}"


def dialect_name(name: str, *, backend: Backend) -> str:
    """The name of a statement built per backend: the Neo4j form's carries `neo4j.`, so
    the two variants of one builder stay apart in the registry and in logs."""
    return f"neo4j.{name}" if backend == "neo4j" else name


def code_index_hint(var: str, label: str, *, backend: Backend) -> str:
    """Neo4j: make the planner seek `var` through its label's code index. A statement first
    planned right after a bulk write sees index statistics not yet sampled and may scan
    the whole index once per row instead (a load's relationship fingerprints, 1,113 rows:
    18.6 million index entries read, 3 s against 15 ms). FalkorDB has no hints (and
    always seeks)."""
    return f"USING INDEX SEEK {var}:{label}(code)" if backend == "neo4j" else ""


def all_statements() -> Iterator[Statement]:
    """Every constant and every builder variant, after importing all query modules."""
    import_all_query_modules()
    yield from _CONSTANTS.values()
    for fn, examples in _BUILDERS.values():
        for kwargs in examples:
            yield fn(**kwargs)


def import_all_query_modules() -> None:
    """Import every module that declares statements so the registry is complete."""
    import importlib
    import pkgutil

    import graph
    import graph.queries

    for pkg in (graph, graph.queries):
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg.__name__ + "."):
            importlib.import_module(info.name)
