"""Coverage over time as an auditor reads it: trends, rankings, changes between snapshots
and a notice's ledger (整改台账) as tables, JSON, and the ledger as an xlsx a street works
through. Rendering only: what to show is decided in resolvers/history.py."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graph.queries.audits import AuditDef
from loaders.sheets import literal_text
from resolvers import history as h

STATE_ZH = {h.FIXED: "已整改", h.OPEN: "整改中", h.OVERDUE: "逾期未改", h.REMOVED: "对象已撤销"}


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def _reasons(audit: AuditDef, codes: Sequence[str]) -> str:
    known = {r.code for r in audit.reasons}
    return "；".join(audit.reason(c).zh for c in codes if c in known)


def trend_json(audit: AuditDef, scope: str | None, points: list[h.TrendPoint]) -> dict[str, Any]:
    return {"metric": audit.id, "scope": scope, "points": [
        {"snapshot": p.snapshot.code, "as_of": p.snapshot.as_of, "eligible": p.eligible,
         "covered": p.covered, "rate": p.rate} for p in points]}


def trend_table(audit: AuditDef, scope: str | None, points: list[h.TrendPoint]) -> str:
    lines = [f"{audit.zh} ({audit.id})  {scope or '全部'}  趋势"]
    lines += [f"    {p.snapshot.code:<5} {p.snapshot.as_of}  应覆盖 {p.eligible:>7}  "
              f"已覆盖 {p.covered:>7}  覆盖率 {_pct(p.rate):>7}" for p in points]
    return "\n".join(lines)


def ranking_json(audit: AuditDef, found: h.Ranking) -> dict[str, Any]:
    return {"metric": audit.id, "at": found.at.code,
            "against": found.against.code if found.against else None, "places": [
                {"code": p.code, "name": p.name, "eligible": p.eligible, "covered": p.covered,
                 "rate": p.rate, "rank": p.rank, "previous_rank": p.previous_rank,
                 "rank_change": p.change} for p in found.places]}


def _change(value: int | None) -> str:
    if value is None:
        return "—"
    return f"↑{value}" if value > 0 else (f"↓{-value}" if value < 0 else "—")


def ranking_table(audit: AuditDef, found: h.Ranking) -> str:
    against = f" 对比 {found.against.code} ({found.against.as_of})" if found.against else ""
    lines = [f"{audit.zh} ({audit.id})  排名 {found.at.code} ({found.at.as_of}){against}"]
    lines += [f"    {p.rank or '—':>3}  {p.code:<16} {p.name:<14} {_pct(p.rate):>7}  "
              f"位次变化 {_change(p.change)}" for p in found.places]
    return "\n".join(lines)


def _state_json(s: h.GapState) -> dict[str, Any]:
    g = s.gap
    return {"code": g.target, "name": g.name, "community": g.community_name,
            "street": g.street_name, "reasons": g.reasons,
            "opened_on": s.opened_on.isoformat(),
            "closed_on": s.closed_on.isoformat() if s.closed_on else None,
            "days_open": s.days_open, "removed": g.removed}


def changes_json(audit: AuditDef, found: h.Changes) -> dict[str, Any]:
    return {"metric": audit.id, "since": found.since.code, "until": found.until.code,
            "new": [_state_json(s) for s in found.new],
            "closed": [_state_json(s) for s in found.closed],
            "still_open": [_state_json(s) for s in found.still_open]}


def changes_table(audit: AuditDef, found: h.Changes) -> str:
    lines = [f"{audit.zh} ({audit.id})  {found.since.code} ({found.since.as_of}) → "
             f"{found.until.code} ({found.until.as_of})  新增 {len(found.new)}  "
             f"已整改 {len(found.closed)}  仍未整改 {len(found.still_open)}"]
    for label, items in (("新增", found.new), ("已整改", found.closed),
                         ("仍未整改", found.still_open)):
        lines += [f"    {label}  {s.gap.target:<18} {s.gap.name:<14} "
                  f"{s.opened_on.isoformat()}  {s.days_open} 天" for s in items]
    return "\n".join(lines)


def ledger_json(audit: AuditDef, found: h.Ledger) -> dict[str, Any]:
    n = found.notice

    def tally(t: h.Tally) -> dict[str, Any]:
        return {"code": t.code, "name": t.name, "total": t.total, "fixed": t.fixed,
                "open": t.open, "overdue": t.overdue, "removed": t.removed,
                "closure_rate": t.closure_rate}

    return {"notice": n.code, "metric": audit.id, "scope": n.scope, "deadline": n.deadline,
            "note": n.note, "issued_at": n.issued_at, "snapshot": f"S{n.seq}",
            "summary": tally(found.total), "streets": [tally(t) for t in found.streets],
            "items": [{**_state_json(h.GapState(i.gap, i.opened_on, i.closed_on,
                                                i.days_open)), "state": i.state}
                      for i in found.items]}


def ledger_table(audit: AuditDef, found: h.Ledger) -> str:
    n, t = found.notice, found.total
    lines = [f"{n.code} {audit.zh} ({audit.id})  范围 {n.scope or '全部'}  期限 {n.deadline}  "
             f"共 {t.total}  已整改 {t.fixed}  整改中 {t.open}  逾期 {t.overdue}  "
             f"整改率 {_pct(t.closure_rate)}"]
    lines += [f"    {s.code or '':<14} {s.name or '':<12} 共 {s.total:>4}  已整改 {s.fixed:>4}  "
              f"逾期 {s.overdue:>4}  整改率 {_pct(s.closure_rate)}" for s in found.streets]
    lines += [f"    {STATE_ZH[i.state]:<6} {i.gap.target:<18} {i.gap.name:<14} "
              f"{i.gap.street_name or ''}" for i in found.items]
    return "\n".join(lines)


LEDGER_HEADER = ("序号", "街道", "社区", "编码", "名称", "问题（原因）", "发现日期", "状态",
                 "整改日期", "持续天数", "整改措施", "责任人", "备注")


def write_ledger_xlsx(audit: AuditDef, found: h.Ledger, path: Path) -> None:
    """The ledger a district sends and a street works through: the notice on top, counts
    per street, then one row per gap with empty columns for the measures taken."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    n, t = found.notice, found.total
    bold = Font(bold=True)
    wb = Workbook()
    sheet = wb.active
    sheet.title = "整改台账"
    sheet.append([f"整改台账 {n.code}：{audit.zh}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"范围 {n.scope or '全部'}；整改期限 {n.deadline}；下发 {n.issued_at[:10]}；"
                  f"依据快照 S{n.seq}；共 {t.total} 项，已整改 {t.fixed}，逾期 {t.overdue}，"
                  f"整改率 {_pct(t.closure_rate)}"])
    if n.note:
        sheet.append([f"要求：{n.note}"])
    sheet.append([])
    sheet.append(list(LEDGER_HEADER))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = bold
    overdue = PatternFill("solid", fgColor="F8CBAD")
    for i, item in enumerate(found.items, start=1):
        g = item.gap
        sheet.append([i, g.street_name, g.community_name, g.target, g.name,
                      _reasons(audit, g.reasons), item.opened_on.isoformat(),
                      STATE_ZH[item.state],
                      item.closed_on.isoformat() if item.closed_on else None, item.days_open,
                      None, None, None])
        sheet.cell(row=sheet.max_row, column=4).number_format = "@"
        if item.state == h.OVERDUE:
            for cell in sheet[sheet.max_row]:
                cell.fill = overdue
    widths = (6, 14, 14, 20, 24, 32, 12, 10, 12, 9, 30, 10, 16)
    for column, width in zip("ABCDEFGHIJKLM", widths, strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.auto_filter.ref = f"A{header_row}:M{max(sheet.max_row, header_row)}"
    for row in sheet.iter_rows(min_row=1, max_row=3):
        row[0].alignment = Alignment(wrap_text=False)

    streets = wb.create_sheet("按街道")
    streets.append(["街道编码", "街道", "共计", "已整改", "整改中", "逾期", "对象已撤销", "整改率"])
    for cell in streets[1]:
        cell.font = bold
    for s in [*found.streets, t]:
        streets.append([s.code or ("合计" if s is t else ""), s.name, s.total, s.fixed, s.open,
                        s.overdue, s.removed, s.closure_rate])
        streets.cell(row=streets.max_row, column=8).number_format = "0.0%"
    for column, width in zip("ABCDEFGH", (16, 16, 8, 8, 8, 8, 10, 8), strict=True):
        streets.column_dimensions[column].width = width
    for filled in (sheet, streets):
        literal_text(filled)
    wb.save(path)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
