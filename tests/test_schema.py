"""GraphQL through `schema.execute` on the loaded tiny district."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.graphql import build_schema
from graph.domain import Label
from graph.queries.audits import AUDITS
from graph.repo import nodes as repo
from graph.store import GraphStore
from resolvers.access import OPERATOR
from resolvers.context import Context

SCHEMA = build_schema(max_cost=10**12)  # big on purpose: test_limits.py has the limit
ROOT = Path(__file__).resolve().parent.parent


async def run(store: GraphStore, query: str, **variables: Any) -> Any:
    return await SCHEMA.execute(query, variable_values=variables,
                                context_value=Context(store, caller=OPERATOR))


def _csv(path: Path) -> list[list[str]]:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))[1:]


async def test_lookup_by_code_and_unknown_code_is_null(tiny_store: GraphStore) -> None:
    result = await run(tiny_store, '{ region(code: "371327") { code name level } '
                                   'nope: compound(code: "NOPE") { code } }')
    assert result.errors is None
    assert result.data == {"region": {"code": "371327", "name": "莒南县", "level": "DISTRICT"},
                           "nope": None}


async def test_full_width_codes_are_normalized(tiny_store: GraphStore) -> None:
    result = await run(tiny_store, '{ region(code: " ３７１３２７ ") { code } }')
    assert result.data == {"region": {"code": "371327"}}


async def test_children_and_parents_follow_the_graph(tiny_store: GraphStore,
                                                     tiny_rosters: Path) -> None:
    compound = _csv(tiny_rosters / "小区.csv")[0]
    query = """query($c: String!) { compound(code: $c) { name households hasSecurity
        grid { code community { code parent { code parent { code } } } }
        buildings { totalCount nodes { code parent { code } } } } }"""
    result = await run(tiny_store, query, c=compound[0])
    assert result.errors is None
    data = result.data["compound"]
    assert data["name"] == compound[1]
    assert data["households"] == int(compound[3])
    assert data["grid"]["code"] == compound[2]
    assert data["grid"]["community"]["parent"]["parent"]["code"] == "371327"
    buildings = [b for b in _csv(tiny_rosters / "楼栋.csv") if b[2] == compound[0]]
    assert data["buildings"]["totalCount"] == len(buildings)
    assert {n["code"] for n in data["buildings"]["nodes"]} == {b[0] for b in buildings}
    assert all(n["parent"]["code"] == compound[0] for n in data["buildings"]["nodes"])


async def test_pagination_walks_the_whole_list_in_code_order(tiny_store: GraphStore,
                                                             tiny_rosters: Path) -> None:
    expected = sorted(r[0] for r in _csv(tiny_rosters / "网格.csv"))
    seen: list[str] = []
    after = None
    while True:
        result = await run(tiny_store, """query($after: String) { grids(first: 7, after: $after)
            { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { code } } } }""",
                           after=after)
        assert result.errors is None
        page = result.data["grids"]
        assert page["totalCount"] == len(expected)
        seen.extend(e["node"]["code"] for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected


async def test_cursor_from_another_list_is_rejected(tiny_store: GraphStore) -> None:
    first = await run(tiny_store, "{ grids(first: 1) { pageInfo { endCursor } } }")
    cursor = first.data["grids"]["pageInfo"]["endCursor"]
    result = await run(tiny_store, """query($after: String) {
        compounds(after: $after) { totalCount } }""", after=cursor)
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert "another list" in result.errors[0].message


async def test_people_posts_and_enums(tiny_store: GraphStore, tiny_rosters: Path) -> None:
    post = next(p for p in _csv(tiny_rosters / "任职.csv") if p[2] == "书记")
    query = """query($p: String!) { person(code: $p) { code politicalStatus idMasked
        posts { role roleLabel current target { __typename code } } partyOrg { code } } }"""
    result = await run(tiny_store, query, p=post[0])
    assert result.errors is None
    person = result.data["person"]
    assert {"role": "SECRETARY", "roleLabel": "书记", "current": True,
            "target": {"__typename": "PartyOrg", "code": post[1]}} in person["posts"]


async def test_scope_hides_nodes_outside_it(tiny_store: GraphStore, tiny_rosters: Path) -> None:
    communities = [r[0] for r in _csv(tiny_rosters / "行政区划.csv") if r[2] == "社区"]
    grids = {r[0]: r[2] for r in _csv(tiny_rosters / "网格.csv")}
    inside, outside = communities[0], communities[1]
    other_grid = next(g for g, c in grids.items() if c == outside)
    result = await run(tiny_store, """query($s: String!, $g: String!) {
        grid(code: $g, scope: $s) { code }
        community: region(code: $s, scope: $s) { code grids { totalCount } }
        district: region(code: "371327", scope: $s) { code } }""", s=inside, g=other_grid)
    assert result.errors is None
    assert result.data["grid"] is None
    assert result.data["district"] is None
    in_grids = [g for g, c in grids.items() if c == inside]
    assert result.data["community"]["grids"]["totalCount"] == len(in_grids)
    unknown = await run(tiny_store, '{ grid(code: "x", scope: "NOPE") { code } }')
    assert unknown.errors[0].extensions["code"] == "NOT_FOUND"


async def test_nested_query_uses_one_round_trip_per_level(tiny_store: GraphStore) -> None:
    query = """{ regions(level: COMMUNITY, first: 100) { nodes { code
        grids(first: 100) { nodes { code compounds { nodes { code
            buildings(first: 100) { nodes { code posts { roleLabel holder { code } } } }
            coveringPartyOrgs { code posts { roleLabel } } } } } } } } }"""
    tiny_store.round_trips = 0
    result = await run(tiny_store, query)
    assert result.errors is None
    communities = result.data["regions"]["nodes"]
    buildings = [b for c in communities for g in c["grids"]["nodes"]
                 for x in g["compounds"]["nodes"] for b in x["buildings"]["nodes"]]
    assert len(buildings) > 100
    # regions page + count, grids, compounds, buildings, building posts, party orgs, org posts
    assert tiny_store.round_trips == 8


async def test_repository_answers_many_codes_at_once(tiny_store: GraphStore,
                                                     tiny_rosters: Path) -> None:
    codes = [r[0] for r in _csv(tiny_rosters / "小区.csv")] + ["MISSING"]
    tiny_store.round_trips = 0
    found = await repo.nodes_by_code(tiny_store, label=Label.COMPOUND, codes=codes, scope=None)
    assert tiny_store.round_trips == 1
    assert set(found) == set(codes) - {"MISSING"}


@pytest.mark.parametrize(("query", "code"), [
    ("{ region(code: ", "GRAPHQL_PARSE_FAILED"),
    ('{ region(code: "x") { nme } }', "GRAPHQL_VALIDATION_FAILED"),
    ("{ grids(first: 100000) { totalCount } }", "BAD_USER_INPUT"),
    ('{ grids(after: "Zm9yZ2Vk") { totalCount } }', "BAD_USER_INPUT"),
])
async def test_errors_carry_extension_codes(tiny_store: GraphStore, query: str,
                                            code: str) -> None:
    result = await run(tiny_store, query)
    assert result.errors
    assert result.errors[0].extensions["code"] == code


async def test_depth_limit(tiny_store: GraphStore) -> None:
    deep = "{ region(code: \"371327\") { " + "parent { " * 20 + "code" + " }" * 20 + " } }"
    result = await run(tiny_store, deep)
    assert result.errors
    assert "depth" in result.errors[0].message


def test_committed_sdl_is_current() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == SCHEMA.as_str() + "\n", "run `orgcover schema > schema.graphql`"


@pytest.mark.parametrize("metric", [
    "COMPOUND_PARTY_ORG", "COMPOUND_PROPERTY", "COMPOUND_OWNERS_COMMITTEE", "THREE_NO_COMPOUND",
    "GRID_PARTY_ORG", "GRID_WORKER", "BUILDING_PARTY_GROUP", "BUILDING_CHIEF",
    "TWO_NEW_PARTY_ORG", "CROSS_APPOINTMENT", "DUAL_ROLE", "SECRETARY_VACANCY", "BRANCH_SIZE",
    "DUAL_REGISTRATION", "HIERARCHY_INTEGRITY"])
async def test_every_audit_answers_over_graphql(tiny_store: GraphStore, metric: str) -> None:
    result = await run(tiny_store, """query($m: AuditMetric!) {
        audit(metric: $m, groupBy: COMMUNITY) { metric eligible covered rate
          groups { code eligible covered }
          gaps(first: 500) { totalCount nodes { code reasons { code label } } } } }""",
                       m=metric)
    assert result.errors is None
    audit = result.data["audit"]
    assert audit["eligible"] > 0
    assert audit["gaps"]["totalCount"] == audit["eligible"] - audit["covered"]
    assert len(audit["gaps"]["nodes"]) == audit["gaps"]["totalCount"]
    assert all(gap["reasons"] for gap in audit["gaps"]["nodes"])


async def test_overview_has_every_audit(tiny_store: GraphStore) -> None:
    result = await run(tiny_store, "{ overview { metric title eligible covered gaps rate } }")
    assert result.errors is None
    rows = result.data["overview"]
    assert [r["metric"] for r in rows] == list(AUDITS)
    assert len(rows) == 18
    assert all(r["gaps"] == r["eligible"] - r["covered"] for r in rows)


SEARCH = """query($text: String!, $type: SearchType, $scope: String, $first: Int,
                  $after: String) {
  search(text: $text, type: $type, scope: $scope, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { __typename code name } } }"""


async def test_search_finds_chinese_substrings(tiny_store: GraphStore,
                                               tiny_rosters: Path) -> None:
    compound = _csv(tiny_rosters / "小区.csv")[0]
    fragment = compound[1][:2]
    names = [r for f in ("行政区划", "网格", "小区", "楼栋", "党组织", "单位", "人员")
             for r in _csv(tiny_rosters / f"{f}.csv") if fragment in r[1] or fragment in r[0]]
    result = await run(tiny_store, SEARCH, text=fragment, first=500)
    assert result.errors is None
    found = result.data["search"]
    assert found["totalCount"] == len(names)
    assert compound[0] in {n["code"] for n in found["nodes"]}
    places = await run(tiny_store, SEARCH, text=fragment, type="PLACE", first=500)
    assert {n["__typename"] for n in places.data["search"]["nodes"]} <= {
        "Region", "Grid", "Compound", "Building"}


async def test_search_pages_and_scope(tiny_store: GraphStore, tiny_rosters: Path) -> None:
    seen: list[str] = []
    after = None
    while True:
        result = await run(tiny_store, SEARCH, text="3713", type="PLACE", first=40,
                           after=after)
        page = result.data["search"]
        seen.extend(n["code"] for n in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen)
    assert len(seen) == page["totalCount"]
    communities = [r[0] for r in _csv(tiny_rosters / "行政区划.csv") if r[2] == "社区"]
    scoped = await run(tiny_store, SEARCH, text="3713", scope=communities[0], first=500)
    codes = [n["code"] for n in scoped.data["search"]["nodes"]]
    assert codes
    assert not any(c.startswith(communities[1]) for c in codes)  # the other community
    full_width = await run(tiny_store, SEARCH, text="３７１３", type="PLACE", first=1)
    assert full_width.data["search"]["totalCount"] == page["totalCount"]
    empty = await run(tiny_store, SEARCH, text="  ")
    assert empty.errors[0].extensions["code"] == "BAD_USER_INPUT"


async def test_control_characters_in_arguments_are_bad_input(tiny_store: GraphStore) -> None:
    result = await run(tiny_store, 'query($c: String!) { region(code: $c) { code } }',
                       c="37\x001327")
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"


def _rights(field: Any) -> list[str]:
    from strawberry.permission import PermissionExtension

    from schema.permissions import Needs

    return [str(p.right) for ext in field.extensions if isinstance(ext, PermissionExtension)
            for p in ext.permissions if isinstance(p, Needs)]


@pytest.mark.parametrize("root", ["Query", "Mutation"])
def test_every_root_field_declares_its_right(root: str) -> None:
    """A root field without a permission would be readable by any valid token (a loader's
    included): each names its right, and its description says which."""
    from schema.mutation import Mutation
    from schema.query import Query

    fields = {"Query": Query, "Mutation": Mutation}[root].__strawberry_definition__.fields
    assert fields
    for field in fields:
        rights = _rights(field)
        assert rights, f"{root}.{field.name} declares no right"
        assert f"Needs right `{rights[0]}`" in (field.description or ""), field.name


def test_personal_fields_declare_their_right() -> None:
    from schema.types import Person

    fields = {f.python_name: f for f in Person.__strawberry_definition__.fields}
    assert _rights(fields["phone"]) == ["pii:masked"]
    assert _rights(fields["id_masked"]) == ["pii:masked"]
