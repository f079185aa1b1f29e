"""The roster path: CSV → validated rows → batched upserts, nothing half-written."""

from __future__ import annotations

import csv
import hashlib
import hmac
import shutil
import tempfile
from pathlib import Path

import pytest

from graph.domain import Label, Rel
from graph.errors import ConfigError
from graph.queries import load as q
from graph.repo import load as repo
from graph.repo.load import count_graph
from graph.statements import compose
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import RosterLoader, load_rosters
from loaders.report import RosterInvalid
from tests.conftest import PII_SECRET
from tests.rosters import write_rosters

ALL_PROPS = compose("test.all_props", "MATCH (n) RETURN n {.*} AS props")
LOADS = compose("test.loads", "MATCH (l:Load) RETURN l.code AS code, l.status AS status")
IN_TARGETS = compose(
    "test.in_targets",
    "MATCH (n:Place {code: $code})-[:IN]->(p) RETURN p.code AS code",
    params={"code": "X"})


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))[1:]


def _expected_counts(rosters: Path) -> tuple[int, int]:
    """Nodes and relationships the rosters describe, counted from the files themselves."""
    t = {name: _csv(rosters / f"{name}.csv") for name in (
        "行政区划", "网格", "小区", "楼栋", "单位", "党组织", "人员", "任职", "关系")}
    nodes = sum(len(t[n]) for n in ("行政区划", "网格", "小区", "楼栋", "单位", "党组织", "人员"))
    rels = sum(1 for r in t["行政区划"] if r[3]) + len(t["网格"]) + len(t["小区"])
    rels += len(t["楼栋"]) + len(t["任职"]) + len(t["关系"])
    rels += sum(bool(r[3]) + bool(r[4]) for r in t["单位"])
    rels += sum(bool(r[4]) + len([c for c in r[5].split("；") if c]) for r in t["党组织"])
    rels += sum(bool(r[7]) + bool(r[8]) + bool(r[9]) for r in t["人员"])
    return nodes, rels


async def test_tiny_district_loads_completely(store: GraphStore, tiny_rosters: Path,
                                              protector: IdProtector) -> None:
    report = await load_rosters(store, [tiny_rosters], protector=protector)
    assert not report.problems
    for template, counts in report.counts.items():
        assert counts.created == counts.rows > 0, template
    assert await count_graph(store) == _expected_counts(tiny_rosters)
    loads = await store.read(LOADS)
    assert loads == [{"code": report.load_id, "status": "committed"}]


@pytest.mark.parametrize("recheck", [False, True], ids=["same-files", "recheck"])
async def test_identical_second_load_writes_nothing(store: GraphStore, tiny_rosters: Path,
                                                    protector: IdProtector,
                                                    recheck: bool) -> None:
    first = await load_rosters(store, [tiny_rosters], protector=protector)
    before = await store.read(ALL_PROPS)
    store.round_trips = 0
    report = await load_rosters(store, [tiny_rosters], protector=protector, recheck=recheck)
    trips = store.round_trips
    assert set(report.counts) == set(first.counts)
    for template, counts in report.counts.items():
        assert counts.rows == first.counts[template].rows
        assert (counts.unchanged, counts.created, counts.updated) == (counts.rows, 0, 0), template
    assert await store.read(ALL_PROPS) == before  # no journal entry, no updated_at touched
    assert len(await store.read(LOADS)) == 1
    # same files: the last committed load is named and nothing is read again
    assert report.unchanged_since == (None if recheck else first.load_id)
    # the load lock (taken, given back), the last committed load, unfinished loads
    assert (trips == 4) is not recheck


async def test_same_files_are_checked_again_after_another_load(
        store: GraphStore, tmp_path: Path, tiny_rosters: Path, protector: IdProtector) -> None:
    """Only the last committed load counts: after another load changed the graph, the
    original rosters are diffed again and put it back."""
    work = tmp_path / "r"
    shutil.copytree(tiny_rosters, work)
    first = await load_rosters(store, [tiny_rosters], protector=protector)
    compounds = _csv(work / "小区.csv")
    compounds[0][1] = "改名后小区"
    write_rosters(work, {"compounds": compounds})
    changed = await load_rosters(store, [work], protector=protector)
    assert changed.counts["compounds"].updated == 1
    again = await load_rosters(store, [tiny_rosters], protector=protector)
    assert again.unchanged_since is None
    assert again.counts["compounds"].updated == 1
    assert again.load_id not in (first.load_id, changed.load_id)
    # and now the original rosters are the last load again
    last = await load_rosters(store, [tiny_rosters], protector=protector)
    assert last.unchanged_since == again.load_id


async def test_another_pii_key_or_option_checks_again(
        store: GraphStore, tiny_rosters: Path, protector: IdProtector) -> None:
    await load_rosters(store, [tiny_rosters], protector=protector)
    other_key = await load_rosters(store, [tiny_rosters], protector=IdProtector("other key"))
    assert other_key.unchanged_since is None
    assert other_key.counts["people"].updated > 0  # hashes under the new key
    dry = await load_rosters(store, [tiny_rosters], protector=IdProtector("other key"),
                             dry_run=True)
    assert dry.unchanged_since == other_key.load_id
    assert dry.dry_run


async def test_changed_rows_update_and_move_owned_relationships(
        store: GraphStore, tmp_path: Path, tiny_rosters: Path, protector: IdProtector) -> None:
    work = tmp_path / "r"
    shutil.copytree(tiny_rosters, work)
    await load_rosters(store, [work], protector=protector)
    compounds = _csv(work / "小区.csv")
    grids = [row[0] for row in _csv(work / "网格.csv")]
    code, old_grid = compounds[0][0], compounds[0][2]
    new_grid = next(g for g in grids if g != old_grid)
    compounds[0][1] = "改名后小区"
    compounds[0][2] = new_grid
    write_rosters(work, {"compounds": compounds})
    report = await load_rosters(store, [work], protector=protector)
    assert (report.counts["compounds"].updated, report.counts["compounds"].unchanged) == (
        1, len(compounds) - 1)
    assert await store.read(IN_TARGETS, {"code": code}) == [{"code": new_grid}]


async def test_dangling_reference_is_reported_and_nothing_written(
        store: GraphStore, tmp_path: Path, protector: IdProtector) -> None:
    rosters = write_rosters(tmp_path, {
        "regions": [["D", "县", "区县", "", ""], ["S", "街道", "街道", "D", ""],
                    ["C", "社区", "社区", "S", ""]],
        "grids": [["G1", "网格1", "C", "基础网格"]],
        "compounds": [["X1", "阳光花园小区", "G9", "100", "是"]],
    })
    with pytest.raises(RosterInvalid) as err:
        await load_rosters(store, [rosters], protector=protector)
    [problem] = err.value.report.errors
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "小区.csv", 2, "所属网格编码", "G9")
    assert "找不到网格编码 G9" in problem.message
    assert await count_graph(store) == (0, 0)


async def test_every_problem_in_one_pass(store: GraphStore, tmp_path: Path,
                                         protector: IdProtector) -> None:
    rosters = write_rosters(tmp_path, {
        "regions": [["D", "县", "区县", "", ""], ["D", "重复", "区县", "", ""],
                    ["S", "街道", "省", "D", ""]],
        "party_orgs": [["P", "党委", "党委", "区域", "", "D", "2020-13-01"]],
        "people": [["R1", "张三", "371327198204021179", "", "男", "群众", "", "", "", ""]],
        "posts": [["R1", "P", "楼长", "", ""]],
    })
    with pytest.raises(RosterInvalid) as err:
        await load_rosters(store, [rosters], protector=protector)
    messages = [(p.file, p.row, p.column) for p in err.value.report.errors]
    assert ("行政区划.csv", 4, "层级") in messages
    assert ("党组织.csv", 2, "成立日期") in messages
    assert ("人员.csv", 2, "身份证号") in messages
    # the ID-card number itself never appears in a report
    assert all("371327198204021179" not in str(p) for p in err.value.report.problems)
    assert await count_graph(store) == (0, 0)


async def test_role_must_fit_its_target_and_duplicates_are_caught(
        store: GraphStore, tmp_path: Path, protector: IdProtector) -> None:
    rosters = write_rosters(tmp_path, {
        "regions": [["D", "县", "区县", "", ""]],
        "party_orgs": [["P", "党委", "党委", "区域", "", "D", ""],
                       ["P", "党委2", "党委", "区域", "", "D", ""]],
        "people": [["R1", "张三", "", "", "男", "群众", "", "", "", ""]],
        "posts": [["R1", "P", "楼长", "", ""]],
    })
    with pytest.raises(RosterInvalid) as err:
        await load_rosters(store, [rosters], protector=protector)
    found = {(p.file, p.row, p.column) for p in err.value.report.errors}
    assert ("党组织.csv", 3, "党组织编码") in found
    assert ("任职.csv", 2, "职务") in found


async def test_missing_required_column_is_one_error(store: GraphStore, tmp_path: Path,
                                                    protector: IdProtector) -> None:
    path = tmp_path / "小区.csv"
    path.write_text("小区编码,小区名称,备注\nX1,阳光花园小区,无\nX2,锦绣家园小区,无\n",
                    encoding="utf-8")
    with pytest.raises(RosterInvalid) as err:
        await load_rosters(store, [path], protector=protector)
    errors = err.value.report.errors
    assert len(errors) == 1
    assert "所属网格编码" in errors[0].message
    warnings = err.value.report.warnings
    assert [w.column for w in warnings] == ["备注"]


async def test_file_that_is_not_utf8_is_named(store: GraphStore, tmp_path: Path,
                                              protector: IdProtector) -> None:
    path = tmp_path / "小区.csv"
    path.write_bytes("小区编码,小区名称,所属网格编码\n".encode() + b"\xff\xfe\n")
    with pytest.raises(RosterInvalid) as err:
        await load_rosters(store, [path], protector=protector)
    assert err.value.report.errors[0].file == "小区.csv"


async def test_id_numbers_are_only_stored_hashed_and_masked(
        store: GraphStore, tiny_rosters: Path, protector: IdProtector) -> None:
    await load_rosters(store, [tiny_rosters], protector=protector)
    numbers = {row[2] for row in _csv(tiny_rosters / "人员.csv") if row[2]}
    assert numbers
    everything = str(await store.read(ALL_PROPS))
    assert not any(number in everything for number in numbers)
    sample = next(row for row in _csv(tiny_rosters / "人员.csv") if row[2])
    [person] = await store.read(q.fetch_existing(kind=q.PERSON), {"codes": [sample[0]]})
    expected = hmac.new(PII_SECRET.encode(), sample[2].encode(), hashlib.sha256).hexdigest()
    assert person["props"]["id_hash"] == expected
    assert person["props"]["id_masked"] == sample[2][:4] + "*" * 10 + sample[2][-4:]


async def test_spilled_rows_hold_no_id_numbers_and_leave_no_file(
        store: GraphStore, tiny_rosters: Path, protector: IdProtector, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Between the passes validated rows wait on disk: hashed and masked only, in files
    without a name, so even a killed load leaves nothing in the temporary directory."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    loader = RosterLoader(store, protector=protector)
    await loader.validate([tiny_rosters])
    assert loader.spills.spills["people"].count == len(_csv(tiny_rosters / "人员.csv"))
    assert _files(tmp_path) == []
    numbers = {row[2] for row in _csv(tiny_rosters / "人员.csv") if row[2]}
    on_disk = loader.spills.spill("people").contents()
    assert numbers
    assert sample_name(tiny_rosters).encode() in on_disk  # the rows are really there
    assert not any(number.encode() in on_disk for number in numbers)
    assert sum(1 for batch in loader.spills.spill("people").batches() for _ in batch) == len(
        _csv(tiny_rosters / "人员.csv"))
    loader.close()
    assert _files(tmp_path) == []


def sample_name(rosters: Path) -> str:
    return str(_csv(rosters / "人员.csv")[0][1])


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_id_numbers_without_secret_fail_before_writing(
        store: GraphStore, tiny_rosters: Path) -> None:
    with pytest.raises(ConfigError) as err:
        await load_rosters(store, [tiny_rosters], protector=IdProtector(None))
    assert err.value.setting == "ORGCOVER_PII_SECRET"
    assert await count_graph(store) == (0, 0)


async def test_dry_run_reports_but_writes_nothing(store: GraphStore, tiny_rosters: Path,
                                                  protector: IdProtector) -> None:
    report = await load_rosters(store, [tiny_rosters], protector=protector, dry_run=True)
    assert report.dry_run
    assert report.counts["people"].created > 0
    assert await count_graph(store) == (0, 0)


def _orgs(*rows: tuple[str, str | None]) -> dict[str, list[list[object]]]:
    return {
        "regions": [["D", "县", "区县", "", ""]],
        "party_orgs": [[code, f"党组织{code}", "党委", "区域", parent or "", "", ""]
                       for code, parent in rows],
    }


async def test_under_cycle_in_the_load_is_named(store: GraphStore, tmp_path: Path,
                                                protector: IdProtector) -> None:
    rosters = write_rosters(tmp_path, _orgs(("P0", None), ("P1", "P2"), ("P2", "P3"),
                                            ("P3", "P1")))
    with pytest.raises(RosterInvalid) as err:
        await load_rosters(store, [rosters], protector=protector)
    cycles = [p for p in err.value.report.errors if "循环" in p.message]
    assert [p.row for p in cycles] == [3, 4, 5]
    assert "P1 → P2 → P3 → P1" in cycles[0].message
    assert await count_graph(store) == (0, 0)


async def test_under_cycle_through_the_graph_is_named(store: GraphStore, tmp_path: Path,
                                                      protector: IdProtector) -> None:
    await load_rosters(store, [write_rosters(tmp_path / "a", _orgs(("P1", None),
                                                                  ("P2", "P1")))],
                       protector=protector)
    with pytest.raises(RosterInvalid) as err:
        await load_rosters(store, [write_rosters(tmp_path / "b", _orgs(("P1", "P2")))],
                           protector=protector)
    [problem] = err.value.report.errors
    assert problem.message == "上级党组织形成循环: P1 → P2 → P1"


BASE = {
    "regions": [["D", "县", "区县", "", ""], ["S1", "街道", "街道", "D", ""],
                ["C1", "一社区", "社区", "S1", ""], ["C2", "二社区", "社区", "S1", ""]],
    "grids": [["G1", "网格1", "C1", ""], ["G2", "网格2", "C2", ""]],
    "compounds": [["X1", "阳光花园小区", "G1", "", ""], ["X2", "锦绣家园小区", "G1", "", ""],
                  ["X3", "和平新村小区", "G2", "", ""]],
    "organizations": [["O1", "万家物业", "物业服务企业", "D", ""]],
    "people": [["R1", "张三", "", "", "", "群众", "", "", "", ""],
               ["R2", "李四", "", "", "", "群众", "", "", "", ""]],
    "posts": [["R1", "G1", "专职网格员", "", ""], ["R2", "G2", "专职网格员", "", ""]],
    "relations": [["O1", "物业服务", "X1", ""], ["O1", "物业服务", "X2", ""]],
}
CODES = compose("test.codes", "MATCH (n) WHERE n.code IS NOT NULL AND NOT n:Load "
                              "RETURN n.code AS code ORDER BY code")
POSTS = compose("test.posts", "MATCH (p:Person)-[:HOLDS_POST]->(t) "
                              "RETURN p.code AS p, t.code AS t ORDER BY p")
MANAGES = compose("test.manages", "MATCH (o)-[:MANAGES]->(c) RETURN c.code AS c ORDER BY c")


async def test_replace_scope_removes_what_the_roster_no_longer_names(
        store: GraphStore, tmp_path: Path, protector: IdProtector) -> None:
    await load_rosters(store, [write_rosters(tmp_path / "base", BASE)], protector=protector)
    update = write_rosters(tmp_path / "update", {
        "compounds": [["X1", "阳光花园小区", "G1", "", ""]],
        "posts": [["R2", "G2", "专职网格员", "", ""]],
        "relations": [["O1", "物业服务", "X1", ""]],
    })
    dry = await load_rosters(store, [update], protector=protector, replace_scope="C1",
                             dry_run=True)
    assert dry.removed == {"compounds": ["X2"], "posts": ["R1 → G1 (grid_worker_full)"],
                           "relations": ["O1 -MANAGES-> X2"]}
    assert "X2" in [r["code"] for r in await store.read(CODES)]  # dry run wrote nothing
    report = await load_rosters(store, [update], protector=protector, replace_scope="C1")
    assert report.counts["compounds"].removed == 1
    codes = [r["code"] for r in await store.read(CODES)]
    assert "X2" not in codes
    assert {"X1", "X3", "G1", "G2", "R1", "R2"} <= set(codes)  # outside scope or not replaced
    assert await store.read(POSTS) == [{"p": "R2", "t": "G2"}]
    assert await store.read(MANAGES) == [{"c": "X1"}]


async def test_replace_scope_refuses_rows_that_would_dangle(
        store: GraphStore, tmp_path: Path, protector: IdProtector) -> None:
    await load_rosters(store, [write_rosters(tmp_path / "base", BASE)], protector=protector)
    update = write_rosters(tmp_path / "update", {
        "compounds": [["X1", "阳光花园小区", "G1", "", ""]],
        "buildings": [["B1", "2号楼", "X2", "住宅", ""]],
    })
    with pytest.raises(RosterInvalid) as err:
        await load_rosters(store, [update], protector=protector, replace_scope="C1")
    assert [(p.file, p.row, p.key) for p in err.value.report.errors] == [
        ("楼栋.csv", 2, "ref_removed")]
    with pytest.raises(RosterInvalid) as unknown:
        await load_rosters(store, [update], protector=protector, replace_scope="NOPE")
    assert unknown.value.report.errors[0].key == "replace_scope_unknown"


async def test_new_nodes_are_linked_to_their_targets_in_one_statement(
        store: GraphStore) -> None:
    """Each row points into the batch's distinct targets: a missing target (P2) or an
    empty slot gives no relationship and shifts nobody else's."""
    await store.write_many(repo.node_writes(q.PARTY_ORG, repo.Diff(created=[
        repo.NodeWrite("P1", {"name": "一支部"}), repo.NodeWrite("P3", {"name": "三支部"})]),
        load_id="L", now="2026-11-26T00:00:00Z", backend=store.backend))
    people = [repo.NodeWrite(code, {"name": code},
                             {Rel.MEMBER_OF: ((org, Label.PARTY_ORG),) if org else ()})
              for code, org in (("H1", "P3"), ("H2", "P2"), ("H3", None), ("H4", "P1"),
                                ("H5", "P3"))]
    await store.write_many(repo.node_writes(q.PERSON, repo.Diff(created=people), load_id="L",
                                            now="2026-11-26T00:00:00Z", backend=store.backend,
                                            link_created=True))
    found = await store.read(q.fetch_existing(kind=q.PERSON),
                             {"codes": [p.code for p in people]})
    members = {row["code"]: row["rel_member_of"] for row in found}
    assert members == {"H1": ["P3"], "H2": [], "H3": [], "H4": ["P1"], "H5": ["P3"]}
    hashes = {row["code"]: row["props"]["row_hash"] for row in found}
    assert hashes == {p.code: p.hash for p in people}


async def test_a_load_frees_its_indexes_when_it_ends(tiny_store: GraphStore, tiny_rosters: Path,
                                                     protector: IdProtector) -> None:
    """The load's objects form reference cycles, so its indexes waited for a full garbage
    collection (one pause for them all); `release` frees them at once, the report stays."""
    from tests.auth import DISTRICT

    loader = RosterLoader(tiny_store, protector=protector, jurisdiction=DISTRICT)
    try:
        await loader.validate([tiny_rosters])
    finally:
        loader.close()
    assert loader.bound is not None
    assert loader.index.bits
    assert loader.first
    assert loader.bound.places
    counts = {t: c.rows for t, c in loader.report.counts.items()}
    await loader.release()
    assert not loader.index.bits
    assert not loader.first
    assert not loader.bound.places
    assert not loader.bound.release()["place_in"]
    assert {t: c.rows for t, c in loader.report.counts.items()} == counts
    assert sum(counts.values()) > 100
