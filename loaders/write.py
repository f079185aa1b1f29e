"""Pass 2 of a roster load: diff the checked rows against the graph and write what changed.

Pass 1 (loaders/check.py) left every valid row spilled to disk and every code indexed; here
the spills are read back a batch at a time, each batch is diffed against the graph by row
fingerprint and only what changes is written — nodes with their owned relationships, then
posts and relations, then (`--replace-scope`) what the rosters no longer name. The next
batch is diffed while the store writes the current one. The journal node goes first, so a
load killed while writing shows as started and the same files complete it.

As in pass 1, the Python work of a batch (records to writes, fingerprints, the diff, the
statements' parameters) runs in a worker thread (`RosterCheck.off_loop`); the coroutine
only talks to the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from graph.domain import Label, Rel
from graph.errors import OrgcoverError
from graph.queries import load as q
from graph.repo import load as repo
from graph.repo import replace as replace_repo
from graph.statements import Statement
from graph.store import GraphStore
from loaders.check import (
    RELATION_ENDS,
    ROLE_MASK,
    TEMPLATE_KINDS,
    NodeRecord,
    RosterCheck,
)
from loaders.codes import ALL, KIND_LABEL, PLACE_KINDS

log = logging.getLogger(__name__)

#: Templates whose owned relationships may point at rows of the same template (a region's
#: parent, a party org's parent): all their nodes are written before those relationships.
SELF_REFERENCING = frozenset({"regions", "party_orgs"})


def _target_label(from_label: Label, rel: Rel, kind: str) -> Label:
    """The `to` label of the REL_SHAPES entry that fits a target of this kind."""
    specific = KIND_LABEL[kind]
    for a, r, b in q.REL_SHAPES:
        if a is from_label and r is rel and b in (specific, Label.PLACE if kind in PLACE_KINDS
                                                  else specific):
            return b
    raise KeyError((from_label, rel, kind))


@dataclass(slots=True)
class Removals:
    nodes: list[tuple[q.NodeKind, list[str]]] = field(default_factory=list)
    rels: list[tuple[Label, Rel, Label, list[repo.RelKey]]] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.nodes or self.rels)

    async def apply(self, store: GraphStore) -> None:
        for from_label, rel, to_label, keys in self.rels:
            await replace_repo.delete_relationships(store, from_label=from_label, rel=rel,
                                                    to_label=to_label, keys=keys)
        for kind, codes in self.nodes:
            await replace_repo.delete_nodes(store, kind=kind, codes=codes)


class RosterWrite:
    """Pass 2 of one checked load; `fingerprint` identifies its rosters in the journal."""

    def __init__(self, checked: RosterCheck, *, who: str, fingerprint: str,
                 jurisdiction: str | None = None) -> None:
        self.checked = checked
        self.store = checked.store
        self.report = checked.report
        self.index = checked.index
        self.spills = checked.spills
        self.progress = checked.progress
        self.replace_scope = checked.replace_scope
        self.who = who
        self.jurisdiction = jurisdiction
        self.fingerprint = fingerprint
        self._stack: contextlib.AsyncExitStack | None = None  # open while writing
        self._began = False  # the journal says started: something is being written
        self._now = ""

    def _node_write(self, kind: q.NodeKind, record: NodeRecord) -> repo.NodeWrite:
        code, props, owned = record
        targets: dict[Rel, tuple[tuple[str, Label], ...]] = {}
        for rel, codes in owned.items():
            found = []
            for target in codes:
                target_kind = self.index.match(target, ALL)
                if target_kind is not None:
                    found.append((target, _target_label(kind.key_label, rel, target_kind)))
            targets[rel] = tuple(found)
        return repo.NodeWrite(code, props, targets)

    def _post_write(self, record: Any) -> tuple[tuple[Label, Rel, Label], repo.RelWrite]:
        person, target, key, props, role = record
        kind = self.index.match(target, ROLE_MASK[role])
        assert kind is not None  # references were checked
        shape = (Label.PERSON, Rel.HOLDS_POST, _target_label(Label.PERSON, Rel.HOLDS_POST, kind))
        return shape, repo.RelWrite(person, target, key, props)

    def _relation_write(self, record: Any) -> tuple[tuple[Label, Rel, Label], repo.RelWrite]:
        relation_type, source, target, start = record
        rel = Rel(relation_type.value)
        src_mask, dst_mask = RELATION_ENDS[relation_type]
        src_kind = self.index.match(source, src_mask)
        dst_kind = self.index.match(target, dst_mask)
        assert src_kind is not None
        assert dst_kind is not None
        from_label = KIND_LABEL[src_kind]
        shape = (from_label, rel, _target_label(from_label, rel, dst_kind))
        return shape, repo.RelWrite(source, target, "", {"start": start})

    async def write(self, *, dry_run: bool) -> None:
        self.report.dry_run = dry_run
        self._now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        async with contextlib.AsyncExitStack() as stack:
            self._stack = stack
            for template, kind in TEMPLATE_KINDS.items():
                await self._write_nodes(template, kind, dry_run=dry_run)
            named: dict[str, set[tuple[Rel, repo.RelKey]]] = defaultdict(set)
            for template, to_write in (("posts", self._post_write),
                                       ("relations", self._relation_write)):
                await self._write_relationships(template, to_write, named[template],
                                                dry_run=dry_run)
            removals = await self._plan_removals(named)
            if dry_run:
                return
            if removals.any():
                await self._begin()
                await removals.apply(self.store)
            if self._began:
                counts = {k: asdict(v) for k, v in self.report.counts.items()}
                await repo.record_load(self.store, load_id=self.report.load_id, props={
                    "status": "committed",
                    # microseconds: the latest committed load is found by this order
                    "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
                    "counts": json.dumps(counts, ensure_ascii=False),
                })

    async def _write_relationships(
        self, template: str,
        to_write: Callable[[Any], tuple[tuple[Label, Rel, Label], repo.RelWrite]],
        named: set[tuple[Rel, repo.RelKey]], *, dry_run: bool,
    ) -> None:
        """Posts or relations, a spilled batch at a time, grouped by shape; with
        --replace-scope every key they name is collected in `named`."""
        spill = self.spills.spills.get(template)
        if spill is None:
            return
        off_loop = self.checked.off_loop

        def shaped(records: list[Any]) -> dict[tuple[Label, Rel, Label], list[repo.RelWrite]]:
            shapes: dict[tuple[Label, Rel, Label], list[repo.RelWrite]] = defaultdict(list)
            for record in records:
                shape, rel_write = to_write(record)
                shapes[shape].append(rel_write)
                if self.replace_scope:
                    named.add((shape[1], repo.RelKey(rel_write.src, rel_write.dst,
                                                     rel_write.key)))
            return shapes

        batches = spill.batches()
        while (records := await off_loop(next, batches, None)) is not None:
            shapes = await off_loop(shaped, records)
            for (a, rel, b), rel_writes in shapes.items():
                existing = await repo.relationship_fingerprints(
                    self.store, from_label=a, rel=rel, to_label=b, rows=rel_writes)
                diff = await off_loop(repo.classify_relationships, rel_writes, existing)
                self._count(template, diff.counts)
                if dry_run or not diff.changed:
                    continue
                await self._begin()
                await repo.merge_relationships(self.store, from_label=a, rel=rel,
                                               to_label=b, rows=diff.changed)

    async def _write_nodes(self, template: str, kind: q.NodeKind, *, dry_run: bool) -> None:
        """Diff and write a template's spilled rows batch by batch. While the store writes
        one batch (a server store: `load_streams` batches, each its own transaction), the
        next is prepared, diffed and turned into statements (Python in a thread, the diff
        read beside the writes: codes are unique within a template, so batches being
        written cannot change the next one's fingerprints, and they may commit in any
        order: each row is marked written by its own fingerprint)."""
        spill = self.spills.spills.get(template)
        if spill is None:
            return
        owned_later: list[repo.Diff[repo.NodeWrite]] = []
        writing: list[asyncio.Task[None]] = []  # oldest first, at most store.load_streams
        done = 0
        # new nodes come with their relationships, unless their targets may be created
        # later in this very load (regions and party orgs point at their own kind)
        linked = template not in SELF_REFERENCING and q.links_in_create(kind)

        off_loop = self.checked.off_loop

        def prepare(records: list[NodeRecord]) -> tuple[list[repo.NodeWrite], list[str]]:
            rows = [self._node_write(kind, record) for record in records]
            return rows, [w.code for w in rows]

        async def store_batch(diff: repo.Diff[repo.NodeWrite],
                              writes: list[tuple[Statement, Any]]) -> None:
            await self.store.write_many(writes)
            if template in SELF_REFERENCING:
                owned_later.append(diff)
            else:
                await repo.write_owned(self.store, kind=kind, diff=diff, created=not linked)

        try:
            batches = spill.batches()
            while (records := await off_loop(next, batches, None)) is not None:
                rows, codes = await off_loop(prepare, records)
                existing = await repo.node_fingerprints(self.store, kind=kind, codes=codes)
                diff = await off_loop(repo.classify_nodes, rows, existing)
                self._count(template, diff.counts)
                done += len(records)
                if self.progress:
                    self.progress(f"写入 {template}", done, spill.count)
                if dry_run or not diff.changed:
                    continue
                await self._begin()  # first: a resumed load writes under its old load id
                writes = await off_loop(functools.partial(
                    repo.node_writes, kind, diff, load_id=self.report.load_id, now=self._now,
                    backend=self.store.backend, link_created=linked))
                while len(writing) >= self.store.load_streams:
                    await writing.pop(0)
                writing.append(asyncio.create_task(store_batch(diff, writes)))
            while writing:
                await writing.pop(0)
        finally:
            for task in writing:  # an error elsewhere: do not leave writes running
                task.cancel()
            for task in writing:
                with contextlib.suppress(asyncio.CancelledError, OrgcoverError):
                    await task
        for diff in owned_later:
            await repo.write_owned(self.store, kind=kind, diff=diff)

    async def _begin(self) -> None:
        """Before the first write: the journal entry (or the interrupted load it completes)
        and the store's bulk mode. Loads that change nothing leave no journal entry."""
        if self._began:
            return
        self._began = True
        assert self._stack is not None  # only called inside write()
        await self._stack.enter_async_context(self.store.bulk())
        files = sorted(f"{name}:{digest}" for name, digest in self.checked.files)
        for unfinished in await repo.unfinished_loads(self.store):
            if sorted(unfinished.files) == files:
                # The same rosters were interrupted after validation: finish that load.
                self.report.load_id = unfinished.load_id
                self.report.resumed = True
                log.warning("completing interrupted load %s", unfinished.load_id)
                break
        # microseconds: the journal is listed newest first by this
        started = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        journal = {"status": "started", "who": self.who, "started_at": started,
                   "files": files, "fingerprint": self.fingerprint,
                   "jurisdiction": self.jurisdiction}
        if self.report.resumed:
            journal.pop("started_at")
        await repo.record_load(self.store, load_id=self.report.load_id, props=journal)

    async def _plan_removals(self, named: dict[str, set[tuple[Rel, repo.RelKey]]]) -> Removals:
        """With --replace-scope: posts and relations inside the scope the rosters no longer
        name, with the nodes found during validation."""
        removals = Removals(nodes=self.checked.node_removals)
        scope = self.replace_scope
        if scope is None or not (self.report.count("posts").rows
                                 or self.report.count("relations").rows):
            return removals
        places = await replace_repo.places_in_scope(self.store, scope=scope)
        if self.report.count("posts").rows:
            posts = await replace_repo.posts_in_scope(self.store, places=places)
            await self.checked.off_loop(self._stale_posts, posts, named["posts"], removals)
        if self.report.count("relations").rows:
            found = await replace_repo.relations_in_scope(self.store, places=places)
            await self.checked.off_loop(self._stale_relations, found, named["relations"],
                                        removals)
        return removals

    def _stale_posts(self, found: dict[Label, set[repo.RelKey]],
                     named: set[tuple[Rel, repo.RelKey]], removals: Removals) -> None:
        named_posts = {key for _rel, key in named}
        for label, keys in found.items():
            stale_posts = sorted(keys - named_posts, key=lambda k: (k.src, k.dst, k.key))
            if stale_posts:
                removals.rels.append((Label.PERSON, Rel.HOLDS_POST, label, stale_posts))
                self._removed("posts", [f"{k.src} → {k.dst} ({k.key.split('|')[0]})"
                                        for k in stale_posts])

    def _stale_relations(self, found: dict[Rel, set[repo.RelKey]],
                         named: set[tuple[Rel, repo.RelKey]], removals: Removals) -> None:
        for rel, keys in found.items():
            stale_rels = sorted((k for k in keys if (rel, k) not in named),
                                key=lambda k: (k.src, k.dst))
            if stale_rels:
                source = Label.PERSON if rel is Rel.REPORTS_TO else Label.ORGANIZATION
                removals.rels.append((source, rel, Label.PLACE, stale_rels))
                self._removed("relations", [f"{k.src} -{rel.value}-> {k.dst}"
                                            for k in stale_rels])

    def _removed(self, template: str, items: list[str]) -> None:
        self.report.add_removed(template, items)

    def _count(self, template: str, diff: repo.DiffCounts) -> None:
        counts = self.report.count(template)
        counts.created += diff.created
        counts.updated += diff.updated
        counts.unchanged += diff.unchanged
