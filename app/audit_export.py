"""Audit results as an auditor sends them on: JSON (audits.md shape), CSV, XLSX, a table."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph.domain import PartyOrgCategory, PartyOrgKind
from graph.queries.audits import AuditDef
from graph.records import AuditGap, AuditSummary, KindCount
from resolvers.periods import SecretaryChanges
from resolvers.status import DataStatus


@dataclass(frozen=True, slots=True)
class AuditReport:
    audit: AuditDef
    summary: AuditSummary
    gaps: list[AuditGap]

    def reasons(self, gap: AuditGap, lang: str = "zh") -> str:
        return "；".join(getattr(self.audit.reason(code), lang) for code in gap.reasons)

    def as_json(self) -> dict[str, Any]:
        s = self.summary
        return {
            "metric": s.metric, "scope": s.scope, "eligible": s.eligible,
            "covered": s.covered, "rate": s.rate,
            "groups": [{"code": g.code, "name": g.name, "eligible": g.eligible,
                        "covered": g.covered, "rate": g.rate} for g in s.groups],
            "gaps": [{"code": g.code, "name": g.name, "community": g.community_name,
                      "street": g.street_name, "reason": self.reasons(g)} for g in self.gaps],
        }


@dataclass(frozen=True, slots=True)
class PeriodReport:
    """The period figures beside the audits: party orgs by kind, secretary changes."""

    kinds: list[KindCount]
    changes: SecretaryChanges

    @property
    def category_zh(self) -> str:
        c = self.changes.category
        return PartyOrgCategory(c).zh if c else "全部"

    def as_json(self) -> dict[str, Any]:
        c = self.changes
        return {
            "scope": c.scope, "from": c.start.isoformat(), "to": c.end.isoformat(),
            "party_orgs": {k.kind: k.count for k in self.kinds},
            "secretaries": {"category": c.category, "appointed": c.appointed,
                            "replaced": c.replaced},
        }

    def rows(self) -> list[tuple[str, str, int]]:
        """(figure, label, value) in the order they are shown."""
        c = self.changes
        period = f"{c.start.isoformat()} 至 {c.end.isoformat()}（{self.category_zh}）"
        return ([("党组织数量", PartyOrgKind(k.kind).zh, k.count) for k in self.kinds]
                + [("书记选配", period, c.appointed), ("书记调整撤换", period, c.replaced)])


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def to_json(reports: list[AuditReport], period: PeriodReport | None = None,
            status: DataStatus | None = None) -> str:
    """audits.md's list of metric objects (each with `data_as_of` and `load_unfinished`
    when the status is known); with period figures, an object holding that list as
    `audits` and the figures as `period`."""
    extra = {} if status is None else {"data_as_of": status.as_of,
                                        "load_unfinished": status.unfinished}
    audits = [{**r.as_json(), **extra} for r in reports]
    document: Any = audits if period is None else {"audits": audits,
                                                    "period": period.as_json()}
    return json.dumps(document, ensure_ascii=False, indent=2)


def status_lines(status: DataStatus | None) -> list[str]:
    if status is None:
        return []
    lines = [f"数据截至 {status.as_of or '（尚无导入）'}"
             + (f"（快照 {status.snapshot}）" if status.snapshot_current else "")]
    warning = status.warning()
    return [*lines, f"注意：{warning}"] if warning else lines


def to_table(reports: list[AuditReport], period: PeriodReport | None = None,
             status: DataStatus | None = None) -> str:
    lines = status_lines(status)
    for r in reports:
        s = r.summary
        lines.append(f"{r.audit.zh} ({s.metric})  应覆盖 {s.eligible}  已覆盖 {s.covered}  "
                     f"覆盖率 {_pct(s.rate)}  缺口 {s.gap_count}")
        for g in s.groups:
            lines.append(f"    {g.code:<18} {g.name or '':<14} {g.eligible:>7} {g.covered:>7} "
                         f"{_pct(g.rate):>7}")
    if period is not None:
        lines.append("期间数据")
        lines.extend(f"    {figure} {label} {value}" for figure, label, value in period.rows())
    return "\n".join(lines)


CSV_HEADER = ("指标", "类别", "编码", "名称", "社区", "街道", "应覆盖", "已覆盖", "覆盖率", "原因")


def to_csv(reports: list[AuditReport], period: PeriodReport | None = None,
           status: DataStatus | None = None) -> str:
    """One table; the data's time is in `orgcover audit`'s other formats (a CSV stays a
    plain table: the command warns on stderr about an unfinished load)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in reports:
        s = r.summary
        writer.writerow((s.metric, "合计", s.scope or "", r.audit.zh, "", "", s.eligible,
                         s.covered, _pct(s.rate), ""))
        for g in s.groups:
            writer.writerow((s.metric, "分组", g.code, g.name, "", "", g.eligible, g.covered,
                             _pct(g.rate), ""))
        for gap in r.gaps:
            writer.writerow((s.metric, "缺口", gap.code, gap.name, gap.community_name or "",
                             gap.street_name or "", "", "", "", r.reasons(gap)))
    if period is not None:  # 类别 期间: the figure in 指标, what it counts in 名称
        for figure, label, value in period.rows():
            writer.writerow((figure, "期间", period.changes.scope or "", label, "", "", value,
                             "", "", ""))
    return out.getvalue()


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


class _Sheets:
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

        from loaders.sheets import fit_widths

        sheet = self.workbook.create_sheet(_sheet_name(sheet_name, self.names))
        h = self.heading
        status = self.status
        as_of = "数据截至：" + ("—" if status is None else _when(status.as_of)) + (
            f"（快照 {status.snapshot}）" if status is not None and status.snapshot_current
            else "")
        lines = [
            title,
            f"管辖范围：{h.place(h.jurisdiction)}    统计范围：{h.place(h.scope)}"
            + (f"    按{GROUP_LEVEL_ZH.get(h.group_by, h.group_by)}分组" if h.group_by else ""),
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


def write_xlsx(reports: list[AuditReport], path: Path, period: PeriodReport | None = None,
               status: DataStatus | None = None, heading: ReportHeading | None = None) -> None:
    """The workbook an auditor sends on: a summary sheet, per metric its complete gap list
    (with community and street names and reasons) and, only when grouped, its groups; then
    the period figures when asked for. Every sheet opens with the title block (metric,
    jurisdiction and scope names, data as of, generated by whom and when)."""
    heading = heading or ReportHeading(
        jurisdiction=(None, "全部"), scope=(None, "全部"), generated_by="orgcover",
        generated_at=dt.datetime.now().astimezone())
    sheets = _Sheets(heading, status)
    grouped = heading.group_by is not None
    sheets.add("覆盖率审计汇总", "汇总",
               ["指标编号", "指标", "应覆盖", "已覆盖", "缺口", "覆盖率"],
               [[r.summary.metric, r.audit.zh, r.summary.eligible, r.summary.covered,
                 r.summary.gap_count, r.summary.rate] for r in reports], rates=(6,))
    for r in reports:
        s = r.summary
        sheets.add(f"{r.audit.zh}：缺口清单（{len(r.gaps)} 个，覆盖率 {_pct(s.rate)}）",
                   r.audit.zh, ["序号", "编码", "名称", "社区", "街道", "原因"],
                   [[i, gap.code, gap.name, gap.community_name, gap.street_name,
                     r.reasons(gap)] for i, gap in enumerate(r.gaps, start=1)], wrap=(6,))
        if grouped:
            level = GROUP_LEVEL_ZH.get(heading.group_by or "", "")
            sheets.add(f"{r.audit.zh}：按{level}分组", f"{r.audit.zh}-分组",
                       ["编码", f"{level}名称", "应覆盖", "已覆盖", "缺口", "覆盖率"],
                       [[g.code, g.name, g.eligible, g.covered, g.eligible - g.covered, g.rate]
                        for g in s.groups], rates=(6,))
    if period is not None:
        sheets.add(f"期间数据：{period.changes.start.isoformat()} 至 "
                   f"{period.changes.end.isoformat()}", "期间数据",
                   ["数据项", "说明", "数量"], [list(row) for row in period.rows()])
    sheets.workbook.save(path)
