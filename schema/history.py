"""GraphQL types of coverage over time: snapshots, trends, rankings, changes between
snapshots, a gap's history, rectification notices and their ledgers (整改台账)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Annotated, TypeVar

import strawberry
from strawberry.types import Info

from graph.domain import Label
from graph.queries.audits import AUDITS
from graph.records import NoticeRecord, SnapshotRecord, TrackedGap
from resolvers import history as h
from resolvers.access import Right, saw_person
from resolvers.context import Context
from resolvers.pagination import decode_cursor, encode_cursor, page_size
from schema.audits import AuditGap, GapReason
from schema.enums import describe_values
from schema.paging import AFTER, FIRST, Connection, Edge, page_info

T = TypeVar("T")
S = TypeVar("S")
First = Annotated[int | None, strawberry.argument(description=FIRST)]
After = Annotated[str | None, strawberry.argument(description=AFTER)]


def paged(items: Sequence[S], list_id: str, convert: Callable[[S], T], first: int | None,
          after: str | None) -> Connection[T]:
    """A Relay page of a list computed in memory for this request, in its own order (the
    cursor is the position)."""
    size = page_size(first)
    start = decode_cursor(list_id, after)
    begin = int(start) + 1 if start is not None and start.isdigit() else 0
    window = list(enumerate(items))[begin:begin + size]
    edges = [Edge(cursor=encode_cursor(list_id, f"{i:08d}"), node=convert(item))
             for i, item in window]
    return Connection(edges=edges, total_count=len(items), page_info=page_info(
        [e.cursor for e in edges], has_next=begin + size < len(items),
        started_after=after is not None))


@strawberry.type(description="A coverage snapshot (覆盖快照): every audit's figures for every "
                             "place and every gap, as the graph was when it was taken.")
class Snapshot:
    id: str = strawberry.field(description="Snapshot id (S1, S2 … in the order taken).")
    taken_at: str = strawberry.field(description="When it was taken (ISO 8601, UTC).")
    as_of: dt.date = strawberry.field(
        description="The day its audits were evaluated for (current posts on that day).")
    load_id: str | None = strawberry.field(description="The load whose data it reflects.")
    gap_count: int = strawberry.field(description="Gaps of every audit it recorded.")
    taken_by: strawberry.Private[str]

    @strawberry.field(description="Who took it (a token's subject, or the loader); null "
                                  "without right `records`.")
    def who(self, info: Info[Context, None]) -> str | None:
        return self.taken_by if info.context.caller.can(Right.RECORDS) else None

    @classmethod
    def from_record(cls, rec: SnapshotRecord) -> Snapshot:
        return cls(id=rec.code, taken_at=rec.taken_at, as_of=dt.date.fromisoformat(rec.as_of),
                   load_id=rec.load_id, gap_count=rec.gaps, taken_by=rec.taken_by)


@strawberry.type(description="One point of a trend: a metric's figures at one snapshot.")
class TrendPoint:
    snapshot: Snapshot = strawberry.field(description="The snapshot.")
    as_of: dt.date = strawberry.field(description="The day the figures are for.")
    eligible: int = strawberry.field(description="Eligible items (应覆盖).")
    covered: int = strawberry.field(description="Covered items (已覆盖).")
    rate: float | None = strawberry.field(
        description="covered / eligible, 0–1; null when nothing is eligible (覆盖率).")

    @classmethod
    def from_record(cls, p: h.TrendPoint) -> TrendPoint:
        return cls(snapshot=Snapshot.from_record(p.snapshot),
                   as_of=dt.date.fromisoformat(p.snapshot.as_of), eligible=p.eligible,
                   covered=p.covered, rate=p.rate)


@strawberry.type(description="A metric over time for one place (趋势), oldest first.")
class Trend:
    metric: str = strawberry.field(description="Metric id.")
    title: str = strawberry.field(description="Metric name in Chinese.")
    scope: str | None = strawberry.field(description="Place code; null for everything.")
    points: list[TrendPoint] = strawberry.field(description="One per snapshot, oldest first.")


@strawberry.type(description="A place in a ranking (排名) with its rank change (位次变化).")
class RankedPlace:
    code: str = strawberry.field(description="Place code.")
    name: str = strawberry.field(description="Place name.")
    level: str = strawberry.field(description="street, community or grid.")
    eligible: int = strawberry.field(description="Eligible items (应覆盖).")
    covered: int = strawberry.field(description="Covered items (已覆盖).")
    rate: float | None = strawberry.field(description="covered / eligible; null when none.")
    rank: int | None = strawberry.field(
        description="1 = highest rate; equal rates share a rank; null when nothing is "
                    "eligible.")
    previous_rank: int | None = strawberry.field(description="Rank at the earlier snapshot.")
    rank_change: int | None = strawberry.field(
        description="Places moved up since the earlier snapshot (+16 = 提升16个位次; "
                    "negative = fell behind).")

    @classmethod
    def from_record(cls, p: h.RankedPlace) -> RankedPlace:
        return cls(code=p.code, name=p.name, level=p.level, eligible=p.eligible,
                   covered=p.covered, rate=p.rate, rank=p.rank, previous_rank=p.previous_rank,
                   rank_change=p.change)


@strawberry.type(description="The places right below a scope ranked by a metric's rate.")
class Ranking:
    metric: str = strawberry.field(description="Metric id.")
    scope: str | None = strawberry.field(description="The place whose children are ranked.")
    at: Snapshot = strawberry.field(description="Snapshot ranked.")
    against: Snapshot | None = strawberry.field(description="Snapshot rank changes are "
                                                            "measured against.")
    places: list[RankedPlace] = strawberry.field(description="By rank, unranked last.")


def _reasons(metric: str, codes: Sequence[str]) -> list[GapReason]:
    audit = AUDITS[metric]
    known = {r.code for r in audit.reasons}
    return [GapReason(code=r.code, label=r.zh, label_en=r.en)
            for r in (audit.reason(c) for c in codes if c in known)]


def _seen(gap: TrackedGap) -> None:
    if AUDITS[gap.metric].eligible is Label.PERSON:
        saw_person(gap.target)


@strawberry.type(description="A gap as tracked across snapshots (its latest reasons).")
class TrackedGapItem(AuditGap):
    opened_on: dt.date = strawberry.field(description="First day of this episode (发现日期).")
    closed_on: dt.date | None = strawberry.field(description="Day it closed; null if open.")
    days_open: int = strawberry.field(description="Days from opening to closing (or to the "
                                                  "later snapshot while open).")

    @classmethod
    def from_state(cls, s: h.GapState) -> TrackedGapItem:
        g = s.gap
        _seen(g)
        return cls(code=g.target, name=g.name, community_code=g.community,
                   community_name=g.community_name, street_code=g.street,
                   street_name=g.street_name, reasons=_reasons(g.metric, g.reasons),
                   opened_on=s.opened_on, closed_on=s.closed_on, days_open=s.days_open)


@strawberry.type(description="What changed between two snapshots for one metric.")
class CoverageChange:
    metric: str = strawberry.field(description="Metric id.")
    scope: str | None = strawberry.field(description="Place code; null for everything.")
    since: Snapshot = strawberry.field(description="The earlier snapshot.")
    until: Snapshot = strawberry.field(description="The later snapshot.")
    found: strawberry.Private[h.Changes]

    def _page(self, name: str, items: list[h.GapState], first: int | None,
              after: str | None) -> Connection[TrackedGapItem]:
        return paged(items, f"{name}:{self.metric}", TrackedGapItem.from_state, first, after)

    @strawberry.field(description="Gaps open at `until` that were not at `since` (新增).")
    def new_gaps(self, first: First = None, after: After = None) -> Connection[TrackedGapItem]:
        return self._page("new", self.found.new, first, after)

    @strawberry.field(description="Gaps open at `since` and closed by `until` (已整改).")
    def closed_gaps(self, first: First = None,
                    after: After = None) -> Connection[TrackedGapItem]:
        return self._page("closed", self.found.closed, first, after)

    @strawberry.field(description="Gaps open at both, with their age at `until` (仍未整改).")
    def still_open(self, first: First = None,
                   after: After = None) -> Connection[TrackedGapItem]:
        return self._page("still", self.found.still_open, first, after)


@strawberry.type(description="One stretch in which the item was a gap.")
class GapEpisode:
    opened_on: dt.date = strawberry.field(description="Snapshot day it was first seen.")
    closed_on: dt.date | None = strawberry.field(description="Snapshot day it was gone.")


@strawberry.type(description="The reasons an item had from one snapshot on.")
class GapReasonsChange:
    on: dt.date = strawberry.field(description="Snapshot day the reasons changed.")
    reasons: list[GapReason] = strawberry.field(description="The reasons from then on.")


@strawberry.type(description="One item's history as a gap of one audit (缺口台账).")
class GapHistory:
    metric: str = strawberry.field(description="Metric id.")
    code: str = strawberry.field(description="Code of the item.")
    name: str = strawberry.field(description="Name of the item.")
    open: bool = strawberry.field(description="A gap in the latest snapshot.")
    removed: bool = strawberry.field(description="Closed because the item left the graph.")
    first_seen: dt.date = strawberry.field(description="First snapshot day it was a gap.")
    reopened: int = strawberry.field(description="Times it became a gap again after closing.")
    days_open: int = strawberry.field(description="Days it has been a gap, every episode.")
    episodes: list[GapEpisode] = strawberry.field(description="Oldest first.")
    reasons: list[GapReasonsChange] = strawberry.field(description="Oldest first.")

    @classmethod
    def from_record(cls, x: h.GapHistory) -> GapHistory:
        g = x.gap
        _seen(g)
        return cls(metric=g.metric, code=g.target, name=g.name, open=g.open, removed=g.removed,
                   first_seen=x.first_seen, reopened=x.reopened, days_open=x.days_open,
                   episodes=[GapEpisode(opened_on=o, closed_on=c) for o, c in x.episodes],
                   reasons=[GapReasonsChange(on=d, reasons=_reasons(g.metric, r))
                            for d, r in x.reasons])


@strawberry.enum(description="Where a gap listed by a notice stands (整改状态).")
class RectificationState(Enum):
    FIXED = h.FIXED
    OPEN = h.OPEN
    OVERDUE = h.OVERDUE
    REMOVED = h.REMOVED


describe_values(RectificationState, {
    RectificationState.FIXED: "已整改: the gap is closed",
    RectificationState.OPEN: "整改中: still open, the deadline not passed",
    RectificationState.OVERDUE: "逾期: still open past the notice's deadline",
    RectificationState.REMOVED: "已撤销: the place or item left the rosters",
}.__getitem__)


@strawberry.type(description="A gap listed by a notice, with where it stands (台账条目).")
class LedgerEntry:
    gap: TrackedGapItem = strawberry.field(description="The gap.")
    state: RectificationState = strawberry.field(
        description="fixed: closed by a later snapshot; removed: its item left the graph; "
                    "open; overdue: open past the deadline.")


def _entry(e: h.LedgerItem) -> LedgerEntry:
    state = h.GapState(e.gap, e.opened_on, e.closed_on, e.days_open)
    return LedgerEntry(gap=TrackedGapItem.from_state(state), state=RectificationState(e.state))


@strawberry.type(description="A notice's counts, for the whole notice or one street.")
class NoticeTally:
    code: str | None = strawberry.field(description="Street code; null for the whole notice.")
    name: str | None = strawberry.field(description="Street name.")
    total: int = strawberry.field(description="Gaps listed.")
    fixed: int = strawberry.field(description="Fixed (已整改).")
    open: int = strawberry.field(description="Open, deadline not passed (整改中).")
    overdue: int = strawberry.field(description="Open past the deadline (逾期).")
    removed: int = strawberry.field(description="Their item left the graph.")
    closure_rate: float | None = strawberry.field(
        description="fixed / (total − removed); null when nothing is left (整改率).")

    @classmethod
    def from_record(cls, t: h.Tally) -> NoticeTally:
        return cls(code=t.code, name=t.name, total=t.total, fixed=t.fixed, open=t.open,
                   overdue=t.overdue, removed=t.removed, closure_rate=t.closure_rate)


@strawberry.type(description="A rectification notice (整改通知): a metric's gaps in a scope "
                             "frozen when it was issued, with a deadline.")
class Notice:
    id: str = strawberry.field(description="Notice id (N0001 …).")
    metric: str = strawberry.field(description="Metric id.")
    title: str = strawberry.field(description="Metric name in Chinese.")
    scope: str | None = strawberry.field(description="Place code; null for everything.")
    deadline: dt.date = strawberry.field(description="Day by which the gaps are to be fixed.")
    note: str = strawberry.field(description="What the issuer wrote.")
    issued_at: str = strawberry.field(description="When it was issued (ISO 8601, UTC).")
    issued_by: str = strawberry.field(description="Who issued it (token subject).")
    snapshot: str = strawberry.field(description="Id of the snapshot whose gaps it lists.")
    record: strawberry.Private[NoticeRecord]
    within: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, n: NoticeRecord, within: str | None) -> Notice:
        return cls(id=n.code, metric=n.metric, title=AUDITS[n.metric].zh, scope=n.scope,
                   deadline=dt.date.fromisoformat(n.deadline), note=n.note,
                   issued_at=n.issued_at, issued_by=n.issued_by, snapshot=f"S{n.seq}",
                   record=n, within=within)

    async def _ledger(self, info: Info[Context, None]) -> h.Ledger:
        cache = info.context.__dict__.setdefault("ledgers", {})
        if self.id not in cache:
            cache[self.id] = await h.ledger(info.context.store, notice=self.record,
                                            scope=self.within,
                                            today=dt.date.fromisoformat(info.context.today))
        found: h.Ledger = cache[self.id]
        return found

    @strawberry.field(description="Counts over every listed gap inside the caller's "
                                  "jurisdiction.")
    async def summary(self, info: Info[Context, None]) -> NoticeTally:
        return NoticeTally.from_record((await self._ledger(info)).total)

    @strawberry.field(description="Counts per street, in code order.")
    async def streets(self, info: Info[Context, None]) -> list[NoticeTally]:
        return [NoticeTally.from_record(t) for t in (await self._ledger(info)).streets]

    @strawberry.field(description="The ledger (整改台账): overdue first, then open, fixed, "
                                  "removed; by street and code within each.")
    async def items(self, info: Info[Context, None], first: First = None,
                    after: After = None) -> Connection[LedgerEntry]:
        entries = (await self._ledger(info)).items
        return paged(entries, f"ledger:{self.id}", _entry, first, after)
