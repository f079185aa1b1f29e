"""The audit catalogue on hand-built rosters whose figures and reasons are known, and on
rosters modeled on the seeds' own figures (seed 000 莒南, 001 云阳, 003 信阳)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.queries.audits import AUDITS
from graph.repo import audits as repo
from graph.store import GraphStore
from tests.conftest import graph_from_rosters
from tests.edges import TODAY
from tests.graphs import Graphs


async def _gaps(store: GraphStore, metric: str, scope: str | None = None
                ) -> dict[str, list[str]]:
    gaps = await repo.audit_gaps(store, audit=AUDITS[metric], scope=scope, after=None,
                                 limit=1000, today=TODAY)
    return {g.code: g.reasons for g in gaps}


async def _figures(store: GraphStore, metric: str, scope: str | None = None
                   ) -> tuple[int, int]:
    s = await repo.audit_summary(store, audit=AUDITS[metric], scope=scope, group_by=None,
                                 today=TODAY)
    return s.eligible, s.covered


async def test_grid_workers_ended_and_part_time(edge_store: GraphStore) -> None:
    assert await _figures(edge_store, "grid-worker") == (3, 1)
    assert await _gaps(edge_store, "grid-worker") == {
        "G2": ["only_part_time"], "G3": ["no_grid_worker"]}


async def test_two_new_organizations_by_member_count(edge_store: GraphStore) -> None:
    assert await _figures(edge_store, "two-new-party-org") == (6, 3)
    assert await _gaps(edge_store, "two-new-party-org") == {
        "E0B": ["no_instructor_or_coverage"],
        "E2P": ["not_in_joint_branch"],  # 2 formal members + 1 probationary: 1–2 rule
        "E3B": ["should_form_own"],  # exactly 3 members, only in a joint branch
    }


async def test_branch_size_counts_formal_members_only(edge_store: GraphStore) -> None:
    assert await _gaps(edge_store, "branch-size") == {"PS": ["too_few_members"]}


async def test_ended_posts_do_not_count(edge_store: GraphStore) -> None:
    assert await _gaps(edge_store, "building-chief") == {
        "B2": ["no_building_chief"], "B3": ["no_building_chief"]}
    vacant = await _gaps(edge_store, "secretary-vacancy")
    assert vacant["PC1"] == ["secretary_vacant"]
    assert "PE3" not in vacant


async def test_dual_registration_by_residence_community(edge_store: GraphStore) -> None:
    # H4 has no residence: not eligible. H3 lives in X2 (community C2) but registered in C1.
    assert await _figures(edge_store, "dual-registration") == (3, 1)
    assert await _gaps(edge_store, "dual-registration") == {
        "H2": ["not_registered"], "H3": ["registered_elsewhere"]}
    assert await _figures(edge_store, "dual-registration", scope="C2") == (1, 0)


async def test_three_no_and_pairing_reasons(edge_store: GraphStore) -> None:
    # X2 has nothing of the three; an institution is paired with it (一包五帮)
    assert await _gaps(edge_store, "three-no-compound") == {"X2": [
        "no_property_company", "no_responsible_unit", "no_security", "paired_institution"]}


async def test_hierarchy_orphans_and_out_of_area(edge_store: GraphStore) -> None:
    # PBAD sits under the branch of grid G2 but covers X1, which lies in G1
    assert await _gaps(edge_store, "hierarchy-integrity") == {
        "PBAD": ["covers_outside_parent"], "PO": ["orphan"]}
    assert await _figures(edge_store, "hierarchy-integrity") == (10, 8)


async def test_compound_management_and_committees(edge_store: GraphStore) -> None:
    assert await _gaps(edge_store, "compound-property") == {"X2": ["no_property_company"]}
    # X2 is unmanaged with a self-management committee: covered; X4 is managed without one
    assert await _gaps(edge_store, "compound-owners-committee") == {
        "X4": ["no_owners_committee"]}
    assert await _gaps(edge_store, "compound-party-org") == {"X2": ["no_party_org"]}


async def test_grid_and_building_party_coverage(edge_store: GraphStore) -> None:
    assert await _gaps(edge_store, "grid-party-org") == {
        "G1": ["no_party_org"], "G3": ["no_party_org"]}
    # B1: a party group covers it; B2: a current party-member household; B3: neither
    assert await _gaps(edge_store, "building-party-group") == {"B3": ["no_party_group"]}


async def test_cross_appointment_and_dual_role(edge_store: GraphStore) -> None:
    # eligible: compounds with a covering party org and a property company or owners'
    # committee — X1 (SX is secretary and owners' chair), X3 (different people), X4 (PO
    # covers it, PM manages it, nobody holds posts on both sides)
    assert await _figures(edge_store, "cross-appointment") == (3, 1)
    assert await _gaps(edge_store, "cross-appointment") == {
        "X3": ["no_cross_appointment"], "X4": ["no_cross_appointment"]}
    assert await _figures(edge_store, "dual-role") == (2, 1)
    assert await _gaps(edge_store, "dual-role") == {"X3": ["different_people"]}


# -- rosters modeled on the seeds --------------------------------------------------------


def _county(communities: int, grids: int, compounds: int, *, managed: int, owners: int,
            self_managed: int, compound_orgs: int, grid_orgs: int) -> dict[str, list[list[object]]]:
    """A county shaped by a seed's figures: grids and compounds spread over communities."""
    regions: list[list[object]] = [["D", "县", "区县", "", ""], ["S", "街道", "街道", "D", ""]]
    regions += [[f"C{i:03d}", f"社区{i}", "社区", "S", ""] for i in range(communities)]
    grid_rows = [[f"G{i:04d}", f"网格{i}", f"C{i % communities:03d}", ""] for i in range(grids)]
    compound_rows = [[f"X{i:04d}", f"小区{i}", f"G{i % grids:04d}", "", "是"]
                     for i in range(compounds)]
    orgs: list[list[object]] = [["PM", "物业公司", "物业服务企业", "D", ""]]
    orgs += [[f"Y{i:04d}", f"业委会{i}", "业主委员会", "", f"X{i:04d}"] for i in range(owners)]
    orgs += [[f"Z{i:04d}", f"自管委{i}", "自管委员会", "", f"X{managed + i:04d}"]
             for i in range(self_managed)]
    party: list[list[object]] = [["PD", "县委", "党委", "区域", "", "D", ""]]
    party += [[f"PG{i:04d}", f"网格党支部{i}", "党支部", "网格", "PD", f"G{i:04d}", ""]
              for i in range(grid_orgs)]
    party += [[f"PX{i:04d}", f"小区党支部{i}", "党支部", "小区", "PD", f"X{i:04d}", ""]
              for i in range(compound_orgs)]
    relations = [["PM", "物业服务", f"X{i:04d}", ""] for i in range(managed)]
    return {"regions": regions, "grids": grid_rows, "compounds": compound_rows,
            "organizations": orgs, "party_orgs": party, "relations": relations}


async def test_seed_000_junan_county(graphs: Graphs,
                                     tmp_path: Path) -> None:
    """23 communities, 301 grids, 148 compounds: property, owners' committees and compound
    party organizations all at 100%."""
    async with graph_from_rosters(graphs, tmp_path, _county(
            23, 301, 148, managed=148, owners=148, self_managed=0, compound_orgs=148,
            grid_orgs=301)) as store:
        for metric in ("compound-property", "compound-owners-committee", "compound-party-org"):
            s = await repo.audit_summary(store, audit=AUDITS[metric], scope=None,
                                         group_by="community")
            assert (s.eligible, s.covered, s.rate) == (148, 148, 1.0), metric
            assert len(s.groups) == 23
        grids = await repo.audit_summary(store, audit=AUDITS["grid-party-org"], scope=None,
                                         group_by=None)
        assert (grids.eligible, grids.rate) == (301, 1.0)


async def test_seed_003_xinyang_committees(graphs: Graphs,
                                           tmp_path: Path) -> None:
    """3,800 compounds, 754 managed, 121 owners' committees and 1,466 self-management
    committees (placed on managed and unmanaged compounds respectively)."""
    async with graph_from_rosters(graphs, tmp_path, _county(
            40, 400, 3800, managed=754, owners=121, self_managed=1466, compound_orgs=0,
            grid_orgs=0)) as store:
        prop = await repo.audit_summary(store, audit=AUDITS["compound-property"], scope=None,
                                        group_by=None)
        assert (prop.eligible, prop.covered) == (3800, 754)
        committees = await repo.audit_summary(store, audit=AUDITS["compound-owners-committee"],
                                              scope=None, group_by=None)
        assert (committees.eligible, committees.covered) == (3800, 121 + 1466)
        gaps = await repo.audit_gaps(store, audit=AUDITS["compound-owners-committee"],
                                     scope=None, after=None, limit=5000)
        reasons = {tuple(g.reasons) for g in gaps}
        assert reasons == {("no_owners_committee",), ("no_committee",)}
        assert len(gaps) == 3800 - 1587


async def test_seed_001_yunyang_grids(graphs: Graphs,
                                      tmp_path: Path) -> None:
    """242 grids, every one with a party organization."""
    async with graph_from_rosters(graphs, tmp_path, _county(
            20, 242, 0, managed=0, owners=0, self_managed=0, compound_orgs=0,
            grid_orgs=242)) as store:
        s = await repo.audit_summary(store, audit=AUDITS["grid-party-org"], scope=None,
                                     group_by="community")
        assert (s.eligible, s.covered, s.rate) == (242, 242, 1.0)


async def _fast_equals_defined(store: GraphStore, top: str, metric: str,
                               group_by: str | None) -> None:
    fast, defined = [await repo.audit_summary(store, audit=AUDITS[metric], scope=s,
                                              group_by=group_by, today=TODAY)
                     for s in (None, top)]
    assert fast.eligible > 0
    assert (fast.eligible, fast.covered) == (defined.eligible, defined.covered)
    assert [(g.code, g.eligible, g.covered) for g in fast.groups] == [
        (g.code, g.eligible, g.covered) for g in defined.groups]


FAST = [m for m, a in AUDITS.items() if a.totals_from_places]


@pytest.mark.parametrize("group_by", [None, "street", "community", "grid"])
@pytest.mark.parametrize("metric", FAST)
async def test_faster_whole_graph_totals_equal_the_definition(
        edge_store: GraphStore, metric: str, group_by: str | None) -> None:
    """An audit's whole-graph shortcut gives the figures of its definition, which runs
    when a scope is given (the top region's scope covers the same graph); one graph per
    test, so the check runs on a single-database Neo4j too."""
    await _fast_equals_defined(edge_store, "D", metric, group_by)


@pytest.mark.parametrize("group_by", [None, "street", "community", "grid"])
@pytest.mark.parametrize("metric", FAST)
async def test_faster_whole_graph_totals_equal_the_definition_on_the_tiny_district(
        tiny_store: GraphStore, metric: str, group_by: str | None) -> None:
    await _fast_equals_defined(tiny_store, "371327", metric, group_by)


NEO4J_FORMS = [m for m, a in AUDITS.items() if a.coverage_neo4j]


@pytest.mark.parametrize("scope", [None, "371327"])
@pytest.mark.parametrize("group_by", [None, "street", "community", "grid"])
@pytest.mark.parametrize("metric", NEO4J_FORMS)
async def test_totals_of_an_audit_with_a_neo4j_form_match_its_gaps(
        tiny_store: GraphStore, metric: str, group_by: str | None, scope: str | None) -> None:
    """The totals run an audit's `coverage_neo4j` on Neo4j (`make test-neo4j`), the gap
    list its portable coverage everywhere: both count the same gaps."""
    s = await repo.audit_summary(tiny_store, audit=AUDITS[metric], scope=scope,
                                 group_by=group_by, today=TODAY)
    gaps = await _gaps(tiny_store, metric, scope)
    assert s.eligible > s.covered > 0
    assert s.eligible - s.covered == len(gaps)  # summed over the groups, unplaced ones too
