"""Repository functions for `--replace-scope`: what lies inside a place, and removing it.

Everything is asked from the places at or below the scope (one walk down, then batches of
`PLACE_BATCH` places per statement), so no statement holds a query thread for long: the
people of a whole district are about forty statements of a few tenths of a second each,
where one predicate over every person took 10 s (graph/queries/replace.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graph.domain import Label, Rel
from graph.queries import load as q
from graph.queries import replace as rq
from graph.repo.jurisdiction import codes_inside
from graph.repo.load import RelKey, batched
from graph.statements import Statement
from graph.store import GraphStore

#: Places per statement when asking what is linked to them (bench: 1,000 places of a
#: district are ≤ 0.15 s for the heaviest pattern, people by membership).
PLACE_BATCH = 1000


@dataclass(frozen=True, slots=True)
class ScopePlaces:
    """The places at or below a scope place (itself included), by code, with labels."""

    scope: str
    labels: dict[str, frozenset[str]]

    def codes(self, label: Label | None = None) -> list[str]:
        """Codes of the places (of `label`, when given), in code order."""
        return sorted(code for code, labels in self.labels.items()
                      if label is None or label.value in labels)


async def places_in_scope(store: GraphStore, *, scope: str) -> ScopePlaces:
    """Empty when `scope` names no place."""
    rows = await store.read(rq.PLACES_IN_SCOPE, {"scope": scope})
    return ScopePlaces(scope, {r["code"]: frozenset(r["labels"]) for r in rows})


async def _at_places(store: GraphStore, label: Label, places: ScopePlaces) -> set[str]:
    """The nodes of `label` the places own (graph/queries/replace.py `AT_PLACE`)."""
    found: set[str] = set()
    codes = places.codes()
    for pattern in range(len(rq.AT_PLACE[label])):
        stmt = rq.nodes_at_places(label=label, pattern=pattern)
        for batch in batched(codes, PLACE_BATCH):
            found.update(r["code"] for r in await store.read(stmt, {"places": list(batch)}))
    if label is Label.PARTY_ORG and found:  # ... and cover nothing elsewhere
        found = await codes_inside(store, label=label, codes=found, scope=places.scope)
    return found


async def codes_in_scope(store: GraphStore, *, kind: q.NodeKind,
                         places: ScopePlaces) -> set[str]:
    """Codes of the nodes of `kind` inside the scope, the scope place itself excepted."""
    label = kind.key_label
    if label in rq.AT_PLACE:
        found = await _at_places(store, label, places)
    else:
        found = set(places.codes(label))
    found.discard(places.scope)
    return found


async def posts_in_scope(store: GraphStore, *, places: ScopePlaces) -> dict[Label, set[RelKey]]:
    """The posts whose target lies inside the scope, by the target's label."""
    out: dict[Label, set[RelKey]] = {}
    for label in rq.TARGET_LABELS:
        targets = places.codes() if label is Label.PLACE else sorted(
            await _at_places(store, label, places))
        out[label] = await _keys(store, rq.posts_at(label=label), targets)
    return out


async def _keys(store: GraphStore, stmt: Statement, codes: Sequence[str]) -> set[RelKey]:
    """The relationships `stmt` lists for `codes`, a batch of places at a time."""
    keys: set[RelKey] = set()
    for batch in batched(codes, PLACE_BATCH):
        keys.update(RelKey(r["src"], r["dst"], r["key"] or "")
                    for r in await store.read(stmt, {"codes": list(batch)}))
    return keys


async def relations_in_scope(store: GraphStore, *,
                             places: ScopePlaces) -> dict[Rel, set[RelKey]]:
    """The relations whose `to` end lies inside the scope, by type."""
    out: dict[Rel, set[RelKey]] = {}
    codes = places.codes()
    for rel in rq.RELATION_TYPES:
        out[rel] = await _keys(store, rq.relations_at(rel=rel), codes)
    return out


async def delete_nodes(store: GraphStore, *, kind: q.NodeKind, codes: Sequence[str]) -> None:
    stmt = rq.delete_nodes(kind=kind)
    for batch in batched(codes):
        await store.write(stmt, {"codes": list(batch)})


async def delete_relationships(store: GraphStore, *, from_label: Label, rel: Rel,
                               to_label: Label, keys: Sequence[RelKey]) -> None:
    stmt = rq.delete_relationships(from_label=from_label, rel=rel, to_label=to_label)
    for batch in batched(keys):
        await store.write(stmt, {"rows": [{"src": k.src, "dst": k.dst, "key": k.key}
                                          for k in batch]})
