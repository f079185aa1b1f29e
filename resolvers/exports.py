"""What to ask for an audit's workbook: the figures, the groups and the (filtered) gap list
of one scope, as the audit page shows them, written as an .xlsx in the report layout."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import threading
from dataclasses import dataclass

from graph.domain import Label
from graph.errors import BadInput
from graph.queries.audits import AuditDef
from graph.records import AuditGap, AuditSummary
from graph.repo.audits import GapFilter, place_by_code
from graph.store import GraphStore
from resolvers import audits as r
from resolvers.access import Caller, saw_person
from resolvers.status import DataStatus, data_status
from resolvers.workbook import GROUP_LEVEL_ZH, ReportHeading, Sheets, workbook_bytes

#: Most gap rows one workbook holds: a district's complete list of one audit is a few
#: thousand; more means the request is not what a person reads (narrow scope or filter).
MAX_WORKBOOK_ROWS = 20_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Workbooks written at once: openpyxl holds the GIL (four 5,000-row workbooks at once
#: stalled the event loop for 165 ms) and a 20,000-row one takes ~40 MB while written.
#: The rest wait in their worker thread, off the event loop.
WRITING = threading.BoundedSemaphore(2)


@dataclass(frozen=True, slots=True)
class WorkbookFile:
    filename: str
    content: bytes
    rows: int


async def _place(store: GraphStore, code: str | None) -> tuple[str | None, str]:
    if code is None:
        return None, "全部"
    place = await place_by_code(store, code=code)
    return code, place.name if place is not None else code


async def report_heading(store: GraphStore, caller: Caller, *, scope: str | None,
                         group_by: str | None, filters: str = "",
                         generated_by: str | None = None) -> ReportHeading:
    """A workbook's title block: the jurisdiction and scope by name (asked together), who
    asked (the token's name, and its subject when they differ) and when."""
    who = generated_by or (
        caller.name if caller.name == caller.sub else f"{caller.name}（{caller.sub}）")
    jurisdiction, shown = await asyncio.gather(_place(store, caller.jurisdiction),
                                               _place(store, scope))
    return ReportHeading(jurisdiction=jurisdiction, scope=shown, generated_by=who,
                         generated_at=dt.datetime.now().astimezone(), group_by=group_by,
                         filters=filters)


def _filters(audit: AuditDef, only: GapFilter) -> str:
    parts = []
    if only.reason is not None:
        parts.append(f"原因 {audit.reason(only.reason).zh}")
    if only.text is not None:
        parts.append(f"编码或名称含“{only.text}”")
    return "，".join(parts)


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_") or "audit"


def _write(audit: AuditDef, summary: AuditSummary, gaps: list[AuditGap],
           heading: ReportHeading, status: DataStatus) -> bytes:
    """The workbook: the scope's figures, its groups when grouped, the gap list."""
    with WRITING:
        return _written(audit, summary, gaps, heading, status)


def _written(audit: AuditDef, summary: AuditSummary, gaps: list[AuditGap],
             heading: ReportHeading, status: DataStatus) -> bytes:
    sheets = Sheets(heading, status)
    sheets.add(f"{audit.zh}：汇总", "汇总", ["指标编号", "指标", "应覆盖", "已覆盖", "缺口",
                                          "覆盖率"],
               [[audit.id, audit.zh, summary.eligible, summary.covered, summary.gap_count,
                 summary.rate]], rates=(6,))
    if heading.group_by is not None:
        level = GROUP_LEVEL_ZH.get(heading.group_by, heading.group_by)
        sheets.add(f"{audit.zh}：按{level}分组", "分组",
                   ["编码", f"{level}名称", "应覆盖", "已覆盖", "缺口", "覆盖率"],
                   [[g.code, g.name, g.eligible, g.covered, g.eligible - g.covered, g.rate]
                    for g in summary.groups], rates=(6,))
    sheets.add(f"{audit.zh}：缺口清单（{len(gaps)} 个）", "缺口清单",
               ["序号", "编码", "名称", "社区", "街道", "原因"],
               [[i, g.code, g.name, g.community_name, g.street_name,
                 "；".join(audit.reason(c).zh for c in g.reasons)]
                for i, g in enumerate(gaps, start=1)], wrap=(6,))
    return workbook_bytes(sheets)


async def audit_workbook(store: GraphStore, caller: Caller, *, audit: AuditDef,
                         scope: str | None, group_by: str | None,
                         only: GapFilter) -> WorkbookFile:
    """`scope` is the effective one (inside the caller's jurisdiction). Gaps name their
    community and street as the API's gap list does (not above the scope). Three round
    trips plus names, however long the list; writing runs off the event loop."""
    code, level = await r.scope_and_level(store, scope=scope, group_by=group_by)
    summary, found, status = await asyncio.gather(
        r.summary(store, audit=audit, scope=code, group_by=group_by),
        r.gaps(store, audit=audit, scope=code, after=None, limit=MAX_WORKBOOK_ROWS + 1,
               only=only),
        data_status(store))
    if len(found) > MAX_WORKBOOK_ROWS:
        raise BadInput(f"the workbook would hold more than {MAX_WORKBOOK_ROWS:,} gaps; "
                       "narrow the scope or filter by reason or text")
    gaps = [r.hide_enclosing(g, level) for g in found]
    if audit.eligible is Label.PERSON:  # people listed: the access log counts them
        for g in gaps:
            saw_person(g.code)
    # no scope: the whole of what the caller sees, named as their jurisdiction (a
    # district-wide caller's context may run unbounded)
    shown = code if code is not None else caller.jurisdiction
    heading = await report_heading(store, caller, scope=shown, group_by=group_by,
                                   filters=_filters(audit, only))
    content = await asyncio.to_thread(_write, audit, summary, gaps, heading, status)
    day = dt.date.today().isoformat()
    name = f"{audit.id}-{_safe(heading.scope[1]) if shown else 'all'}-{day}.xlsx"
    return WorkbookFile(filename=name, content=content, rows=len(gaps))
