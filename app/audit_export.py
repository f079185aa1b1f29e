"""Audit results as an auditor sends them on: JSON (audits.md shape), CSV, XLSX, a table.

The xlsx layout lives in resolvers/workbook.py (the API writes workbooks too); its names
stay importable from here (`X as X`), where the CLI and tests/test_workbooks.py find them.
"""

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
from resolvers.workbook import GROUP_LEVEL_ZH as GROUP_LEVEL_ZH
from resolvers.workbook import HEADER_ROW as HEADER_ROW
from resolvers.workbook import RATE_AMBER as RATE_AMBER
from resolvers.workbook import RATE_GREEN as RATE_GREEN
from resolvers.workbook import TITLE_ROWS as TITLE_ROWS
from resolvers.workbook import ReportHeading as ReportHeading
from resolvers.workbook import Sheets


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


def write_xlsx(reports: list[AuditReport], path: Path, period: PeriodReport | None = None,
               status: DataStatus | None = None, heading: ReportHeading | None = None) -> None:
    """The workbook an auditor sends on: a summary sheet, per metric its complete gap list
    (with community and street names and reasons) and, only when grouped, its groups; then
    the period figures when asked for. Every sheet opens with the title block (metric,
    jurisdiction and scope names, data as of, generated by whom and when)."""
    heading = heading or ReportHeading(
        jurisdiction=(None, "全部"), scope=(None, "全部"), generated_by="orgcover",
        generated_at=dt.datetime.now().astimezone())
    sheets = Sheets(heading, status)
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
