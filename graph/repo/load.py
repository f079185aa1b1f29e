"""Repository functions for roster loads: diff against the graph, then batched upserts.

Each function issues one statement per batch (never per row). Writes are idempotent, so a
load interrupted between batches completes when run again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graph.domain import Label, Rel
from graph.queries import load as q
from graph.store import GraphStore, Row

T = TypeVar("T")

#: Rows per UNWIND batch (bench/RESULTS.md has the measurements behind it).
BATCH_SIZE = 5000


def batched(items: Sequence[T], size: int = BATCH_SIZE) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass(frozen=True, slots=True)
class NodeWrite:
    """One row's node: properties (None removes) and owned relationship targets."""

    code: str
    props: dict[str, Any]
    #: rel → ((target code, target label), …); empty tuple removes the relationship.
    owned: dict[Rel, tuple[tuple[str, Label], ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RelWrite:
    src: str
    dst: str
    key: str
    props: dict[str, Any]


@dataclass(slots=True)
class DiffCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _content(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items()
            if v is not None and k not in q.BOOKKEEPING and k != "code"}


async def diff_nodes(
    store: GraphStore, *, kind: q.NodeKind, rows: Sequence[NodeWrite]
) -> tuple[list[NodeWrite], DiffCounts]:
    """Rows that create or change something, and how many of each."""
    counts = DiffCounts()
    changed: list[NodeWrite] = []
    stmt = q.fetch_existing(kind=kind)
    for batch in batched(rows):
        found = await store.read(stmt, {"codes": [w.code for w in batch]})
        existing = {r["code"]: r for r in found}
        for write in batch:
            current = existing.get(write.code)
            if current is None:
                counts.created += 1
                changed.append(write)
            elif _node_differs(kind, write, current):
                counts.updated += 1
                changed.append(write)
            else:
                counts.unchanged += 1
    return changed, counts


def _node_differs(kind: q.NodeKind, write: NodeWrite, current: Row) -> bool:
    if _content(current["props"]) != _content(write.props):
        return True
    for rel, _single in kind.owned:
        wanted = sorted(code for code, _ in write.owned.get(rel, ()))
        if sorted(current[f"rel_{rel.value.lower()}"]) != wanted:
            return True
    return not {label.value for label in kind.labels} <= set(current["labels"])


async def upsert_nodes(
    store: GraphStore, *, kind: q.NodeKind, rows: Sequence[NodeWrite], load_id: str, now: str
) -> None:
    stmt = q.upsert_nodes(kind=kind)
    for batch in batched(rows):
        await store.write(stmt, {
            "rows": [{"code": w.code, "props": w.props} for w in batch],
            "now": now, "load_id": load_id,
        })


async def replace_owned(
    store: GraphStore, *, kind: q.NodeKind, rows: Sequence[NodeWrite]
) -> None:
    """Make each row's owned relationships exactly the targets it names."""
    for rel, _single in kind.owned:
        stale = q.delete_stale_owned(kind=kind, rel=rel)
        for batch in batched(rows):
            await store.write(stale, {"rows": [
                {"code": w.code, "targets": [c for c, _ in w.owned.get(rel, ())]} for w in batch
            ]})
        by_label: dict[Label, list[RelWrite]] = {}
        for w in rows:
            for code, label in w.owned.get(rel, ()):
                by_label.setdefault(label, []).append(RelWrite(w.code, code, "", {}))
        for label, rels in by_label.items():
            await merge_relationships(
                store, from_label=kind.key_label, rel=rel, to_label=label, rows=rels)


async def diff_relationships(
    store: GraphStore, *, from_label: Label, rel: Rel, to_label: Label,
    rows: Sequence[RelWrite],
) -> tuple[list[RelWrite], DiffCounts]:
    counts = DiffCounts()
    changed: list[RelWrite] = []
    stmt = q.fetch_existing_relationships(from_label=from_label, rel=rel, to_label=to_label)
    for batch in batched(rows):
        found = await store.read(stmt, {"rows": [
            {"src": w.src, "dst": w.dst, "key": w.key} for w in batch]})
        existing = {(r["src"], r["dst"], r["key"]): r["props"] for r in found}
        for write in batch:
            props = existing.get((write.src, write.dst, write.key))
            if props is None:
                counts.created += 1
                changed.append(write)
            elif {k: v for k, v in props.items() if k != "key"} != {
                    k: v for k, v in write.props.items() if v is not None}:
                counts.updated += 1
                changed.append(write)
            else:
                counts.unchanged += 1
    return changed, counts


async def merge_relationships(
    store: GraphStore, *, from_label: Label, rel: Rel, to_label: Label,
    rows: Sequence[RelWrite],
) -> None:
    stmt = q.merge_relationships(from_label=from_label, rel=rel, to_label=to_label)
    for batch in batched(rows):
        await store.write(stmt, {"rows": [
            {"src": w.src, "dst": w.dst, "key": w.key, "props": w.props} for w in batch]})


@dataclass(frozen=True, slots=True)
class ResolvedCode:
    code: str
    labels: frozenset[str]
    level: str | None


async def resolve_codes(store: GraphStore, *, codes: Iterable[str]) -> list[ResolvedCode]:
    """What the graph already holds under each code (a code may exist under several labels)."""
    wanted = sorted(set(codes))
    out: list[ResolvedCode] = []
    for batch in batched(wanted):
        for row in await store.read(q.RESOLVE_CODES, {"codes": list(batch)}):
            out.append(ResolvedCode(row["code"], frozenset(row["labels"]), row["level"]))
    return out


async def record_load(store: GraphStore, *, load_id: str, props: dict[str, Any]) -> None:
    """Create or update the load's journal node (`:Load`)."""
    await store.write(q.JOURNAL_UPSERT, {"id": load_id, "props": props})


async def count_graph(store: GraphStore) -> tuple[int, int]:
    """(nodes, relationships), journal nodes excluded."""
    nodes = await store.read(q.COUNT_NODES)
    rels = await store.read(q.COUNT_RELATIONSHIPS)
    return int(nodes[0]["nodes"]), int(rels[0]["relationships"])
