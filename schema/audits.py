"""GraphQL types of audit results (design/audits.md)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry
from strawberry.types import Info

from graph.domain import Label
from graph.queries.audits import AUDITS, AuditDef
from graph.records import AuditGap as GapRecord
from graph.records import PlaceGaps
from resolvers import audits as r
from resolvers.access import saw_person
from resolvers.context import Context
from resolvers.pagination import decode_cursor, encode_cursor, page_size
from resolvers.status import DataStatus, data_status
from schema.paging import AFTER, FIRST, Connection, Edge, page_info


async def status_of(info: Info[Context, None]) -> DataStatus:
    """The request's data status, read once however many fields ask."""
    cache = info.context.__dict__
    if "data_status" not in cache:
        cache["data_status"] = asyncio.ensure_future(data_status(info.context.store))
    found: DataStatus = await cache["data_status"]
    return found


AS_OF = ("When the last committed load finished (ISO 8601): the data these figures reflect "
         "(数据截至); null before any load.")
GAP_REASON = ("Only gaps with this reason: a reason code of the audit, e.g. no_party_org "
              "(the audit's `reasons` list them); BAD_USER_INPUT for another.")
GAP_TEXT = ("Only gaps whose code or name contains this text (case-insensitive, trimmed, "
            f"at most {r.MAX_GAP_TEXT} characters; blank: no filter). totalCount counts "
            "the filtered list.")
UNFINISHED = ("A load has started and not committed (running, or interrupted): the figures "
              "may be half old, half new.")


@strawberry.type(description="How current the data is.")
class DataStatusInfo:
    as_of: str | None = strawberry.field(description=AS_OF)
    load_id: str | None = strawberry.field(description="The last committed load.")
    load_unfinished: bool = strawberry.field(description=UNFINISHED)
    snapshot: str | None = strawberry.field(description="The latest coverage snapshot.")
    snapshot_current: bool = strawberry.field(
        description="The latest snapshot reflects the last committed load.")

    @classmethod
    def from_record(cls, s: DataStatus) -> DataStatusInfo:
        return cls(as_of=s.as_of, load_id=s.load_id, load_unfinished=s.unfinished,
                   snapshot=s.snapshot, snapshot_current=s.snapshot_current)


@strawberry.interface(description="An audit answer: it says how current its data is.")
class AuditAnswer:

    @strawberry.field(description=AS_OF)
    async def data_as_of(self, info: Info[Context, None]) -> str | None:
        return (await status_of(info)).as_of

    @strawberry.field(description=UNFINISHED)
    async def load_unfinished(self, info: Info[Context, None]) -> bool:
        return (await status_of(info)).unfinished


@strawberry.type(description="Eligible, covered and rate for one group (street, community, grid).")
class AuditGroup:
    code: str | None = strawberry.field(description="Code of the group place.")
    name: str | None = strawberry.field(description="Name of the group place.")
    eligible: int = strawberry.field(description="Eligible items in the group (应覆盖).")
    covered: int = strawberry.field(description="Covered items in the group (已覆盖).")
    rate: float | None = strawberry.field(
        description="covered / eligible, 0–1; null when nothing is eligible (覆盖率).")


@strawberry.type(description="Headline figures of one audit (for overview pages).")
class AuditHeadline(AuditAnswer):
    metric: str = strawberry.field(description="Metric id, e.g. compound-party-org.")
    title: str = strawberry.field(description="Metric name in Chinese (指标).")
    title_en: str = strawberry.field(description="Metric name in English.")
    eligible: int = strawberry.field(description="Eligible items in the scope (应覆盖).")
    covered: int = strawberry.field(description="Covered items (已覆盖).")
    gaps: int = strawberry.field(description="Items not covered (缺口).")
    rate: float | None = strawberry.field(
        description="covered / eligible, 0–1; null when nothing is eligible (覆盖率).")


@strawberry.type(description="Why an item is a gap (原因).")
class GapReason:
    code: str = strawberry.field(description="Stable reason code, e.g. no_party_org.")
    label: str = strawberry.field(description="Reason in Chinese (原因).")
    label_en: str = strawberry.field(description="Reason in English.")


@strawberry.type(description="An item that is not covered, with where it lies and why.")
class AuditGap:
    code: str = strawberry.field(description="Code of the uncovered item.")
    name: str = strawberry.field(description="Name of the uncovered item.")
    community_code: str | None = strawberry.field(description="Enclosing community (社区).")
    community_name: str | None = strawberry.field(description="Enclosing community name.")
    street_code: str | None = strawberry.field(description="Enclosing street (街道).")
    street_name: str | None = strawberry.field(description="Enclosing street name.")
    reasons: list[GapReason] = strawberry.field(description="Every reason it is a gap.")

    @classmethod
    def from_record(cls, gap: GapRecord, audit: AuditDef) -> AuditGap:
        if audit.eligible is Label.PERSON:
            saw_person(gap.code)
        reasons = [audit.reason(code) for code in gap.reasons]
        return cls(code=gap.code, name=gap.name, community_code=gap.community_code,
                   community_name=gap.community_name, street_code=gap.street_code,
                   street_name=gap.street_name,
                   reasons=[GapReason(code=x.code, label=x.zh, label_en=x.en) for x in reasons])


@strawberry.type(description="One audit's gaps inside a place (on place pages).")
class PlaceAuditGaps:
    metric: str = strawberry.field(description="Metric id, e.g. building-chief.")
    title: str = strawberry.field(description="Metric name in Chinese (指标).")
    title_en: str = strawberry.field(description="Metric name in English.")
    total: int = strawberry.field(description="Gaps of this audit inside the place (缺口数).")
    gaps: list[AuditGap] = strawberry.field(
        description="The first gaps in code order (community and street are left empty: "
                    "the place says where they are).")

    @classmethod
    def from_record(cls, rec: PlaceGaps) -> PlaceAuditGaps:
        audit = AUDITS[rec.metric]
        return cls(metric=audit.id, title=audit.zh, title_en=audit.en, total=rec.total,
                   gaps=[AuditGap.from_record(g, audit) for g in rec.gaps])


@strawberry.type(description="Result of one audit for a scope.")
class AuditResult(AuditAnswer):
    metric: str = strawberry.field(description="Metric id, e.g. compound-party-org.")
    title: str = strawberry.field(description="Metric name in Chinese (指标).")
    scope: str | None = strawberry.field(description="Scope place code; null for everything.")
    eligible: int = strawberry.field(description="Eligible items in the scope (应覆盖).")
    covered: int = strawberry.field(description="Covered items (已覆盖).")
    rate: float | None = strawberry.field(
        description="covered / eligible, 0–1; null when nothing is eligible (覆盖率).")
    groups: list[AuditGroup] = strawberry.field(
        description="Figures per group place when groupBy is given, in code order.")
    snapshot: str | None = strawberry.field(
        default=None, description="The snapshot these figures were read from (the current "
                                  "audit: taken today, nothing loaded since); null when "
                                  "computed.")
    audit: strawberry.Private[AuditDef]
    gap_total: strawberry.Private[int]
    scope_level: strawberry.Private[str | None] = None

    @strawberry.field(description="Every reason this audit can give for a gap (its "
                                  "catalogue, design/audits.md): what `gaps(reason:)` takes.")
    def reasons(self) -> list[GapReason]:
        return [GapReason(code=x.code, label=x.zh, label_en=x.en) for x in self.audit.reasons]

    @strawberry.field(description="Uncovered items in code order, with reasons (缺口清单).")
    async def gaps(
        self, info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        reason: Annotated[str | None, strawberry.argument(description=GAP_REASON)] = None,
        text: Annotated[str | None, strawberry.argument(description=GAP_TEXT)] = None,
    ) -> Connection[AuditGap]:
        list_id = f"gaps:{self.metric}"
        size = page_size(first)
        start = decode_cursor(list_id, after)
        only = r.gap_filter(self.audit, reason=reason, text=text)
        store = info.context.store
        page = r.gaps(store, audit=self.audit, scope=self.scope, after=start,
                      limit=size + 1, only=only)
        if only:  # the filtered list's own total, asked at the same time as the page
            found, total = await asyncio.gather(page, r.gap_count(
                store, audit=self.audit, scope=self.scope, only=only))
        else:
            found, total = await page, self.gap_total
        edges = [Edge(cursor=encode_cursor(list_id, g.code),
                      node=AuditGap.from_record(r.hide_enclosing(g, self.scope_level),
                                                self.audit))
                 for g in found[:size]]
        return Connection(edges=edges, total_count=total, page_info=page_info(
            [e.cursor for e in edges], has_next=len(found) > size,
            started_after=after is not None))
