"""Repository functions for linkage queries: a fixed number of statements per call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graph.domain import Label, Rel
from graph.queries import linkage as q
from graph.records import (
    ChainLink,
    CommunityCount,
    CrossAppointmentRecord,
    LinkRecord,
    NeighbourhoodRecord,
    NodeRecord,
    PairingRecord,
    PathRecord,
    PostRecord,
)
from graph.store import GraphStore

_RESOLVE_ORDER = {label.value: i for i, label in enumerate(q.RESOLVE_LABELS)}


def _nodes(items: list[Mapping[str, Any]]) -> list[NodeRecord]:
    """Nodes of a collected list; FalkorDB projects an unmatched OPTIONAL node to a map
    without properties instead of null, so those are dropped here."""
    return [NodeRecord.from_row(dict(n)) for n in items if n and n.get("code") is not None]


def _post(item: Mapping[str, Any]) -> PostRecord:
    post = item["post"]
    return PostRecord(post.get("role", ""), post.get("start"), post.get("end"),
                      NodeRecord.from_row(item["node"]))


async def resolve_codes(
    store: GraphStore, *, codes: Sequence[str], scope: str | None
) -> dict[str, list[NodeRecord]]:
    """Every node each code names, in preference order (place, party org, organization,
    person); codes that name nothing (in the scope) are absent."""
    rows = await store.read(q.resolve_codes(scoped=scope is not None),
                            {"codes": list(codes), "scope": scope})
    found: dict[str, list[NodeRecord]] = {}
    for row in rows:
        found.setdefault(row["key"], []).append(NodeRecord.from_row(row["node"]))
    for recs in found.values():
        recs.sort(key=lambda r: _RESOLVE_ORDER[r.base_label.value])
    return found


async def enclosing_regions(
    store: GraphStore, *, codes: Sequence[str], scope: str | None
) -> dict[str, list[NodeRecord]]:
    rows = await store.read(q.enclosing_regions(scoped=scope is not None),
                            {"codes": list(codes), "scope": scope})
    return {row["key"]: [NodeRecord.from_row(r) for r in row["items"]] for row in rows}


def _cross(item: Mapping[str, Any]) -> CrossAppointmentRecord:
    return CrossAppointmentRecord(
        NodeRecord.from_row(item["compound"]), NodeRecord.from_row(item["person"]),
        sorted((_post(p) for p in item["party"]), key=lambda p: (p.node.code, p.role)),
        sorted((_post(p) for p in item["governance"]), key=lambda p: (p.node.code, p.role)))


async def cross_appointments_of(
    store: GraphStore, *, by: str, codes: Sequence[str], scope: str | None, today: str
) -> dict[str, list[CrossAppointmentRecord]]:
    """Cross-appointments per compound code (`by="compound"`) or per person code."""
    rows = await store.read(q.cross_appointments_of(by=by, scoped=scope is not None),
                            {"codes": list(codes), "scope": scope, "today": today})
    return {row["key"]: [_cross(item) for item in row["items"]] for row in rows}


async def cross_appointment_page(
    store: GraphStore, *, scope: str | None, today: str, after: tuple[str, str] | None,
    limit: int,
) -> list[CrossAppointmentRecord]:
    rows = await store.read(q.cross_appointment_page(scoped=scope is not None), {
        "scope": scope, "today": today, "limit": limit,
        "after_compound": after[0] if after else None,
        "after_person": after[1] if after else None})
    return [_cross(row) for row in rows]


async def cross_appointment_counts(
    store: GraphStore, *, scope: str | None, today: str
) -> list[CommunityCount]:
    rows = await store.read(q.cross_appointment_counts(scoped=scope is not None),
                            {"scope": scope, "today": today})
    return [CommunityCount(r["code"], r["name"], int(r["people"]), int(r["compounds"]),
                           int(r["pairs"])) for r in rows]


async def chain_of_command(
    store: GraphStore, *, start: NodeRecord, scope: str | None, today: str
) -> list[ChainLink]:
    label = start.base_label
    rows = await store.read(q.chain_of_command(label=label, scoped=scope is not None),
                            {"code": start.code, "scope": scope, "today": today})
    return [ChainLink(NodeRecord.from_row(r["org"]), int(r["depth"]),
                      _nodes(r["secretaries"])) for r in rows]


def _links(nodes: list[NodeRecord], rels: list[Mapping[str, Any]]) -> list[LinkRecord]:
    links = []
    for i, rel in enumerate(rels):
        a, b = nodes[i].key, nodes[i + 1].key
        start, end = (a, b) if rel["forward"] else (b, a)
        links.append(LinkRecord(rel["type"], start, end, dict(rel["props"] or {})))
    return links


async def connection_paths(
    store: GraphStore, *, source: NodeRecord, target: NodeRecord, max_hops: int,
    types: tuple[Rel, ...] | None, scope: str | None, limit: int,
) -> list[PathRecord]:
    """The shortest paths (all of the same, minimal length) up to `limit` of them."""
    stmt = q.connection_paths(source=source.base_label, target=target.base_label,
                              hops=max_hops, types=types, scoped=scope is not None)
    rows = await store.read(stmt, {"source": source.code, "target": target.code,
                                   "limit": limit, "scope": scope})
    paths = []
    for row in rows:
        nodes = [NodeRecord.from_row(n) for n in row["nodes"]]
        paths.append(PathRecord(nodes, _links(nodes, row["rels"])))
    paths.sort(key=lambda p: ([n.code for n in p.nodes], [x.type for x in p.links]))
    return paths


async def neighbourhood(
    store: GraphStore, *, center: NodeRecord, hops: int, limit: int, scope: str | None,
) -> NeighbourhoodRecord:
    """Breadth first, one statement per hop: every node within `hops` of the center up to
    `limit` nodes (nearer ones first, then by type and code), with the relationships
    among the nodes kept."""
    stmt = q.neighbourhood_hop(scoped=scope is not None)
    depth: dict[tuple[str, str], int] = {center.key: 0}
    nodes: list[tuple[NodeRecord, int]] = [(center, 0)]
    links: dict[tuple[Any, ...], LinkRecord] = {}
    frontier = [center]
    truncated = False
    # each row is one relationship; a hub's rows are capped so one hop stays bounded
    row_cap = max(limit * 4, 200)
    for hop in range(1, hops + 1):
        if not frontier:
            break
        params: dict[str, Any] = {p: [] for p in q.FRONTIER_PARAMS.values()}
        for rec in frontier:
            params[q.FRONTIER_PARAMS[rec.base_label]].append(rec.code)
        rows = await store.read(stmt, {**params, "limit": row_cap, "scope": scope})
        truncated |= any(len(params[p]) and _count(rows, lbl) >= row_cap
                         for lbl, p in q.FRONTIER_PARAMS.items())
        frontier = []
        for row in rows:
            other = NodeRecord.from_row(row["node"])
            if other.key not in depth:
                if len(nodes) >= limit:
                    truncated = True
                    continue
                depth[other.key] = hop
                nodes.append((other, hop))
                frontier.append(other)
            source = (row["source_label"], row["source"])
            start, end = (source, other.key) if row["outgoing"] else (other.key, source)
            props = dict(row["props"] or {})
            ident = (row["type"], start, end, props.get("key"))
            links.setdefault(ident, LinkRecord(row["type"], start, end, props))
    return NeighbourhoodRecord(center, nodes, list(links.values()), truncated)


def _count(rows: list[dict[str, Any]], label: Label) -> int:
    return sum(1 for r in rows if r["source_label"] == label.value)


async def pairing(
    store: GraphStore, *, start: NodeRecord, scope: str | None
) -> list[PairingRecord]:
    side = "place" if start.base_label is Label.PLACE else "institution"
    rows = await store.read(q.pairing(side=side, scoped=scope is not None),
                            {"code": start.code, "scope": scope})
    return [PairingRecord(r["relation"], NodeRecord.from_row(r["institution"]),
                          NodeRecord.from_row(r["place"]),
                          _nodes(r["members"])) for r in rows]
