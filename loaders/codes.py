"""Which kinds each code has — named by this load or found in the graph — as bit masks.

A load of a million rows keeps one small int per code here instead of sets and row
objects, so the index stays well inside the memory bound of rosters.md while the rows
themselves stream to disk.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from graph.domain import Label

#: A code's kind: the region level, or the place/organization label in snake case.
KINDS = ("building", "community", "compound", "district", "grid", "organization", "party_org",
         "person", "street")  # alphabetical: `kind_of` picks the first that fits
BIT = {kind: 1 << i for i, kind in enumerate(KINDS)}
ALL = (1 << len(KINDS)) - 1
#: Kinds found in the graph sit this many bits above the ones this load names.
GRAPH_SHIFT = 16

PLACE_KINDS = frozenset({"district", "street", "community", "grid", "compound", "building"})
KIND_LABEL = {
    "district": Label.REGION, "street": Label.REGION, "community": Label.REGION,
    "grid": Label.GRID, "compound": Label.COMPOUND, "building": Label.BUILDING,
    "party_org": Label.PARTY_ORG, "organization": Label.ORGANIZATION, "person": Label.PERSON,
}
_GRAPH_LABEL_KINDS = ((Label.GRID, "grid"), (Label.COMPOUND, "compound"),
                      (Label.BUILDING, "building"), (Label.PARTY_ORG, "party_org"),
                      (Label.ORGANIZATION, "organization"), (Label.PERSON, "person"))


def mask(kinds: Iterable[str]) -> int:
    out = 0
    for kind in kinds:
        out |= BIT[kind]
    return out


@functools.cache
def kinds_of(bits: int) -> frozenset[str]:
    return frozenset(kind for kind in KINDS if bits & BIT[kind])


@functools.cache
def kind_of(bits: int) -> str | None:
    """The first kind (alphabetically) among the bits, None for none."""
    return next((kind for kind in KINDS if bits & BIT[kind]), None)


class CodeIndex:
    """code → kinds bit mask (low bits: rows of this load; high bits: the graph)."""

    def __init__(self) -> None:
        self.bits: dict[str, int] = {}

    def add(self, code: str, kind: str) -> None:
        self.bits[code] = self.bits.get(code, 0) | BIT[kind]

    def add_graph(self, code: str, labels: Iterable[str], level: str | None) -> None:
        found = 0
        labels = set(labels)
        if Label.REGION.value in labels and level in BIT:
            found |= BIT[level]
        for label, kind in _GRAPH_LABEL_KINDS:
            if label.value in labels:
                found |= BIT[kind]
        self.bits[code] = self.bits.get(code, 0) | (found << GRAPH_SHIFT)

    def __contains__(self, code: str) -> bool:
        return code in self.bits

    def kinds(self, code: str) -> int:
        """Every kind the code has, from the load or the graph."""
        bits = self.bits.get(code, 0)
        return (bits | (bits >> GRAPH_SHIFT)) & ALL

    def named(self, code: str) -> int:
        """The kinds this load's own rows give the code."""
        return self.bits.get(code, 0) & ALL

    def match(self, code: str, allowed: int) -> str | None:
        return kind_of(self.kinds(code) & allowed)
