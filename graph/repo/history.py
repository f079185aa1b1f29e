"""Repository functions reading coverage history and writing rectification notices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graph.queries import history as q
from graph.queries.audits import GROUP_LEVELS
from graph.records import NoticeRecord, PlaceFigures, SnapshotRecord, TrackedGap
from graph.store import GraphStore


@dataclass(frozen=True, slots=True)
class CurrentState:
    """The latest snapshot, the last committed load and whether a load is unfinished."""

    snapshot: SnapshotRecord | None
    load_id: str | None
    finished_at: str | None
    unfinished: bool


async def current_state(store: GraphStore) -> CurrentState:
    """One read: what an audit answer needs to say how current it is, and whether the
    latest snapshot can serve it."""
    rows = await store.read(q.CURRENT_STATE)
    r = rows[0] if rows else {}
    snapshot = SnapshotRecord.from_row(r) if r.get("code") is not None else None
    return CurrentState(snapshot, r.get("committed"), r.get("finished_at"),
                        bool(r.get("unfinished")))


async def snapshots(store: GraphStore) -> list[SnapshotRecord]:
    """Every snapshot, oldest first (one a month for years is a few hundred rows)."""
    return [SnapshotRecord.from_row(r) for r in await store.read(q.SNAPSHOTS)]


async def figures_of_place(store: GraphStore, *, place: str, limit: int) -> list[PlaceFigures]:
    """The place's figures in its latest `limit` snapshots, newest first."""
    return [PlaceFigures.from_row(r) for r in await store.read(
        q.FIGURES_OF_PLACE, {"place": place, "limit": limit})]


async def figures_at(store: GraphStore, *, seq: int, place: str) -> PlaceFigures | None:
    rows = await store.read(q.FIGURES_AT, {"code": f"{seq}|{place}"})
    return PlaceFigures.from_row(rows[0]) if rows else None


async def group_figures(store: GraphStore, *, seq: int, scope: str | None, group_by: str
                        ) -> list[tuple[str, str, list[int], list[int]]] | None:
    """(code, name, eligible, covered) of every group place inside the scope in snapshot
    `seq`, in code order; None when a place has no figures there (made since)."""
    level = GROUP_LEVELS[group_by][1]
    rows = await store.read(q.group_figures(group_by=group_by, scoped=scope is not None),
                            {"scope": scope, "group_level": level, "seq": seq})
    if any(r["eligible"] is None for r in rows):
        return None
    return [(str(r["code"]), str(r["name"] or ""), [int(v) for v in r["eligible"]],
             [int(v) for v in r["covered"]]) for r in rows]


async def child_figures(store: GraphStore, *, place: str | None,
                        seqs: Sequence[int]) -> list[PlaceFigures]:
    """Figures of the places right below `place` (None: the top places) in the snapshots."""
    if place is None:
        rows = await store.read(q.TOP_FIGURES, {"seqs": list(seqs)})
    else:
        rows = await store.read(q.CHILD_FIGURES, {"place": place, "seqs": list(seqs)})
    return [PlaceFigures.from_row(r) for r in rows]


async def gaps_of_metric(store: GraphStore, *, metric: str,
                         scope: str | None) -> list[TrackedGap]:
    """Every tracked gap of one metric inside the scope, in code order."""
    return [TrackedGap.from_row(r) for r in await store.read(
        q.GAPS_OF_METRIC, {"metric": metric, "scope": scope})]


async def gap(store: GraphStore, *, code: str, scope: str | None) -> TrackedGap | None:
    rows = await store.read(q.GAP_BY_CODE, {"code": code, "scope": scope})
    return TrackedGap.from_row(rows[0]) if rows else None


async def create_notice(store: GraphStore, *, notice: NoticeRecord, places: list[str],
                        gaps: list[str]) -> int:
    """Write the notice and its links to the gaps it freezes; how many were linked."""
    result = await store.write(q.CREATE_NOTICE, {
        "code": notice.code, "metric": notice.metric, "scope": notice.scope,
        "places": places, "deadline": notice.deadline, "note": notice.note,
        "issued_at": notice.issued_at, "issued_by": notice.issued_by, "seq": notice.seq,
        "gaps": gaps})
    return int(result.rows[0]["listed"]) if result.rows else 0


async def count_notices(store: GraphStore) -> int:
    return int((await store.read(q.COUNT_NOTICES))[0]["notices"])


async def notices(store: GraphStore, *, scope: str | None,
                  chain: Sequence[str]) -> list[NoticeRecord]:
    """Notices a caller of jurisdiction `scope` (with `chain`, its place and those above)
    sees: those inside it, and those of a place above it (their ledgers then list only
    what lies inside)."""
    return [NoticeRecord.from_row(r) for r in await store.read(
        q.NOTICES, {"scope": scope, "chain": list(chain)})]


async def notice(store: GraphStore, *, code: str) -> NoticeRecord | None:
    rows = await store.read(q.NOTICE_BY_CODE, {"code": code})
    return NoticeRecord.from_row(rows[0]) if rows else None


async def notice_gaps(store: GraphStore, *, code: str, scope: str | None) -> list[TrackedGap]:
    return [TrackedGap.from_row(r) for r in await store.read(
        q.NOTICE_GAPS, {"code": code, "scope": scope})]
