"""Loads bound to a jurisdiction: no row may create or change anything outside it.

A loader's token names a place (design/security.md); a load under it may create or change
nothing outside that place, or a street could rewrite — or make visible in its own
queries — the nodes of another. Containment is the one every query uses
(graph/queries/scope.py, design/audits.md): places by `IN*` (the place itself counts as
inside), organizations by where they sit or serve, party orgs by what they cover, people by
residence. A row that breaks a rule is the row error `outside_jurisdiction` on the column
whose code lies outside (the node's own code when the node itself does), and, like every
error, nothing is written. J below is the jurisdiction.

1. A node row (regions … people) leaves its node inside J:
   - a place: its parent lies inside J. J's own row keeps the parent the graph gives J; a
     row without a parent (a district) is J's or lies outside.
   - an organization: its location and, for a committee, the compound it serves lie inside
     J, and it names at least one of them.
   - a party org: it covers at least one code and every covered place or unit lies inside J
     (a party org covering nothing would be invisible to J's own queries). Its parent lies
     inside J too, or is the parent the graph already gives it (a street's working
     committee keeps the district committee above it).
   - a person: the residence, party org and employer the row names all lie inside J (a
     member added to another street's branch, or an employee to its company, changes
     that street's figures); without a residence the party org places them. A person with
     no residence and no party org is placed by a post or registration of this load on
     something inside J or, when the graph has them, by the graph (posts are not the
     row's to remove). Otherwise they lie outside.
   And a node the graph has already must lie inside J now (the load rule of
   graph/queries/jurisdiction.py: what J owns, stricter than what it may read), so a row
   cannot pull in or rewrite someone else's node (reported on the code column).
2. Posts and relations: both ends lie inside J, else a loader could make a person or unit
   of another street visible in theirs.
3. `--replace-scope` lies at or below J; otherwise it is reported exactly as an unknown
   replace scope, so a loader cannot probe which codes exist outside.
A reference to a code the graph has outside J is reported as a missing code
(`ref_missing`, the same words): to the loader it does not exist. Only a row's own code
that exists outside is `outside_jurisdiction` — refusing it cannot help saying so.
Where a code lies: for a code this load defines, by the load's own rows (a new compound
under a new grid of a new community of J is inside; an organization, party org or person
counts when its own row passed rule 1); for a code only the graph has, by the graph. A
code neither has is reported as missing already, never as outside.

Within the loader's memory bound: while pass 1 reads, places go into a map code → (parent,
row) — a few percent of the rows — and every other row into a compact spill of its codes
and row position. After pass 1 the place map is settled against the graph once, then the
compact spills are read back in template order, 5,000 rows at a time, with one graph
lookup per label and batch: codes only the graph has, and the batch's own codes the graph
already has. Without a jurisdiction none of this runs. As in pass 1, the Python work over
the load's codes (walking the place chains, judging each batch) runs in the load's worker
thread (`off_loop`); only the graph lookups run on the event loop: a district-sized
upload's million places walked on it held the service a second at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

from graph.domain import Label
from graph.errors import NotFound
from graph.repo import jurisdiction as repo
from graph.repo import load as load_repo
from graph.store import GraphStore
from loaders.codes import PLACE_KINDS, CodeIndex, mask
from loaders.messages import kinds
from loaders.spill import Spills

PLACE, ORG, PARTY, PERSON = Label.PLACE, Label.ORGANIZATION, Label.PARTY_ORG, Label.PERSON
#: The graph label (and so the scope predicate) of each kind of code.
KIND_SCOPE: dict[str, Label] = {**dict.fromkeys(PLACE_KINDS, PLACE), "organization": ORG,
                                "party_org": PARTY, "person": PERSON}
#: The kinds of code a row of this load names, per label.
NAMED: dict[Label, int] = {ORG: mask({"organization"}), PARTY: mask({"party_org"}),
                           PERSON: mask({"person"})}
PLACES = mask(PLACE_KINDS)
COVERED = PLACES | NAMED[ORG]
RESIDENCES = mask({"building", "compound"})
COMPOUNDS = mask({"compound"})
#: Templates with a compact spill, in the order they are decided (each may refer to the
#: ones before: a party org covers units, a person's employer is one, posts name people).
ORDER: tuple[tuple[str, Label | None], ...] = (
    ("organizations", ORG), ("party_orgs", PARTY), ("people", PERSON), ("posts", None),
    ("relations", None))

#: (column, code, kinds it may have) of one record: what the row points at.
End = tuple[str, str | None, int]
#: The same for an end a post or relation always has.
Link = tuple[str, str, int]


T = TypeVar("T")


async def _inline(fn: Callable[..., T], *args: Any) -> T:
    return fn(*args)


class Problem(Protocol):
    def __call__(self, where: int, column: str, value: str | None, key: str,
                 params: dict[str, Any]) -> None: ...


class Jurisdiction:
    """The jurisdiction check of one load: fed row by row in pass 1, run after it."""

    def __init__(self, store: GraphStore, code: str, *, index: CodeIndex, spills: Spills,
                 problem: Problem,
                 progress: Callable[[str, int, int | None], None] | None = None,
                 off_loop: Callable[..., Awaitable[Any]] = _inline) -> None:
        self.store = store
        #: Runs `fn(*args)` off the event loop (the load's worker thread, RosterCheck).
        self.off_loop = off_loop
        self.code = code
        self.index = index
        self.spills = spills
        self.problem = problem
        self.progress = progress
        self.parent: str | None = None  # J's parent in the graph: J's own row keeps it
        #: code → parent, row, column, the kinds the parent column takes
        self.places: dict[str, tuple[str | None, int, str, int]] = {}
        self._place_in: dict[str, bool] = {}  # load places and where their chains leave
        self._graph: dict[Label, set[str]] = {}  # codes only the graph has, inside (batch)
        self._now_out: set[str] = set()  # the batch's own codes the graph has outside
        self._now_in: set[str] = set()  # the batch's own codes the graph has inside
        self._out: dict[Label, set[str]] = {label: set() for label in NAMED}  # rows failed
        self._pending: dict[str, int] = {}  # people nothing places yet → their row
        self._graph_parent: dict[str, str | None] = {}  # the batch's party orgs (graph)

    async def start(self) -> None:
        """Before pass 1: J must be a place (fail closed); its parent is kept."""
        found = await repo.place_parent(self.store, code=self.code)
        if found is None:
            raise NotFound(f"jurisdiction {self.code} is not a place")
        self.parent = found.parent

    async def hides(self, scope: str) -> bool:
        """Whether a replace scope names a place the graph has outside J."""
        return bool(await repo.codes_outside(self.store, label=PLACE, codes=[scope],
                                             scope=self.code))

    # -- pass 1: what each row points at (no I/O) -------------------------------------------

    def place(self, where: int, code: str, parent: str | None, column: str,
              wanted: int = PLACES) -> None:
        """A place row; `wanted`: the kinds its parent column takes (for the words of a
        missing parent)."""
        self.places.setdefault(code, (parent, where, column, wanted))  # duplicates: errors

    def organization(self, where: int, code: str, location: str | None,
                     serves: str | None) -> None:
        self._spill("organizations", (where, code, location, serves))

    def party_org(self, where: int, code: str, covers: tuple[str, ...],
                  parent: str | None = None) -> None:
        self._spill("party_orgs", (where, code, covers, parent))

    def person(self, where: int, code: str, residence: str | None, party_org: str | None,
               employer: str | None) -> None:
        self._spill("people", (where, code, residence, party_org, employer))

    def post(self, where: int, person: str, target: str, role_mask: int) -> None:
        self._spill("posts", (where, person, target, role_mask))

    def relation(self, where: int, source: str, target: str, source_mask: int,
                 target_mask: int) -> None:
        self._spill("relations", (where, source, target, source_mask, target_mask))

    def _spill(self, template: str, record: tuple[Any, ...]) -> None:
        self.spills.spill(f"jurisdiction.{template}").append(record)

    # -- after pass 1 ----------------------------------------------------------------------

    async def check(self) -> None:
        await self._settle_places()
        await self._check_places()
        decide: dict[str, Callable[[Any], None]] = {
            "organizations": self._organization, "party_orgs": self._party_org,
            "people": self._person, "posts": self._post, "relations": self._relation}
        for template, own in ORDER:
            spill = self.spills.spills.get(f"jurisdiction.{template}")
            if spill is None:
                continue
            done = 0
            batches = spill.batches()
            while (records := await self.off_loop(next, batches, None)) is not None:
                await self._lookup(records, self._ends(template), own)
                await self.off_loop(_each, decide[template], records)
                done += len(records)
                if self.progress:
                    self.progress(f"管辖范围 {template}", done, spill.count)
        await self.off_loop(self._report_pending)

    def _report_pending(self) -> None:
        for person, where in self._pending.items():
            self._report(where, "code", person)

    def release(self) -> dict[str, Any]:
        """Empty the small collections; the large ones for the caller to free one by one
        (RosterCheck.release)."""
        self._graph.clear()
        self._graph_parent.clear()
        self._now_in, self._now_out = set(), set()
        return {"places": self.places, "place_in": self._place_in, "pending": self._pending,
                **{label.value: out for label, out in self._out.items()}}

    def outside_place(self, code: str) -> bool:
        """Whether a place this load defines lies outside J (for a replace scope)."""
        return code in self.places and not self._inside(PLACE, code)

    # places: the load's own chains, ending in J, in the graph or nowhere

    def _walk(self, code: str) -> tuple[list[str], str | None]:
        """The load's places from `code` up its chain not settled yet, and where the chain
        leaves them: J, a settled place, a code the load does not place, or None (no
        parent, or a cycle — an error of its levels already — which places nothing)."""
        path: list[str] = []
        seen: set[str] = set()
        at: str | None = code
        while (at is not None and at != self.code and at in self.places
               and at not in self._place_in):
            if at in seen:
                return path, None
            seen.add(at)
            path.append(at)
            at = self.places[at][0]
        return path, at

    async def _settle_places(self) -> None:
        leaving = await self.off_loop(self._leaving)
        inside = await repo.codes_inside(self.store, label=PLACE, codes=leaving, scope=self.code)
        await self.off_loop(self._settle_chains, leaving, inside)

    def _leaving(self) -> set[str]:
        return {end for code in self.places
                if (end := self._walk(code)[1]) is not None and end != self.code
                and end not in self.places}

    def _settle_chains(self, leaving: set[str], inside: set[str]) -> None:
        self._place_in.update((code, code in inside) for code in leaving)
        for code in self.places:
            path, end = self._walk(code)
            value = end is not None and (end == self.code or self._place_in.get(end, False))
            self._place_in.update((step, value) for step in path)

    async def _check_places(self) -> None:
        now_out = await repo.codes_outside(self.store, label=PLACE, codes=self.places,
                                           scope=self.code)
        await self.off_loop(self._judge_places, now_out)

    def _judge_places(self, now_out: set[str]) -> None:
        for code, (parent, where, column, wanted) in self.places.items():
            if code == self.code:
                if parent != self.parent:  # J may not move itself
                    self._report(where, column, parent, about=parent or self.parent)
            elif parent is None:
                self._report(where, "code", code)
            elif self._outside(parent, PLACES):
                self._report(where, column, parent, allowed=wanted)
            elif wanted == PLACES and not self._place_in.get(code, False) \
                    and self._label(parent, PLACES) is None:
                # a district row (the one place kind whose parent pass 1 does not check:
                # `wanted` is every place) under no place at all lies nowhere; it would
                # otherwise become a top place beside J (found in review)
                self._report(where, "code", code)
            if code in now_out:
                self._report(where, "code", code)

    # the other rows, a spilled batch at a time

    def _ends(self, template: str) -> Callable[[Any], Iterable[End]]:
        """What a record points at, for the graph lookups of its batch."""
        def organization(r: Any) -> Iterator[End]:
            yield "location_code", r[2], PLACES
            yield "compound_code", r[3], PLACES

        def party_org(r: Any) -> Iterator[End]:
            for code in r[2]:
                yield "covers", code, COVERED
            yield "parent_code", r[3], NAMED[PARTY]

        def person(r: Any) -> Iterator[End]:
            yield "residence_code", r[2], RESIDENCES
            yield "party_org_code", r[3], NAMED[PARTY]
            yield "employer_code", r[4], NAMED[ORG]

        def post(r: Any) -> Iterator[End]:
            yield "person_code", r[1], NAMED[PERSON]
            yield "target_code", r[2], r[3]

        def relation(r: Any) -> Iterator[End]:
            yield "from_code", r[1], r[3]
            yield "to_code", r[2], r[4]

        return {"organizations": organization, "party_orgs": party_org, "people": person,
                "posts": post, "relations": relation}[template]

    async def _lookup(self, records: list[Any], ends: Callable[[Any], Iterable[End]],
                      own: Label | None) -> None:
        need = await self.off_loop(self._needed, records, ends)
        self._graph = {label: await repo.codes_inside(self.store, label=label, codes=codes,
                                                      scope=self.code)
                       for label, codes in need.items()}
        self._now_in, self._now_out = set(), set()
        if own is not None:  # the batch's own codes the graph has: inside now?
            existing = await repo.codes_existing(self.store, label=own,
                                                 codes=[r[1] for r in records])
            self._now_in = await repo.codes_inside(self.store, label=own, codes=existing,
                                                   scope=self.code)
            self._now_out = existing - self._now_in
        if own is PARTY:  # a parent outside J is allowed only where it is already
            self._graph_parent = await load_repo.party_org_parents(
                self.store, codes=[r[1] for r in records if r[3]])

    def _needed(self, records: list[Any], ends: Callable[[Any], Iterable[End]]
                ) -> dict[Label, set[str]]:
        """The codes of a batch only the graph can place, per label."""
        need: dict[Label, set[str]] = defaultdict(set)
        for record in records:
            for _, code, allowed in ends(record):
                label = self._label(code, allowed)
                if label is not None and code is not None and self._graph_only(label, code):
                    need[label].add(code)
        return need

    def _organization(self, record: Any) -> None:
        where, code, location, serves = record
        bad = [(column, place, wanted) for column, place, wanted in (
            ("location_code", location, PLACES), ("compound_code", serves, COMPOUNDS))
            if place and self._outside(place, PLACES)]
        if not (location or serves):
            bad.append(("code", code, 0))
        self._settle(ORG, where, code, bad)

    def _party_org(self, record: Any) -> None:
        where, code, covers, parent = record
        bad = [("covers", covered, COVERED) for covered in covers
               if self._outside(covered, COVERED)]
        if not covers:
            bad.append(("code", code, 0))
        if parent and self._outside(parent, NAMED[PARTY]) \
                and self._graph_parent.get(code) != parent:
            bad.append(("parent_code", parent, NAMED[PARTY]))
        self._settle(PARTY, where, code, bad)

    def _person(self, record: Any) -> None:
        where, code, residence, party_org, employer = record
        bad = [(column, link, allowed) for column, link, allowed in (
            ("residence_code", residence, RESIDENCES),
            ("party_org_code", party_org, NAMED[PARTY]),
            ("employer_code", employer, NAMED[ORG])) if link and self._outside(link, allowed)]
        if not (residence or party_org) and code not in self._now_in \
                and code not in self._now_out:
            self._pending.setdefault(code, where)  # a post or registration may place them
        self._settle(PERSON, where, code, bad)

    def _post(self, record: Any) -> None:
        where, person, target, role_mask = record
        self._link(where, ("person_code", person, NAMED[PERSON]),
                   ("target_code", target, role_mask))

    def _relation(self, record: Any) -> None:
        where, source, target, source_mask, target_mask = record
        self._link(where, ("from_code", source, source_mask), ("to_code", target, target_mask))

    def _link(self, where: int, source: Link, target: Link) -> None:
        """Both ends inside; a person nothing placed yet is placed by an inside target."""
        src_column, src, src_mask = source
        dst_column, dst, dst_mask = target
        dst_out = self._outside(dst, dst_mask)
        if dst_out:
            self._report(where, dst_column, dst, allowed=dst_mask)
        if src in self._pending and self._label(src, src_mask) is PERSON:
            if not dst_out and self._label(dst, dst_mask) is not None:
                del self._pending[src]
        elif self._outside(src, src_mask):
            self._report(where, src_column, src, allowed=src_mask)

    # where a code lies

    def _label(self, code: str | None, allowed: int) -> Label | None:
        kind = self.index.match(code, allowed) if code else None
        return None if kind is None else KIND_SCOPE[kind]

    def _graph_only(self, label: Label, code: str) -> bool:
        if label is PLACE:
            return code != self.code and code not in self._place_in
        return not self.index.named(code) & NAMED[label]

    def _inside(self, label: Label, code: str) -> bool:
        if label is PLACE:
            if code == self.code:
                return True
            if code in self._place_in:
                return self._place_in[code]
        elif self.index.named(code) & NAMED[label]:
            return code not in self._out[label]
        return code in self._graph.get(label, ())

    def _outside(self, code: str, allowed: int) -> bool:
        """Known to lie outside J (a code of no allowed kind is a reference error instead)."""
        label = self._label(code, allowed)
        return label is not None and not self._inside(label, code)

    def _settle(self, label: Label, where: int, code: str,
                bad: list[tuple[str, str, int]]) -> None:
        if code in self._now_out:
            bad.append(("code", code, 0))
        for column, value, allowed in bad:
            self._report(where, column, value, allowed=allowed)
        if bad:
            self._out[label].add(code)

    def _report(self, where: int, column: str, value: str | None, *,
                about: str | None = None, allowed: int = 0) -> None:
        """`outside_jurisdiction`, or — for a reference to a code only the graph has, which
        to this loader does not exist — the very words of a missing code."""
        if allowed and value and column != "code" and not self.index.named(value) \
                and value not in self.places:
            self.problem(where, column, value, "ref_missing", {"code": value, **kinds(
                "wanted", allowed, "或", " or ")})
            return
        self.problem(where, column, value, "outside_jurisdiction",
                     {"code": about or value, "jurisdiction": self.code})


def _each(fn: Callable[[Any], None], records: list[Any]) -> None:
    for record in records:
        fn(record)
