"""The blank roster workbook a street fills in: nine sheets, Chinese headers, a notes row,
an example row, text-formatted code columns and dropdowns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graph import domain
from loaders.templates import TEMPLATES

#: Cells of the notes row start with this mark; readers skip a row made only of such cells.
NOTE_MARK = "※"


def note_text(required: bool, note: str) -> str:
    parts = ["必填" if required else "选填"]
    if note:
        parts.append(note)
    return NOTE_MARK + "；".join(parts)


def is_notes_row(values: list[object]) -> bool:
    filled = [str(v).strip() for v in values if v is not None and str(v).strip()]
    return bool(filled) and all(v.startswith(NOTE_MARK) for v in filled)


#: Columns typed as text (number format `@`): codes, USCC, ID-card and phone numbers are
#: digit strings, and a cell formatted General turns an 18-digit one into a float.
TEXT_KEYS = frozenset({"id_number", "phone", "covers"})
DATE_KEYS = frozenset({"founded", "start", "end"})
#: Each enum column and the values its dropdown offers (the canonical Chinese labels;
#: readers also accept the synonyms and English codes, so the list only warns).
ENUM_COLUMNS: dict[tuple[str, str], type[domain.ZhEnum]] = {
    ("regions", "level"): domain.RegionLevel,
    ("grids", "kind"): domain.GridKind,
    ("buildings", "kind"): domain.BuildingKind,
    ("organizations", "kind"): domain.OrgKind,
    ("party_orgs", "kind"): domain.PartyOrgKind,
    ("party_orgs", "category"): domain.PartyOrgCategory,
    ("people", "gender"): domain.Gender,
    ("people", "political_status"): domain.PoliticalStatus,
    ("people", "member_status"): domain.MemberStatus,
    ("posts", "role"): domain.Role,
    ("relations", "type"): domain.RelationType,
}
BOOL_CHOICES = ("是", "否")
#: One filled-in row per template, shown as row 3 (each cell marked, so it is skipped).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "regions": ("371327001", "十字路街道", "街道", "371327", "52000"),
    "grids": ("371327001001G01", "泰和社区第一网格", "371327001001", "基础网格"),
    "compounds": ("371327001001X01", "阳光花园", "371327001001G01", "320", "是"),
    "buildings": ("371327001001X01B01", "阳光花园1号楼", "371327001001X01", "住宅", "48"),
    "organizations": ("91371327MA3D5K7X2Q", "泰和物业服务有限公司", "物业服务企业",
                      "371327001001", ""),
    "party_orgs": ("371327001001P01", "阳光花园小区党支部", "党支部", "小区",
                   "371327001001P00", "371327001001X01", "2021-07-01"),
    "people": ("P000123", "张三", "371327199001011234", "13812345678", "男", "中共党员",
               "在职党员", "371327001001P01", "91371327MA3D5K7X2Q", "371327001001X01B01"),
    "posts": ("P000123", "371327001001P01", "书记", "2021-07-01", ""),
    "relations": ("91371327MA3D5K7X2Q", "物业服务", "371327001001X01", "2020-01-01"),
}
#: Rows: headers, notes, the example; filled rows start below.
FIRST_DATA_ROW = 4
EXAMPLE_MARK = NOTE_MARK + "例 "
MIN_TEMPLATE_WIDTH = 12


def is_text_column(key: str) -> bool:
    return key.endswith("code") or key in TEXT_KEYS


def choices(template_key: str, column_key: str) -> tuple[str, ...]:
    """The values a column's dropdown offers; () for a free column."""
    if column_key == "has_security":
        return BOOL_CHOICES
    enum = ENUM_COLUMNS.get((template_key, column_key))
    return tuple(m.zh for m in enum) if enum is not None else ()


def column_comment(template_key: str, column: Any) -> str:
    """The note on a header cell: required or not, what goes in, the accepted values."""
    lines = ["必填" if column.required else "选填"]
    if column.note:
        lines.append(column.note)
    offered = choices(template_key, column.key)
    if offered:
        lines.append("可选：" + "、".join(offered))
    if is_text_column(column.key):
        lines.append("文本格式：长数字（编码、身份证号、统一社会信用代码、手机号）原样保留")
    if column.key in DATE_KEYS:
        lines.append("日期：2024-01-31")
    return "\n".join(lines)


def write_template_workbook(path: Path) -> Path:
    """The blank workbook a street fills in: per template a sheet with bold headers
    (required ones shaded) carrying notes as comments, a notes row, an example row (both
    skipped when read), text format on code, ID-card, USCC and phone columns, dropdowns on
    enum columns, and fitted widths."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from loaders.sheets import display_width

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    grey = Font(color="808080", italic=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for template in TEMPLATES:
        sheet = workbook.create_sheet(template.zh)
        sheet.append(template.zh_headers)
        sheet.append([note_text(c.required, c.note) for c in template.columns])
        sheet.append([EXAMPLE_MARK + v if v else None for v in EXAMPLES[template.key]])
        least: dict[int, int] = {}
        for index, column in enumerate(template.columns, start=1):
            head = sheet.cell(row=1, column=index)
            head.font = bold
            if column.required:
                head.fill = required_fill
            head.comment = Comment(column_comment(template.key, column), "orgcover",
                                   width=320, height=140)
            for row in (2, 3):
                sheet.cell(row=row, column=index).font = grey
            letter = head.column_letter
            if is_text_column(column.key):
                sheet.column_dimensions[letter].number_format = "@"
            elif column.key in DATE_KEYS:
                sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
            offered = choices(template.key, column.key)
            if offered:
                rule = DataValidation(
                    type="list", formula1='"' + ",".join(offered) + '"', allow_blank=True,
                    errorStyle="warning", showErrorMessage=True, showInputMessage=True,
                    errorTitle=column.zh, error="请从下拉列表中选择（也接受同义写法）",
                    promptTitle=column.zh, prompt="从下拉列表中选择")
                rule.add(f"{letter}{FIRST_DATA_ROW}:{letter}1048576")
                sheet.add_data_validation(rule)
                least[index] = max(display_width(o) for o in offered) + 2
        examples = EXAMPLES[template.key]
        for index, column in enumerate(template.columns, start=1):
            # wide enough for the header, the example and the longest choice; the notes
            # row wraps instead of widening its column
            sample = EXAMPLE_MARK + examples[index - 1] if index <= len(examples) else ""
            width = max(display_width(column.zh) + 4, display_width(sample) + 2,
                        least.get(index, 0) + 2, MIN_TEMPLATE_WIDTH)
            sheet.column_dimensions[get_column_letter(index)].width = min(width, 40)
            sheet.cell(row=2, column=index).alignment = Alignment(wrap_text=True,
                                                                  vertical="top")
        sheet.freeze_panes = "A3"  # headers and notes stay in view
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
