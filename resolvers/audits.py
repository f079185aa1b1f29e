"""What to ask for an audit: check metric, scope and group-by, then totals and gap pages."""

from __future__ import annotations

import asyncio
import dataclasses

from graph.domain import level_rank
from graph.errors import BadInput, NotFound
from graph.queries.audits import AUDITS, AuditDef
from graph.records import AuditGap, AuditSummary
from graph.repo import audits as repo
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


async def overview(store: GraphStore, *, scope: str | None) -> list[tuple[AuditDef, AuditSummary]]:
    """Headline figures of every audit for one scope (one statement per audit, concurrently)."""
    audits = list(AUDITS.values())
    results = await asyncio.gather(*(
        repo.audit_summary(store, audit=audit, scope=scope, group_by=None) for audit in audits))
    return list(zip(audits, results, strict=True))


async def summary(store: GraphStore, *, audit: AuditDef, scope: str | None,
                  group_by: str | None) -> AuditSummary:
    return await repo.audit_summary(store, audit=audit, scope=scope, group_by=group_by)


async def gaps(store: GraphStore, *, audit: AuditDef, scope: str | None, after: str | None,
               limit: int) -> list[AuditGap]:
    return await repo.audit_gaps(store, audit=audit, scope=scope, after=after, limit=limit)


