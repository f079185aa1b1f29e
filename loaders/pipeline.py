"""Load rosters: read, validate every row and reference, then write — or write nothing.

Phases: (1) read and validate rows into pydantic models, collecting every problem;
(2) resolve references against this load and the graph (one query per batch of unknown
codes); (3) stop with `RosterInvalid` if anything is wrong; (4) diff against the graph and
write only what changes, nodes first, then owned relationships, then posts and relations,
recording the load in its journal node.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from graph.domain import (
    COMMITTEE_KINDS,
    ROLE_TARGETS,
    Label,
    Rel,
    RelationType,
)
from graph.queries import load as q
from graph.repo import load as repo
from graph.store import GraphStore
from loaders import cells
from loaders.messages import KIND_EN, KIND_ZH, CellError
from loaders.pii import IdProtector
from loaders.readers import RosterSource, discover, read_rows, sha256_of
from loaders.report import LoadReport, RosterInvalid, RosterProblem
from loaders.rows import ROW_MODELS, PersonRow, PostRow, RelationRow, RowModel

log = logging.getLogger(__name__)

#: A code's kind: the region level, or the place/organization label in snake case.
PLACE_KINDS = {"district", "street", "community", "grid", "compound", "building"}
KIND_LABEL = {
    "district": Label.REGION, "street": Label.REGION, "community": Label.REGION,
    "grid": Label.GRID, "compound": Label.COMPOUND, "building": Label.BUILDING,
    "party_org": Label.PARTY_ORG, "organization": Label.ORGANIZATION, "person": Label.PERSON,
}
REGION_PARENT = {"street": "district", "community": "street"}
TEMPLATE_KINDS: dict[str, q.NodeKind] = {
    "regions": q.REGION, "grids": q.GRID, "compounds": q.COMPOUND, "buildings": q.BUILDING,
    "organizations": q.ORGANIZATION, "party_orgs": q.PARTY_ORG, "people": q.PERSON,
}
ROLE_KINDS: dict[Label, set[str]] = {
    Label.PARTY_ORG: {"party_org"}, Label.ORGANIZATION: {"organization"},
    Label.REGION: {"community"}, Label.GRID: {"grid"}, Label.BUILDING: {"building"},
    Label.COMPOUND: {"compound"},
}
RELATION_ENDS: dict[RelationType, tuple[set[str], set[str]]] = {
    RelationType.MANAGES: ({"organization"}, {"compound"}),
    RelationType.RESPONSIBLE_FOR: ({"organization"}, {"compound"}),
    RelationType.PAIRED_WITH: ({"organization"}, PLACE_KINDS),
    RelationType.REPORTS_TO: ({"person"}, {"community"}),
}


@dataclass(slots=True)
class Located:
    """A validated row and where it came from."""

    row: Any
    file: str
    line: int
    sheet: str | None
    headers: dict[str, str]
    template: str


@dataclass(slots=True)
class Validated:
    rows: dict[str, list[Located]] = field(default_factory=lambda: defaultdict(list))
    files: list[tuple[str, str]] = field(default_factory=list)  # (name, sha256)


def _target_label(from_label: Label, rel: Rel, kind: str) -> Label:
    """The `to` label of the REL_SHAPES entry that fits a target of this kind."""
    specific = KIND_LABEL[kind]
    for a, r, b in q.REL_SHAPES:
        if a is from_label and r is rel and b in (specific, Label.PLACE if kind in PLACE_KINDS
                                                  else specific):
            return b
    raise KeyError((from_label, rel, kind))


def _kinds(name: str, kinds: set[str], sep_zh: str, sep_en: str) -> dict[str, str]:
    ordered = sorted(kinds)
    return {name: sep_zh.join(KIND_ZH[k] for k in ordered),
            f"{name}_en": sep_en.join(KIND_EN[k] for k in ordered)}


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


class CodeIndex:
    """Which kinds each code has, from this load and from the graph."""

    def __init__(self) -> None:
        self.kinds: dict[str, set[str]] = defaultdict(set)

    def add(self, code: str, kind: str) -> None:
        self.kinds[code].add(kind)

    def add_resolved(self, resolved: repo.ResolvedCode) -> None:
        labels = resolved.labels
        if Label.REGION.value in labels and resolved.level:
            self.add(resolved.code, resolved.level)
        for label, kind in ((Label.GRID, "grid"), (Label.COMPOUND, "compound"),
                            (Label.BUILDING, "building"), (Label.PARTY_ORG, "party_org"),
                            (Label.ORGANIZATION, "organization"), (Label.PERSON, "person")):
            if label.value in labels:
                self.add(resolved.code, kind)

    def match(self, code: str, allowed: set[str]) -> str | None:
        found = self.kinds.get(code, set()) & allowed
        return min(found) if found else None


class RosterLoader:
    """One load: holds the problems, the code index and the planned writes."""

    def __init__(self, store: GraphStore, *, protector: IdProtector, who: str = "cli",
                 progress: Progress | None = None, replace_scope: str | None = None) -> None:
        self.store = store
        self.progress = progress
        self.replace_scope = replace_scope
        self.node_removals: list[tuple[q.NodeKind, list[str]]] = []
        self.protector = protector
        self.who = who
        self.report = LoadReport(load_id=uuid.uuid4().hex)
        self.index = CodeIndex()

    # -- phase 1 -------------------------------------------------------------------------

    def read(self, paths: Sequence[Path]) -> Validated:
        out = Validated()
        sources, problems = discover(list(paths))
        self.report.problems.extend(problems)
        for source in sources:
            out.files.append((source.display, sha256_of(source.path)))
            self._read_source(source, out)
        return out

    def _read_source(self, source: RosterSource, out: Validated) -> None:
        model = ROW_MODELS[source.template.key]
        counts = self.report.count(source.template.key)
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
            out.rows[source.template.key].append(
                Located(row, raw.file, raw.row, raw.sheet, source.headers, source.template.key))

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

    # -- phase 2 -------------------------------------------------------------------------

    async def check_references(self, data: Validated) -> None:
        self._index_load(data)
        referenced = {code for code, _allowed, _loc, _col in self._references(data)}
        if self.replace_scope:
            referenced.add(self.replace_scope)
        unknown = [code for code in referenced if code not in self.index.kinds]
        for resolved in await repo.resolve_codes(self.store, codes=unknown):
            self.index.add_resolved(resolved)
        for code, allowed, loc, column in self._references(data):
            if self.index.match(code, allowed) is None:
                have = self.index.kinds.get(code)
                params = {"code": code, **_kinds("wanted", allowed, "或", " or ")}
                if have:
                    self._problem(loc, column, code, "ref_wrong_kind",
                                  {**params, **_kinds("have", have, "、", ", ")})
                else:
                    self._problem(loc, column, code, "ref_missing", params)
        self._check_roles(data)
        await self._check_cycles(data)
        if self.replace_scope and self.index.match(self.replace_scope, PLACE_KINDS) is None:
            self.report.problems.append(RosterProblem(
                "--replace-scope", "replace_scope_unknown", {"code": self.replace_scope}))
        elif self.replace_scope:
            await self._plan_node_removals(data)

    async def _plan_node_removals(self, data: Validated) -> None:
        """Nodes of the loaded templates inside the scope that the rosters no longer name;
        a row that still refers to one of them is an error (it would dangle)."""
        assert self.replace_scope is not None
        removed: set[str] = set()
        for template, kind in TEMPLATE_KINDS.items():
            if template not in data.rows:
                continue  # only the templates this load carries are replaced
            named = {loc.row.code for loc in data.rows[template]}
            stale = sorted(await repo.codes_in_scope(self.store, kind=kind,
                                                     scope=self.replace_scope) - named)
            if stale:
                self.node_removals.append((kind, stale))
                self._removed(template, stale)
                removed.update(stale)
        if not removed:
            return
        for code, _allowed, loc, column in self._references(data):
            if code in removed:
                self._problem(loc, column, code, "ref_removed", {"code": code})

    async def _check_cycles(self, data: Validated) -> None:
        """`UNDER` must stay a forest, counting the graph's edges the load does not replace."""
        locs = {loc.row.code: loc for loc in data.rows.get("party_orgs", [])}
        in_load = {code: loc.row.parent_code for code, loc in locs.items()}
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
                if member in locs:
                    self._problem(locs[member], "parent_code", in_load[member], "cycle",
                                  {"path": text})

    def _index_load(self, data: Validated) -> None:
        seen: dict[tuple[str, str], Located] = {}
        for template, kind_of in (
            ("regions", lambda r: r.level.value), ("grids", lambda r: "grid"),
            ("compounds", lambda r: "compound"), ("buildings", lambda r: "building"),
            ("organizations", lambda r: "organization"), ("party_orgs", lambda r: "party_org"),
            ("people", lambda r: "person"),
        ):
            namespace = "place" if template in ("regions", "grids", "compounds",
                                                "buildings") else template
            for loc in data.rows.get(template, []):
                first = seen.get((namespace, loc.row.code))
                if first is not None:
                    self._problem(loc, "code", loc.row.code, "duplicate",
                                  {"file": first.file, "line": first.line})
                    continue
                seen[(namespace, loc.row.code)] = loc
                self.index.add(loc.row.code, kind_of(loc.row))

    def _references(self, data: Validated) -> list[tuple[str, set[str], Located, str]]:
        refs: list[tuple[str, set[str], Located, str]] = []
        for loc in data.rows.get("regions", []):
            r: Any = loc.row
            if r.parent_code and r.level.value in REGION_PARENT:
                refs.append((r.parent_code, {REGION_PARENT[r.level.value]}, loc, "parent_code"))
        for loc in data.rows.get("grids", []):
            refs.append((loc.row.community_code, {"community"}, loc, "community_code"))
        for loc in data.rows.get("compounds", []):
            refs.append((loc.row.grid_code, {"grid"}, loc, "grid_code"))
        for loc in data.rows.get("buildings", []):
            refs.append((loc.row.parent_code, {"compound", "grid"}, loc, "parent_code"))
        for loc in data.rows.get("organizations", []):
            if loc.row.location_code:
                refs.append((loc.row.location_code, PLACE_KINDS, loc, "location_code"))
            if loc.row.compound_code and loc.row.kind in COMMITTEE_KINDS:
                refs.append((loc.row.compound_code, {"compound"}, loc, "compound_code"))
        for loc in data.rows.get("party_orgs", []):
            if loc.row.parent_code:
                refs.append((loc.row.parent_code, {"party_org"}, loc, "parent_code"))
            for code in loc.row.covers:
                refs.append((code, PLACE_KINDS | {"organization"}, loc, "covers"))
        for loc in data.rows.get("people", []):
            for column, allowed in (("party_org_code", {"party_org"}),
                                    ("employer_code", {"organization"}),
                                    ("residence_code", {"building", "compound"})):
                code = getattr(loc.row, column)
                if code:
                    refs.append((code, allowed, loc, column))
        for loc in data.rows.get("posts", []):
            refs.append((loc.row.person_code, {"person"}, loc, "person_code"))
            kinds = set().union(*(ROLE_KINDS[label] for label in ROLE_TARGETS[loc.row.role]))
            refs.append((loc.row.target_code, kinds | {"party_org", "organization", "community",
                                                       "grid", "building", "compound"},
                         loc, "target_code"))
        for loc in data.rows.get("relations", []):
            src, dst = RELATION_ENDS[loc.row.type]
            refs.append((loc.row.from_code, src, loc, "from_code"))
            refs.append((loc.row.to_code, dst, loc, "to_code"))
        return refs

    def _check_roles(self, data: Validated) -> None:
        for loc in data.rows.get("posts", []):
            row: PostRow = loc.row
            allowed = set().union(*(ROLE_KINDS[label] for label in ROLE_TARGETS[row.role]))
            kinds = self.index.kinds.get(row.target_code)
            if kinds and not kinds & allowed:
                self._problem(loc, "role", row.role.zh, "role_target", {
                    "role": row.role.zh, "code": row.target_code,
                    **_kinds("wanted", allowed, "或", " or "), **_kinds("have", kinds, "、", ", ")})

    def _problem(self, loc: Located, column: str, value: str | None, key: str,
                 params: dict[str, Any]) -> None:
        self.report.count(loc.template).errors += 1
        self.report.problems.append(RosterProblem(
            loc.file, key, params, sheet=loc.sheet, row=loc.line,
            column=loc.headers.get(column, column), value=value))

    # -- phase 4 -------------------------------------------------------------------------

    def plan_nodes(self, data: Validated) -> dict[str, tuple[q.NodeKind, list[repo.NodeWrite]]]:
        plan: dict[str, tuple[q.NodeKind, list[repo.NodeWrite]]] = {}

        def owned(from_label: Label, rel: Rel, code: str | None) -> tuple[tuple[str, Label], ...]:
            if not code:
                return ()
            kind = self.index.match(code, set(KIND_LABEL))
            assert kind is not None  # references were checked
            return ((code, _target_label(from_label, rel, kind)),)

        def place_writes(template: str, kind: q.NodeKind, parent: str, props: Any) -> None:
            writes = [repo.NodeWrite(loc.row.code, props(loc.row),
                                     {Rel.IN: owned(kind.key_label, Rel.IN,
                                                    getattr(loc.row, parent))})
                      for loc in data.rows.get(template, [])]
            plan[template] = (kind, writes)

        place_writes("regions", q.REGION, "parent_code", lambda r: {
            "name": r.name, "level": r.level.value, "population": r.population})
        place_writes("grids", q.GRID, "community_code", lambda r: {
            "name": r.name, "kind": r.kind.value})
        place_writes("compounds", q.COMPOUND, "grid_code", lambda r: {
            "name": r.name, "households": r.households, "has_security": r.has_security})
        place_writes("buildings", q.BUILDING, "parent_code", lambda r: {
            "name": r.name, "kind": r.kind.value, "households": r.households})
        plan["organizations"] = (q.ORGANIZATION, [
            repo.NodeWrite(r.code, {"name": r.name, "kind": r.kind.value, "uscc": r.uscc}, {
                Rel.LOCATED_IN: owned(Label.ORGANIZATION, Rel.LOCATED_IN, r.location_code),
                Rel.SERVES: owned(Label.ORGANIZATION, Rel.SERVES,
                                  r.compound_code if r.kind in COMMITTEE_KINDS else None),
            }) for r in (loc.row for loc in data.rows.get("organizations", []))])
        plan["party_orgs"] = (q.PARTY_ORG, [
            repo.NodeWrite(r.code, {
                "name": r.name, "kind": r.kind.value,
                "category": r.category.value if r.category else None, "founded": r.founded,
            }, {
                Rel.UNDER: owned(Label.PARTY_ORG, Rel.UNDER, r.parent_code),
                Rel.COVERS: tuple(t for c in dict.fromkeys(r.covers)
                                  for t in owned(Label.PARTY_ORG, Rel.COVERS, c)),
            }) for r in (loc.row for loc in data.rows.get("party_orgs", []))])
        plan["people"] = (q.PERSON, [self._person(loc.row, owned)
                                     for loc in data.rows.get("people", [])])
        return plan

    def _person(self, r: PersonRow, owned: Any) -> repo.NodeWrite:
        id_hash = id_masked = None
        if r.id_number:
            id_hash, id_masked = self.protector.protect(r.id_number)
        props = {
            "name": r.name, "phone": r.phone, "id_hash": id_hash, "id_masked": id_masked,
            "gender": r.gender.value if r.gender else None,
            "political_status": r.political_status.value if r.political_status else None,
            "member_status": r.member_status.value if r.member_status else None,
        }
        return repo.NodeWrite(r.code, props, {
            Rel.MEMBER_OF: owned(Label.PERSON, Rel.MEMBER_OF, r.party_org_code),
            Rel.EMPLOYED_BY: owned(Label.PERSON, Rel.EMPLOYED_BY, r.employer_code),
            Rel.LIVES_IN: owned(Label.PERSON, Rel.LIVES_IN, r.residence_code),
        })

    def plan_relationships(
        self, data: Validated
    ) -> dict[str, dict[tuple[Label, Rel, Label], list[repo.RelWrite]]]:
        plan: dict[str, dict[tuple[Label, Rel, Label], list[repo.RelWrite]]] = {
            "posts": defaultdict(list), "relations": defaultdict(list)}
        for loc in data.rows.get("posts", []):
            post: PostRow = loc.row
            allowed = set().union(*(ROLE_KINDS[label] for label in ROLE_TARGETS[post.role]))
            kind = self.index.match(post.target_code, allowed)
            assert kind is not None
            shape = (Label.PERSON, Rel.HOLDS_POST,
                     _target_label(Label.PERSON, Rel.HOLDS_POST, kind))
            plan["posts"][shape].append(repo.RelWrite(
                post.person_code, post.target_code, post.key,
                {"role": post.role.value, "start": post.start, "end": post.end}))
        for loc in data.rows.get("relations", []):
            rel_row: RelationRow = loc.row
            rel = Rel(rel_row.type.value)
            src_kinds, dst_kinds = RELATION_ENDS[rel_row.type]
            src_kind = self.index.match(rel_row.from_code, src_kinds)
            dst_kind = self.index.match(rel_row.to_code, dst_kinds)
            assert src_kind is not None
            assert dst_kind is not None
            shape = (KIND_LABEL[src_kind], rel, _target_label(KIND_LABEL[src_kind], rel, dst_kind))
            plan["relations"][shape].append(repo.RelWrite(
                rel_row.from_code, rel_row.to_code, "", {"start": rel_row.start}))
        return plan

    async def write(self, data: Validated, *, dry_run: bool) -> None:
        node_plan = {t: plan for t, plan in self.plan_nodes(data).items() if t in data.rows}
        rel_plan = {t: plan for t, plan in self.plan_relationships(data).items()
                    if t in data.rows}
        changed_nodes: dict[str, repo.Diff[repo.NodeWrite]] = {}
        for template, (kind, writes) in node_plan.items():
            diff = await repo.diff_nodes(self.store, kind=kind, rows=writes)
            changed_nodes[template] = diff
            self._count(template, diff.counts)
        changed_rels: dict[tuple[Label, Rel, Label], list[repo.RelWrite]] = {}
        for template, shapes in rel_plan.items():
            for shape, rel_writes in shapes.items():
                a, rel, b = shape
                rel_diff = await repo.diff_relationships(
                    self.store, from_label=a, rel=rel, to_label=b, rows=rel_writes)
                changed_rels[shape] = rel_diff.changed
                self._count(template, rel_diff.counts)
        self.report.dry_run = dry_run
        removals = await self._plan_removals(data, rel_plan)
        nothing_changes = (not any(d.changed for d in changed_nodes.values())
                           and not any(changed_rels.values()) and not removals.any())
        if dry_run or nothing_changes:
            return
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        files = sorted(f"{name}:{digest}" for name, digest in data.files)
        for unfinished in await repo.unfinished_loads(self.store):
            if sorted(unfinished.files) == files:
                # The same rosters were interrupted after validation: finish that load.
                self.report.load_id = unfinished.load_id
                self.report.resumed = True
                log.warning("completing interrupted load %s", unfinished.load_id)
                break
        async with self.store.bulk():
            journal = {"status": "started", "who": self.who, "started_at": now, "files": files}
            if self.report.resumed:
                journal.pop("started_at")
            await repo.record_load(self.store, load_id=self.report.load_id, props=journal)
            for template, (kind, _writes) in node_plan.items():
                if self.progress:
                    self.progress(f"写入 {template}", len(changed_nodes[template].changed))
                await repo.write_nodes(self.store, kind=kind, diff=changed_nodes[template],
                                       load_id=self.report.load_id, now=now)
            for template, (kind, _writes) in node_plan.items():
                await repo.write_owned(self.store, kind=kind, diff=changed_nodes[template])
            for shape, rel_writes in changed_rels.items():
                a, rel, b = shape
                await repo.merge_relationships(self.store, from_label=a, rel=rel, to_label=b,
                                               rows=rel_writes)
            await removals.apply(self.store)
            counts = {k: asdict(v) for k, v in self.report.counts.items()}
            await repo.record_load(self.store, load_id=self.report.load_id, props={
                "status": "committed",
                "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "counts": json.dumps(counts, ensure_ascii=False),
            })

    async def _plan_removals(
        self, data: Validated,
        rel_plan: dict[str, dict[tuple[Label, Rel, Label], list[repo.RelWrite]]],
    ) -> Removals:
        """With --replace-scope: posts and relations inside the scope the rosters no longer
        name, with the nodes found during validation."""
        removals = Removals(nodes=self.node_removals)
        scope = self.replace_scope
        if scope is None:
            return removals
        if "posts" in data.rows:
            named_posts = {repo.RelKey(w.src, w.dst, w.key)
                           for ws in rel_plan["posts"].values() for w in ws}
            for label, keys in (await repo.posts_in_scope(self.store, scope=scope)).items():
                stale_posts = sorted(keys - named_posts, key=lambda k: (k.src, k.dst, k.key))
                if stale_posts:
                    removals.rels.append((Label.PERSON, Rel.HOLDS_POST, label, stale_posts))
                    self._removed("posts", [f"{k.src} → {k.dst} ({k.key.split('|')[0]})"
                                            for k in stale_posts])
        if "relations" in data.rows:
            named_rels = {(rel, repo.RelKey(w.src, w.dst, w.key))
                          for (_a, rel, _b), ws in rel_plan["relations"].items() for w in ws}
            found = await repo.relations_in_scope(self.store, scope=scope)
            for rel, keys in found.items():
                stale_rels = sorted((k for k in keys if (rel, k) not in named_rels),
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
) -> LoadReport:
    """Validate everything, then write; raise RosterInvalid (nothing written) on any error.

    With `replace_scope` the rosters are the whole truth inside that place: nodes of the
    loaded templates, posts and relations there that they no longer name are removed.
    """
    loader = RosterLoader(store, protector=protector, who=who, progress=progress,
                          replace_scope=cells.normalize_code(replace_scope)
                          if replace_scope else None)
    data = loader.read(paths)
    await loader.check_references(data)  # on the rows that passed, so one pass finds all
    if loader.report.errors:
        raise RosterInvalid(loader.report)
    # A missing PII secret surfaces here, before anything is written.
    if any(loc.row.id_number for loc in data.rows.get("people", [])):
        protector.require()
    await loader.write(data, dry_run=dry_run)
    log.info("load %s %s", loader.report.load_id, "checked (dry run)" if dry_run else "committed")
    return loader.report
