"""What to ask for an audit: check metric, scope and group-by, then totals and gap pages."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

from graph.domain import level_rank
from graph.errors import BadInput, NotFound
from graph.queries.audits import AUDITS, AuditDef, multi_anchor
from graph.records import AuditGap, AuditGroup, AuditSummary, PlaceFigures, SnapshotRecord
from graph.repo import audits as repo
from graph.repo import history, snapshots
from graph.repo.audits import GapFilter
from graph.store import GraphStore
from resolvers.nodes import normalize

GROUP_BY_LEVELS = ("street", "community", "grid")


def audit_definition(metric: str) -> AuditDef:
    audit = AUDITS.get(metric)
    if audit is None:
        raise BadInput(f"unknown audit metric {metric!r}; known: {', '.join(AUDITS)}")
    return audit


async def check_scope_and_group(
    store: GraphStore, *, scope: str | None, group_by: str | None
) -> str | None:
    """Normalized scope; NOT_FOUND for unknown scope codes, BAD_USER_INPUT for a group-by
    level above the scope's level."""
    return (await scope_and_level(store, scope=scope, group_by=group_by))[0]


#: Enclosing places a gap names, by level: each is left out when the scope lies below it
#: (it is outside the scope, and so may be outside the caller's jurisdiction).
_ENCLOSING = {"community": ("grid", "compound", "building"),
              "street": ("community", "grid", "compound", "building")}


def hide_enclosing(gap: AuditGap, scope_level: str | None) -> AuditGap:
    """The gap without the community or street that lies above the scope."""
    if scope_level in _ENCLOSING["street"]:
        gap = dataclasses.replace(gap, street_code=None, street_name=None)
    if scope_level in _ENCLOSING["community"]:
        gap = dataclasses.replace(gap, community_code=None, community_name=None)
    return gap


async def scope_and_level(
    store: GraphStore, *, scope: str | None, group_by: str | None
) -> tuple[str | None, str | None]:
    """`check_scope_and_group`, with the scope place's level (None for everything)."""
    level = "district-set"  # everything: any group level is below it
    code = None
    if scope is not None:
        code = normalize(scope)
        place = await repo.place_by_code(store, code=code)
        if place is None:
            raise NotFound(f"scope {scope!r} is not a known place code")
        level = place.level
    if group_by is not None:
        if group_by not in GROUP_BY_LEVELS:
            raise BadInput(f"group-by must be one of {', '.join(GROUP_BY_LEVELS)}")
        # the scope's own level is one group (a street's token grouping by street sees
        # its street, as the district's sees every street); only above it is an error
        if level != "district-set" and level_rank(group_by) < level_rank(level):
            below = [lv for lv in GROUP_BY_LEVELS if level_rank(lv) >= level_rank(level)]
            raise BadInput(
                f"group-by {group_by} is above the scope {code} ({level}); "
                + (f"use {' or '.join(below)}" if below else "this scope has no lower level"))
    return code, (None if code is None else level)


async def serving_snapshot(store: GraphStore) -> SnapshotRecord | None:
    """The latest snapshot when it is the current audit: taken for today, of the last
    committed load, with no load unfinished (loads are the only writers of roster data)."""
    state = await history.current_state(store)
    latest = state.snapshot
    if latest is None or state.load_id is None or state.unfinished or \
            latest.load_id != state.load_id or latest.as_of != dt.date.today().isoformat():
        return None
    return latest


async def overview(store: GraphStore, *, scope: str | None) -> list[tuple[AuditDef, AuditSummary]]:
    """Headline figures of every audit for one scope: read from the current snapshot (one
    statement), else computed (one statement per audit, concurrently)."""
    audits = list(AUDITS.values())
    snap = await serving_snapshot(store)
    if snap is not None and all(a.id in snap.metrics for a in audits):
        kept = await history.figures_at(store, seq=snap.seq,
                                        place=scope or snapshots.EVERYTHING)
        if kept is not None:
            return [(a, _kept(a, snap, kept, scope)) for a in audits]
    results = await asyncio.gather(*(
        repo.audit_summary(store, audit=audit, scope=scope, group_by=None) for audit in audits))
    return list(zip(audits, results, strict=True))


def _kept(audit: AuditDef, snap: SnapshotRecord, kept: PlaceFigures, scope: str | None,
          groups: list[AuditGroup] | None = None) -> AuditSummary:
    i = snap.metrics.index(audit.id)
    return AuditSummary(audit.id, scope, kept.eligible[i], kept.covered[i], groups or [],
                        snapshot=snap.code)


async def _no_groups() -> list[tuple[str, str, list[int], list[int]]]:
    return []


async def summary(store: GraphStore, *, audit: AuditDef, scope: str | None,
                  group_by: str | None) -> AuditSummary:
    """Totals and groups, read from the current snapshot when it holds them (a place's
    figures are the audit scoped to it; groups only for audits whose items lie in one
    place, where they are the same), else computed."""
    snap = await serving_snapshot(store)
    if snap is not None and audit.id in snap.metrics and (
            group_by is None or not multi_anchor(audit)):
        top, places = await asyncio.gather(
            history.figures_at(store, seq=snap.seq, place=scope or snapshots.EVERYTHING),
            history.group_figures(store, seq=snap.seq, scope=scope, group_by=group_by)
            if group_by else _no_groups())
        if top is not None and places is not None:
            i = snap.metrics.index(audit.id)
            groups = [AuditGroup(code, name, eligible[i], covered[i])
                      for code, name, eligible, covered in places]
            return _kept(audit, snap, top, scope, groups)
    return await repo.audit_summary(store, audit=audit, scope=scope, group_by=group_by)


#: Longest text a gap list is filtered by (a code or a fragment of a name).
MAX_GAP_TEXT = 64


def gap_filter(audit: AuditDef, *, reason: str | None, text: str | None) -> GapFilter:
    """The filter of a gap list: `reason` one of the audit's reason codes, `text` trimmed
    (NFKC, lower-case, at most MAX_GAP_TEXT characters; blank is no filter)."""
    if reason is not None and reason not in (known := [x.code for x in audit.reasons]):
        raise BadInput(f"argument reason: {reason[:64]!r} is not a reason of {audit.id}; "
                       f"valid: {', '.join(known)}")
    needle = normalize(text) if text is not None else ""
    if len(needle) > MAX_GAP_TEXT:
        raise BadInput(f"argument text: at most {MAX_GAP_TEXT} characters, got "
                       f"{len(needle)}")
    return GapFilter(text=needle.lower() or None, reason=reason)


async def gaps(store: GraphStore, *, audit: AuditDef, scope: str | None, after: str | None,
               limit: int, only: GapFilter | None = None) -> list[AuditGap]:
    return await repo.audit_gaps(store, audit=audit, scope=scope, after=after, limit=limit,
                                 only=only)


async def gap_count(store: GraphStore, *, audit: AuditDef, scope: str | None,
                    only: GapFilter) -> int:
    """How many gaps of the scope pass the filter."""
    return await repo.audit_gap_count(store, audit=audit, scope=scope, only=only)


