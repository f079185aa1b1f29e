"""Repository functions for audits: totals, groups and gap pages, a few round trips each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from graph.domain import Label
from graph.queries import audits as q
from graph.records import AuditGap, AuditGroup, AuditSummary, NodeRecord, PlaceGaps
from graph.store import GraphStore


async def place_by_code(store: GraphStore, *, code: str) -> NodeRecord | None:
    rows = await store.read(q.PLACE_BY_CODE, {"code": code})
    return NodeRecord.from_row({**rows[0], "labels": rows[0]["labels"]}) if rows else None


def _today() -> str:
    return dt.date.today().isoformat()


async def audit_summary(
    store: GraphStore, *, audit: q.AuditDef, scope: str | None, group_by: str | None,
    today: str | None = None,
) -> AuditSummary:
    """Totals for the scope and, with `group_by`, one entry per group place (empty ones too)."""
    scoped = scope is not None
    level = q.GROUP_LEVELS[group_by][1] if group_by else None
    params = {"scope": scope, "group_level": level, "today": today or _today()}
    rows = await store.read(q.audit_totals(audit=audit, group_by=group_by, scoped=scoped,
                                           backend=store.backend), params)
    eligible = sum(int(r["eligible"]) for r in rows)
    covered = sum(int(r["covered"]) for r in rows)
    groups: list[AuditGroup] = []
    if group_by is not None:
        counts = {r["code"]: r for r in rows}
        places = await store.read(q.group_places(group_by=group_by, scoped=scoped), params)
        for place in places:
            row = counts.get(place["code"])
            groups.append(AuditGroup(place["code"], place["name"],
                                     int(row["eligible"]) if row else 0,
                                     int(row["covered"]) if row else 0))
    return AuditSummary(audit.id, scope, eligible, covered, groups)


@dataclass(frozen=True, slots=True)
class GapFilter:
    """Which gaps a list keeps: `text` (lower-case) inside the code or name, `reason` one
    of the audit's reason codes; None keeps every one."""

    text: str | None = None
    reason: str | None = None

    def __bool__(self) -> bool:
        return self.text is not None or self.reason is not None


async def audit_gaps(
    store: GraphStore, *, audit: q.AuditDef, scope: str | None, after: str | None,
    limit: int, today: str | None = None, only: GapFilter | None = None,
) -> list[AuditGap]:
    only = only or GapFilter()
    rows = await store.read(q.audit_gaps(audit=audit, scoped=scope is not None), {
        "scope": scope, "after": after, "limit": limit, "today": today or _today(),
        "text": only.text, "reason": only.reason})
    return [AuditGap(r["code"], r["name"], list(r["reasons"]), r["community_code"],
                     r["community_name"], r["street_code"], r["street_name"]) for r in rows]


async def audit_gap_count(store: GraphStore, *, audit: q.AuditDef, scope: str | None,
                          only: GapFilter, today: str | None = None) -> int:
    """How many gaps of the scope pass the filter (one round trip)."""
    rows = await store.read(q.audit_gap_count(audit=audit, scoped=scope is not None), {
        "scope": scope, "today": today or _today(), "text": only.text,
        "reason": only.reason})
    return int(rows[0]["total"]) if rows else 0


async def gaps_of_places(
    store: GraphStore, *, place: Label, codes: Sequence[str], limit: int,
    today: str | None = None,
) -> dict[str, list[PlaceGaps]]:
    """Per place code (places of one label), every audit with gaps inside it (catalogue
    order), first `limit`."""
    rows = await store.read(q.gaps_of_places(place=q.place_kind(place)), {
        "codes": list(codes), "limit": limit, "today": today or _today()})
    order = {metric: i for i, metric in enumerate(q.AUDITS)}
    out: dict[str, list[PlaceGaps]] = {code: [] for code in codes}
    for r in rows:
        gaps = [AuditGap(g["code"], g["name"], list(g["reasons"]), None, None, None, None)
                for g in r["items"]]
        out[r["key"]].append(PlaceGaps(r["metric"], int(r["total"]), gaps))
    for found in out.values():
        found.sort(key=lambda g: order[g.metric])
    return out
