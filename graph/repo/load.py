"""Repository functions for roster loads: diff against the graph, then batched upserts.

Each function issues one statement per batch (never per row). Writes are idempotent, so a
load interrupted between batches completes when run again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, KeysView, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from graph.domain import Label, Rel
from graph.queries import load as q
from graph.statements import Backend, Statement
from graph.store import GraphStore
from graph.text import search_text

T = TypeVar("T")
W = TypeVar("W", "NodeWrite", "RelWrite")

#: Rows per UNWIND batch (bench/RESULTS.md has the measurements behind it).
BATCH_SIZE = 5000


def batched(items: Sequence[T], size: int = BATCH_SIZE) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def unique_batches(codes: Iterable[str], size: int = BATCH_SIZE) -> Iterator[list[str]]:
    """The codes without repeats, `size` at a time, in the order given. Lazily: a load may
    ask about a million codes, and one C call over them all (`sorted`, `set`) holds the
    GIL — and so the event loop, even from a worker thread — for up to 0.7 s; here the
    caller's awaits between batches let the loop serve."""
    unique = isinstance(codes, (set, frozenset, dict, KeysView))
    seen: set[str] = set()
    batch: list[str] = []
    for code in codes:
        if not unique:
            if code in seen:
                continue
            seen.add(code)
        batch.append(code)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def fingerprint(props: dict[str, Any], *more: Any) -> str:
    """Stable digest of what a row says; equal digests mean nothing to write.

    `repr` of plain values (str, int, bool, None and tuples of them) is stable across
    processes and several times cheaper than JSON for a district's 400k rows.
    """
    canonical = repr((sorted(props.items()), more))
    return hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()


def node_columns(kind: q.NodeKind, rows: Sequence[tuple[str, dict[str, Any]]]
                 ) -> dict[str, list[Any]]:
    """(code, properties) rows as the columns the node writes take, with the full-text
    `search` terms of each name (graph/text.py); a property a row lacks is null."""
    columns: dict[str, list[Any]] = {"code": [code for code, _ in rows]}
    for prop in kind.props:
        columns[prop] = [props.get(prop) for _, props in rows]
    columns["search"] = [None if name is None else search_text(name) for name in columns["name"]]
    return columns


def _columns(rows: Iterable[dict[str, Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {name: [] for name in names}
    for row in rows:
        for name in names:
            out[name].append(row.get(name))
    return out


@dataclass(slots=True)
class NodeWrite:
    """One row's node: properties (None removes) and owned relationship targets."""

    code: str
    props: dict[str, Any]
    #: rel → ((target code, target label), …); empty tuple removes the relationship.
    owned: dict[Rel, tuple[tuple[str, Label], ...]] = field(default_factory=dict)
    #: The row's fingerprint (diffed against the graph, then stored with the row).
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        # one target is the common case (sorting it would change nothing): spared per row
        self.hash = fingerprint(self.props, sorted(
            (rel.value, [targets[0][0]] if len(targets) == 1
             else sorted(code for code, _ in targets))
            for rel, targets in self.owned.items()))


@dataclass(slots=True)
class RelWrite:
    src: str
    dst: str
    key: str
    props: dict[str, Any]
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        self.hash = fingerprint(self.props)


@dataclass(slots=True)
class DiffCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _classify(writes: Sequence[W], existing: dict[Any, str | None], key: Callable[[W], Any],
              diff: Diff[W]) -> None:
    for write in writes:
        if key(write) not in existing:
            diff.counts.created += 1
            diff.created.append(write)
        elif existing[key(write)] != write.hash:
            diff.counts.updated += 1
            diff.updated.append(write)
        else:
            diff.counts.unchanged += 1


@dataclass(slots=True)
class Diff(Generic[W]):
    """Rows whose key the graph lacks, rows it holds with another fingerprint, counts."""

    created: list[W] = field(default_factory=list)
    updated: list[W] = field(default_factory=list)
    counts: DiffCounts = field(default_factory=DiffCounts)

    @property
    def changed(self) -> list[W]:
        return self.created + self.updated


async def node_fingerprints(store: GraphStore, *, kind: q.NodeKind,
                            codes: Sequence[str]) -> dict[str, str | None]:
    """The stored fingerprint of each code the graph has a node of `kind` for."""
    stmt = q.fetch_fingerprints(kind=kind, backend=store.backend)
    existing: dict[str, str | None] = {}
    for batch in batched(codes):
        for row in await store.read(stmt, {"codes": list(batch)}):
            existing.update((code, row_hash) for code, row_hash in row["found"])
    return existing


def classify_nodes(rows: Sequence[NodeWrite],
                   existing: dict[str, str | None]) -> Diff[NodeWrite]:
    """Rows that create or change something against `node_fingerprints` (pure Python: a
    loader runs it off the event loop)."""
    diff: Diff[NodeWrite] = Diff()
    _classify(rows, existing, lambda w: w.code, diff)
    return diff


def node_writes(
    kind: q.NodeKind, diff: Diff[NodeWrite], *, load_id: str, now: str,
    backend: Backend, link_created: bool = False,
) -> list[tuple[Statement, dict[str, Any]]]:
    """The statements and parameters that create the new nodes and merge the changed ones
    (their owned relationships follow), built apart from running them: a loader builds the
    next batch's while the store writes the current one.

    With `link_created` (kinds where `q.links_in_create`) new nodes come with their owned
    relationships and fingerprint; `write_owned` then only handles the changed ones.
    """
    out: list[tuple[Statement, dict[str, Any]]] = []
    for rows, updating in ((diff.created, False), (diff.updated, True)):
        for batch in batched(rows):
            params = {**node_columns(kind, [(w.code, w.props) for w in batch]),
                      "now": now, "load_id": load_id}
            if updating:
                out.append((q.upsert_nodes(kind=kind), params))
            elif link_created:
                out.append((q.create_linked(kind=kind, backend=backend),
                            {**params, **linked_targets(kind, batch)}))
            else:
                out.append((q.create_nodes(kind=kind), params))
    return out


def linked_targets(kind: q.NodeKind, batch: Sequence[NodeWrite]) -> dict[str, list[Any]]:
    """`create_linked`'s parameters besides the node columns: per slot the distinct target
    codes (`t0`…) and each row's position among them or None (`x0`…); the fingerprints."""
    params: dict[str, list[Any]] = {"hash": [w.hash for w in batch]}
    for i, (rel, label) in enumerate(q.owned_slots(kind)):
        codes = [next((code for code, lbl in w.owned.get(rel, ()) if lbl is label), None)
                 for w in batch]
        distinct = sorted({code for code in codes if code is not None})
        position = {code: j for j, code in enumerate(distinct)}
        params[f"t{i}"] = distinct
        params[f"x{i}"] = [None if code is None else position[code] for code in codes]
    return params


async def write_owned(store: GraphStore, *, kind: q.NodeKind, diff: Diff[NodeWrite],
                      created: bool = True) -> None:
    """Owned relationships and fingerprints of changed rows, one statement per batch
    (`created=False`: the new rows were written linked already)."""
    slots = q.owned_slots(kind)
    for stmt, rows in ((q.create_owned(kind=kind), diff.created if created else []),
                       (q.write_owned(kind=kind), diff.updated)):
        for batch in batched(rows):
            params: dict[str, list[Any]] = {
                "code": [w.code for w in batch], "hash": [w.hash for w in batch],
                "keep": [[f"{rel.value}:{code}" for rel, targets in w.owned.items()
                          for code, _ in targets] for w in batch]}
            for i, (rel, label) in enumerate(slots):
                params[f"s{i}"] = [[code for code, lbl in w.owned.get(rel, ()) if lbl is label]
                                   for w in batch]
            await store.write(stmt, params)


async def relationship_fingerprints(
    store: GraphStore, *, from_label: Label, rel: Rel, to_label: Label,
    rows: Sequence[RelWrite],
) -> dict[tuple[str, str, str], str | None]:
    """The stored fingerprint of each (src, dst, key) of `rows` the graph has."""
    stmt = q.fetch_existing_relationships(from_label=from_label, rel=rel, to_label=to_label,
                                          backend=store.backend)
    existing: dict[tuple[str, str, str], str | None] = {}
    for batch in batched(rows):
        found = await store.read(stmt, {"code": [w.src for w in batch],
                                        "dst": [w.dst for w in batch],
                                        "key": [w.key for w in batch]})
        for row in found:
            existing.update(((src, dst, key), row_hash) for src, dst, key, row_hash
                            in row["found"])
    return existing


def classify_relationships(rows: Sequence[RelWrite],
                           existing: dict[tuple[str, str, str], str | None]
                           ) -> Diff[RelWrite]:
    diff: Diff[RelWrite] = Diff()
    _classify(rows, existing, lambda w: (w.src, w.dst, w.key), diff)
    return diff


async def merge_relationships(
    store: GraphStore, *, from_label: Label, rel: Rel, to_label: Label,
    rows: Sequence[RelWrite],
) -> None:
    stmt = q.merge_relationships(from_label=from_label, rel=rel, to_label=to_label)
    props = q.REL_PROPS.get(rel, ())
    for batch in batched(rows):
        await store.write(stmt, {
            "code": [w.src for w in batch], "dst": [w.dst for w in batch],
            "key": [w.key for w in batch], "hash": [w.hash for w in batch],
            **_columns((w.props for w in batch), props)})


@dataclass(frozen=True, slots=True)
class ResolvedCode:
    code: str
    labels: frozenset[str]
    level: str | None


async def resolve_codes(store: GraphStore, *, codes: Iterable[str]) -> list[ResolvedCode]:
    """What the graph already holds under each code (a code may exist under several labels)."""
    out: list[ResolvedCode] = []
    for batch in unique_batches(codes):
        for row in await store.read(q.RESOLVE_CODES, {"codes": batch}):
            out.append(ResolvedCode(row["code"], frozenset(row["labels"]), row["level"]))
    return out


async def party_org_parents(store: GraphStore, *, codes: Iterable[str]) -> dict[str, str | None]:
    """child → parent along UNDER for the given orgs and everything above them in the graph."""
    out: dict[str, str | None] = {}
    for batch in unique_batches(codes):
        for row in await store.read(q.PARTY_ORG_ANCESTRY, {"codes": batch}):
            out[row["child"]] = row["parent"]
    return out


@dataclass(frozen=True, slots=True)
class UnfinishedLoad:
    load_id: str
    files: tuple[str, ...]
    started_at: str | None


async def unfinished_loads(store: GraphStore) -> list[UnfinishedLoad]:
    """Loads whose journal says started but never committed (interrupted)."""
    return [UnfinishedLoad(r["code"], tuple(r["files"] or ()), r["started_at"])
            for r in await store.read(q.UNFINISHED_LOADS)]


@dataclass(frozen=True, slots=True)
class CommittedLoad:
    load_id: str
    fingerprint: str | None
    counts: dict[str, dict[str, int]]
    finished_at: str | None


async def latest_committed_load(store: GraphStore) -> CommittedLoad | None:
    """The load that committed last (the graph is as it left it unless one started since)."""
    rows = await store.read(q.LATEST_COMMITTED_LOAD)
    if not rows:
        return None
    row = rows[0]
    return CommittedLoad(row["code"], row["fingerprint"], json.loads(row["counts"] or "{}"),
                         row["finished_at"])


async def record_load(store: GraphStore, *, load_id: str, props: dict[str, Any]) -> None:
    """Create or update the load's journal node (`:Load`)."""
    await store.write(q.JOURNAL_UPSERT, {"id": load_id, "props": props})


async def count_graph(store: GraphStore) -> tuple[int, int]:
    """(nodes, relationships), journal nodes excluded."""
    nodes = await store.read(q.COUNT_NODES)
    rels = await store.read(q.COUNT_RELATIONSHIPS)
    return int(nodes[0]["nodes"]), int(rels[0]["relationships"])


@dataclass(frozen=True, slots=True)
class RelKey:
    src: str
    dst: str
    key: str


@dataclass(frozen=True, slots=True)
class JournalEntry:
    load_id: str
    status: str
    who: str | None
    jurisdiction: str | None
    started_at: str
    finished_at: str | None
    files: tuple[str, ...]
    counts: dict[str, dict[str, int]]


async def load_journal(
    store: GraphStore, *, scope: str | None, top: bool, after: tuple[str, str] | None,
    limit: int,
) -> list[JournalEntry]:
    """Journal entries newest first (see `q.load_journal` for what a scope shows)."""
    stmt = q.load_journal(scoped=scope is not None, after=after is not None)
    params: dict[str, Any] = {"limit": limit, "scope": scope, "top": top}
    if after is not None:
        params.update(at=after[0], code=after[1])
    return [JournalEntry(r["code"], r["status"], r["who"], r["jurisdiction"], r["started_at"],
                         r["finished_at"], tuple(r["files"] or ()),
                         json.loads(r["counts"] or "{}"))
            for r in await store.read(stmt, params)]
