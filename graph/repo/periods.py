"""Repository functions for the period figures: one round trip each."""

from __future__ import annotations

from graph.queries import periods as q
from graph.records import KindCount, PostSpan
from graph.store import GraphStore


async def party_org_kinds(store: GraphStore, *, scope: str | None) -> list[KindCount]:
    rows = await store.read(q.party_org_kinds(scoped=scope is not None), {"scope": scope})
    return [KindCount(str(r["kind"]), int(r["count"])) for r in rows if r["kind"]]


async def secretary_posts(store: GraphStore, *, scope: str | None, category: str | None,
                          to: str) -> list[PostSpan]:
    rows = await store.read(q.secretary_posts(scoped=scope is not None),
                            {"scope": scope, "category": category, "to": to})
    return [PostSpan(str(r["org"]), str(r["person"]), r["start"], r["end"]) for r in rows]
