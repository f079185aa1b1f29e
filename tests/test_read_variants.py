"""Faster forms of a read must answer exactly what the general form answers.

Each faster form rests on a rule of domain.md (each place has one parent of the right
level) or on a different walk through the same pattern; these tests compare both forms
over every node of the tiny district.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from graph.domain import Label
from graph.repo import audits as audit_repo
from graph.repo import linkage as link_repo
from graph.repo import nodes as repo
from graph.store import GraphStore

TODAY = "2026-11-26"


def _codes(rosters: Path, file: str) -> list[str]:
    with (rosters / file).open(encoding="utf-8-sig", newline="") as fh:
        return [row[0] for row in list(csv.reader(fh))[1:]]


@pytest.mark.parametrize(("label", "file"), [(Label.COMPOUND, "小区.csv"),
                                             (Label.BUILDING, "楼栋.csv")])
async def test_gaps_inside_compounds_and_buildings_match_the_general_form(
        tiny_store: GraphStore, tiny_rosters: Path, label: Label, file: str) -> None:
    codes = _codes(tiny_rosters, file)
    fast = await audit_repo.gaps_of_places(tiny_store, place=label, codes=codes, limit=500,
                                           today=TODAY)
    general = await audit_repo.gaps_of_places(tiny_store, place=Label.PLACE, codes=codes,
                                              limit=500, today=TODAY)
    assert fast == general
    assert len({g.metric for found in fast.values() for g in found}) >= 3  # gaps were found


async def _all_pages(store: GraphStore, label: Label, scope: str | None) -> list[str]:
    out: list[str] = []
    after = None
    while True:
        page = await repo.list_nodes(store, label=label, kind=None, scope=scope, after=after,
                                     first=500)
        out += [n.code for n in page.items]
        if not page.has_next:
            assert page.total == len(out)
            return out
        after = out[-1]


@pytest.mark.parametrize("label", [Label.REGION, Label.GRID, Label.COMPOUND, Label.BUILDING])
async def test_scoped_place_lists_walk_down_to_the_same_nodes(
        tiny_store: GraphStore, tiny_rosters: Path, label: Label) -> None:
    """A scoped list walks down from the scope place; a lookup by code checks the scope
    from the node up. Both must keep the same nodes, for scopes of every level."""
    everything = await _all_pages(tiny_store, label, None)
    regions = _codes(tiny_rosters, "行政区划.csv")
    scopes = [regions[0], regions[1], regions[-1], _codes(tiny_rosters, "网格.csv")[0],
              _codes(tiny_rosters, "小区.csv")[0], _codes(tiny_rosters, "楼栋.csv")[0], "NOPE"]
    for scope in scopes:
        inside = await repo.nodes_by_code(tiny_store, label=label, codes=everything,
                                          scope=scope)
        assert await _all_pages(tiny_store, label, scope) == sorted(inside), scope


async def test_cross_appointments_from_either_side_agree(
        tiny_store: GraphStore, tiny_rosters: Path) -> None:
    """The same (compound, person) pairs whether asked per compound or per person."""
    compounds = _codes(tiny_rosters, "小区.csv")
    people = _codes(tiny_rosters, "人员.csv")
    by_compound = await link_repo.cross_appointments_of(tiny_store, by="compound",
                                                        codes=compounds, scope=None,
                                                        today=TODAY)
    by_person = await link_repo.cross_appointments_of(tiny_store, by="person", codes=people,
                                                      scope=None, today=TODAY)
    pairs = {(c, a.person.code) for c, found in by_compound.items() for a in found}
    assert pairs
    assert pairs == {(a.compound.code, p) for p, found in by_person.items() for a in found}
