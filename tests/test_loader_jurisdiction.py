"""Loads bound to a jurisdiction (loaders/jurisdiction.py): a row inside passes, a row that
would create or change anything outside is `outside_jurisdiction` on the right file, row,
column and value, and nothing is written.

Most cases run against one small base graph of two streets (S1, the jurisdiction, and S2)
as dry runs, which check everything and write nothing, so the base stays as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from graph.errors import NotFound
from graph.repo.load import count_graph
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.report import LoadReport, RosterInvalid, RosterProblem
from loaders.synthetic import Scale, generate, write_csv
from loaders.templates import TEMPLATES
from tests.conftest import shared_from_rosters
from tests.graphs import Graphs
from tests.rosters import write_rosters

J = "S1"
TEMPLATE = {t.key: t for t in TEMPLATES}


def person(code: str, org: str = "", employer: str = "", residence: str = "",
           name: str | None = None) -> list[str]:
    status = "中共党员" if org else "群众"
    return [code, name or f"人员{code}", "", "", "", status, "", org, employer, residence]


BASE: dict[str, list[list[object]]] = {
    "regions": [["D", "县", "区县", "", ""], ["S1", "一街道", "街道", "D", ""],
                ["S2", "二街道", "街道", "D", ""], ["C1", "一社区", "社区", "S1", ""],
                ["C2", "二社区", "社区", "S2", ""]],
    "grids": [["G1", "网格1", "C1", ""], ["G2", "网格2", "C2", ""]],
    "compounds": [["X1", "一小区", "G1", "", ""], ["X2", "二小区", "G2", "", ""]],
    "buildings": [["B1", "1号楼", "X1", "住宅", ""], ["B2", "2号楼", "X2", "住宅", ""]],
    "organizations": [["E1", "一企业", "非公企业", "G1", ""],
                      ["E2", "二企业", "非公企业", "G2", ""],
                      ["PM1", "一物业", "物业服务企业", "S1", ""],
                      ["PM2", "二物业", "物业服务企业", "S2", ""],
                      ["Y1", "一业委会", "业主委员会", "X1", "X1"]],
    "party_orgs": [["PD", "县委", "党委", "区域", "", "D", ""],
                   ["P1", "一街道党工委", "党工委", "区域", "PD", "S1", ""],
                   ["P2", "二街道党工委", "党工委", "区域", "PD", "S2", ""],
                   ["PE2", "二企业党支部", "党支部", "非公企业", "P2", "E2", ""]],
    "people": [person("H1", residence="B1"), person("H2", residence="B2"),
               person("M1", "P1"), person("M2", "P2"), person("W1"), person("W2")],
    "posts": [["W1", "G1", "专职网格员", "2020-01-01", ""],
              ["W2", "G2", "专职网格员", "2020-01-01", ""], ["H1", "B1", "楼长", "", ""]],
    "relations": [["PM1", "物业服务", "X1", ""], ["PM2", "物业服务", "X2", ""],
                  ["H1", "双报到", "C1", ""]],
}

#: (template, row, column key, value) of an expected problem.
Expected = tuple[str, int, str, str]


def where(problem: RosterProblem) -> tuple[str | None, int | None, str | None, str | None]:
    return problem.file, problem.row, problem.column, problem.value


def at(template: str, row: int, column: str, value: str) -> tuple[str, int, str, str]:
    """Where a problem shows: the file, Excel row, column header as the sender sees them."""
    t = TEMPLATE[template]
    header = next(c.zh for c in t.columns if c.key == column)
    return f"{t.zh}.csv", row, header, value


@pytest.fixture(scope="module")
async def base(graphs: Graphs,
               tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[GraphStore]:
    async with shared_from_rosters(graphs, "base", tmp_path_factory.mktemp("base"),
                                   BASE) as store:
        yield store


async def _load(store: GraphStore, folder: Path, tables: dict[str, list[list[object]]],
                **options: Any) -> LoadReport:
    rosters = write_rosters(folder / uuid.uuid4().hex, tables)
    return await load_rosters(store, [rosters], protector=IdProtector(None), **options)


async def _refused(store: GraphStore, folder: Path, tables: dict[str, list[list[object]]],
                   **options: Any) -> LoadReport:
    """The load fails and the graph is exactly as before."""
    before = await count_graph(store)
    with pytest.raises(RosterInvalid) as caught:
        await _load(store, folder, tables, **options)
    assert await count_graph(store) == before
    return caught.value.report


def _outside(report: LoadReport) -> list[tuple[str | None, int | None, str | None,
                                               str | None]]:
    """Where the rows outside were refused: their own code `outside_jurisdiction`, a
    reference to a code only the graph has outside worded as a missing code."""
    assert all(p.key in ("outside_jurisdiction", "ref_missing") for p in report.errors), \
        report.errors
    return sorted(where(p) for p in report.errors)


CASES: list[tuple[str, dict[str, list[list[object]]], list[Expected]]] = [
    # places: the parent lies inside
    ("community", {"regions": [["C3", "三社区", "社区", "S1", ""]]}, []),
    ("community-elsewhere", {"regions": [["C4", "四社区", "社区", "S2", ""]]},
     [("regions", 2, "parent_code", "S2")]),
    ("another-district", {"regions": [["D9", "另一县", "区县", "", ""]]},
     [("regions", 2, "code", "D9")]),
    ("another-district-under-no-place", {"regions": [["D8", "另一县", "区县", "ZZZ", ""]]},
     [("regions", 2, "code", "D8")]),
    ("jurisdiction-renamed", {"regions": [["S1", "一街道（新）", "街道", "D", ""]]}, []),
    ("jurisdiction-moved", {"regions": [["D9", "另一县", "区县", "", ""],
                                        ["S1", "一街道", "街道", "D9", ""]]},
     [("regions", 2, "code", "D9"), ("regions", 3, "parent_code", "D9")]),
    ("grid", {"grids": [["G3", "网格3", "C1", ""]]}, []),
    ("grid-elsewhere", {"grids": [["G4", "网格4", "C2", ""]]},
     [("grids", 2, "community_code", "C2")]),
    ("compound", {"compounds": [["X3", "三小区", "G1", "", ""]]}, []),
    ("compound-elsewhere", {"compounds": [["X4", "四小区", "G2", "", ""]]},
     [("compounds", 2, "grid_code", "G2")]),
    ("building", {"buildings": [["B3", "3号楼", "X1", "住宅", ""]]}, []),
    ("building-elsewhere", {"buildings": [["B4", "商务楼", "G2", "商务楼宇", ""]]},
     [("buildings", 2, "parent_code", "G2")]),
    # organizations: location and served compound inside, at least one
    ("organization", {"organizations": [["E3", "三企业", "非公企业", "G1", ""]]}, []),
    ("committee-serving-only", {"organizations": [["Y3", "三业委会", "业主委员会", "", "X1"]]},
     []),
    ("organization-elsewhere", {"organizations": [["E4", "四企业", "非公企业", "G2", ""]]},
     [("organizations", 2, "location_code", "G2")]),
    ("committee-serving-elsewhere",
     {"organizations": [["Y4", "四业委会", "业主委员会", "G1", "X2"]]},
     [("organizations", 2, "compound_code", "X2")]),
    ("organization-nowhere", {"organizations": [["E5", "五企业", "非公企业", "", ""]]},
     [("organizations", 2, "code", "E5")]),
    # party orgs: everything covered inside, something covered, the parent inside (or the
    # one the graph already gives it)
    ("party-org", {"party_orgs": [["PX1", "一小区党支部", "党支部", "小区", "P1", "X1", ""]]},
     []),
    ("party-org-under-the-district",
     {"party_orgs": [["PX9", "一小区党支部", "党支部", "小区", "PD", "X1", ""]]},
     [("party_orgs", 2, "parent_code", "PD")]),
    ("working-committee-keeps-its-parent",
     {"party_orgs": [["P1", "一街道党工委（新）", "党工委", "区域", "PD", "S1", ""]]}, []),
    ("party-org-of-a-unit", {"party_orgs": [["PE1", "一企业党支部", "党支部", "非公企业", "P1",
                                             "E1", ""]]}, []),
    ("party-org-covering-elsewhere",
     {"party_orgs": [["PX2", "党支部", "党支部", "小区", "P1", "X1；X2", ""]]},
     [("party_orgs", 2, "covers", "X2")]),
    ("party-org-of-a-unit-elsewhere",
     {"party_orgs": [["PE4", "党支部", "党支部", "非公企业", "P1", "E2", ""]]},
     [("party_orgs", 2, "covers", "E2")]),
    ("party-org-covering-nothing",
     {"party_orgs": [["PN", "无覆盖党支部", "党支部", "", "P1", "", ""]]},
     [("party_orgs", 2, "code", "PN")]),
    # people: residence, party org and employer inside; without a residence the party org
    # places them; else posts
    ("resident", {"people": [person("H3", residence="B1")]}, []),
    ("resident-member-elsewhere", {"people": [person("H4", "P2", residence="X1")]},
     [("people", 2, "party_org_code", "P2")]),
    ("resident-employed-elsewhere", {"people": [person("H6", employer="E2", residence="X1")]},
     [("people", 2, "employer_code", "E2")]),
    ("resident-elsewhere", {"people": [person("H5", "P1", residence="B2")]},
     [("people", 2, "residence_code", "B2")]),
    ("member", {"people": [person("M3", "P1")]}, []),
    ("member-elsewhere-employed-inside", {"people": [person("M4", "P2", "E1")]},
     [("people", 2, "party_org_code", "P2")]),
    ("member-and-employee-elsewhere", {"people": [person("M5", "P2", "E2")]},
     [("people", 2, "party_org_code", "P2"), ("people", 2, "employer_code", "E2")]),
    ("member-of-a-unit-branch-elsewhere", {"people": [person("M7", "PE2")]},
     [("people", 2, "party_org_code", "PE2")]),
    ("placed-by-a-post", {"people": [person("W3")],
                          "posts": [["W3", "G1", "兼职网格员", "", ""]]}, []),
    ("placed-by-nothing", {"people": [person("W4")]}, [("people", 2, "code", "W4")]),
    ("placed-by-a-post-elsewhere", {"people": [person("W5")],
                                    "posts": [["W5", "G2", "兼职网格员", "", ""]]},
     [("people", 2, "code", "W5"), ("posts", 2, "target_code", "G2")]),
    ("placed-by-the-graph", {"people": [person("W1", name="王五")]}, []),
    # nodes the graph has outside: neither rewritten nor pulled in
    ("placed-by-the-graph-elsewhere", {"people": [person("W2", name="赵六")]},
     [("people", 2, "code", "W2")]),
    ("resident-pulled-in", {"people": [person("H2", residence="B1")]},
     [("people", 2, "code", "H2")]),
    ("compound-renamed-elsewhere", {"compounds": [["X2", "二小区（新）", "G2", "", ""]]},
     [("compounds", 2, "code", "X2"), ("compounds", 2, "grid_code", "G2")]),
    ("compound-pulled-in", {"compounds": [["X2", "二小区", "G1", "", ""]]},
     [("compounds", 2, "code", "X2")]),
    ("organization-pulled-in", {"organizations": [["E2", "二企业", "非公企业", "G1", ""]]},
     [("organizations", 2, "code", "E2")]),
    ("party-org-pulled-in",
     {"party_orgs": [["P2", "二街道党工委", "党工委", "区域", "PD", "S1", ""]]},
     [("party_orgs", 2, "code", "P2")]),
    # posts and relations: both ends inside
    ("post", {"posts": [["H1", "G1", "兼职网格员", "2021-01-01", ""]]}, []),
    ("post-elsewhere", {"posts": [["H1", "G2", "兼职网格员", "", ""]]},
     [("posts", 2, "target_code", "G2")]),
    ("post-of-someone-elsewhere", {"posts": [["H2", "G1", "兼职网格员", "", ""]]},
     [("posts", 2, "person_code", "H2")]),
    ("post-in-a-party-org-elsewhere", {"posts": [["M1", "P2", "委员", "", ""]]},
     [("posts", 2, "target_code", "P2")]),
    ("post-in-a-refused-party-org",
     {"party_orgs": [["PN", "无覆盖党支部", "党支部", "", "P1", "", ""]],
      "posts": [["M1", "PN", "委员", "", ""]]},
     [("party_orgs", 2, "code", "PN"), ("posts", 2, "target_code", "PN")]),
    ("relation", {"relations": [["PM1", "物业服务", "X1", "2021-01-01"]]}, []),
    ("relation-to-elsewhere", {"relations": [["PM1", "物业服务", "X2", ""]]},
     [("relations", 2, "to_code", "X2")]),
    ("relation-from-elsewhere", {"relations": [["PM2", "物业服务", "X1", ""]]},
     [("relations", 2, "from_code", "PM2")]),
    ("registration-of-someone-elsewhere", {"relations": [["H2", "双报到", "C1", ""]]},
     [("relations", 2, "from_code", "H2")]),
]


@pytest.mark.parametrize(("tables", "expected"), [(t, e) for _, t, e in CASES],
                         ids=[name for name, _, _ in CASES])
async def test_rows_inside_pass_and_rows_outside_fail(
        base: GraphStore, tmp_path: Path, tables: dict[str, list[list[object]]],
        expected: list[Expected]) -> None:
    if not expected:
        report = await _load(base, tmp_path, tables, jurisdiction=J, dry_run=True)
        assert not report.errors
        return
    report = await _refused(base, tmp_path, tables, jurisdiction=J, dry_run=True)
    assert _outside(report) == sorted(at(*e) for e in expected)
    named = {str(row[0]) for template, rows in tables.items() for row in rows
             if template not in ("posts", "relations")}
    for problem in report.errors:
        template = next(t for t in TEMPLATES if f"{t.zh}.csv" == problem.file)
        own = any(c.key == "code" and c.zh == problem.column for c in template.columns)
        if own or problem.value in named:  # a row's own code, or one this load defines
            assert problem.key == "outside_jurisdiction", problem
            assert problem.text("en") == (f"outside your jurisdiction ({problem.params['code']}"
                                          f" is not inside {J})")
            assert problem.text("zh") == f"超出管辖范围（{problem.params['code']} 不在 {J} 内）"
        else:  # a code only the graph has, outside: to this loader it does not exist
            assert problem.key == "ref_missing", problem
            assert problem.text("en").endswith("in this load or the graph"), problem
    # the same rows without a jurisdiction: an operator may
    assert not (await _load(base, tmp_path, tables, dry_run=True)).errors


async def test_new_places_under_new_places_inside(store: GraphStore, tmp_path: Path) -> None:
    """Where a new place lies follows the load's own rows: a compound under a new grid of a
    new community of the jurisdiction is inside (and written); the same chain under another
    street is outside at every link."""
    await _load(store, tmp_path, BASE)
    chain = {"regions": [["C5", "五社区", "社区", "S1", ""]], "grids": [["G5", "网格5", "C5", ""]],
             "compounds": [["X5", "五小区", "G5", "", ""]],
             "buildings": [["B5", "5号楼", "X5", "住宅", ""]],
             "people": [person("H5", residence="B5")]}
    report = await _load(store, tmp_path, chain, jurisdiction=J)
    assert not report.errors
    assert all(c.created == c.rows == 1 for c in report.counts.values())
    elsewhere = {"regions": [["C6", "六社区", "社区", "S2", ""]],
                 "grids": [["G6", "网格6", "C6", ""]],
                 "compounds": [["X6", "六小区", "G6", "", ""]]}
    refused = await _refused(store, tmp_path, elsewhere, jurisdiction=J)
    assert _outside(refused) == sorted([at("regions", 2, "parent_code", "S2"),
                                        at("grids", 2, "community_code", "C6"),
                                        at("compounds", 2, "grid_code", "G6")])


@pytest.mark.parametrize(("scope", "ok"), [("C1", True), ("S1", True), ("D", False),
                                           ("S2", False), ("NOWHERE", False)])
async def test_replace_scope_lies_at_or_below_the_jurisdiction(
        base: GraphStore, tmp_path: Path, scope: str, ok: bool) -> None:
    """Above or beside the jurisdiction it is reported as unknown, like a code that does
    not exist — in the same place among the other problems — and nothing about what lies
    there shows (X2 would be removed under S2)."""
    tables = {"compounds": [["X1", "一小区", "G1", "", ""]]}
    if ok:
        report = await _load(base, tmp_path, tables, jurisdiction=J, replace_scope=scope,
                             dry_run=True)
        assert not report.errors
        return
    broken = {"compounds": [*tables["compounds"], ["X9", "九小区", "G1", "多", ""]]}
    report = await _refused(base, tmp_path, broken, jurisdiction=J, replace_scope=scope,
                            dry_run=True)
    assert [(p.file, p.key, p.params) for p in report.errors] == [
        ("小区.csv", "not_int", {}), ("--replace-scope", "replace_scope_unknown", {"code": scope})]
    assert not report.removed
    if scope == "S2":  # what the operator would be shown
        operator = await _load(base, tmp_path, tables, replace_scope=scope, dry_run=True)
        assert operator.removed == {"compounds": ["X2"]}


async def test_replace_scope_of_a_new_place_elsewhere(base: GraphStore, tmp_path: Path) -> None:
    tables = {"regions": [["C7", "七社区", "社区", "S2", ""]]}
    report = await _refused(base, tmp_path, tables, jurisdiction=J, replace_scope="C7")
    assert sorted((p.key, p.column, p.value) for p in report.errors) == [
        ("ref_missing", "上级编码", "S2"), ("replace_scope_unknown", None, None)]


async def test_missing_codes_are_missing_not_outside(base: GraphStore, tmp_path: Path) -> None:
    tables = {"people": [person("H6", residence="NOWHERE")],
              "posts": [["H1", "NOWHERE", "楼长", "", ""]]}
    report = await _refused(base, tmp_path, tables, jurisdiction=J, dry_run=True)
    assert sorted(p.key for p in report.errors) == ["ref_missing", "ref_missing"]


async def test_codes_outside_read_exactly_like_missing_ones(base: GraphStore,
                                                            tmp_path: Path) -> None:
    """To a loader a code of another street does not exist: referring to one (B2, another
    street's building) reads word for word like referring to no code at all (B404), so
    a loader cannot probe which codes exist outside."""
    reports = {}
    for code in ("B2", "B404"):
        reports[code] = await _refused(base, tmp_path, {"people": [person("H7",
                                       residence=code)]}, jurisdiction=J, dry_run=True)
    outside, missing = (reports[c].errors[0] for c in ("B2", "B404"))
    for lang in ("zh", "en"):
        assert outside.text(lang) == missing.text(lang).replace("B404", "B2")
    assert (outside.key, outside.column) == (missing.key, missing.column)


async def test_unknown_jurisdiction_is_refused_before_reading(base: GraphStore,
                                                              tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        await _load(base, tmp_path, {"compounds": [["X1", "一小区", "G1", "", ""]]},
                    jurisdiction="NOWHERE")


async def test_whole_district_under_its_own_jurisdiction(
        store: GraphStore, tiny_rosters: Path, protector: IdProtector) -> None:
    """Every row of the tiny district lies inside the district: checked in full (a load
    under no jurisdiction is no evidence for one), everything unchanged."""
    await load_rosters(store, [tiny_rosters], protector=protector)
    for recheck in (False, True):
        report = await load_rosters(store, [tiny_rosters], protector=protector,
                                    jurisdiction="371327", recheck=recheck)
        assert not report.problems
        assert report.unchanged_since is None
        assert all(c.unchanged == c.rows > 0 for c in report.counts.values())


async def test_street_jurisdiction_refuses_the_other_street(
        store: GraphStore, tmp_path: Path, protector: IdProtector) -> None:
    """A district of two streets, loaded by an operator, then sent again under the first
    street: rows of the second street and of the district itself are refused, rows of the
    first pass, nothing is written."""
    rosters = tmp_path / "two"
    tables = generate(Scale(2, 1, 0.3))
    write_csv(tables, rosters)
    await load_rosters(store, [rosters], protector=protector)
    report = await _refused(store, tmp_path, tables.rows, jurisdiction="371327001")
    refused = {(p.file, p.row) for p in report.errors}
    assert all(p.key == "outside_jurisdiction" for p in report.errors)

    def rows(template: str, column: int, prefix: str) -> set[tuple[str, int]]:
        return {(f"{TEMPLATE[template].zh}.csv", i + 2)
                for i, row in enumerate(tables.rows[template]) if str(row[column]) == prefix
                or str(row[column]).startswith(prefix)}

    for template in ("regions", "grids", "compounds", "buildings"):
        assert rows(template, 0, "371327002") <= refused, template
        assert not rows(template, 0, "371327001") & refused, template
    assert rows("people", 9, "371327002") <= refused  # residents of the other street
    assert not rows("people", 9, "371327001") & refused
    assert rows("regions", 0, "371327") - rows("regions", 0, "3713270") <= refused
    assert len(refused) < sum(len(r) for r in tables.rows.values())


async def test_what_a_jurisdiction_sees_it_does_not_therefore_own(
        store: GraphStore, tmp_path: Path) -> None:
    """The attack run's rewrites: H2 lives in S2 but manages S1's property company, and
    PM2 sits in S2 but manages a compound of S1. S1's queries show both; S1's loader may
    rewrite neither (nor move PM2 in), and a replace scope of S1 removes neither."""
    tables = {**BASE, "posts": [*BASE["posts"], ["H2", "PM1", "项目经理", "2020-01-01", ""]],
              "relations": [*BASE["relations"], ["PM2", "物业服务", "X1", ""]]}
    await _load(store, tmp_path, tables)
    for rows, column in (({"people": [person("H2", name="改名", residence="B2")]}, "code"),
                         ({"people": [person("H2", name="改名")]}, "code"),
                         ({"organizations": [["PM2", "改名物业", "物业服务企业", "S2", ""]]},
                          "code"),
                         ({"organizations": [["PM2", "二物业", "物业服务企业", "S1", ""]]},
                          "code")):
        report = await _refused(store, tmp_path, rows, jurisdiction=J, dry_run=True)
        assert ("outside_jurisdiction", at(next(iter(rows)), 2, column, "")[2]) in [
            (p.key, p.column) for p in report.errors]
    removed = await _load(store, tmp_path, {"people": [person("H1", residence="B1")],
                                            "organizations": BASE["organizations"][:1]},
                          replace_scope=J, dry_run=True)
    assert "H2" not in str(removed.removed)
    assert "PM2" not in str(removed.removed)
