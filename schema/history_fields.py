"""Root fields of coverage over time (the Query and Mutation roots inherit them): every one
declares its right and runs in the caller's jurisdiction like the audits."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import audits as audit_resolvers
from resolvers import history as h
from resolvers import nodes as r
from resolvers.access import Right
from resolvers.context import Context
from schema.enums import Metric, Scope
from schema.history import (
    After,
    CoverageChange,
    First,
    GapHistory,
    Notice,
    RankedPlace,
    Ranking,
    Snapshot,
    Trend,
    TrendPoint,
    paged,
)
from schema.paging import Connection
from schema.permissions import guarded, needs, requires

GInfo = Info[Context, None]
SnapshotId = Annotated[str | None, strawberry.argument(description="Snapshot id (S1 …).")]


async def _scope(info: GInfo, scope: str | None) -> str | None:
    s = await r.effective_scope(info.context, scope)
    return await audit_resolvers.check_scope_and_group(info.context.store, scope=s,
                                                       group_by=None)


@strawberry.type
class HistoryQuery:
    @guarded(Right.READ, "Coverage snapshots (覆盖快照), oldest first.")
    async def snapshots(self, info: GInfo, first: First = None,
                        after: After = None) -> Connection[Snapshot]:
        found = (await h.History.of(info.context.store)).all
        return paged(found, "snapshots", Snapshot.from_record, first, after)

    @guarded(Right.READ, "A metric over time for a place (趋势): its figures in the last "
             "snapshots, oldest first.")
    async def trend(
        self, info: GInfo, metric: Metric, scope: Scope = None,
        last: Annotated[int, strawberry.argument(
            description=f"How many of the latest snapshots (1–{h.MAX_TREND_POINTS}).")]
        = h.TREND_POINTS,
    ) -> Trend:
        audit = audit_resolvers.audit_definition(metric.value)
        s = await _scope(info, scope)
        points = await h.trend(info.context.store, audit=audit, scope=s, last=last)
        return Trend(metric=audit.id, title=audit.zh, scope=s,
                     points=[TrendPoint.from_record(p) for p in points])

    @guarded(Right.READ, "The places right below a scope ranked by a metric's rate at a "
             "snapshot (排名), with each one's rank change against an earlier snapshot "
             "(位次变化).")
    async def ranking(
        self, info: GInfo, metric: Metric, scope: Scope = None,
        at: Annotated[str | None, strawberry.argument(
            description="Snapshot ranked (default the latest).")] = None,
        against: Annotated[str | None, strawberry.argument(
            description="Earlier snapshot to compare ranks with (default the one before "
                        "`at`).")] = None,
    ) -> Ranking:
        audit = audit_resolvers.audit_definition(metric.value)
        s = await _scope(info, scope)
        found = await h.ranking(info.context.store, audit=audit, scope=s, at=at,
                                against=against)
        return Ranking(metric=audit.id, scope=s, at=Snapshot.from_record(found.at),
                       against=Snapshot.from_record(found.against) if found.against else None,
                       places=[RankedPlace.from_record(p) for p in found.places])

    @guarded(Right.READ, "What changed for a metric between two snapshots: gaps new, "
             "closed, and still open with their age.")
    async def coverage_change(
        self, info: GInfo, metric: Metric,
        since: Annotated[str, strawberry.argument(description="The earlier snapshot.")],
        until: SnapshotId = None, scope: Scope = None,
    ) -> CoverageChange:
        audit = audit_resolvers.audit_definition(metric.value)
        s = await _scope(info, scope)
        found = await h.changes(info.context.store, audit=audit, scope=s, since=since,
                                until=until)
        return CoverageChange(metric=audit.id, scope=s, since=Snapshot.from_record(found.since),
                              until=Snapshot.from_record(found.until), found=found)

    @guarded(Right.READ, "One item's history as a gap of an audit: first seen, closed, "
             "reopened, days open, its reasons over time.")
    async def gap_history(
        self, info: GInfo, metric: Metric,
        code: Annotated[str, strawberry.argument(description="Code of the item.")],
        scope: Scope = None,
    ) -> GapHistory:
        audit = audit_resolvers.audit_definition(metric.value)
        s = await _scope(info, scope)
        found = await h.gap_history(info.context.store, audit=audit, code=r.normalize(code),
                                    scope=s, today=dt.date.fromisoformat(info.context.today))
        return GapHistory.from_record(found)

    @guarded(Right.NOTICE, "Rectification notices (整改通知) inside the caller's "
             "jurisdiction or above it (then their ledgers list only what lies inside), "
             "newest first.")
    async def notices(self, info: GInfo, first: First = None,
                      after: After = None) -> Connection[Notice]:
        within = info.context.jurisdiction
        found = await h.notices(info.context.store, scope=within)
        return paged(found, "notices", lambda n: Notice.from_record(n, within), first, after)

    @guarded(Right.NOTICE, "One rectification notice with its ledger (整改台账).")
    async def notice(
        self, info: GInfo,
        id: Annotated[str, strawberry.argument(description="Notice id (N0001 …).")],
    ) -> Notice:
        within = info.context.jurisdiction
        found = await h.notice_visible(info.context.store, code=id, scope=within)
        return Notice.from_record(found, within)


@strawberry.type
class HistoryMutation:
    @strawberry.mutation(
        description=requires("Take a coverage snapshot now (LOAD_IN_PROGRESS while a load "
                             "runs).", Right.SNAPSHOT),
        extensions=needs(Right.SNAPSHOT))
    async def take_snapshot(self, info: GInfo) -> Snapshot:
        return Snapshot.from_record(await h.take_snapshot(info.context.store,
                                                          who=info.context.caller.sub))

    @strawberry.mutation(
        description=requires("Issue a rectification notice (整改通知) for a metric's gaps in a "
                             "scope, with a deadline: the gaps of the latest snapshot are "
                             "frozen into its ledger.", Right.NOTICE),
        extensions=needs(Right.NOTICE))
    async def issue_notice(
        self, info: GInfo, metric: Metric,
        deadline: Annotated[dt.date, strawberry.argument(
            description="Day by which the gaps are to be fixed (today or later).")],
        scope: Scope = None,
        note: Annotated[str, strawberry.argument(
            description="What the notice asks (at most 500 characters).")] = "",
    ) -> Notice:
        audit = audit_resolvers.audit_definition(metric.value)
        s = await _scope(info, scope)
        notice, _ = await h.issue_notice(
            info.context.store, audit=audit, scope=s, deadline=deadline, note=note,
            who=info.context.caller.sub, today=dt.date.fromisoformat(info.context.today))
        return Notice.from_record(notice, info.context.jurisdiction)
