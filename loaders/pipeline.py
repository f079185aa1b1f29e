"""Load rosters: check every row and reference in one streaming pass, then write — or nothing.

Pass 1 reads the sources in template order and validates each row (pydantic models at the
edge). A row's code goes into a compact index, its references are checked as soon as the
codes they name are known (codes the load does not name are looked up in the graph, a batch
at a time), and the row itself, reduced to plain values, is spilled to a temporary file. At
the end open references, parent cycles and `--replace-scope` are settled. Any problem →
`RosterInvalid`, nothing written.

Pass 2 reads the spilled rows back a batch at a time, diffs each batch against the graph by
row fingerprint and writes only what changes — nodes, their owned relationships, then posts
and relations — recording the load in its journal node. Memory holds the code index and
open references, never all rows (bench/RESULTS.md has the figures).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from graph.domain import COMMITTEE_KINDS, ROLE_TARGETS, Label, Rel, RelationType, Role
from graph.errors import OrgcoverError
from graph.queries import load as q
from graph.repo import load as repo
from graph.repo.load import BATCH_SIZE
from graph.statements import Statement
from graph.store import GraphStore
from loaders import cells
from loaders.codes import ALL, KIND_LABEL, PLACE_KINDS, CodeIndex, kinds_of, mask
from loaders.messages import KIND_EN, KIND_ZH, CellError
from loaders.pii import IdProtector
from loaders.readers import RosterSource, discover, read_rows, sha256_of
from loaders.report import LoadReport, RosterInvalid, RosterProblem
from loaders.rows import ROW_MODELS, RowModel
from loaders.spill import Spills

log = logging.getLogger(__name__)

#: Part of every load's fingerprint: bump it when validation or write rules change, so
#: rosters loaded under older rules are checked again rather than taken as unchanged.
LOADER_VERSION = "2026-11-26"
REGION_PARENT = {"street": "district", "community": "street"}
TEMPLATE_KINDS: dict[str, q.NodeKind] = {
    "regions": q.REGION, "grids": q.GRID, "compounds": q.COMPOUND, "buildings": q.BUILDING,
    "organizations": q.ORGANIZATION, "party_orgs": q.PARTY_ORG, "people": q.PERSON,
}
#: The kinds of code each node template names.
TEMPLATE_MASK = {
    "regions": mask({"district", "street", "community"}), "grids": mask({"grid"}),
    "compounds": mask({"compound"}), "buildings": mask({"building"}),
    "organizations": mask({"organization"}), "party_orgs": mask({"party_org"}),
    "people": mask({"person"}),
}
#: Codes are unique per namespace: a place code may also be a person's code.
NAMESPACE = {"regions": "place", "grids": "place", "compounds": "place", "buildings": "place",
             "organizations": "organizations", "party_orgs": "party_orgs", "people": "people"}
#: Templates whose owned relationships may point at rows of the same template (a region's
#: parent, a party org's parent): all their nodes are written before those relationships.
SELF_REFERENCING = frozenset({"regions", "party_orgs"})
ROLE_KINDS: dict[Label, set[str]] = {
    Label.PARTY_ORG: {"party_org"}, Label.ORGANIZATION: {"organization"},
    Label.REGION: {"community"}, Label.GRID: {"grid"}, Label.BUILDING: {"building"},
    Label.COMPOUND: {"compound"},
}
ROLE_MASK: dict[Role, int] = {
    role: mask(set().union(*(ROLE_KINDS[label] for label in labels)))
    for role, labels in ROLE_TARGETS.items()
}
POST_TARGETS = mask({"party_org", "organization", "community", "grid", "building", "compound"})
PLACES = mask(PLACE_KINDS)
RELATION_ENDS: dict[RelationType, tuple[int, int]] = {
    RelationType.MANAGES: (mask({"organization"}), mask({"compound"})),
    RelationType.RESPONSIBLE_FOR: (mask({"organization"}), mask({"compound"})),
    RelationType.PAIRED_WITH: (mask({"organization"}), PLACES),
    RelationType.REPORTS_TO: (mask({"person"}), mask({"community"})),
}

#: A spilled node row: code, properties, owned relationship → target codes.
NodeRecord = tuple[str, dict[str, Any], dict[Rel, tuple[str, ...]]]


def _target_label(from_label: Label, rel: Rel, kind: str) -> Label:
    """The `to` label of the REL_SHAPES entry that fits a target of this kind."""
    specific = KIND_LABEL[kind]
    for a, r, b in q.REL_SHAPES:
        if a is from_label and r is rel and b in (specific, Label.PLACE if kind in PLACE_KINDS
                                                  else specific):
            return b
    raise KeyError((from_label, rel, kind))


def _kinds(name: str, bits: int, sep_zh: str, sep_en: str) -> dict[str, str]:
    ordered = sorted(kinds_of(bits))
    return {name: sep_zh.join(KIND_ZH[k] for k in ordered),
            f"{name}_en": sep_en.join(KIND_EN[k] for k in ordered)}


@dataclass(slots=True)
class Source:
    """Where rows come from, for problems: a row's place is (source index, row number)."""

    display: str
    sheet: str | None
    headers: dict[str, str]
    template: str


@dataclass(slots=True)
class OpenRef:
    """A reference not yet satisfied when its row was read."""

    code: str
    allowed: int
    where: int  # source index << 32 | row number
    column: str
    role: Role | None = None  # the role check of a post rather than its reference


@dataclass(slots=True)
class Removals:
    nodes: list[tuple[q.NodeKind, list[str]]] = field(default_factory=list)
    rels: list[tuple[Label, Rel, Label, list[repo.RelKey]]] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.nodes or self.rels)

    async def apply(self, store: GraphStore) -> None:
        for from_label, rel, to_label, keys in self.rels:
            await repo.delete_relationships(store, from_label=from_label, rel=rel,
                                            to_label=to_label, keys=keys)
        for kind, codes in self.nodes:
            await repo.delete_nodes(store, kind=kind, codes=codes)


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int | None = None) -> None: ...


class RosterLoader:
    """One load: the problems, the code index, open references and the spilled rows."""

    def __init__(self, store: GraphStore, *, protector: IdProtector, who: str = "cli",
                 progress: Progress | None = None, replace_scope: str | None = None) -> None:
        self.store = store
        self.progress = progress
        self.replace_scope = replace_scope
        self.protector = protector
        self.who = who
        self.report = LoadReport(load_id=uuid.uuid4().hex)
        self.index = CodeIndex()
        self.sources: list[Source] = []
        self.files: list[tuple[str, str]] = []  # (name, sha256)
        self.first: dict[str, dict[str, int]] = defaultdict(dict)  # namespace → code → where
        self.open_refs: list[OpenRef] = []
        self.role_refs: list[OpenRef] = []
        self.unknown: set[str] = set()  # codes to look up in the graph
        self.absent: set[str] = set()  # codes the graph was asked for and lacks
        self.party_parent: dict[str, str | None] = {}
        self.party_where: dict[str, int] = {}
        self.scope_codes: dict[str, set[str]] = {}
        self._scope_all: set[str] = set()
        self.scope_refs: list[OpenRef] = []
        self.node_removals: list[tuple[q.NodeKind, list[str]]] = []
        self.needs_secret = False
        self.spills = Spills()
        self._stack: contextlib.AsyncExitStack | None = None  # open while writing
        self._began = False  # the journal says started: something is being written
        self._now = ""
        self._handlers: dict[str, Callable[[Any, int], None]] = {
            "regions": self._region, "grids": self._grid, "compounds": self._compound,
            "buildings": self._building, "organizations": self._organization,
            "party_orgs": self._party_org, "people": self._person, "posts": self._post,
            "relations": self._relation,
        }

    def close(self) -> None:
        self.spills.close()

    # -- before anything: the very rosters of the last committed load? ----------------------

    def fingerprint(self, files: Sequence[tuple[str, str]]) -> str:
        """What makes two loads the same: files and their digests, options, PII key, rules."""
        canonical = json.dumps([LOADER_VERSION, sorted(f"{n}:{d}" for n, d in files),
                                self.replace_scope, self.protector.key_id()])
        return hashlib.sha256(canonical.encode()).hexdigest()

    async def unchanged_since(self, paths: Sequence[Path]) -> str | None:
        """The id of the committed load these rosters already made, when the graph is as it
        left it: no load committed after it and none is unfinished (loads are the only
        writers). The report then counts every row as unchanged, without a second pass."""
        sources, problems = discover(list(paths))
        if problems or not sources:
            return None  # the full path reports them
        digests = {source.path: sha256_of(source.path) for source in sources}
        files = [(source.display, digests[source.path]) for source in sources]
        latest = await repo.latest_committed_load(self.store)
        if latest is None or latest.fingerprint != self.fingerprint(files):
            return None
        if await repo.unfinished_loads(self.store):
            return None
        for template, counts in latest.counts.items():
            mine = self.report.count(template)
            mine.rows = counts.get("rows", 0)
            mine.unchanged = sum(counts.get(k, 0) for k in ("created", "updated", "unchanged"))
        self.report.unchanged_since = latest.load_id
        return latest.load_id

    # -- pass 1: read, validate, index, check ------------------------------------------------

    async def validate(self, paths: Sequence[Path]) -> None:
        sources, problems = discover(list(paths))
        self.report.problems.extend(problems)
        if self.replace_scope:
            for template in dict.fromkeys(s.template.key for s in sources):
                if template in TEMPLATE_KINDS:
                    self.scope_codes[template] = await repo.codes_in_scope(
                        self.store, kind=TEMPLATE_KINDS[template], scope=self.replace_scope)
            self._scope_all = set().union(*self.scope_codes.values())
        for source in sources:
            self.files.append((source.display, sha256_of(source.path)))
            await self._read_source(source)
        await self._settle_references()
        await self._check_cycles()
        if self.replace_scope:
            self._plan_node_removals()

    async def _read_source(self, source: RosterSource) -> None:
        key = source.template.key
        model = ROW_MODELS[key]
        handle = self._handlers[key]
        counts = self.report.count(key)
        index = len(self.sources)
        self.sources.append(Source(source.display, source.sheet, source.headers, key))
        for raw in read_rows(source, self.report.problems):
            counts.rows += 1
            if self.progress and counts.rows % 1000 == 0:
                self.progress(f"{source.template.zh} {source.display}", counts.rows)
            row: RowModel | None
            try:
                row = model.model_validate(raw.cells)
            except ValidationError as exc:
                counts.errors += 1
                for err in exc.errors():
                    self._row_error(source, raw.row, raw.sheet, raw.cells, err)
                row = self._partial(model, raw.cells, exc)
                if row is None:
                    continue
            handle(row, index << 32 | raw.row)
            if len(self.unknown) >= BATCH_SIZE:
                await self._resolve_unknown()

    @staticmethod
    def _partial(model: type[RowModel], cells: dict[str, Any],
                 exc: ValidationError) -> RowModel | None:
        """The row without its failing optional cells, so its references are still checked
        in the same pass (it is never written: the load already has an error)."""
        failing = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
        required = {c.key for c in model.template.columns if c.required}
        if not failing or failing & required:
            return None
        try:
            return model.model_validate({k: v for k, v in cells.items() if k not in failing})
        except ValidationError:
            return None

    def _row_error(self, source: RosterSource, line: int, sheet: str | None,
                   cell_values: dict[str, Any], err: Any) -> None:
        loc = err.get("loc") or ()
        key = str(loc[0]) if loc else None
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, CellError):
            message, params = cause.key, cause.params
            key = cause.column or key
        elif err.get("type") == "missing":
            message, params = "required", {}
        else:
            message, params = "invalid", {"detail": str(err.get("msg", ""))}
        column = next((c for c in source.template.columns if c.key == key), None)
        header = source.headers.get(key or "") or (column.zh if column else None)
        raw = None if key in (None, "id_number") else cell_values.get(key or "")
        value = None if raw is None else str(raw)  # ID-card numbers are never echoed
        self.report.problems.append(RosterProblem(
            source.display, message, params, sheet=sheet, row=line, column=header, value=value))

    def _problem(self, where: int, column: str, value: str | None, key: str,
                 params: dict[str, Any]) -> None:
        source = self.sources[where >> 32]
        self.report.count(source.template).errors += 1
        self.report.problems.append(RosterProblem(
            source.display, key, params, sheet=source.sheet, row=where & 0xFFFFFFFF,
            column=source.headers.get(column, column), value=value))

    # a row of each template: name its code, check its references, spill what it writes

    def _name(self, template: str, code: str, kind: str, where: int) -> None:
        seen = self.first[NAMESPACE[template]]
        first = seen.get(code)
        if first is not None:
            source = self.sources[first >> 32]
            self._problem(where, "code", code, "duplicate",
                          {"file": source.display, "line": first & 0xFFFFFFFF})
            return
        seen[code] = where
        self.index.add(code, kind)

    def _ref(self, code: str, allowed: int, where: int, column: str) -> None:
        if self.replace_scope and code in self._scope_all:
            self.scope_refs.append(OpenRef(code, allowed, where, column))
        if self.index.kinds(code) & allowed:
            return  # kinds are only ever added: it stays satisfied
        self.open_refs.append(OpenRef(code, allowed, where, column))
        if code not in self.index and code not in self.absent:
            self.unknown.add(code)

    def _nodes(self, template: str, record: NodeRecord) -> None:
        self.spills.spill(template).append(record)

    def _region(self, r: Any, where: int) -> None:
        self._name("regions", r.code, r.level.value, where)
        if r.parent_code and r.level.value in REGION_PARENT:
            self._ref(r.parent_code, mask({REGION_PARENT[r.level.value]}), where, "parent_code")
        self._nodes("regions", (r.code, {"name": r.name, "level": r.level.value,
                                         "population": r.population},
                                {Rel.IN: (r.parent_code,) if r.parent_code else ()}))

    def _grid(self, r: Any, where: int) -> None:
        self._name("grids", r.code, "grid", where)
        self._ref(r.community_code, mask({"community"}), where, "community_code")
        self._nodes("grids", (r.code, {"name": r.name, "kind": r.kind.value},
                              {Rel.IN: (r.community_code,)}))

    def _compound(self, r: Any, where: int) -> None:
        self._name("compounds", r.code, "compound", where)
        self._ref(r.grid_code, mask({"grid"}), where, "grid_code")
        self._nodes("compounds", (r.code, {"name": r.name, "households": r.households,
                                           "has_security": r.has_security},
                                  {Rel.IN: (r.grid_code,)}))

    def _building(self, r: Any, where: int) -> None:
        self._name("buildings", r.code, "building", where)
        self._ref(r.parent_code, mask({"compound", "grid"}), where, "parent_code")
        self._nodes("buildings", (r.code, {"name": r.name, "kind": r.kind.value,
                                           "households": r.households},
                                  {Rel.IN: (r.parent_code,)}))

    def _organization(self, r: Any, where: int) -> None:
        self._name("organizations", r.code, "organization", where)
        serves = r.compound_code if r.kind in COMMITTEE_KINDS else None
        if r.location_code:
            self._ref(r.location_code, PLACES, where, "location_code")
        if serves:
            self._ref(serves, mask({"compound"}), where, "compound_code")
        self._nodes("organizations", (r.code, {"name": r.name, "kind": r.kind.value,
                                               "uscc": r.uscc}, {
            Rel.LOCATED_IN: (r.location_code,) if r.location_code else (),
            Rel.SERVES: (serves,) if serves else ()}))

    def _party_org(self, r: Any, where: int) -> None:
        self._name("party_orgs", r.code, "party_org", where)
        self.party_parent.setdefault(r.code, r.parent_code)
        self.party_where.setdefault(r.code, where)
        if r.parent_code:
            self._ref(r.parent_code, mask({"party_org"}), where, "parent_code")
        for code in r.covers:
            self._ref(code, PLACES | mask({"organization"}), where, "covers")
        self._nodes("party_orgs", (r.code, {
            "name": r.name, "kind": r.kind.value,
            "category": r.category.value if r.category else None, "founded": r.founded,
        }, {Rel.UNDER: (r.parent_code,) if r.parent_code else (),
            Rel.COVERS: tuple(dict.fromkeys(r.covers))}))

    def _person(self, r: Any, where: int) -> None:
        self._name("people", r.code, "person", where)
        for column, allowed in (("party_org_code", mask({"party_org"})),
                                ("employer_code", mask({"organization"})),
                                ("residence_code", mask({"building", "compound"}))):
            code = getattr(r, column)
            if code:
                self._ref(code, allowed, where, column)
        id_hash = id_masked = None
        if r.id_number:
            if self.protector.secret:  # only the hash and the mask ever reach the disk
                id_hash, id_masked = self.protector.protect(r.id_number)
            else:
                self.needs_secret = True  # reported after validation (nothing is written)
        self._nodes("people", (r.code, {
            "name": r.name, "phone": r.phone, "id_hash": id_hash, "id_masked": id_masked,
            "gender": r.gender.value if r.gender else None,
            "political_status": r.political_status.value if r.political_status else None,
            "member_status": r.member_status.value if r.member_status else None,
        }, {Rel.MEMBER_OF: (r.party_org_code,) if r.party_org_code else (),
            Rel.EMPLOYED_BY: (r.employer_code,) if r.employer_code else (),
            Rel.LIVES_IN: (r.residence_code,) if r.residence_code else ()}))

    def _post(self, r: Any, where: int) -> None:
        self._ref(r.person_code, mask({"person"}), where, "person_code")
        role_mask = ROLE_MASK[r.role]
        self._ref(r.target_code, role_mask | POST_TARGETS, where, "target_code")
        if not self.index.kinds(r.target_code) & role_mask:
            self.role_refs.append(OpenRef(r.target_code, role_mask, where, "role", r.role))
        self.spills.spill("posts").append((r.person_code, r.target_code, r.key, {
            "role": r.role.value, "start": r.start, "end": r.end}, r.role))

    def _relation(self, r: Any, where: int) -> None:
        src, dst = RELATION_ENDS[r.type]
        self._ref(r.from_code, src, where, "from_code")
        self._ref(r.to_code, dst, where, "to_code")
        self.spills.spill("relations").append((r.type, r.from_code, r.to_code, r.start))

    # references, cycles and removals, once every row is read

    async def _resolve_unknown(self) -> None:
        """Look the pending codes up in the graph; drop the references that now hold."""
        codes = [c for c in self.unknown if c not in self.index]
        self.unknown.clear()
        for resolved in await repo.resolve_codes(self.store, codes=codes):
            self.index.add_graph(resolved.code, resolved.labels, resolved.level)
        self.absent.update(c for c in codes if c not in self.index)
        self.open_refs = [r for r in self.open_refs if not self.index.kinds(r.code) & r.allowed]

    async def _settle_references(self) -> None:
        if self.replace_scope and self.replace_scope not in self.index:
            self.unknown.add(self.replace_scope)
        self.unknown.update(r.code for r in self.open_refs
                            if r.code not in self.index and r.code not in self.absent)
        await self._resolve_unknown()
        for ref in self.open_refs:
            have = self.index.kinds(ref.code)
            params = {"code": ref.code, **_kinds("wanted", ref.allowed, "或", " or ")}
            if have:
                self._problem(ref.where, ref.column, ref.code, "ref_wrong_kind",
                              {**params, **_kinds("have", have, "、", ", ")})
            else:
                self._problem(ref.where, ref.column, ref.code, "ref_missing", params)
        for ref in self.role_refs:
            have = self.index.kinds(ref.code)
            if have and not have & ref.allowed:
                assert ref.role is not None
                self._problem(ref.where, "role", ref.role.zh, "role_target", {
                    "role": ref.role.zh, "code": ref.code,
                    **_kinds("wanted", ref.allowed, "或", " or "),
                    **_kinds("have", have, "、", ", ")})

    async def _check_cycles(self) -> None:
        """`UNDER` must stay a forest, counting the graph's edges the load does not replace."""
        in_load = self.party_parent
        outside = {p for p in in_load.values() if p and p not in in_load}
        in_graph = await repo.party_org_parents(self.store, codes=outside) if outside else {}

        def parent(code: str) -> str | None:
            return in_load[code] if code in in_load else in_graph.get(code)

        acyclic: set[str] = set()
        reported: set[frozenset[str]] = set()
        for start in in_load:
            path: list[str] = []
            position: dict[str, int] = {}
            code: str | None = start
            while code is not None and code not in acyclic and code not in position:
                position[code] = len(path)
                path.append(code)
                code = parent(code)
            if code is None or code in acyclic:
                acyclic.update(path)
                continue
            cycle = path[position[code]:]
            if frozenset(cycle) in reported:
                continue
            reported.add(frozenset(cycle))
            text = " → ".join([*cycle, code])
            for member in cycle:
                if member in self.party_where:
                    self._problem(self.party_where[member], "parent_code", in_load[member],
                                  "cycle", {"path": text})

    def _plan_node_removals(self) -> None:
        """Nodes of the loaded templates inside the scope that the rosters no longer name;
        a row that still refers to one of them is an error (it would dangle)."""
        assert self.replace_scope is not None
        if self.index.match(self.replace_scope, PLACES) is None:
            self.report.problems.append(RosterProblem(
                "--replace-scope", "replace_scope_unknown", {"code": self.replace_scope}))
            return
        removed: set[str] = set()
        for template, in_scope in self.scope_codes.items():
            if not self.report.count(template).rows:
                continue  # only the templates this load carries rows of are replaced
            stale = sorted(c for c in in_scope if not self.index.named(c) & TEMPLATE_MASK[template])
            if stale:
                self.node_removals.append((TEMPLATE_KINDS[template], stale))
                self._removed(template, stale)
                removed.update(stale)
        for ref in self.scope_refs:
            if ref.code in removed:
                self._problem(ref.where, ref.column, ref.code, "ref_removed", {"code": ref.code})

    # -- pass 2: diff and write, a batch at a time -------------------------------------------

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
        for records in spill.batches():
            shapes: dict[tuple[Label, Rel, Label], list[repo.RelWrite]] = defaultdict(list)
            for record in records:
                shape, rel_write = to_write(record)
                shapes[shape].append(rel_write)
                if self.replace_scope:
                    named.add((shape[1], repo.RelKey(rel_write.src, rel_write.dst,
                                                     rel_write.key)))
            for (a, rel, b), rel_writes in shapes.items():
                diff = await repo.diff_relationships(
                    self.store, from_label=a, rel=rel, to_label=b, rows=rel_writes)
                self._count(template, diff.counts)
                if dry_run or not diff.changed:
                    continue
                await self._begin()
                await repo.merge_relationships(self.store, from_label=a, rel=rel,
                                               to_label=b, rows=diff.changed)

    async def _write_nodes(self, template: str, kind: q.NodeKind, *, dry_run: bool) -> None:
        """Diff and write a template's spilled rows batch by batch. While the store writes
        one batch, the next is prepared, diffed and turned into statements (Python in a
        thread, the diff read beside the write: codes are unique within a template, so
        the batch being written cannot change the next one's fingerprints)."""
        spill = self.spills.spills.get(template)
        if spill is None:
            return
        owned_later: list[repo.Diff[repo.NodeWrite]] = []
        writing: asyncio.Task[None] | None = None
        done = 0
        # new nodes come with their relationships, unless their targets may be created
        # later in this very load (regions and party orgs point at their own kind)
        linked = template not in SELF_REFERENCING and q.links_in_create(kind)

        def prepare(records: list[NodeRecord]) -> list[repo.NodeWrite]:
            return [self._node_write(kind, record) for record in records]

        async def store_batch(diff: repo.Diff[repo.NodeWrite],
                              writes: list[tuple[Statement, Any]]) -> None:
            await self.store.write_many(writes)
            if template in SELF_REFERENCING:
                owned_later.append(diff)
            else:
                await repo.write_owned(self.store, kind=kind, diff=diff, created=not linked)

        try:
            for records in spill.batches():
                rows = await asyncio.to_thread(prepare, records)
                diff = await repo.diff_nodes(self.store, kind=kind, rows=rows)
                self._count(template, diff.counts)
                done += len(records)
                if self.progress:
                    self.progress(f"写入 {template}", done, spill.count)
                if dry_run or not diff.changed:
                    continue
                await self._begin()  # first: a resumed load writes under its old load id
                writes = await asyncio.to_thread(
                    repo.node_writes, kind, diff, load_id=self.report.load_id, now=self._now,
                    link_created=linked)
                if writing is not None:
                    await writing
                    writing = None
                writing = asyncio.create_task(store_batch(diff, writes))
            if writing is not None:
                await writing
                writing = None
        finally:
            if writing is not None:  # an error elsewhere: do not leave the write running
                writing.cancel()
                with contextlib.suppress(asyncio.CancelledError, OrgcoverError):
                    await writing
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
        files = sorted(f"{name}:{digest}" for name, digest in self.files)
        for unfinished in await repo.unfinished_loads(self.store):
            if sorted(unfinished.files) == files:
                # The same rosters were interrupted after validation: finish that load.
                self.report.load_id = unfinished.load_id
                self.report.resumed = True
                log.warning("completing interrupted load %s", unfinished.load_id)
                break
        journal = {"status": "started", "who": self.who, "started_at": self._now,
                   "files": files, "fingerprint": self.fingerprint(self.files)}
        if self.report.resumed:
            journal.pop("started_at")
        await repo.record_load(self.store, load_id=self.report.load_id, props=journal)

    async def _plan_removals(self, named: dict[str, set[tuple[Rel, repo.RelKey]]]) -> Removals:
        """With --replace-scope: posts and relations inside the scope the rosters no longer
        name, with the nodes found during validation."""
        removals = Removals(nodes=self.node_removals)
        scope = self.replace_scope
        if scope is None:
            return removals
        if self.report.count("posts").rows:
            named_posts = {key for _rel, key in named["posts"]}
            for label, keys in (await repo.posts_in_scope(self.store, scope=scope)).items():
                stale_posts = sorted(keys - named_posts, key=lambda k: (k.src, k.dst, k.key))
                if stale_posts:
                    removals.rels.append((Label.PERSON, Rel.HOLDS_POST, label, stale_posts))
                    self._removed("posts", [f"{k.src} → {k.dst} ({k.key.split('|')[0]})"
                                            for k in stale_posts])
        if self.report.count("relations").rows:
            found = await repo.relations_in_scope(self.store, scope=scope)
            for rel, keys in found.items():
                stale_rels = sorted((k for k in keys if (rel, k) not in named["relations"]),
                                    key=lambda k: (k.src, k.dst))
                if stale_rels:
                    source = Label.PERSON if rel is Rel.REPORTS_TO else Label.ORGANIZATION
                    removals.rels.append((source, rel, Label.PLACE, stale_rels))
                    self._removed("relations", [f"{k.src} -{rel.value}-> {k.dst}"
                                                for k in stale_rels])
        return removals

    def _removed(self, template: str, items: list[str]) -> None:
        self.report.removed.setdefault(template, []).extend(items)
        self.report.count(template).removed += len(items)

    def _count(self, template: str, diff: repo.DiffCounts) -> None:
        counts = self.report.count(template)
        counts.created += diff.created
        counts.updated += diff.updated
        counts.unchanged += diff.unchanged


async def load_rosters(
    store: GraphStore,
    paths: Sequence[Path],
    *,
    protector: IdProtector,
    dry_run: bool = False,
    who: str = "cli",
    progress: Progress | None = None,
    replace_scope: str | None = None,
    recheck: bool = False,
) -> LoadReport:
    """Validate everything, then write; raise RosterInvalid (nothing written) on any error.

    With `replace_scope` the rosters are the whole truth inside that place: nodes of the
    loaded templates, posts and relations there that they no longer name are removed.
    Rosters identical to the last committed load (same files, options, PII key and loader
    rules, nothing loaded since) are reported unchanged at once unless `recheck` is set.
    """
    loader = RosterLoader(store, protector=protector, who=who, progress=progress,
                          replace_scope=cells.normalize_code(replace_scope)
                          if replace_scope else None)
    try:
        if not recheck and await loader.unchanged_since(paths):
            loader.report.dry_run = dry_run
            log.info("load: rosters unchanged since %s", loader.report.unchanged_since)
            return loader.report
        await loader.validate(paths)  # every row, then every reference: one pass finds all
        if loader.report.errors:
            raise RosterInvalid(loader.report)
        if loader.needs_secret:
            protector.require()  # a missing PII secret surfaces before anything is written
        await loader.write(dry_run=dry_run)
    finally:
        loader.close()
    log.info("load %s %s", loader.report.load_id, "checked (dry run)" if dry_run else "committed")
    return loader.report
