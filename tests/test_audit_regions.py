"""The region, pairing and red-property audits and the period figures (design/audits.md)
on hand-built rosters whose every figure is known (tests/regions.py), and on a roster
shaped like seed 004 (新城区: every street and community with a joint committee, 68
institutions paired with communities, 219 temporary branches)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.graphql import build_schema
from graph.domain import Label, PartyOrgKind
from graph.queries.audits import AUDITS
from graph.records import PostSpan
from graph.repo import audits as repo
from graph.store import GraphStore
from resolvers import periods
from resolvers.access import OPERATOR, Caller
from resolvers.context import Context
from tests.conftest import graph_from_rosters, shared_from_rosters
from tests.edges import TODAY
from tests.graphs import Graphs
from tests.regions import PERIOD, REGIONS
from tests.rosters import write_rosters

SCHEMA = build_schema(max_cost=10**12)


@pytest.fixture(scope="module")
async def regions_store(graphs: Graphs, tmp_path_factory: pytest.TempPathFactory
                        ) -> AsyncIterator[GraphStore]:
    async with shared_from_rosters(graphs, "regions_store", tmp_path_factory.mktemp("regions"),
                                   REGIONS) as s:
        yield s


async def _figures(store: GraphStore, metric: str, scope: str | None = None,
                   group_by: str | None = None) -> Any:
    s = await repo.audit_summary(store, audit=AUDITS[metric], scope=scope, group_by=group_by,
                                 today=TODAY)
    if group_by is None:
        return s.eligible, s.covered
    return [(g.code, g.eligible, g.covered) for g in s.groups]


async def _gaps(store: GraphStore, metric: str, scope: str | None = None) -> Any:
    gaps = await repo.audit_gaps(store, audit=AUDITS[metric], scope=scope, after=None,
                                 limit=100, today=TODAY)
    return {g.code: (g.reasons, g.community_code, g.street_code) for g in gaps}


# -- region-party-org ------------------------------------------------------------------------

async def test_streets_and_communities_covered_by_a_party_org(
        regions_store: GraphStore) -> None:
    assert await _figures(regions_store, "region-party-org") == (5, 3)
    assert await _gaps(regions_store, "region-party-org") == {
        "C2": (["no_party_org"], "C2", "S1"), "S2": (["no_party_org"], None, "S2")}
    # a street's group holds the street itself and its communities
    assert await _figures(regions_store, "region-party-org", group_by="street") == [
        ("S1", 3, 2), ("S2", 2, 1)]
    assert await _figures(regions_store, "region-party-org", group_by="community") == [
        ("C1", 1, 1), ("C2", 1, 0), ("C3", 1, 1)]
    assert await _figures(regions_store, "region-party-org", scope="S1") == (3, 2)
    assert await _figures(regions_store, "region-party-org", scope="C3") == (1, 1)
    assert await _figures(regions_store, "region-party-org", scope="G1") == (0, 0)


# -- community-pairing -----------------------------------------------------------------------

async def test_communities_paired_directly_or_through_a_place_inside(
        regions_store: GraphStore) -> None:
    # C1 directly, C3 through building B3 three levels down; a street's pairing (S2) does
    # not count for the communities in it
    assert await _figures(regions_store, "community-pairing") == (3, 2)
    assert await _gaps(regions_store, "community-pairing") == {
        "C2": (["no_paired_institution"], "C2", "S1")}
    assert await _figures(regions_store, "community-pairing", scope="S2") == (1, 1)
    assert await _figures(regions_store, "community-pairing", group_by="street") == [
        ("S1", 2, 1), ("S2", 1, 1)]


# -- property-party-org ----------------------------------------------------------------------

async def test_property_companies_by_party_org_or_member_manager(
        regions_store: GraphStore) -> None:
    # PM1 has a branch, PM2 a formal member as project manager; PM3's member manager left
    # (its current ones are probationary and not a member); PM5 has nothing; PM4 manages
    # no compound and is not eligible
    assert await _figures(regions_store, "property-party-org") == (4, 2)
    reason = ["no_party_org_or_member_manager"]
    # a company managing compounds in two streets is placed by the first of them
    assert await _gaps(regions_store, "property-party-org") == {
        "PM3": (reason, "C3", "S2"), "PM5": (reason, "C1", "S1")}
    # in scope where it manages a compound: PM5 counts in both streets
    assert await _figures(regions_store, "property-party-org", scope="S1") == (3, 2)
    assert await _figures(regions_store, "property-party-org", scope="S2") == (2, 0)
    assert await _figures(regions_store, "property-party-org", scope="X3") == (2, 0)
    assert await _figures(regions_store, "property-party-org", group_by="street") == [
        ("S1", 3, 2), ("S2", 1, 0)]


async def test_the_project_manager_rule_follows_today(regions_store: GraphStore) -> None:
    """On a day when M2 (a formal member) still managed PM3, PM3 was covered."""
    s = await repo.audit_summary(regions_store, audit=AUDITS["property-party-org"],
                                 scope="S2", group_by=None, today="2022-06-01")
    assert (s.eligible, s.covered) == (2, 1)


async def test_place_pages_list_the_new_audits_gaps(regions_store: GraphStore) -> None:
    pages = await repo.gaps_of_places(regions_store, place=Label.COMPOUND, codes=["X3", "X2"],
                                      limit=10, today=TODAY)
    x3 = {g.metric: sorted(x.code for x in g.gaps) for g in pages["X3"]}
    assert x3["property-party-org"] == ["PM3", "PM5"]
    assert "region-party-org" not in x3
    assert "community-pairing" not in x3
    assert "property-party-org" not in {g.metric for g in pages["X2"]}
    community = await repo.gaps_of_places(regions_store, place=Label.PLACE, codes=["C2"],
                                          limit=10, today=TODAY)
    found = {g.metric: [x.code for x in g.gaps] for g in community["C2"]}
    assert found["region-party-org"] == ["C2"]
    assert found["community-pairing"] == ["C2"]


# -- period figures --------------------------------------------------------------------------

def _span(org: str, person: str, start: str | None, end: str | None = None) -> PostSpan:
    return PostSpan(org, person, start, end)


def test_tenures_join_a_re_election_and_keep_a_successor_apart() -> None:
    found = periods.tenures([
        _span("O", "A", "2019-01-01", "2023-06-30"), _span("O", "B", "2023-07-01"),
        _span("P", "D", "2021-01-01", "2023-12-31"), _span("P", "D", "2024-01-01"),
        _span("Q", "E", "2020-01-01", "2020-12-31"), _span("Q", "E", "2022-01-01")])
    assert sorted((t.org, t.person, t.start, t.end) for t in found) == [
        ("O", "A", dt.date(2019, 1, 1), dt.date(2023, 6, 30)),
        ("O", "B", dt.date(2023, 7, 1), None),
        ("P", "D", dt.date(2021, 1, 1), None),  # followed on the next day: one tenure
        ("Q", "E", dt.date(2020, 1, 1), dt.date(2020, 12, 31)),  # a year's gap: two
        ("Q", "E", dt.date(2022, 1, 1), None)]


def test_appointed_and_replaced_count_period_edges() -> None:
    found = periods.tenures([
        _span("O", "A", "2019-01-01", "2023-01-01"),  # ends on the first day: replaced
        _span("O", "B", "2024-12-31"),  # begins on the last day: appointed
        _span("O", "C", "2022-12-31", "2025-01-01"),  # before and after: neither
        _span("O", "U", None, "2020-05-01")])  # start unknown, ended before: neither
    assert periods.count_changes(found, dt.date(2023, 1, 1), dt.date(2024, 12, 31)) == (1, 1)


async def test_secretaries_appointed_and_replaced(regions_store: GraphStore) -> None:
    start, end = (dt.date.fromisoformat(d) for d in PERIOD)

    async def changes(scope: str | None, category: str | None,
                      first: dt.date = start) -> tuple[int, int]:
        c = await periods.secretary_changes(regions_store, scope=scope, category=category,
                                            start=first, end=end)
        return c.appointed, c.replaced

    # compound branches: B re-fills A's post (PX1); C replaced and L appointed (PX2); D's
    # re-election (PX3) is neither; H begins after the period
    assert await changes(None, "compound") == (2, 2)
    assert await changes(None, None) == (3, 2)  # and G in grid branch PG1
    assert await changes("S1", None) == (3, 2)
    assert await changes("S2", "compound") == (0, 0)
    # D's second term begins in 2024 but follows on: not an appointment
    assert await changes(None, "compound", dt.date(2024, 1, 1)) == (1, 1)


async def test_party_orgs_by_kind(regions_store: GraphStore) -> None:
    async def kinds(scope: str | None) -> dict[str, int]:
        return {k.kind: k.count for k in await periods.party_org_kinds(regions_store,
                                                                       scope=scope)}

    everything = await kinds(None)
    assert list(everything) == [k.value for k in PartyOrgKind]  # every kind, in order
    assert {k: n for k, n in everything.items() if n} == {
        "working_committee": 1, "committee": 2, "branch": 5, "temporary_branch": 1}
    # by the audits' rule: orgs covering a place inside the scope or a unit located there
    assert {k: n for k, n in (await kinds("S1")).items() if n} == {
        "working_committee": 1, "committee": 1, "branch": 4, "temporary_branch": 1}
    assert {k: n for k, n in (await kinds("S2")).items() if n} == {"committee": 1, "branch": 1}


# -- GraphQL and the caller's jurisdiction ---------------------------------------------------

def _street_auditor(street: str) -> Caller:
    return Caller.of_roles(sub="t", name="审计员", roles=("auditor",), jurisdiction=street)


async def _run(store: GraphStore, query: str, caller: Caller = OPERATOR,
               **variables: Any) -> Any:
    return await SCHEMA.execute(query, variable_values=variables,
                                context_value=Context(store, caller=caller))


PERIOD_QUERY = """query($from: Date!, $to: Date!, $scope: String, $category: PartyOrgCategory) {
  partyOrgCounts(scope: $scope) { kind label count }
  secretaryChanges(from: $from, to: $to, scope: $scope, category: $category) {
    scope category from to appointed replaced } }"""


async def test_period_figures_through_graphql(regions_store: GraphStore) -> None:
    result = await _run(regions_store, PERIOD_QUERY, **{"from": PERIOD[0], "to": PERIOD[1]},
                        category="COMPOUND")
    assert result.errors is None
    counts = {c["kind"]: (c["label"], c["count"]) for c in result.data["partyOrgCounts"]}
    assert counts["TEMPORARY_BRANCH"] == ("临时党支部", 1)
    assert counts["GROUP"] == ("党小组", 0)
    assert result.data["secretaryChanges"] == {
        "scope": None, "category": "COMPOUND", "from": "2023-01-01", "to": "2024-12-31",
        "appointed": 2, "replaced": 2}


async def test_period_figures_stay_inside_the_jurisdiction(regions_store: GraphStore) -> None:
    result = await _run(regions_store, PERIOD_QUERY, _street_auditor("S2"),
                        **{"from": PERIOD[0], "to": PERIOD[1]})
    assert result.errors is None
    assert result.data["secretaryChanges"]["scope"] == "S2"
    assert (result.data["secretaryChanges"]["appointed"],
            result.data["secretaryChanges"]["replaced"]) == (0, 0)
    assert sum(c["count"] for c in result.data["partyOrgCounts"]) == 2
    outside = await _run(regions_store, PERIOD_QUERY, _street_auditor("S2"),
                         **{"from": PERIOD[0], "to": PERIOD[1]}, scope="S1")
    assert outside.data is None
    assert {e.extensions["code"] for e in outside.errors} == {"NOT_FOUND"}


async def test_new_audits_stay_inside_the_jurisdiction(regions_store: GraphStore) -> None:
    query = """query($m: AuditMetric!) { audit(metric: $m, groupBy: COMMUNITY) {
        scope eligible covered groups { code } gaps { nodes { code streetCode } } } }"""
    for metric, expected in (("REGION_PARTY_ORG", (3, 2, ["C1", "C2"], ["C2"])),
                             ("COMMUNITY_PAIRING", (2, 1, ["C1", "C2"], ["C2"])),
                             ("PROPERTY_PARTY_ORG", (3, 2, ["C1", "C2"], ["PM5"]))):
        result = await _run(regions_store, query, _street_auditor("S1"), m=metric)
        assert result.errors is None, metric
        audit = result.data["audit"]
        assert audit["scope"] == "S1"
        assert (audit["eligible"], audit["covered"], [g["code"] for g in audit["groups"]],
                [g["code"] for g in audit["gaps"]["nodes"]]) == expected, metric
        # the street is the caller's own: gaps name it; nothing outside it is listed
        assert {g["streetCode"] for g in audit["gaps"]["nodes"]} == {"S1"}


@pytest.mark.parametrize(("variables", "field"), [
    ({"from": "2024-12-31", "to": "2023-01-01"}, "from"),
    ({"from": "2023-02-30", "to": "2024-12-31"}, "from"),
    ({"from": "2023-01-01", "to": "soon"}, "to"),
])
async def test_a_bad_period_is_the_clients_mistake(regions_store: GraphStore,
                                                   variables: dict[str, str],
                                                   field: str) -> None:
    result = await _run(regions_store, PERIOD_QUERY, **variables)
    assert result.errors
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT", result.errors
    assert field in result.errors[0].message


# -- the command line ------------------------------------------------------------------------

def test_cli_lists_eighteen_audits_and_the_period_figures(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGCOVER_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    rosters = write_rosters(tmp_path / "r", REGIONS)
    assert runner.invoke(cli, ["load", str(rosters)]).exit_code == 0
    listed = runner.invoke(cli, ["audit", "--metric", "all", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert [r["metric"] for r in json.loads(listed.output)] == list(AUDITS)
    assert len(AUDITS) == 18
    period = ["--from", PERIOD[0], "--to", PERIOD[1], "--category", "小区"]
    found = runner.invoke(cli, ["audit", "--metric", "region-party-org", "--format", "json",
                                *period])
    assert found.exit_code == 0, found.output
    document = json.loads(found.output)
    assert [a["metric"] for a in document["audits"]] == ["region-party-org"]
    assert document["period"]["secretaries"] == {"category": "compound", "appointed": 2,
                                                 "replaced": 2}
    assert document["period"]["party_orgs"]["temporary_branch"] == 1
    table = runner.invoke(cli, ["audit", "--metric", "community-pairing", *period])
    assert "书记选配 2023-01-01 至 2024-12-31（小区） 2" in table.output
    assert "书记调整撤换 2023-01-01 至 2024-12-31（小区） 2" in table.output
    out = tmp_path / "audit.xlsx"
    assert runner.invoke(cli, ["audit", "--metric", "property-party-org", "--format", "xlsx",
                               "--output", str(out), *period]).exit_code == 0
    from openpyxl import load_workbook

    sheet = load_workbook(out)["期间数据"]
    rows = {(r[0], r[1]): r[2] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[("党组织数量", "临时党支部")] == 1
    assert rows[("书记调整撤换", "2023-01-01 至 2024-12-31（小区）")] == 2
    for args, message in ((["--to", "2024-01-01"], "need --from"),
                          (["--from", "2024-13-01"], "--from must be a date"),
                          (["--from", "2024-01-01", "--to", "2023-01-01"], "is after"),
                          (["--from", "2024-01-01", "--category", "食堂"], "--category")):
        failed = runner.invoke(cli, ["audit", *args])
        assert failed.exit_code == 2, args
        assert message in failed.output, (args, failed.output)


# -- seed 004: 新城区 ------------------------------------------------------------------------

def _xincheng() -> dict[str, list[list[object]]]:
    """8 streets and 53 communities, each with a joint committee (联合党工委 / 联合党委);
    68 institutions paired with communities; 219 temporary branches."""
    streets = [f"S{i}" for i in range(8)]
    communities = [f"C{i:02d}" for i in range(53)]
    regions: list[list[object]] = [["D", "新城区", "区县", "", ""]]
    regions += [[s, f"街道{s}", "街道", "D", ""] for s in streets]
    regions += [[c, f"社区{c}", "社区", streets[i % 8], ""] for i, c in enumerate(communities)]
    party: list[list[object]] = [["PD", "区委", "党委", "区域", "", "D", ""]]
    party += [[f"P{s}", f"{s}联合党工委", "党工委", "区域", "PD", s, ""] for s in streets]
    party += [[f"P{c}", f"{c}联合党委", "党委", "区域", f"PS{i % 8}", c, ""]
              for i, c in enumerate(communities)]
    party += [[f"T{i:03d}", f"临时党支部{i}", "临时党支部", "功能型", f"P{communities[i % 53]}",
               communities[i % 53], ""] for i in range(219)]
    institutions = [[f"I{i:02d}", f"驻区单位{i}", "机关事业单位", "D", ""] for i in range(68)]
    relations = [[f"I{i:02d}", "结对共建", communities[i % 53], ""] for i in range(68)]
    return {"regions": regions, "party_orgs": party, "organizations": institutions,
            "relations": relations}


async def test_seed_004_xincheng_every_street_and_community(graphs: Graphs,
                                                           tmp_path: Path) -> None:
    async with graph_from_rosters(graphs, tmp_path, _xincheng()) as store:
        region = await repo.audit_summary(store, audit=AUDITS["region-party-org"], scope=None,
                                          group_by="street")
        assert (region.eligible, region.covered, region.rate) == (61, 61, 1.0)
        assert len(region.groups) == 8
        pairing = await repo.audit_summary(store, audit=AUDITS["community-pairing"],
                                           scope=None, group_by=None)
        assert (pairing.eligible, pairing.covered) == (53, 53)
        kinds = {k.kind: k.count for k in await periods.party_org_kinds(store, scope=None)}
        assert kinds["temporary_branch"] == 219
        assert kinds["working_committee"] == 8
