"""Repository functions for lookups and navigation: one statement per call, many codes."""

from __future__ import annotations

from collections.abc import Sequence

from graph.domain import Label
from graph.queries import navigation as q
from graph.records import NodeRecord, Page, PostRecord
from graph.store import GraphStore


async def nodes_by_code(
    store: GraphStore, *, label: Label, codes: Sequence[str], scope: str | None
) -> dict[str, NodeRecord]:
    rows = await store.read(q.nodes_by_code(label=label, scoped=scope is not None),
                            {"codes": list(codes), "scope": scope})
    return {row["key"]: NodeRecord.from_row(row["node"]) for row in rows}


async def neighbour_pages(
    store: GraphStore, *, edge: q.Edge, codes: Sequence[str], scope: str | None,
    after: str | None, first: int,
) -> dict[str, Page]:
    """A page per code; codes without neighbours get an empty page."""
    rows = await store.read(q.neighbours(edge=edge, scoped=scope is not None), {
        "codes": list(codes), "scope": scope, "after": after, "limit": first + 1})
    found = {row["key"]: row for row in rows}
    pages: dict[str, Page] = {}
    for code in codes:
        row = found.get(code)
        if row is None:
            pages[code] = Page([], 0, False)
            continue
        items = [NodeRecord.from_row(item) for item in row["items"]]
        pages[code] = Page(items[:first], int(row["total"]), len(items) > first)
    return pages


async def hops(
    store: GraphStore, *, src: Label, keys: Sequence[tuple[str, str]], scope: str | None,
    limit: int,
) -> dict[tuple[str, str], Page]:
    """Neighbours of many (edge name, code) keys, every edge starting at `src`, in one
    statement; a key without neighbours gets an empty page."""
    group = q.HOP_GROUPS[src]
    index = {edge.name: i for i, edge in enumerate(group)}
    codes: list[list[str]] = [[] for _ in group]
    for edge_name, code in keys:
        codes[index[edge_name]].append(code)
    params: dict[str, object] = {f"codes{i}": c for i, c in enumerate(codes)}
    rows = await store.read(q.hops(src=src, scoped=scope is not None),
                            {**params, "scope": scope, "limit": limit + 1})
    pages: dict[tuple[str, str], Page] = {}
    for row in rows:
        items = [NodeRecord.from_row(item) for item in row["items"]]
        pages[(group[int(row["edge"])].name, row["key"])] = Page(
            items[:limit], int(row["total"]), len(items) > limit)
    return {key: pages.get(key, Page([], 0, False)) for key in keys}


async def posts_of_people(
    store: GraphStore, *, codes: Sequence[str], scope: str | None
) -> dict[str, list[PostRecord]]:
    rows = await store.read(q.posts_of_people(scoped=scope is not None),
                            {"codes": list(codes), "scope": scope})
    return _posts(codes, rows)


async def posts_on_targets(
    store: GraphStore, *, label: Label, codes: Sequence[str], scope: str | None
) -> dict[str, list[PostRecord]]:
    rows = await store.read(q.posts_on_targets(label=label, scoped=scope is not None),
                            {"codes": list(codes), "scope": scope})
    return _posts(codes, rows)


def _posts(codes: Sequence[str], rows: list[dict[str, object]]) -> dict[str, list[PostRecord]]:
    out: dict[str, list[PostRecord]] = {code: [] for code in codes}
    for row in rows:
        items = row["items"]
        assert isinstance(items, list)
        out[str(row["key"])] = [
            PostRecord(item["post"].get("role", ""), item["post"].get("start"),
                       item["post"].get("end"), NodeRecord.from_row(item["node"]))
            for item in items
        ]
    return out


async def list_nodes(
    store: GraphStore, *, label: Label, kind: str | None, scope: str | None,
    after: str | None, first: int,
) -> Page:
    """A page of nodes of one label; two round trips (page and total)."""
    scoped = scope is not None
    rows = await store.read(q.list_nodes(label=label, scoped=scoped), {
        "kind": kind, "scope": scope, "after": after, "limit": first + 1})
    total = await store.read(q.count_nodes(label=label, scoped=scoped),
                             {"kind": kind, "scope": scope})
    items = [NodeRecord.from_row(row["node"]) for row in rows]
    return Page(items[:first], int(total[0]["total"]), len(items) > first)


async def phones_by_code(store: GraphStore, *, codes: Sequence[str]) -> dict[str, str]:
    """Stored phone numbers of these people (those without one are left out)."""
    rows = await store.read(q.PHONES, {"codes": list(codes)})
    return {row["key"]: str(row["phone"]) for row in rows}


async def top_places(store: GraphStore, *, limit: int) -> list[str]:
    """Codes of regions inside no other place, in code order (at most `limit`)."""
    return [str(r["code"]) for r in await store.read(q.TOP_PLACES, {"limit": limit})]
