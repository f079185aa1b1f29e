"""Repository functions for loads bound to a jurisdiction: containment of codes, in batches."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from graph.domain import Label
from graph.queries import jurisdiction as q
from graph.repo.load import unique_batches
from graph.statements import Statement
from graph.store import GraphStore


async def _codes(store: GraphStore, stmt: Statement, codes: Iterable[str],
                 **params: str) -> set[str]:
    found: set[str] = set()
    for batch in unique_batches(codes):
        found.update(r["code"] for r in await store.read(stmt, {"codes": batch, **params}))
    return found


async def codes_existing(store: GraphStore, *, label: Label, codes: Iterable[str]) -> set[str]:
    """The codes naming a node of `label`."""
    return await _codes(store, q.codes_existing(label=label), codes)


async def codes_inside(store: GraphStore, *, label: Label, codes: Iterable[str],
                       scope: str) -> set[str]:
    """The codes naming a node of `label` that lies inside the place `scope`: one pattern
    of the scope rule after another, each asked for the codes not placed yet."""
    left = codes if isinstance(codes, (set, frozenset)) else set(codes)
    found: set[str] = set()
    for pattern in range(len(q.PATTERNS[label])):
        if not left:
            break
        placed = await _codes(store, q.codes_inside(label=label, pattern=pattern), left,
                              scope=scope)
        found |= placed
        left = left - placed
    return found


async def codes_outside(store: GraphStore, *, label: Label, codes: Iterable[str],
                        scope: str) -> set[str]:
    """The codes naming a node of `label` that lies outside the place `scope` (all of them
    when `scope` is no place: failing closed)."""
    existing = await codes_existing(store, label=label, codes=codes)
    return existing - await codes_inside(store, label=label, codes=existing, scope=scope)


@dataclass(frozen=True, slots=True)
class PlaceParent:
    code: str
    parent: str | None


async def place_parent(store: GraphStore, *, code: str) -> PlaceParent | None:
    """The place and the code of its parent place, None when no place has the code."""
    rows = await store.read(q.PLACE_PARENT, {"code": code})
    if not rows:
        return None
    return PlaceParent(rows[0]["code"], rows[0]["parent"])
