"""The audit catalogue on hand-built rosters whose figures and reasons are known, and on
rosters modeled on the seeds' own figures (seed 000 莒南, 001 云阳, 003 信阳)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from graph.backends.embedded import EmbeddedFalkorServer
from graph.backends.falkordb import FalkorStore
from graph.queries.audits import AUDITS
from graph.repo import audits as repo
from tests.conftest import graph_from_rosters

TODAY = "2026-01-01"
ENDED = "2020-12-31"


def person(code: str, status: str = "群众", org: str = "", employer: str = "",
           residence: str = "", member_status: str = "") -> list[str]:
    return [code, f"人员{code}", "", "", "", status, member_status, org, employer, residence]


EDGES: dict[str, list[list[object]]] = {
    "regions": [["D", "县", "区县", "", ""], ["S", "街道", "街道", "D", ""],
                ["C1", "一社区", "社区", "S", ""], ["C2", "二社区", "社区", "S", ""]],
    "grids": [["G1", "网格1", "C1", ""], ["G2", "网格2", "C1", ""], ["G3", "网格3", "C2", ""]],
    "compounds": [["X1", "阳光花园小区", "G1", "", "是"], ["X2", "锦绣家园小区", "G3", "", "否"],
                  ["X3", "和平新村小区", "G2", "", "是"], ["X4", "东方名苑小区", "G2", "", "是"]],
    "buildings": [["B1", "1号楼", "X1", "住宅", ""], ["B2", "2号楼", "X1", "住宅", ""],
                  ["B3", "3号楼", "X2", "住宅", ""]],
    "organizations": [
        ["E3", "三人企业", "非公企业", "G1", ""], ["E3B", "三人无支部企业", "非公企业", "G1", ""],
        ["E2", "两人企业", "非公企业", "G1", ""], ["E2P", "两正一预企业", "非公企业", "G1", ""],
        ["E0", "有指导员企业", "社会组织", "G1", ""], ["E0B", "空白企业", "社会组织", "G1", ""],
        ["PM", "万家物业", "物业服务企业", "S", ""], ["INS", "县医院", "机关事业单位", "D", ""],
        ["YX1", "阳光花园业委会", "业主委员会", "X1", "X1"],
        ["ZX2", "锦绣家园自管委", "自管委员会", "X2", "X2"],
        ["YX3", "和平新村业委会", "业主委员会", "X3", "X3"],
    ],
    "party_orgs": [
        ["PD", "县委", "党委", "区域", "", "D", ""],
        ["PC1", "一社区党委", "党委", "区域", "PD", "C1", ""],
        ["PE3", "三人企业党支部", "党支部", "非公企业", "PC1", "E3", ""],
        ["PJ", "联合党支部", "联合党支部", "非公企业", "PC1", "E2；E3B", ""],
        ["PS", "小支部", "党支部", "网格", "PC1", "G2", ""],
        ["PX1", "阳光花园党总支", "党总支", "小区", "PC1", "X1", ""],
        ["PB1", "1号楼党小组", "党小组", "楼栋", "PX1", "B1", ""],
        ["PX3", "和平新村党总支", "党总支", "小区", "PS", "X3", ""],
        ["PBAD", "越界党总支", "党总支", "小区", "PS", "X1", ""],
        ["PO", "孤立党总支", "党总支", "小区", "", "X4", ""],
    ],
    "people": [
        *(person(f"M3{i}", "中共党员", "PE3", "E3") for i in range(3)),
        *(person(f"M3B{i}", "中共党员", "PJ", "E3B") for i in range(3)),
        *(person(f"M2{i}", "中共党员", "PJ", "E2") for i in range(2)),
        person("M2P0", "中共党员", "PS", "E2P"), person("M2P1", "中共党员", "PS", "E2P"),
        person("M2P2", "中共预备党员", "PS", "E2P"),
        person("W1"), person("W2"), person("W3"), person("I1", "中共党员", "PC1"),
        person("K1"), person("K2"), person("SEC", "中共党员", "PC1"),
        # in-service members: correct registration, none, registered elsewhere
        person("H1", "中共党员", "PC1", residence="B1", member_status="在职党员"),
        person("H2", "中共党员", "PC1", residence="B2", member_status="在职党员"),
        person("H3", "中共党员", "PC1", residence="B3", member_status="在职党员"),
        person("H4", "中共党员", "PC1", residence="", member_status="在职党员"),
        person("SX"), person("S3"), person("C3"), person("HH"),
    ],
    "posts": [
        ["W1", "G1", "专职网格员", "2020-01-01", ""],
        ["W2", "G2", "专职网格员", "2019-01-01", ENDED],
        ["W3", "G2", "兼职网格员", "2020-01-01", ""],
        ["I1", "E0", "党建指导员", "2021-01-01", ""],
        ["K1", "B1", "楼长", "2020-01-01", ""],
        ["K2", "B2", "楼长", "2019-01-01", ENDED],
        ["SEC", "PC1", "书记", "2019-01-01", ENDED],
        ["M30", "PE3", "书记", "2020-01-01", ""],
        ["SX", "PX1", "书记", "2020-01-01", ""], ["SX", "YX1", "业委会主任", "2020-01-01", ""],
        ["S3", "PX3", "书记", "2020-01-01", ""], ["C3", "YX3", "业委会主任", "2020-01-01", ""],
        ["HH", "B2", "党员中心户", "2020-01-01", ""],
    ],
    "relations": [["H1", "双报到", "C1", ""], ["H3", "双报到", "C1", ""],
                  ["PM", "物业服务", "X1", ""], ["PM", "物业服务", "X3", ""],
                  ["PM", "物业服务", "X4", ""], ["INS", "结对共建", "X2", ""]],
}


@pytest.fixture(scope="module")
async def edge_store(falkor_server: EmbeddedFalkorServer,
                     tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FalkorStore]:
    async with graph_from_rosters(falkor_server, tmp_path_factory.mktemp("edges"),
                                  EDGES) as store:
        yield store


async def _gaps(store: FalkorStore, metric: str, scope: str | None = None
                ) -> dict[str, list[str]]:
    gaps = await repo.audit_gaps(store, audit=AUDITS[metric], scope=scope, after=None,
                                 limit=1000, today=TODAY)
    return {g.code: g.reasons for g in gaps}


async def _figures(store: FalkorStore, metric: str, scope: str | None = None
                   ) -> tuple[int, int]:
    s = await repo.audit_summary(store, audit=AUDITS[metric], scope=scope, group_by=None,
                                 today=TODAY)
    return s.eligible, s.covered


async def test_grid_workers_ended_and_part_time(edge_store: FalkorStore) -> None:
    assert await _figures(edge_store, "grid-worker") == (3, 1)
    assert await _gaps(edge_store, "grid-worker") == {
        "G2": ["only_part_time"], "G3": ["no_grid_worker"]}


async def test_two_new_organizations_by_member_count(edge_store: FalkorStore) -> None:
    assert await _figures(edge_store, "two-new-party-org") == (6, 3)
    assert await _gaps(edge_store, "two-new-party-org") == {
        "E0B": ["no_instructor_or_coverage"],
        "E2P": ["not_in_joint_branch"],  # 2 formal members + 1 probationary: 1–2 rule
        "E3B": ["should_form_own"],  # exactly 3 members, only in a joint branch
    }


async def test_branch_size_counts_formal_members_only(edge_store: FalkorStore) -> None:
    assert await _gaps(edge_store, "branch-size") == {"PS": ["too_few_members"]}


async def test_ended_posts_do_not_count(edge_store: FalkorStore) -> None:
    assert await _gaps(edge_store, "building-chief") == {
        "B2": ["no_building_chief"], "B3": ["no_building_chief"]}
    vacant = await _gaps(edge_store, "secretary-vacancy")
    assert vacant["PC1"] == ["secretary_vacant"]
    assert "PE3" not in vacant


async def test_dual_registration_by_residence_community(edge_store: FalkorStore) -> None:
    # H4 has no residence: not eligible. H3 lives in X2 (community C2) but registered in C1.
    assert await _figures(edge_store, "dual-registration") == (3, 1)
    assert await _gaps(edge_store, "dual-registration") == {
        "H2": ["not_registered"], "H3": ["registered_elsewhere"]}
    assert await _figures(edge_store, "dual-registration", scope="C2") == (1, 0)


async def test_three_no_and_pairing_reasons(edge_store: FalkorStore) -> None:
    # X2 has nothing of the three; an institution is paired with it (一包五帮)
    assert await _gaps(edge_store, "three-no-compound") == {"X2": [
        "no_property_company", "no_responsible_unit", "no_security", "paired_institution"]}


async def test_hierarchy_orphans_and_out_of_area(edge_store: FalkorStore) -> None:
    # PBAD sits under the branch of grid G2 but covers X1, which lies in G1
    assert await _gaps(edge_store, "hierarchy-integrity") == {
        "PBAD": ["covers_outside_parent"], "PO": ["orphan"]}
    assert await _figures(edge_store, "hierarchy-integrity") == (10, 8)


async def test_compound_management_and_committees(edge_store: FalkorStore) -> None:
    assert await _gaps(edge_store, "compound-property") == {"X2": ["no_property_company"]}
    # X2 is unmanaged with a self-management committee: covered; X4 is managed without one
    assert await _gaps(edge_store, "compound-owners-committee") == {
        "X4": ["no_owners_committee"]}
    assert await _gaps(edge_store, "compound-party-org") == {"X2": ["no_party_org"]}


async def test_grid_and_building_party_coverage(edge_store: FalkorStore) -> None:
    assert await _gaps(edge_store, "grid-party-org") == {
        "G1": ["no_party_org"], "G3": ["no_party_org"]}
    # B1: a party group covers it; B2: a current party-member household; B3: neither
    assert await _gaps(edge_store, "building-party-group") == {"B3": ["no_party_group"]}


async def test_cross_appointment_and_dual_role(edge_store: FalkorStore) -> None:
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


async def test_seed_000_junan_county(falkor_server: EmbeddedFalkorServer,
                                     tmp_path: Path) -> None:
    """23 communities, 301 grids, 148 compounds: property, owners' committees and compound
    party organizations all at 100%."""
    async with graph_from_rosters(falkor_server, tmp_path, _county(
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


async def test_seed_003_xinyang_committees(falkor_server: EmbeddedFalkorServer,
                                           tmp_path: Path) -> None:
    """3,800 compounds, 754 managed, 121 owners' committees and 1,466 self-management
    committees (placed on managed and unmanaged compounds respectively)."""
    async with graph_from_rosters(falkor_server, tmp_path, _county(
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


async def test_seed_001_yunyang_grids(falkor_server: EmbeddedFalkorServer,
                                      tmp_path: Path) -> None:
    """242 grids, every one with a party organization."""
    async with graph_from_rosters(falkor_server, tmp_path, _county(
            20, 242, 0, managed=0, owners=0, self_managed=0, compound_orgs=0,
            grid_orgs=242)) as store:
        s = await repo.audit_summary(store, audit=AUDITS["grid-party-org"], scope=None,
                                     group_by="community")
        assert (s.eligible, s.covered, s.rate) == (242, 242, 1.0)
