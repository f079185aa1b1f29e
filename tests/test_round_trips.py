"""No N+1: a compound page over 100 compounds with every profile field nested costs the same
number of store round trips as one over 10 (DataLoaders batch each selection level)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.graphql import build_schema
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.synthetic import Scale, generate, write_csv
from resolvers.access import OPERATOR
from resolvers.context import Context
from tests.graphs import Graphs

SCHEMA = build_schema(max_cost=10**12)  # big on purpose: test_limits.py has the limit
#: Two streets of eight communities: 101 compounds, 1,055 buildings.
HUNDRED = Scale(2, 8, 0.1)

PROFILES = """query($n: Int!) { compounds(first: $n) { totalCount nodes {
    code community { code } street { code }
    grid { code gridWorkers { roleLabel holder { code } } }
    coveringPartyOrgs { code secretary { code } }
    propertyCompanies { code projectManager { code } }
    committees { code chair { code } }
    responsibleUnits { code } pairedUnits { code }
    crossAppointments { person { code } partyPosts { roleLabel } governancePosts { roleLabel } }
    buildings(first: 50) { nodes { code hasPartyGroup buildingChiefs { code }
                                   memberHouseholds { code } } }
    gaps(first: 5) { metric total } } } }"""


@pytest.fixture(scope="module")
async def hundred(graphs: Graphs, protector: IdProtector,
                  tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[GraphStore]:
    folder = tmp_path_factory.mktemp("hundred")
    write_csv(generate(HUNDRED), folder)

    async def fill(store: GraphStore) -> None:
        await load_rosters(store, [folder], protector=protector)

    async with graphs.shared("hundred", fill) as store:
        yield store


async def _trips(store: GraphStore, n: int) -> tuple[int, list[dict[str, object]]]:
    store.round_trips = 0
    result = await SCHEMA.execute(PROFILES, variable_values={"n": n},
                                  context_value=Context(store, caller=OPERATOR))
    assert result.errors is None, result.errors
    return store.round_trips, result.data["compounds"]["nodes"]


async def test_compound_profiles_cost_a_bounded_number_of_round_trips(
        hundred: GraphStore) -> None:
    few, ten = await _trips(hundred, 10)
    many, compounds = await _trips(hundred, 100)
    assert len(ten) == 10
    assert len(compounds) == 100
    # the page is not empty of what it batches
    assert sum(len(c["buildings"]["nodes"]) for c in compounds) > 500
    assert any(c["crossAppointments"] for c in compounds)
    assert any(c["gaps"] for c in compounds)
    assert all(c["community"] and c["street"] for c in compounds)
    # One statement per loader and selection level, whatever the number of compounds:
    # page + count, regions (community and street), grid, grid posts, covering party orgs,
    # their posts (secretary), managers, committees, their posts (project manager, chair:
    # one loader, at most two batches as the two lists arrive), responsible, paired,
    # cross-appointments, buildings, building posts (at most two batches), building party
    # orgs, gaps = 19. Which loads share a batch depends on when their parents resolve.
    bound = 19
    assert few <= bound, few
    assert many <= bound, many
