"""Readers: encodings, workbooks, header maps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from graph.queries import load as q
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.readers import detect_encoding, discover, read_rows
from loaders.report import RosterInvalid, RosterProblem

REGIONS = ("编码,名称,层级,上级编码,常住人口\n371327,莒南县,区县,,\n"
           "371327001,十字路街道,街道,371327,\n")


def test_gbk_file_is_detected_and_read(tmp_path: Path) -> None:
    path = tmp_path / "行政区划.csv"
    path.write_bytes(REGIONS.encode("gbk"))
    assert detect_encoding(path) == "gb18030"
    [source], problems = discover([path])
    rows = list(read_rows(source, problems))
    assert not problems
    assert [r.cells["name"] for r in rows] == ["莒南县", "十字路街道"]
    assert [r.row for r in rows] == [2, 3]


def test_utf8_with_and_without_bom(tmp_path: Path) -> None:
    for name, data in (("a", REGIONS.encode("utf-8")), ("b", REGIONS.encode("utf-8-sig"))):
        path = tmp_path / name / "regions.csv"
        path.parent.mkdir()
        path.write_bytes(data)
        [source], problems = discover([path])
        assert [r.cells["code"] for r in read_rows(source, problems)] == ["371327", "371327001"]


def test_undecodable_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "行政区划.csv"
    path.write_bytes(b"\xff\xfe\xfa\xfb\x80\x81\n")
    [source], problems = discover([path])
    assert list(read_rows(source, problems)) == []
    assert problems == [
        RosterProblem("行政区划.csv", "bad_encoding")]


def test_mojibake_header_is_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "行政区划.csv"  # Latin-1 bytes that happen to decode as GB18030
    path.write_bytes("Código,Año\nCódigo,Año\n".encode("latin-1"))
    assert detect_encoding(path) == "gb18030"
    [source], problems = discover([path])
    assert list(read_rows(source, problems)) == []
    assert "表头无法识别" in problems[0].message


def _workbook(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "行政区划"
    ws.append(["编码", "名称", "层级", "上级编码", "常住人口"])
    ws.append([371327, "莒南县", "区县", None, 310000.0])
    ws.append(["371327001", "十字路街道", "街道", 371327, None])
    grids = wb.create_sheet("grids")
    grids.append(["code", "name", "community_code", "kind"])
    parties = wb.create_sheet("党组织")
    parties.append(["党组织编码", "党组织名称", "组织类型", "组织类别", "上级党组织编码",
                    "覆盖对象编码", "成立日期"])
    parties.append(["P1", "中共莒南县委员会", "党委", "区域", None, 371327,
                    dt.datetime(1949, 10, 1)])
    wb.create_sheet("说明")
    wb.save(path)
    return path


def test_workbook_sheets_by_chinese_or_english_name(tmp_path: Path) -> None:
    sources, problems = discover([_workbook(tmp_path / "名册.xlsx")])
    assert [(s.template.key, s.sheet) for s in sources] == [
        ("regions", "行政区划"), ("grids", "grids"), ("party_orgs", "党组织")]
    assert [p.sheet for p in problems if p.severity == "warning"] == ["说明"]
    rows = list(read_rows(sources[0], problems))
    assert rows[0].cells["code"] == 371327
    assert rows[0].cells["population"] == 310000


async def test_workbook_with_dates_and_integer_floats_loads(store: GraphStore,
                                                            tmp_path: Path) -> None:
    report = await load_rosters(store, [_workbook(tmp_path / "名册.xlsx")],
                                protector=IdProtector(None))
    assert report.counts["regions"].created == 2
    [org] = await store.read(q.fetch_existing(kind=q.PARTY_ORG), {"codes": ["P1"]})
    assert org["props"]["founded"] == "1949-10-01"
    assert org["rel_covers"] == ["371327"]
    [district] = await store.read(q.fetch_existing(kind=q.REGION), {"codes": ["371327"]})
    assert district["props"]["population"] == 310000


async def test_workbook_errors_name_sheet_and_excel_row(store: GraphStore,
                                                        tmp_path: Path) -> None:
    path = _workbook(tmp_path / "名册.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb["行政区划"].append(["371327002", "坏街道", "街道", "371327", 12.5])
    wb.save(path)
    with pytest.raises(RosterInvalid) as err:
        await load_rosters(store, [path], protector=IdProtector(None))
    [problem] = err.value.report.errors
    assert (problem.file, problem.sheet, problem.row, problem.column) == (
        "名册.xlsx", "行政区划", 4, "常住人口")


async def test_template_workbook_filled_in_loads(store: GraphStore, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from loaders.workbook import write_template_workbook

    path = write_template_workbook(tmp_path / "名册模板.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["行政区划", "网格", "小区", "楼栋", "单位", "党组织", "人员",
                             "任职", "关系"]
    assert wb["小区"]["A2"].value.startswith("※必填")
    wb["行政区划"].append(["D", "莒南县", "区县", None, None])
    wb.save(path)
    report = await load_rosters(store, [path], protector=IdProtector(None))
    assert report.counts["regions"].created == 1
    assert report.counts["compounds"].rows == 0


async def test_control_characters_are_reported_not_sent_on(store: GraphStore,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "网格.csv"
    path.write_text("网格编码,网格名称,所属社区编码\nG1,网格,C\x001\n", encoding="utf-8")
    with pytest.raises(RosterInvalid) as err:
        await load_rosters(store, [path], protector=IdProtector(None))
    problem = err.value.report.errors[0]
    assert (problem.key, problem.row, problem.column, problem.value) == (
        "control_chars", 2, "所属社区编码", "C?1")


def test_a_long_sheet_is_read_without_keeping_its_rows(tmp_path: Path) -> None:
    """openpyxl clears each row it reads but left it in the sheet's tree: a million-row
    sheet kept 860k elements that every full garbage collection walked (bench-abuse 4b).
    Read rows are now dropped: the row elements alive are only the parser's read-ahead
    (a 16 KB chunk: a few hundred short rows), however far the reader is."""
    import gc
    from xml.etree.ElementTree import Element

    path = tmp_path / "网格.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "网格"
    ws.append(["网格编码", "网格名称", "所属社区编码"])
    for i in range(6000):
        ws.append([f"G{i:05d}", f"网格{i}", "371327001001"])
    wb.save(path)
    [source], problems = discover([path])
    alive = 0
    for raw in read_rows(source, problems):
        if raw.row == 5900:
            gc.collect()  # only what is still referenced
            alive = sum(isinstance(o, Element) and o.tag.endswith("}row")
                        for o in gc.get_objects())
    assert not problems
    assert raw.row == 6001
    assert 0 < alive < 1000  # not one kept per row read (5,900 before)
