"""The report-grade workbook layout every xlsx export shares (the CLI's `orgcover audit
--format xlsx` and the API's `auditWorkbook`): a title block on every sheet, a bold frozen
header with filters, fitted widths, rates as percentages in red/amber/green bands.

Pure writing (no store): it lives beside the resolvers so that both app/ and the schema
may use it (data flows app → resolvers, never back).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from resolvers.status import DataStatus


@dataclass(frozen=True, slots=True)
class ReportHeading:
    """Who is reported on and by whom: the title block of every sheet.

    `jurisdiction` and `scope` are (code, name); code None means everything (the operator).
    """

    jurisdiction: tuple[str | None, str]
    scope: tuple[str | None, str]
    generated_by: str
    generated_at: dt.datetime
    #: The level the figures are grouped by (street, community, grid), None if not grouped.
    group_by: str | None = None
    #: What the lists were narrowed to (e.g. 原因 or 含 text), shown after the scope.
    filters: str = ""

    def place(self, which: tuple[str | None, str]) -> str:
        code, name = which
        return name if code is None else f"{name}（{code}）"


#: Rates at or above GREEN are green, at or above AMBER amber, below red (覆盖率色带).
RATE_GREEN = 0.9
RATE_AMBER = 0.6
#: Rows of the title block; the column headers are the row after it, frozen and filtered.
TITLE_ROWS = 4
HEADER_ROW = TITLE_ROWS + 1
GROUP_LEVEL_ZH = {"street": "街道", "community": "社区", "grid": "网格"}


def _when(iso: str | None) -> str:
    """An ISO 8601 time as the local `YYYY-MM-DD HH:MM` a reader expects."""
    if not iso:
        return "（尚无导入）"
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def _sheet_name(text: str, taken: set[str]) -> str:
    """A unique sheet name Excel accepts (31 characters, none of []:*?/\\)."""
    clean = "".join("、" if ch in "[]:*?/\\" else ch for ch in text)[:31]
    name, n = clean, 2
    while name in taken:
        suffix = f"({n})"
        name, n = clean[:31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


class Sheets:
    """Sheets laid out alike: title block, bold frozen header with filters, fitted widths,
    rates as percentages with red/amber/green bands."""

    def __init__(self, heading: ReportHeading, status: DataStatus | None) -> None:
        from openpyxl import Workbook

        self.heading = heading
        self.status = status
        self.workbook = Workbook()
        self.workbook.remove(self.workbook.active)
        self.names: set[str] = set()

    def add(self, title: str, sheet_name: str, header: list[str], rows: list[list[Any]],
            *, rates: tuple[int, ...] = (), wrap: tuple[int, ...] = ()) -> Any:
        from openpyxl.formatting.rule import FormulaRule
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        from loaders.sheets import fit_widths, literal_text

        sheet = self.workbook.create_sheet(_sheet_name(sheet_name, self.names))
        h = self.heading
        status = self.status
        as_of = "数据截至：" + ("—" if status is None else _when(status.as_of)) + (
            f"（快照 {status.snapshot}）" if status is not None and status.snapshot_current
            else "")
        lines = [
            title,
            f"管辖范围：{h.place(h.jurisdiction)}    统计范围：{h.place(h.scope)}"
            + (f"    按{GROUP_LEVEL_ZH.get(h.group_by, h.group_by)}分组" if h.group_by else "")
            + (f"    筛选：{h.filters}" if h.filters else ""),
            f"{as_of}    生成：{h.generated_by}，{h.generated_at.strftime('%Y-%m-%d %H:%M')}",
            (f"覆盖率色带：绿 ≥ {RATE_GREEN:.0%}，黄 {RATE_AMBER:.0%}–{RATE_GREEN:.0%}，"
             f"红 < {RATE_AMBER:.0%}" if rates else ""),
        ]
        warning = status.warning() if status is not None else None
        if warning:
            lines[3] = (lines[3] + "    " if lines[3] else "") + f"注意：{warning}"
        last_column = get_column_letter(len(header))
        for index, line in enumerate(lines, start=1):
            cell = sheet.cell(row=index, column=1, value=line or None)
            cell.font = Font(bold=True, size=14) if index == 1 else Font(
                color="C00000" if index == 4 and warning else "404040")
            # not merged: the text runs on over the empty cells beside it, where a merged
            # area narrower than the line would cut it off
        bold = Font(bold=True)
        head_fill = PatternFill("solid", fgColor="D9E1F2")
        for column, text in enumerate(header, start=1):
            cell = sheet.cell(row=HEADER_ROW, column=column, value=text)
            cell.font = bold
            cell.fill = head_fill
        for row in rows:
            sheet.append(row)
        literal_text(sheet)
        last_row = max(sheet.max_row, HEADER_ROW + 1)
        for column in rates:
            for (cell,) in sheet.iter_rows(min_row=HEADER_ROW + 1, max_row=last_row,
                                           min_col=column, max_col=column):
                cell.number_format = "0.0%"
            letter = get_column_letter(column)
            area = f"{letter}{HEADER_ROW + 1}:{letter}{last_row}"
            first = f"{letter}{HEADER_ROW + 1}"
            for formula, colour in (
                    (f"AND(ISNUMBER({first}),{first}>={RATE_GREEN})", "C6EFCE"),
                    (f"AND(ISNUMBER({first}),{first}>={RATE_AMBER},{first}<{RATE_GREEN})",
                     "FFEB9C"),
                    (f"AND(ISNUMBER({first}),{first}<{RATE_AMBER})", "FFC7CE")):
                sheet.conditional_formatting.add(area, FormulaRule(
                    formula=[formula], fill=PatternFill("solid", fgColor=colour,
                                                        bgColor=colour)))
        for column in wrap:
            for (cell,) in sheet.iter_rows(min_row=HEADER_ROW + 1, min_col=column,
                                           max_col=column):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = f"A{HEADER_ROW + 1}"
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{last_column}{last_row}"
        fit_widths(sheet, from_row=HEADER_ROW)
        sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        return sheet


def workbook_bytes(sheets: Sheets) -> bytes:
    """The workbook as the bytes of an .xlsx file."""
    out = io.BytesIO()
    sheets.workbook.save(out)
    return out.getvalue()
