"""Audit results as an auditor sends them on: JSON (audits.md shape), CSV, XLSX, a table."""

from __future__ import annotations

import csv
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


def write_xlsx(reports: list[AuditReport], path: Path,
               period: PeriodReport | None = None, status: DataStatus | None = None) -> None:
    """A summary sheet, then per metric its groups and its complete gap list, then the
    period figures when asked for."""
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
    if status is not None:
        summary.append([])
        for line in status_lines(status):
            summary.append([line])
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
    if period is not None:
        sheet = wb.create_sheet("期间数据")
        sheet.append(["数据项", "说明", "数量"])
        for cell in sheet[1]:
            cell.font = bold
        for row in period.rows():
            sheet.append(list(row))
    wb.save(path)
