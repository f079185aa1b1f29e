"""Linkage queries (design/linkage.md) through `schema.execute` on the hand-built rosters of
tests/edges.py, where every link is known: compound and person profiles, chain of command,
connection paths, neighbourhood, pairing and cross-appointments, with and without scope."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from app.graphql import build_schema
from graph.repo import linkage as repo
from graph.store import GraphStore
from resolvers.access import OPERATOR
from resolvers.context import Context
from tests.edges import TODAY

SCHEMA = build_schema(max_cost=10**12)  # big on purpose: test_limits.py has the limit


async def run(store: GraphStore, query: str, **variables: Any) -> Any:
    ctx = Context(store, caller=OPERATOR, today=dt.date.fromisoformat(TODAY))
    return await SCHEMA.execute(query, variable_values=variables, context_value=ctx)


async def data(store: GraphStore, query: str, **variables: Any) -> Any:
    result = await run(store, query, **variables)
    assert result.errors is None, result.errors
    return result.data


async def error_code(store: GraphStore, query: str, **variables: Any) -> str:
    result = await run(store, query, **variables)
    assert result.errors, "expected an error"
    return str(result.errors[0].extensions["code"])


def codes(items: list[dict[str, Any]], key: str = "code") -> list[str]:
    return [item[key] for item in items]


# --- compound profile ------------------------------------------------------------------------

COMPOUND_PROFILE = """query($c: String!, $s: String) { compound(code: $c, scope: $s) {
    code name grid { code gridWorkers { roleLabel holder { code } } }
    community { code } street { code }
    coveringPartyOrgs { code secretary { code } }
    propertyCompanies { code projectManager { code } }
    committees { code kind chair { code } }
    responsibleUnits { code } pairedUnits { code }
    crossAppointments { person { code } partyPosts { role target { code } }
                        governancePosts { role target { code } } }
    buildings { nodes { code hasPartyGroup buildingChiefs { code }
                        memberHouseholds { code } } }
    gaps { metric total gaps { code reasons { code } } } } }"""


async def test_compound_profile_has_every_part(edge_store: GraphStore) -> None:
    c = (await data(edge_store, COMPOUND_PROFILE, c="X1"))["compound"]
    assert c["grid"] == {"code": "G1", "gridWorkers": [
        {"roleLabel": "专职网格员", "holder": {"code": "W1"}}]}
    assert (c["community"], c["street"]) == ({"code": "C1"}, {"code": "S"})
    assert c["coveringPartyOrgs"] == [{"code": "PBAD", "secretary": None},
                                      {"code": "PX1", "secretary": {"code": "SX"}}]
    assert c["propertyCompanies"] == [{"code": "PM", "projectManager": None}]
    assert c["committees"] == [{"code": "YX1", "kind": "OWNERS_COMMITTEE",
                                "chair": {"code": "SX"}}]
    assert (c["responsibleUnits"], c["pairedUnits"]) == ([], [])
    assert c["crossAppointments"] == [{
        "person": {"code": "SX"},
        "partyPosts": [{"role": "SECRETARY", "target": {"code": "PX1"}}],
        "governancePosts": [{"role": "CHAIR", "target": {"code": "YX1"}}]}]
    # B2's building chief left in 2020; its member household still makes a party group
    assert c["buildings"]["nodes"] == [
        {"code": "B1", "hasPartyGroup": True, "buildingChiefs": [{"code": "K1"}],
         "memberHouseholds": []},
        {"code": "B2", "hasPartyGroup": True, "buildingChiefs": [],
         "memberHouseholds": [{"code": "HH"}]}]
    gaps = {g["metric"]: {x["code"]: codes(x["reasons"]) for x in g["gaps"]} for g in c["gaps"]}
    assert gaps == {
        "building-chief": {"B2": ["no_building_chief"]},
        "secretary-vacancy": {"PBAD": ["secretary_vacant"]},
        "dual-registration": {"H2": ["not_registered"]},
        "hierarchy-integrity": {"PBAD": ["covers_outside_parent"]},
        # PM manages X1 and has neither a party org nor a member project manager
        "property-party-org": {"PM": ["no_party_org_or_member_manager"]},
    }
    assert all(g["total"] == len(g["gaps"]) for g in c["gaps"])


async def test_place_gaps_are_counted_beyond_the_listed_ones(edge_store: GraphStore) -> None:
    query = """{ region(code: "C1") { gaps(first: 1) { metric total gaps { code } } } }"""
    found = {g["metric"]: g for g in (await data(edge_store, query))["region"]["gaps"]}
    assert found["building-chief"] == {"metric": "building-chief", "total": 1,
                                       "gaps": [{"code": "B2"}]}
    assert found["two-new-party-org"]["total"] == 3
    assert len(found["two-new-party-org"]["gaps"]) == 1


async def test_compound_profile_with_a_scope_leaves_out_what_lies_outside(
        edge_store: GraphStore) -> None:
    c = (await data(edge_store, COMPOUND_PROFILE, c="X1", s="G1"))["compound"]
    assert c["community"] is None
    assert c["street"] is None
    assert codes(c["coveringPartyOrgs"]) == ["PBAD", "PX1"]
    assert c["crossAppointments"][0]["partyPosts"] == [
        {"role": "SECRETARY", "target": {"code": "PX1"}}]
    assert await data(edge_store, COMPOUND_PROFILE, c="X1", s="C2") == {"compound": None}


# --- person profile ----------------------------------------------------------------------------

PERSON_PROFILE = """query($p: String!) { person(code: $p) { code politicalStatus memberStatus
    partyOrg { code } employer { code } residence { code } residenceCommunity { code }
    reportsTo { code } dualRegistration
    posts { role current target { code } }
    crossAppointments { compound { code } } } }"""


@pytest.mark.parametrize(("code", "home", "registered", "status"), [
    ("H1", "C1", "C1", "REGISTERED"),
    ("H2", "C1", None, "NOT_REGISTERED"),
    ("H3", "C2", "C1", "REGISTERED_ELSEWHERE"),
    ("H4", None, None, None),
    ("SX", None, None, "NOT_APPLICABLE"),
])
async def test_person_profile_dual_registration(edge_store: GraphStore, code: str,
                                                home: str | None, registered: str | None,
                                                status: str | None) -> None:
    p = (await data(edge_store, PERSON_PROFILE, p=code))["person"]
    assert (p["residenceCommunity"] or {}).get("code") == home
    assert (p["reportsTo"] or {}).get("code") == registered
    assert p["dualRegistration"] == status


async def test_person_profile_posts_past_and_present_and_cross_appointment(
        edge_store: GraphStore) -> None:
    sx = (await data(edge_store, PERSON_PROFILE, p="SX"))["person"]
    assert sx["posts"] == [{"role": "SECRETARY", "current": True, "target": {"code": "PX1"}},
                           {"role": "CHAIR", "current": True, "target": {"code": "YX1"}}]
    assert sx["crossAppointments"] == [{"compound": {"code": "X1"}}]
    sec = (await data(edge_store, PERSON_PROFILE, p="SEC"))["person"]
    assert sec["posts"] == [{"role": "SECRETARY", "current": False, "target": {"code": "PC1"}}]
    assert sec["partyOrg"] == {"code": "PC1"}
    assert sec["crossAppointments"] == []
    m = (await data(edge_store, PERSON_PROFILE, p="M30"))["person"]
    assert m["employer"] == {"code": "E3"}
    assert m["politicalStatus"] == "MEMBER"


# --- chain of command -----------------------------------------------------------------------

CHAIN = """query($c: String!, $s: String) { chainOfCommand(code: $c, scope: $s) {
    depth partyOrg { code kind } secretaries { code } } }"""


@pytest.mark.parametrize(("code", "chain"), [
    ("B1", ["PB1", "PX1", "PC1", "PD"]),           # building group up to the county
    ("PX3", ["PX3", "PS", "PC1", "PD"]),            # a party org starts at itself
    ("E3", ["PE3", "PC1", "PD"]),                   # an enterprise's own branch
    ("E0", ["PC1", "PD"]),                          # no own org: its grid's community
    ("PM", ["PD"]),                                 # sits in the street: the county covers it
    ("B2", ["PBAD", "PS", "PC1", "PD"]),            # two orgs cover X1: the smaller code wins
    ("PO", ["PO"]),                                 # an orphan is its own top
])
async def test_chain_of_command(edge_store: GraphStore, code: str, chain: list[str]) -> None:
    found = (await data(edge_store, CHAIN, c=code))["chainOfCommand"]
    assert [link["partyOrg"]["code"] for link in found] == chain
    assert [link["depth"] for link in found] == list(range(len(chain)))


async def test_chain_of_command_secretaries_and_scope(edge_store: GraphStore) -> None:
    found = (await data(edge_store, CHAIN, c="B1"))["chainOfCommand"]
    assert [codes(link["secretaries"]) for link in found] == [[], ["SX"], [], []]
    assert found[1]["partyOrg"]["kind"] == "GENERAL_BRANCH"
    scoped = (await data(edge_store, CHAIN, c="B1", s="C1"))["chainOfCommand"]
    assert [link["partyOrg"]["code"] for link in scoped] == ["PB1", "PX1", "PC1"]
    assert (await data(edge_store, CHAIN, c="X2", s="C2"))["chainOfCommand"] == []


async def test_chain_of_command_errors(edge_store: GraphStore) -> None:
    assert await error_code(edge_store, CHAIN, c="NOPE") == "NOT_FOUND"
    assert await error_code(edge_store, CHAIN, c="X1", s="C2") == "NOT_FOUND"
    assert await error_code(edge_store, CHAIN, c="SX") == "BAD_USER_INPUT"


# --- connection paths ----------------------------------------------------------------------

PATHS = """query($a: String!, $b: String!, $h: Int!, $t: [RelType!], $s: String) {
    connectionPaths(from: $a, to: $b, maxHops: $h, types: $t, scope: $s) {
      from { code } to { code } length
      paths { length nodes { __typename code }
              relationships { type startCode startKind endCode endKind role } } } }"""


async def test_shortest_path_between_compounds_through_their_property_company(
        edge_store: GraphStore) -> None:
    found = (await data(edge_store, PATHS, a="X1", b="X3", h=6))["connectionPaths"]
    assert found["length"] == 2
    assert found["paths"] == [{
        "length": 2,
        "nodes": [{"__typename": "Compound", "code": "X1"},
                  {"__typename": "Organization", "code": "PM"},
                  {"__typename": "Compound", "code": "X3"}],
        "relationships": [
            {"type": "MANAGES", "startCode": "PM", "startKind": "ORGANIZATION",
             "endCode": "X1", "endKind": "PLACE", "role": None},
            {"type": "MANAGES", "startCode": "PM", "startKind": "ORGANIZATION",
             "endCode": "X3", "endKind": "PLACE", "role": None}]}]


async def test_paths_only_along_allowed_types_and_within_max_hops(
        edge_store: GraphStore) -> None:
    found = (await data(edge_store, PATHS, a="X1", b="X3", h=6, t=["IN"]))["connectionPaths"]
    assert [codes(p["nodes"]) for p in found["paths"]] == [["X1", "G1", "C1", "G2", "X3"]]
    none = (await data(edge_store, PATHS, a="X1", b="X3", h=3, t=["IN"]))["connectionPaths"]
    assert none["length"] is None
    assert none["paths"] == []


async def test_paths_of_posts_name_the_role(edge_store: GraphStore) -> None:
    found = (await data(edge_store, PATHS, a="PX1", b="YX1", h=2))["connectionPaths"]
    # YX1 both serves and sits in X1: two relationships, two paths through X1
    assert [codes(p["nodes"]) for p in found["paths"]] == [
        ["PX1", "SX", "YX1"], ["PX1", "X1", "YX1"], ["PX1", "X1", "YX1"]]
    assert [r["role"] for r in found["paths"][0]["relationships"]] == ["SECRETARY", "CHAIR"]
    assert sorted(p["relationships"][1]["type"] for p in found["paths"][1:]) == [
        "LOCATED_IN", "SERVES"]


async def test_paths_leaving_the_scope_are_dropped(edge_store: GraphStore) -> None:
    everywhere = (await data(edge_store, PATHS, a="PB1", b="E3", h=6))["connectionPaths"]
    assert everywhere["length"] == 4
    assert any("PC1" in codes(p["nodes"]) for p in everywhere["paths"])
    inside = (await data(edge_store, PATHS, a="PB1", b="E3", h=6, s="G1"))["connectionPaths"]
    assert inside["paths"], "paths through the grid remain"
    assert all("PC1" not in codes(p["nodes"]) for p in inside["paths"])
    assert await error_code(edge_store, PATHS, a="X1", b="X2", h=6, s="C1") == "NOT_FOUND"


@pytest.mark.parametrize(("args", "code"), [
    ({"a": "X1", "b": "X1", "h": 3}, "BAD_USER_INPUT"),
    ({"a": "X1", "b": "X3", "h": 7}, "BAD_USER_INPUT"),
    ({"a": "X1", "b": "X3", "h": 0}, "BAD_USER_INPUT"),
    ({"a": "X1", "b": "X3", "h": 3, "t": []}, "BAD_USER_INPUT"),
    ({"a": "NOPE", "b": "X3", "h": 3}, "NOT_FOUND"),
])
async def test_path_argument_errors(edge_store: GraphStore, args: dict[str, Any],
                                    code: str) -> None:
    assert await error_code(edge_store, PATHS, **args) == code


# --- neighbourhood ---------------------------------------------------------------------------

NEIGHBOURHOOD = """query($c: String!, $h: Int!, $l: Int, $s: String) {
    neighbourhood(code: $c, hops: $h, limit: $l, scope: $s) {
      center { code } truncated nodes { distance node { __typename code } }
      relationships { type startCode endCode } } }"""


async def test_neighbourhood_one_hop(edge_store: GraphStore) -> None:
    n = (await data(edge_store, NEIGHBOURHOOD, c="B1", h=1))["neighbourhood"]
    assert n["center"] == {"code": "B1"}
    assert n["truncated"] is False
    found = {x["node"]["code"]: x["distance"] for x in n["nodes"]}
    assert found == {"B1": 0, "X1": 1, "PB1": 1, "K1": 1, "H1": 1}
    assert sorted((r["type"], r["startCode"], r["endCode"]) for r in n["relationships"]) == [
        ("COVERS", "PB1", "B1"), ("HOLDS_POST", "K1", "B1"), ("IN", "B1", "X1"),
        ("LIVES_IN", "H1", "B1")]


async def test_neighbourhood_two_hops_links_only_listed_nodes(edge_store: GraphStore) -> None:
    n = (await data(edge_store, NEIGHBOURHOOD, c="B1", h=2))["neighbourhood"]
    found = {x["node"]["code"]: x["distance"] for x in n["nodes"]}
    assert found["G1"] == 2
    assert found["PX1"] == 2
    assert found["C1"] == 2
    listed = set(found)
    assert all(r["startCode"] in listed and r["endCode"] in listed for r in n["relationships"])
    assert ("IN", "X1", "G1") in {(r["type"], r["startCode"], r["endCode"])
                                  for r in n["relationships"]}


async def test_neighbourhood_limit_truncates(edge_store: GraphStore) -> None:
    n = (await data(edge_store, NEIGHBOURHOOD, c="C1", h=2, l=5))["neighbourhood"]
    assert len(n["nodes"]) == 5
    assert n["truncated"] is True
    assert await error_code(edge_store, NEIGHBOURHOOD, c="C1", h=4) == "BAD_USER_INPUT"
    assert await error_code(edge_store, NEIGHBOURHOOD, c="C1", h=1, l=501) == "BAD_USER_INPUT"
    assert await error_code(edge_store, NEIGHBOURHOOD, c="NOPE", h=1) == "NOT_FOUND"


# --- pairing --------------------------------------------------------------------------------

PAIRING = """query($c: String!, $s: String) { pairing(code: $c, scope: $s) {
    subject { code } links { relation institution { code } place { code }
                             registeredMembers { code } } } }"""


async def test_pairing_from_either_side(edge_store: GraphStore) -> None:
    link = {"relation": "PAIRED_WITH", "institution": {"code": "INS"},
            "place": {"code": "X2"}, "registeredMembers": [{"code": "P1"}]}
    assert (await data(edge_store, PAIRING, c="X2"))["pairing"] == {
        "subject": {"code": "X2"}, "links": [link]}
    assert (await data(edge_store, PAIRING, c="INS"))["pairing"] == {
        "subject": {"code": "INS"}, "links": [link]}
    assert (await data(edge_store, PAIRING, c="X1"))["pairing"]["links"] == []


async def test_pairing_errors(edge_store: GraphStore) -> None:
    assert await error_code(edge_store, PAIRING, c="E3") == "BAD_USER_INPUT"
    assert await error_code(edge_store, PAIRING, c="PX1") == "BAD_USER_INPUT"
    assert await error_code(edge_store, PAIRING, c="NOPE") == "NOT_FOUND"


# --- cross-appointments -------------------------------------------------------------------

CROSS = """query($s: String, $f: Int, $a: String) {
    crossAppointments(scope: $s, first: $f, after: $a) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { compound { code } person { code } partyPosts { roleLabel target { code } }
              governancePosts { roleLabel target { code } } }
      byCommunity { communityCode people compounds appointments } } }"""


async def test_cross_appointments_by_scope(edge_store: GraphStore) -> None:
    found = (await data(edge_store, CROSS))["crossAppointments"]
    assert found["totalCount"] == 1
    assert found["nodes"] == [{
        "compound": {"code": "X1"}, "person": {"code": "SX"},
        "partyPosts": [{"roleLabel": "书记", "target": {"code": "PX1"}}],
        "governancePosts": [{"roleLabel": "主任", "target": {"code": "YX1"}}]}]
    assert found["byCommunity"] == [
        {"communityCode": "C1", "people": 1, "compounds": 1, "appointments": 1}]
    empty = (await data(edge_store, CROSS, s="C2"))["crossAppointments"]
    assert empty["totalCount"] == 0
    assert empty["nodes"] == []
    assert empty["byCommunity"] == []


async def test_cross_appointment_cursor_is_bound_to_its_list(edge_store: GraphStore) -> None:
    page = (await data(edge_store, CROSS, f=1))["crossAppointments"]
    after = (await data(edge_store, CROSS, f=1, a=page["pageInfo"]["endCursor"]))
    assert after["crossAppointments"]["nodes"] == []
    other = (await data(edge_store, '{ compounds(first: 1) { pageInfo { endCursor } } }'))
    cursor = other["compounds"]["pageInfo"]["endCursor"]
    assert await error_code(edge_store, CROSS, a=cursor) == "BAD_USER_INPUT"


# --- scope: nothing outside it is reachable -------------------------------------------------

def _all_codes(value: Any) -> set[str]:
    """Every node code in a result (any dict with a `code` or `*Code` key)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("code", "startCode", "endCode") and isinstance(item, str):
                found.add(item)
            elif key != "reasons":  # reason codes are not node codes
                found |= _all_codes(item)
    elif isinstance(value, list):
        for item in value:
            found |= _all_codes(item)
    return found


SCOPE_PROBES = [
    (COMPOUND_PROFILE, {"c": "X2"}),
    (PERSON_PROFILE.replace("person(code: $p)", "person(code: $p, scope: $s)")
     .replace("query($p: String!)", "query($p: String!, $s: String)"), {"p": "H3"}),
    (PERSON_PROFILE.replace("person(code: $p)", "person(code: $p, scope: $s)")
     .replace("query($p: String!)", "query($p: String!, $s: String)"), {"p": "P1"}),
    (NEIGHBOURHOOD, {"c": "X2", "h": 3, "l": 500}),
    (NEIGHBOURHOOD, {"c": "G3", "h": 3, "l": 500}),
    (CHAIN, {"c": "B3"}),
    (PAIRING, {"c": "X2"}),
    (PATHS, {"a": "H3", "b": "P1", "h": 6}),  # shortest goes through PC1 and PD
    (CROSS, {}),
    ("""query($s: String) { search(text: "小区", scope: $s) { nodes { code } } }""", {}),
    ("""query($s: String) { region(code: "C2", scope: $s) { code parent { code }
        grids { nodes { code compounds { nodes { code committees { code chair { code } }
        coveringPartyOrgs { code parent { code } } } } } } } }""", {}),
]


@pytest.mark.parametrize(("query", "args"), SCOPE_PROBES)
async def test_nothing_outside_the_scope_is_reachable(edge_store: GraphStore, query: str,
                                                      args: dict[str, Any]) -> None:
    """Every code a scoped query returns names a node inside the scope (C2: G3, X2, B3 and
    what is linked to them); the same query unscoped reaches beyond it."""
    scoped = _all_codes(await data(edge_store, query, **args, s="C2"))
    if scoped:
        inside = await repo.resolve_codes(edge_store, codes=sorted(scoped), scope="C2")
        assert scoped <= set(inside), f"outside the scope: {scoped - set(inside)}"
    unscoped = _all_codes(await data(edge_store, query, **args))
    assert unscoped - scoped, "the unscoped query reaches further (the probe means something)"


@contextlib.contextmanager
def watched_reads(store: GraphStore, *, delay: float = 0.0) -> Iterator[list[str]]:
    """Each read's outcome while inside ("done" or "cancelled"), reads delayed by `delay`."""
    read = store.read
    outcomes: list[str] = []

    async def watched(stmt: Any, params: Any = None) -> Any:
        try:
            await asyncio.sleep(delay)
            rows = await read(stmt, params)
        except asyncio.CancelledError:
            outcomes.append("cancelled")
            raise
        outcomes.append("done")
        return rows

    store.read = watched  # type: ignore[method-assign]
    try:
        yield outcomes
    finally:
        del store.read


async def test_a_failing_root_field_lets_its_siblings_finish(edge_store: GraphStore) -> None:
    """`connectionPaths` fails after reading (no node `X404`), `neighbourhood` fails at
    once (hops out of range), a third field reads on: the error is always the first
    field's in document order, and no sibling's read is cancelled mid-flight (on Neo4j
    that broke the pooled connection)."""
    query = """{ connectionPaths(from: "X404", to: "X1") { length }
                 neighbourhood(code: "X1", hops: 99) { truncated }
                 compound(code: "X1") { code name } }"""
    with watched_reads(edge_store) as outcomes:
        for _ in range(5):
            result = await run(edge_store, query)
            assert result.data is None
            assert [e.message for e in result.errors] == ["from 'X404' names no node"]
    assert outcomes
    assert "cancelled" not in outcomes


async def test_a_quick_error_does_not_wait_for_a_slow_field_after_it(
        edge_store: GraphStore) -> None:
    """The first field fails at once; the second's read takes a second: the answer comes
    before that read ends, and the read still ends on its own (not cancelled)."""
    with watched_reads(edge_store, delay=1.0) as outcomes:
        result = await run(edge_store, """{ neighbourhood(code: "X1", hops: 99) { truncated }
                                           compound(code: "X1") { code } }""")
        assert result.errors[0].message == "hops must be between 1 and 3, got 99"
        assert outcomes == []  # answered while the compound's read was still on its way
        for _ in range(100):
            if outcomes:
                break
            await asyncio.sleep(0.05)
    assert outcomes == ["done"]
