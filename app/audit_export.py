"""Audit results as an auditor sends them on: JSON (audits.md shape), CSV, XLSX, a table."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph.queries.audits import AuditDef
from graph.records import AuditGap, AuditSummary


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


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def to_json(reports: list[AuditReport]) -> str:
    return json.dumps([r.as_json() for r in reports], ensure_ascii=False, indent=2)


def to_table(reports: list[AuditReport]) -> str:
    lines = []
    for r in reports:
        s = r.summary
        lines.append(f"{r.audit.zh} ({s.metric})  应覆盖 {s.eligible}  已覆盖 {s.covered}  "
                     f"覆盖率 {_pct(s.rate)}  缺口 {s.gap_count}")
        for g in s.groups:
            lines.append(f"    {g.code:<18} {g.name or '':<14} {g.eligible:>7} {g.covered:>7} "
                         f"{_pct(g.rate):>7}")
    return "\n".join(lines)


CSV_HEADER = ("指标", "类别", "编码", "名称", "社区", "街道", "应覆盖", "已覆盖", "覆盖率", "原因")


def to_csv(reports: list[AuditReport]) -> str:
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
    return out.getvalue()


def write_xlsx(reports: list[AuditReport], path: Path) -> None:
    """A summary sheet, then per metric its groups and its complete gap list."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = Workbook()
    summary = wb.active
    summary.title = "汇总"
    summary.append(["指标编号", "指标", "范围", "应覆盖", "已覆盖", "缺口", "覆盖率"])
    for r in reports:
        s = r.summary
        summary.append([s.metric, r.audit.zh, s.scope or "全部", s.eligible, s.covered,
                        s.gap_count, s.rate])
        summary.cell(row=summary.max_row, column=7).number_format = "0.0%"
    for cell in summary[1]:
        cell.font = bold
    for r in reports:
        sheet = wb.create_sheet(r.audit.zh[:31].replace("/", "、"))
        sheet.append(["编码", "名称", "应覆盖", "已覆盖", "覆盖率"])
        for cell in sheet[1]:
            cell.font = bold
        for g in r.summary.groups:
            sheet.append([g.code, g.name, g.eligible, g.covered, g.rate])
            sheet.cell(row=sheet.max_row, column=5).number_format = "0.0%"
        sheet.append([])
        sheet.append(["缺口编码", "名称", "社区", "街道", "原因"])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for gap in r.gaps:
            sheet.append([gap.code, gap.name, gap.community_name, gap.street_name,
                          r.reasons(gap)])
    wb.save(path)
