"""Pass 1 of a roster load: read every row, validate it, index its code, check references.

Everything a load can get wrong is found here, before anything is written, and in one
streaming pass, so a sender sees every problem at once and a city roster never sits in
memory: a row's code goes into a compact index (loaders/codes.py), its references are
checked as soon as the codes they name are known (codes the load does not name are looked
up in the graph a batch at a time), and the row itself, reduced to plain values, is
spilled to a temporary file for pass 2 (loaders/write.py). At the end open references,
`UNDER` cycles, `--replace-scope` and — for a load bound to a jurisdiction — where every
row lies (loaders/jurisdiction.py) are settled. Any problem → `RosterInvalid`, nothing
written.

Off the event loop: reading, validating, indexing and spilling rows, and every pass over
the load's own codes, run in a worker thread (`off_loop`), a stretch at a time; between
stretches the coroutine asks the graph what the stretch needs (the store stays the
loop's). Only one stretch runs at a time, so the load's state is never touched by two
threads at once, and the service keeps answering while a district loads.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from graph.domain import COMMITTEE_KINDS, ROLE_TARGETS, Label, Rel, RelationType, Role
from graph.queries import load as q
from graph.repo import load as repo
from graph.repo import replace as replace_repo
from graph.repo.load import BATCH_SIZE
from graph.store import GraphStore
from loaders.codes import PLACE_KINDS, CodeIndex, mask
from loaders.jurisdiction import Jurisdiction
from loaders.limits import LoadLimits
from loaders.lock import LoadLock
from loaders.messages import CellError, kinds
from loaders.pii import IdProtector
from loaders.readers import RawRow, RosterSource, RowBudget, discover, read_rows, sha256_of
from loaders.report import LoadReport, RosterProblem, TemplateCounts
from loaders.rows import ROW_MODELS, RowModel
from loaders.spill import Spills

T = TypeVar("T")
#: Rows read between two looks at whether the load was stopped.
CHECK_EVERY = 1000

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




@dataclass(slots=True)
class Source:
    """Where rows come from, for problems: a row's place is (source index, row number)."""

    display: str
    sheet: str | None
    headers: dict[str, str]
    template: str


#: A reference not yet satisfied when its row was read: (code, kinds allowed, where —
#: source index << 32 | row number —, column). A plain tuple: a load of bad references
#: holds hundreds of thousands, and the garbage collector leaves tuples of plain values
#: out of its passes (as objects they made each full pass, and the last one that freed
#: them, hold the service 0.1–0.4 s).
Ref = tuple[str, int, int, str]


@dataclass(slots=True)
class OpenRef:
    """A post's target whose kind does not fit its role yet (few: one per such post)."""

    code: str
    allowed: int
    where: int  # source index << 32 | row number
    column: str
    role: Role | None = None


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int | None = None) -> None: ...


class Stopped(Exception):
    """The load was cancelled while a worker thread ran part of it."""


class RosterCheck:
    """Pass 1 of one load: the problems, the code index, open references and spilled rows."""

    def __init__(self, store: GraphStore, *, protector: IdProtector,
                 progress: Progress | None = None, replace_scope: str | None = None,
                 jurisdiction: str | None = None, limits: LoadLimits | None = None,
                 lock: LoadLock | None = None) -> None:
        self.store = store
        self.progress = progress
        self.replace_scope = replace_scope
        self.protector = protector
        self.limits = limits or LoadLimits()
        self.lock = lock
        self._stop = threading.Event()
        self.report = LoadReport(load_id=uuid.uuid4().hex)
        self.report.keep_only(self.limits.max_problems_listed)
        self.budget = RowBudget(self.limits.max_rows_per_file)
        self._digests: dict[Path, str] = {}
        self.index = CodeIndex()
        self.sources: list[Source] = []
        self.files: list[tuple[str, str]] = []  # (name, sha256)
        self.first: dict[str, dict[str, int]] = defaultdict(dict)  # namespace → code → where
        self.open_refs: list[Ref] = []
        self.role_refs: list[OpenRef] = []
        self.unknown: set[str] = set()  # codes to look up in the graph
        self.absent: set[str] = set()  # codes the graph was asked for and lacks
        self.party_parent: dict[str, str | None] = {}
        self.party_where: dict[str, int] = {}
        self.scope_codes: dict[str, set[str]] = {}
        self._scope_all: set[str] = set()
        self.scope_refs: list[Ref] = []
        self.node_removals: list[tuple[q.NodeKind, list[str]]] = []
        self.needs_secret = False
        self.spills = Spills()
        #: Only for a load bound to a jurisdiction; None costs the rows nothing.
        self.bound = None if jurisdiction is None else Jurisdiction(
            store, jurisdiction, index=self.index, spills=self.spills, problem=self._problem,
            progress=progress, off_loop=self.off_loop)
        self._handlers: dict[str, Callable[[Any, int], None]] = {
            "regions": self._region, "grids": self._grid, "compounds": self._compound,
            "buildings": self._building, "organizations": self._organization,
            "party_orgs": self._party_org, "people": self._person, "posts": self._post,
            "relations": self._relation,
        }

    def close(self) -> None:
        self.spills.close()

    async def release(self) -> None:
        """Free the load's indexes now, one at a time, in a worker thread. The load's
        objects form reference cycles (bound handlers), so they otherwise waited for a
        full garbage collection, which freed a half-million-row load's indexes in one
        pause of 0.3–0.4 s with the GIL held, in whichever request triggered it (`make
        bench-abuse`, 8 after 4b). Only the report is kept."""
        await asyncio.to_thread(self._free)

    def _free(self) -> None:
        holders: list[Any] = [self.first, self.scope_codes]
        if self.bound is not None:
            holders.append(self.bound.release())
        for holder in holders:  # the inner collections first, each one C call
            for inner in list(holder.values()):
                inner.clear()
            holder.clear()
        for each in (self.index.bits, self.open_refs, self.role_refs, self.scope_refs,
                     self.unknown, self.absent, self.party_parent, self.party_where,
                     self._scope_all, self.node_removals, self._digests):
            each.clear()

    # -- off the event loop -------------------------------------------------------------------

    async def off_loop(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a worker thread, so the event loop keeps serving while the load
        computes. Cancelled meanwhile (a client gone, a shutdown), the thread is told to
        stop and waited for: nothing of the load runs on after it ended."""
        self.checkpoint()
        running = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            self._stop.set()
            with contextlib.suppress(BaseException):
                await running
            raise

    def checkpoint(self) -> None:
        """Between stretches of work: stop when cancelled or when the load lost its lock."""
        if self._stop.is_set():
            raise Stopped("the load was cancelled")
        if self.lock is not None:
            self.lock.check()

    async def digest(self, path: Path) -> str:
        if path not in self._digests:
            self._digests[path] = await self.off_loop(sha256_of, path)
        return self._digests[path]

    # -- pass 1: read, validate, index, check ------------------------------------------------

    async def validate(self, paths: Sequence[Path]) -> None:
        """Every row, then every reference and rule across rows: one pass finds them all."""
        sources, problems = await self.off_loop(discover, list(paths), self.limits)
        self.report.problems.extend(problems)
        hidden = None
        if self.bound is not None:
            await self.bound.start()
            if self.replace_scope and await self.bound.hides(self.replace_scope):
                # looked at no further, reported where an unknown one is: nothing shows
                hidden, self.replace_scope = self.replace_scope, None
        templates = [t for t in dict.fromkeys(s.template.key for s in sources)
                     if t in TEMPLATE_KINDS]
        if self.replace_scope and templates:
            places = await replace_repo.places_in_scope(self.store, scope=self.replace_scope)
            for template in templates:
                self.scope_codes[template] = await replace_repo.codes_in_scope(
                    self.store, kind=TEMPLATE_KINDS[template], places=places)
            self._scope_all = await self.off_loop(
                lambda: set().union(*self.scope_codes.values()))
        for source in sources:
            self.files.append((source.display, await self.digest(source.path)))
            await self._read_source(source)
        await self._settle_references()
        await self._check_cycles()
        if hidden:
            self._scope_unknown(hidden)
        elif self.replace_scope:
            await self.off_loop(self._plan_node_removals)
        if self.bound is not None:
            await self.bound.check()
            if self.replace_scope and self.bound.outside_place(self.replace_scope):
                self._scope_unknown(self.replace_scope)  # a place of this load's own

    async def _read_source(self, source: RosterSource) -> None:
        """A source's rows a stretch at a time in a worker thread; a stretch ends when the
        codes to look up in the graph fill a batch, looked up here before the next."""
        index = len(self.sources)
        self.sources.append(Source(source.display, source.sheet, source.headers,
                                   source.template.key))
        rows = read_rows(source, self.report.problems, budget=self.budget)
        try:
            while await self.off_loop(self._read_some, source, rows, index):
                await self._resolve_unknown()
        finally:
            with contextlib.suppress(ValueError):  # still running only if never stopped
                rows.close()

    def _read_some(self, source: RosterSource, rows: Iterator[RawRow],
                   index: int) -> bool:
        """Rows until a batch of codes waits for the graph (True) or the source ends."""
        key = source.template.key
        model = ROW_MODELS[key]
        handle = self._handlers[key]
        counts: TemplateCounts = self.report.count(key)
        for raw in rows:
            counts.rows += 1
            if counts.rows % CHECK_EVERY == 0:
                self.checkpoint()
                if self.progress:
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
                return True
        return False

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
            self.scope_refs.append((code, allowed, where, column))
        if self.index.kinds(code) & allowed:
            return  # kinds are only ever added: it stays satisfied
        self.open_refs.append((code, allowed, where, column))
        if code not in self.index and code not in self.absent:
            self.unknown.add(code)

    def _nodes(self, template: str, record: NodeRecord) -> None:
        self.spills.spill(template).append(record)

    def _region(self, r: Any, where: int) -> None:
        self._name("regions", r.code, r.level.value, where)
        wanted = mask({REGION_PARENT[r.level.value]}) if r.level.value in REGION_PARENT \
            else PLACES
        if r.parent_code and r.level.value in REGION_PARENT:
            self._ref(r.parent_code, wanted, where, "parent_code")
        if self.bound:
            self.bound.place(where, r.code, r.parent_code, "parent_code", wanted)
        self._nodes("regions", (r.code, {"name": r.name, "level": r.level.value,
                                         "population": r.population},
                                {Rel.IN: (r.parent_code,) if r.parent_code else ()}))

    def _grid(self, r: Any, where: int) -> None:
        self._name("grids", r.code, "grid", where)
        self._ref(r.community_code, mask({"community"}), where, "community_code")
        if self.bound:
            self.bound.place(where, r.code, r.community_code, "community_code",
                             mask({"community"}))
        self._nodes("grids", (r.code, {"name": r.name, "kind": r.kind.value},
                              {Rel.IN: (r.community_code,)}))

    def _compound(self, r: Any, where: int) -> None:
        self._name("compounds", r.code, "compound", where)
        self._ref(r.grid_code, mask({"grid"}), where, "grid_code")
        if self.bound:
            self.bound.place(where, r.code, r.grid_code, "grid_code", mask({"grid"}))
        self._nodes("compounds", (r.code, {"name": r.name, "households": r.households,
                                           "has_security": r.has_security},
                                  {Rel.IN: (r.grid_code,)}))

    def _building(self, r: Any, where: int) -> None:
        self._name("buildings", r.code, "building", where)
        self._ref(r.parent_code, mask({"compound", "grid"}), where, "parent_code")
        if self.bound:
            self.bound.place(where, r.code, r.parent_code, "parent_code",
                             mask({"compound", "grid"}))
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
        if self.bound:
            self.bound.organization(where, r.code, r.location_code, serves)
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
        if self.bound:
            self.bound.party_org(where, r.code, tuple(dict.fromkeys(r.covers)), r.parent_code)
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
        if self.bound:
            self.bound.person(where, r.code, r.residence_code, r.party_org_code,
                              r.employer_code)
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
        if self.bound:
            self.bound.post(where, r.person_code, r.target_code, role_mask | POST_TARGETS)
        self.spills.spill("posts").append((r.person_code, r.target_code, r.key, {
            "role": r.role.value, "start": r.start, "end": r.end}, r.role))

    def _relation(self, r: Any, where: int) -> None:
        src, dst = RELATION_ENDS[r.type]
        self._ref(r.from_code, src, where, "from_code")
        self._ref(r.to_code, dst, where, "to_code")
        if self.bound:
            self.bound.relation(where, r.from_code, r.to_code, src, dst)
        self.spills.spill("relations").append((r.type, r.from_code, r.to_code, r.start))

    # references, cycles and removals, once every row is read

    async def _resolve_unknown(self) -> None:
        """Look the pending codes up in the graph; drop the references that now hold."""
        codes = await self.off_loop(self._unknown_codes)
        resolved = await repo.resolve_codes(self.store, codes=codes)
        await self.off_loop(self._resolved, codes, resolved)

    def _unknown_codes(self) -> list[str]:
        codes = [c for c in self.unknown if c not in self.index]
        self.unknown.clear()
        return codes

    def _resolved(self, codes: list[str], resolved: list[repo.ResolvedCode]) -> None:
        for found in resolved:
            self.index.add_graph(found.code, found.labels, found.level)
        self.absent.update(c for c in codes if c not in self.index)
        self.open_refs = [r for r in self.open_refs if not self.index.kinds(r[0]) & r[1]]

    async def _settle_references(self) -> None:
        await self.off_loop(self._to_look_up)
        await self._resolve_unknown()
        await self.off_loop(self._report_references)

    def _to_look_up(self) -> None:
        if self.replace_scope and self.replace_scope not in self.index:
            self.unknown.add(self.replace_scope)
        self.unknown.update(code for code, *_ in self.open_refs
                            if code not in self.index and code not in self.absent)

    def _report_references(self) -> None:
        for code, allowed, where, column in self.open_refs:
            have = self.index.kinds(code)
            params = {"code": code, **kinds("wanted", allowed, "或", " or ")}
            if have:
                self._problem(where, column, code, "ref_wrong_kind",
                              {**params, **kinds("have", have, "、", ", ")})
            else:
                self._problem(where, column, code, "ref_missing", params)
        for ref in self.role_refs:
            have = self.index.kinds(ref.code)
            if have and not have & ref.allowed:
                assert ref.role is not None
                self._problem(ref.where, "role", ref.role.zh, "role_target", {
                    "role": ref.role.zh, "code": ref.code,
                    **kinds("wanted", ref.allowed, "或", " or "),
                    **kinds("have", have, "、", ", ")})

    async def _check_cycles(self) -> None:
        """`UNDER` must stay a forest, counting the graph's edges the load does not replace."""
        in_load = self.party_parent
        outside = await self.off_loop(
            lambda: {p for p in in_load.values() if p and p not in in_load})
        in_graph = await repo.party_org_parents(self.store, codes=outside) if outside else {}
        await self.off_loop(self._find_cycles, in_graph)

    def _find_cycles(self, in_graph: dict[str, str | None]) -> None:
        in_load = self.party_parent

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

    def _scope_unknown(self, code: str) -> None:
        self.report.problems.append(RosterProblem(
            "--replace-scope", "replace_scope_unknown", {"code": code}))

    def _plan_node_removals(self) -> None:
        """Nodes of the loaded templates inside the scope that the rosters no longer name;
        a row that still refers to one of them is an error (it would dangle)."""
        assert self.replace_scope is not None
        if self.index.match(self.replace_scope, PLACES) is None:
            self._scope_unknown(self.replace_scope)
            return
        removed: set[str] = set()
        for template, in_scope in self.scope_codes.items():
            if not self.report.count(template).rows:
                continue  # only the templates this load carries rows of are replaced
            stale = sorted(c for c in in_scope if not self.index.named(c) & TEMPLATE_MASK[template])
            if stale:
                self.node_removals.append((TEMPLATE_KINDS[template], stale))
                self.report.add_removed(template, stale)
                removed.update(stale)
        for code, _, where, column in self.scope_refs:
            if code in removed:
                self._problem(where, column, code, "ref_removed", {"code": code})
