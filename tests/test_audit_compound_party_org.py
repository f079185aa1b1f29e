"""`compound-party-org` on a hand-built district where every figure and gap is known.

District D: street S1 (communities C1, C2), street S2 (communities C3, C4; C4 is empty).
X1 is covered by its own branch; X2 is not, although its grid G11 has a branch (a gap);
X3 and X5 are covered; X6 is covered twice (counted once); X4 is not covered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.graphql import build_schema
from graph.queries.audits import COMPOUND_PARTY_ORG
from graph.repo import audits as repo
from graph.store import GraphStore
from resolvers.access import OPERATOR
from resolvers.context import Context
from tests.conftest import shared_from_rosters
from tests.graphs import Graphs

ROSTERS: dict[str, list[list[object]]] = {
    "regions": [
        ["D", "莒南县", "区县", "", ""], ["S1", "十字路街道", "街道", "D", ""],
        ["S2", "隆山街道", "街道", "D", ""], ["C1", "阳光社区", "社区", "S1", ""],
        ["C2", "幸福社区", "社区", "S1", ""], ["C3", "和平社区", "社区", "S2", ""],
        ["C4", "锦绣社区", "社区", "S2", ""],
    ],
    "grids": [["G11", "阳光社区第1网格", "C1", "基础网格"], ["G12", "阳光社区第2网格", "C1", ""],
              ["G21", "幸福社区第1网格", "C2", ""], ["G31", "和平社区第1网格", "C3", ""]],
    "compounds": [
        ["X1", "阳光花园小区", "G11", "300", "是"], ["X2", "锦绣家园小区", "G11", "200", "否"],
        ["X3", "翠湖新村小区", "G12", "", ""], ["X4", "东方名苑小区", "G21", "", ""],
        ["X5", "龙湖华庭小区", "G31", "", ""], ["X6", "碧水雅居小区", "G31", "", ""],
    ],
    "buildings": [["X1B1", "阳光花园小区1号楼", "X1", "住宅", "40"]],
    "party_orgs": [
        ["PD", "中共莒南县委员会", "党委", "区域", "", "D", ""],
        ["PC1", "中共阳光社区委员会", "党委", "区域", "PD", "C1", ""],
        ["PG11", "阳光社区第1网格党支部", "党支部", "网格", "PC1", "G11", ""],
        ["PX1", "阳光花园小区党支部", "党支部", "小区", "PG11", "X1", ""],
        ["PX3", "翠湖新村小区党支部", "党支部", "小区", "PC1", "X3；X1B1", ""],
        ["PX5", "龙湖华庭小区党支部", "党支部", "小区", "PD", "X5、X6", ""],
        ["PX6", "碧水雅居小区党支部", "联合党支部", "小区", "PD", "X6", ""],
    ],
}


@pytest.fixture(scope="module")
async def audit_store(graphs: Graphs,
                      tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[GraphStore]:
    async with shared_from_rosters(graphs, "audit_store", tmp_path_factory.mktemp("cpo"),
                                   ROSTERS) as store:
        yield store


async def _groups(store: GraphStore, scope: str | None, group_by: str | None
                  ) -> tuple[tuple[int, int, float | None], list[tuple[Any, ...]]]:
    s = await repo.audit_summary(store, audit=COMPOUND_PARTY_ORG, scope=scope, group_by=group_by)
    return (s.eligible, s.covered, s.rate), [(g.code, g.eligible, g.covered, g.rate)
                                             for g in s.groups]


async def test_whole_district_by_street(audit_store: GraphStore) -> None:
    assert await _groups(audit_store, None, "street") == (
        (6, 4, 4 / 6), [("S1", 4, 2, 0.5), ("S2", 2, 2, 1.0)])


async def test_by_community_lists_empty_groups_with_null_rate(audit_store: GraphStore) -> None:
    assert await _groups(audit_store, None, "community") == ((6, 4, 4 / 6), [
        ("C1", 3, 2, 2 / 3), ("C2", 1, 0, 0.0), ("C3", 2, 2, 1.0), ("C4", 0, 0, None)])


async def test_by_grid(audit_store: GraphStore) -> None:
    assert (await _groups(audit_store, None, "grid"))[1] == [
        ("G11", 2, 1, 0.5), ("G12", 1, 1, 1.0), ("G21", 1, 0, 0.0), ("G31", 2, 2, 1.0)]


async def test_scopes(audit_store: GraphStore) -> None:
    assert await _groups(audit_store, "S2", "community") == (
        (2, 2, 1.0), [("C3", 2, 2, 1.0), ("C4", 0, 0, None)])
    assert await _groups(audit_store, "C4", None) == ((0, 0, None), [])
    assert await _groups(audit_store, "X2", None) == ((1, 0, 0.0), [])
    assert await _groups(audit_store, "G11", None) == ((2, 1, 0.5), [])


async def test_gaps_with_reason_community_and_street(audit_store: GraphStore) -> None:
    gaps = await repo.audit_gaps(audit_store, audit=COMPOUND_PARTY_ORG, scope=None,
                                 after=None, limit=100)
    assert [(g.code, g.community_code, g.street_code, g.reasons) for g in gaps] == [
        ("X2", "C1", "S1", ["no_party_org"]), ("X4", "C2", "S1", ["no_party_org"])]
    assert gaps[0].name == "锦绣家园小区"
    assert gaps[0].street_name == "十字路街道"
    page2 = await repo.audit_gaps(audit_store, audit=COMPOUND_PARTY_ORG, scope=None,
                                  after="X2", limit=1)
    assert [g.code for g in page2] == ["X4"]


QUERY = """
query Audit($scope: String, $groupBy: GroupLevel, $first: Int, $after: String) {
  audit(metric: COMPOUND_PARTY_ORG, scope: $scope, groupBy: $groupBy) {
    metric title scope eligible covered rate
    groups { code name eligible covered rate }
    gaps(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { code name communityName streetName reasons { code label labelEn } }
    }
  }
}"""


async def _run(store: GraphStore, **variables: Any) -> Any:
    return await build_schema().execute(QUERY, variable_values=variables,
                                          context_value=Context(store, caller=OPERATOR))


async def test_graphql_audit_for_one_street_with_gap_pages(audit_store: GraphStore) -> None:
    result = await _run(audit_store, scope="S1", groupBy="COMMUNITY", first=1)
    assert result.errors is None
    audit = result.data["audit"]
    assert (audit["metric"], audit["title"], audit["eligible"], audit["covered"],
            audit["rate"]) == ("compound-party-org", "小区党组织覆盖率", 4, 2, 0.5)
    assert [g["code"] for g in audit["groups"]] == ["C1", "C2"]
    gaps = audit["gaps"]
    assert gaps["totalCount"] == 2
    assert gaps["pageInfo"]["hasNextPage"] is True
    assert gaps["nodes"] == [{"code": "X2", "name": "锦绣家园小区", "communityName": "阳光社区",
                              "streetName": "十字路街道", "reasons": [{
                                  "code": "no_party_org", "label": "无党组织覆盖",
                                  "labelEn": "no party organization"}]}]
    after = gaps["pageInfo"]["endCursor"]
    nxt = await _run(audit_store, scope="S1", groupBy="COMMUNITY", first=1, after=after)
    assert [n["code"] for n in nxt.data["audit"]["gaps"]["nodes"]] == ["X4"]
    assert nxt.data["audit"]["gaps"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(("variables", "code"), [
    ({"scope": "NOPE"}, "NOT_FOUND"),
    ({"scope": "C1", "groupBy": "STREET"}, "BAD_USER_INPUT"),
    ({"scope": "G11", "groupBy": "COMMUNITY"}, "BAD_USER_INPUT"),
    ({"first": 501}, "BAD_USER_INPUT"),
])
async def test_graphql_audit_errors_carry_codes(audit_store: GraphStore,
                                                variables: dict[str, Any], code: str) -> None:
    result = await _run(audit_store, **variables)
    assert result.errors, variables
    assert result.errors[0].extensions["code"] == code


async def test_empty_scope_rate_is_null_not_an_error(audit_store: GraphStore) -> None:
    result = await _run(audit_store, scope="C4")
    assert result.errors is None
    assert (result.data["audit"]["eligible"], result.data["audit"]["rate"]) == (0, None)
    assert result.data["audit"]["gaps"]["totalCount"] == 0
