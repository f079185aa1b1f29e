"""Cypher for roster loads: batched `UNWIND` creates and merges, keyed by `code`.

Every builder takes labels and relationship types from the domain enums (a closed set);
values always travel as parameters. A node kind's *owned* relationships are the ones its
roster row defines (a compound's grid, a party org's parent and covered places); a load
makes them exactly what the row says. Posts and relations are merged, never removed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.domain import Label, Rel
from graph.statements import (
    BOTH,
    Backend,
    Mode,
    Statement,
    builder,
    code_index_hint,
    compose,
    dialect_name,
    statement,
    subquery,
)


@dataclass(frozen=True, slots=True)
class NodeKind:
    """How one roster template's rows become nodes."""

    name: str
    labels: tuple[Label, ...]
    #: The roster's properties of this kind (a null value removes one).
    props: tuple[str, ...]
    #: Owned relationships: type → whether a row holds one target (True) or a list.
    owned: tuple[tuple[Rel, bool], ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """What a write sets: the roster's properties and the full-text `search` terms."""
        return (*self.props, "search")

    @property
    def key_label(self) -> Label:
        """The most specific label, used to match existing nodes through its index."""
        return self.labels[-1]

    @property
    def pattern(self) -> str:
        return ":".join(label.value for label in self.labels)


REGION = NodeKind("region", (Label.PLACE, Label.REGION), ("name", "level", "population"),
                  ((Rel.IN, True),))
GRID = NodeKind("grid", (Label.PLACE, Label.GRID), ("name", "kind"), ((Rel.IN, True),))
COMPOUND = NodeKind("compound", (Label.PLACE, Label.COMPOUND),
                    ("name", "households", "has_security"), ((Rel.IN, True),))
BUILDING = NodeKind("building", (Label.PLACE, Label.BUILDING), ("name", "kind", "households"),
                    ((Rel.IN, True),))
ORGANIZATION = NodeKind(
    "organization", (Label.ORGANIZATION,), ("name", "kind", "uscc"),
    ((Rel.LOCATED_IN, True), (Rel.SERVES, True)),
)
PARTY_ORG = NodeKind("party_org", (Label.PARTY_ORG,), ("name", "kind", "category", "founded"),
                     ((Rel.UNDER, True), (Rel.COVERS, False)))
PERSON = NodeKind(
    "person",
    (Label.PERSON,),
    ("name", "phone", "id_hash", "id_masked", "gender", "political_status", "member_status"),
    ((Rel.MEMBER_OF, True), (Rel.EMPLOYED_BY, True), (Rel.LIVES_IN, True)),
)
NODE_KINDS: tuple[NodeKind, ...] = (
    REGION, GRID, COMPOUND, BUILDING, ORGANIZATION, PARTY_ORG, PERSON
)

#: Every (from, type, to) shape the loader merges; `to` is the label matched by code.
REL_SHAPES: tuple[tuple[Label, Rel, Label], ...] = (
    (Label.REGION, Rel.IN, Label.REGION),
    (Label.GRID, Rel.IN, Label.REGION),
    (Label.COMPOUND, Rel.IN, Label.GRID),
    (Label.BUILDING, Rel.IN, Label.PLACE),
    (Label.ORGANIZATION, Rel.LOCATED_IN, Label.PLACE),
    (Label.ORGANIZATION, Rel.SERVES, Label.COMPOUND),
    (Label.PARTY_ORG, Rel.UNDER, Label.PARTY_ORG),
    (Label.PARTY_ORG, Rel.COVERS, Label.PLACE),
    (Label.PARTY_ORG, Rel.COVERS, Label.ORGANIZATION),
    (Label.PERSON, Rel.MEMBER_OF, Label.PARTY_ORG),
    (Label.PERSON, Rel.EMPLOYED_BY, Label.ORGANIZATION),
    (Label.PERSON, Rel.LIVES_IN, Label.PLACE),
    (Label.PERSON, Rel.HOLDS_POST, Label.PARTY_ORG),
    (Label.PERSON, Rel.HOLDS_POST, Label.ORGANIZATION),
    (Label.PERSON, Rel.HOLDS_POST, Label.PLACE),
    (Label.ORGANIZATION, Rel.MANAGES, Label.COMPOUND),
    (Label.ORGANIZATION, Rel.RESPONSIBLE_FOR, Label.COMPOUND),
    (Label.ORGANIZATION, Rel.PAIRED_WITH, Label.PLACE),
    (Label.PERSON, Rel.REPORTS_TO, Label.REGION),
)

#: Properties a keyed relationship carries from its roster row (posts and relations).
REL_PROPS: dict[Rel, tuple[str, ...]] = {
    Rel.HOLDS_POST: ("role", "start", "end"),
    Rel.MANAGES: ("start",), Rel.RESPONSIBLE_FOR: ("start",), Rel.PAIRED_WITH: ("start",),
    Rel.REPORTS_TO: ("start",),
}

#: Every write below takes its rows as columns, one list per field (`$code[i]`, …), not as
#: a list of maps: FalkorDB reads a map parameter several times slower than a list, and a
#: district load's writes took 2.5× less server time this way (bench/RESULTS.md). A value
#: matched through an index is first bound to a variable: FalkorDB scans the label for a
#: pattern property written as `$code[i]`.
ROWS = "UNWIND range(0, size($code) - 1) AS i WITH i, $code[i] AS code"


def _sets(var: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{var}.{c} = ${c}[i]" for c in columns)


def _example(columns: tuple[str, ...], **values: object) -> dict[str, list[object]]:
    return {c: [values.get(c)] for c in columns}


#: Properties that bookkeeping sets on every written node; not part of a row's content.
BOOKKEEPING = ("updated_at", "load_id", "row_hash")


def _owned_alias(rel: Rel) -> str:
    return f"rel_{rel.value.lower()}"


@builder(*({"kind": kind} for kind in NODE_KINDS))
def fetch_existing(*, kind: NodeKind) -> Statement:
    """Current properties and owned-relationship targets of the given codes (reports, tests)."""
    # One variable per comprehension: FalkorDB mixes up a name reused across comprehensions.
    owned = "".join(
        f", [(n)-[:{rel.value}]->(t{i}) | t{i}.code] AS {_owned_alias(rel)}"
        for i, (rel, _) in enumerate(kind.owned)
    )
    return compose(
        f"load.fetch_existing.{kind.name}",
        f"""UNWIND $codes AS c
            MATCH (n:{kind.key_label.value} {{code: c}})
            RETURN n.code AS code, labels(n) AS labels, n {{.*}} AS props{owned}""",
        params={"codes": ["X"]},
    )


@builder(*({"kind": kind, "backend": backend} for kind in NODE_KINDS for backend in BOTH))
def fetch_fingerprints(*, kind: NodeKind, backend: Backend) -> Statement:
    """The row fingerprint each existing node was last written with, for diffing a load.

    Only code and fingerprint travel back, so diffing a large roster stays cheap; as one
    row of `[code, hash]` pairs, because the Neo4j driver spends ~60 µs on each record it
    receives: 5,000 rows took 300 ms, one row of 5,000 pairs 28.
    """
    name = f"load.fetch_fingerprints.{kind.name}"
    return compose(
        dialect_name(name, backend=backend),
        f"""UNWIND $codes AS c
            MATCH (n:{kind.pattern} {{code: c}})
            {code_index_hint("n", kind.key_label.value, backend=backend)}
            RETURN collect([n.code, n.row_hash]) AS found""",
        params={"codes": ["X"]},
        backends=frozenset({backend}),
    )


def _node_example(kind: NodeKind) -> dict[str, object]:
    return {**_example(("code", *kind.columns), code="X"),
            "now": "2024-01-01T00:00:00Z", "load_id": "L"}


@builder(*({"kind": kind} for kind in NODE_KINDS))
def upsert_nodes(*, kind: NodeKind) -> Statement:
    """Create or update nodes; each column replaces a property (null removes it)."""
    return compose(
        f"load.upsert_nodes.{kind.name}",
        f"""{ROWS}
            MERGE (n:{kind.pattern} {{code: code}})
            SET {_sets("n", kind.columns)}, n.updated_at = $now, n.load_id = $load_id""",
        mode=Mode.WRITE,
        params=_node_example(kind),
    )


@builder(*({"kind": kind} for kind in NODE_KINDS))
def create_nodes(*, kind: NodeKind) -> Statement:
    """Create nodes the diff found absent, properties in the CREATE itself (a null is
    simply not set): 5,000 people 76 → 50 ms against CREATE then SET on FalkorDB. The code
    constraint still refuses a duplicate if another writer created one meanwhile."""
    props = ", ".join(f"{c}: ${c}[i]" for c in kind.columns)
    return compose(
        f"load.create_nodes.{kind.name}",
        f"""{ROWS}
            CREATE (n:{kind.pattern} {{code: code, {props},
                                     updated_at: $now, load_id: $load_id}})""",
        mode=Mode.WRITE,
        params=_node_example(kind),
    )


def owned_slots(kind: NodeKind) -> tuple[tuple[Rel, Label], ...]:
    """(relationship, target label) pairs a row of this kind fills, from REL_SHAPES."""
    rels = {rel for rel, _ in kind.owned}
    return tuple((rel, b) for a, rel, b in REL_SHAPES if a is kind.key_label and rel in rels)


def _slot(index: int, rel: Rel, label: Label) -> str:
    # UNWIND of an empty list would drop the row, so an empty slot unwinds [null] instead.
    return f"""WITH n, i
        UNWIND CASE WHEN size($s{index}[i]) = 0 THEN [null] ELSE $s{index}[i] END AS c{index}
        OPTIONAL MATCH (t{index}:{label.value} {{code: c{index}}})
        WITH n, i, collect(t{index}) AS ts{index}
        FOREACH (x IN ts{index} | MERGE (n)-[:{rel.value}]->(x))"""


@builder(*({"kind": kind} for kind in NODE_KINDS))
def write_owned(*, kind: NodeKind) -> Statement:
    """Make each row's owned relationships exactly what it names, then record its fingerprint.

    One statement per batch: stale relationships go (`$keep[i]` lists `TYPE:code` of those to
    keep), missing ones are merged per slot, and `row_hash` is set last, so a row is marked
    written only with all of it in place (FalkorDB runs each statement atomically).
    """
    slots = owned_slots(kind)
    types = "|".join(dict.fromkeys(rel.value for rel, _ in slots))
    merges = "\n".join(_slot(i, rel, label) for i, (rel, label) in enumerate(slots))
    return compose(
        f"load.write_owned.{kind.name}",
        f"""{ROWS}
            MATCH (n:{kind.key_label.value} {{code: code}})
            OPTIONAL MATCH (n)-[old:{types}]->(t)
            WITH n, i, collect(CASE WHEN NOT (type(old) + ':' + t.code) IN $keep[i]
                                    THEN old END) AS stale
            FOREACH (x IN stale | DELETE x)
            {merges}
            SET n.row_hash = $hash[i]""",
        mode=Mode.WRITE,
        params=_owned_example(len(slots)),
    )


def _owned_example(slots: int) -> dict[str, list[object]]:
    return {"code": ["X"], "keep": [[]], "hash": ["h"], **{f"s{i}": [[]] for i in range(slots)}}


def _single_slot(index: int, rel: Rel, label: Label) -> str:
    # head([]) is null, and a null code matches nothing: no relationship for an empty slot.
    return f"""WITH n, i, head($s{index}[i]) AS c{index}
        OPTIONAL MATCH (t{index}:{label.value} {{code: c{index}}})
        FOREACH (x IN CASE WHEN t{index} IS NULL THEN [] ELSE [t{index}] END |
                 CREATE (n)-[:{rel.value}]->(x))"""


@builder(*({"kind": kind} for kind in NODE_KINDS))
def create_owned(*, kind: NodeKind) -> Statement:
    """Owned relationships of nodes this load created, then their fingerprints.

    Same rows as `write_owned`, without looking for stale relationships (a new node has
    none): a district load's people took 235 → 135 ms per 5,000 rows. `row_hash` is set
    last, in the same statement, as there.
    """
    slots = owned_slots(kind)
    single = {rel for rel, one in kind.owned if one}
    creates = "\n".join(
        _single_slot(i, rel, label) if rel in single
        else _slot(i, rel, label).replace("MERGE (n)", "CREATE (n)")
        for i, (rel, label) in enumerate(slots))
    return compose(
        f"load.create_owned.{kind.name}",
        f"""{ROWS}
            MATCH (n:{kind.key_label.value} {{code: code}})
            {creates}
            WITH n, i
            SET n.row_hash = $hash[i]""",
        mode=Mode.WRITE,
        params=_owned_example(len(slots)),
    )


def links_in_create(kind: NodeKind) -> bool:
    """Whether new nodes of this kind can be created with their owned relationships in one
    statement: every slot holds one target. (Kinds whose targets may be created later in
    the same load, regions and party orgs, are written in two steps by the loader.)"""
    single = {rel for rel, one in kind.owned if one}
    return all(rel in single for rel, _ in owned_slots(kind))


def _batch_targets(index: int, label: Label, backend: Backend) -> str:
    # One lookup per distinct target of the batch, kept in order as one-element lists
    # (`collect` drops nulls, `[t]` keeps a missing target's place); a CALL so that an
    # empty list still gives one row.
    return subquery(f"""
            UNWIND range(0, size($t{index}) - 1) AS j
            WITH j, $t{index}[j] AS c
            OPTIONAL MATCH (t:{label.value} {{code: c}})
            WITH j, t ORDER BY j
            RETURN collect([t]) AS ts{index}""", backend=backend)


def _link(index: int, rel: Rel) -> str:
    return f"""FOREACH (x IN CASE WHEN $x{index}[i] IS NULL THEN []
                              ELSE [y IN ts{index}[$x{index}[i]] WHERE y IS NOT NULL] END |
                 CREATE (n)-[:{rel.value}]->(x))"""


@builder(*({"kind": kind, "backend": backend} for kind in NODE_KINDS
            if links_in_create(kind) for backend in BOTH))
def create_linked(*, kind: NodeKind, backend: Backend) -> Statement:
    """New nodes with their properties, owned relationships and fingerprint, one statement.

    Each slot's targets are looked up once per batch (`$t0`: distinct codes) and each row
    points into them (`$x0[i]`: position or null), instead of one index lookup per row
    and slot plus a second statement matching the new nodes again: 5,000 people with three
    slots 145 → 90 ms on FalkorDB. Atomic like `create_owned`: a node never exists without
    its relationships and fingerprint.
    """
    if not links_in_create(kind):
        raise ValueError(f"{kind.name} has a slot with several targets")
    slots = owned_slots(kind)
    props = ", ".join(f"{c}: ${c}[i]" for c in kind.columns)
    name = f"load.create_linked.{kind.name}"
    return compose(
        dialect_name(name, backend=backend),
        f"""{" ".join(_batch_targets(i, label, backend) for i, (_, label) in enumerate(slots))}
            UNWIND range(0, size($code) - 1) AS i
            CREATE (n:{kind.pattern} {{code: $code[i], {props}, updated_at: $now,
                                     load_id: $load_id, row_hash: $hash[i]}})
            {" ".join(_link(i, rel) for i, (rel, _) in enumerate(slots))}""",
        mode=Mode.WRITE,
        params={**_node_example(kind), "hash": ["h"],
                **{f"t{i}": ["T"] for i in range(len(slots))},
                **{f"x{i}": [0] for i in range(len(slots))}},
        backends=frozenset({backend}),
    )


@builder(*(
    {"from_label": a, "rel": rel, "to_label": b} for a, rel, b in REL_SHAPES
))
def merge_relationships(*, from_label: Label, rel: Rel, to_label: Label) -> Statement:
    """Merge relationships by endpoint codes and a `key` (role and start for posts).

    Rows as columns `code` (the source), `dst`, `key`, `hash` and the type's REL_PROPS.
    """
    props = REL_PROPS.get(rel, ())
    sets = "".join(f", e.{c} = ${c}[i]" for c in props)
    return compose(
        f"load.merge.{from_label.value}.{rel.value}.{to_label.value}",
        f"""{ROWS}
            WITH i, code, $dst[i] AS dst, $key[i] AS rel_key
            MATCH (a:{from_label.value} {{code: code}})
            MATCH (b:{to_label.value} {{code: dst}})
            MERGE (a)-[e:{rel.value} {{key: rel_key}}]->(b)
            SET e.row_hash = $hash[i]{sets}""",
        mode=Mode.WRITE,
        params=_example(("code", "dst", "key", "hash", *props), code="X", dst="Y", key="",
                        hash="h"),
    )


@builder(*(
    {"from_label": a, "rel": rel, "to_label": b, "backend": backend}
    for a, rel, b in REL_SHAPES for backend in BOTH
))
def fetch_existing_relationships(*, from_label: Label, rel: Rel, to_label: Label,
                                 backend: Backend) -> Statement:
    """Fingerprints of keyed relationships, for diffing before a merge: one row of
    `[src, dst, key, hash]` lists (see `fetch_fingerprints`)."""
    name = f"load.fetch_rels.{from_label.value}.{rel.value}.{to_label.value}"
    return compose(
        dialect_name(name, backend=backend),
        f"""{ROWS}
            WITH code, $dst[i] AS dst, $key[i] AS rel_key
            MATCH (a:{from_label.value} {{code: code}})-[e:{rel.value} {{key: rel_key}}]->
                  (b:{to_label.value} {{code: dst}})
            {code_index_hint("a", from_label.value, backend=backend)}
            RETURN collect([code, dst, rel_key, e.row_hash]) AS found""",
        params=_example(("code", "dst", "key"), code="X", dst="Y", key=""),
        backends=frozenset({backend}),
    )


RESOLVE_CODES = statement(
    "load.resolve_codes",
    """UNWIND $codes AS c
       OPTIONAL MATCH (p:Place {code: c})
       OPTIONAL MATCH (o:Organization {code: c})
       OPTIONAL MATCH (g:PartyOrg {code: c})
       OPTIONAL MATCH (h:Person {code: c})
       WITH c, [x IN [p, o, g, h] WHERE x IS NOT NULL | x] AS found
       UNWIND found AS x
       RETURN c AS code, labels(x) AS labels, x.level AS level""",
    params={"codes": ["X"]},
)

PARTY_ORG_ANCESTRY = statement(
    "load.party_org_ancestry",
    """UNWIND $codes AS c
       MATCH (p:PartyOrg {code: c})-[:UNDER*0..64]->(a:PartyOrg)
       OPTIONAL MATCH (a)-[:UNDER]->(b:PartyOrg)
       RETURN DISTINCT a.code AS child, b.code AS parent""",
    params={"codes": ["X"]},
)

UNFINISHED_LOADS = statement(
    "load.unfinished",
    """MATCH (l:Load) WHERE l.status = 'started'
       RETURN l.code AS code, l.files AS files, l.started_at AS started_at
       ORDER BY started_at""",
)

LATEST_COMMITTED_LOAD = statement(
    "load.latest_committed",
    """MATCH (l:Load) WHERE l.status = 'committed'
       RETURN l.code AS code, l.fingerprint AS fingerprint, l.counts AS counts,
              l.finished_at AS finished_at
       ORDER BY finished_at DESC LIMIT 1""",
)

JOURNAL_UPSERT = statement(
    "load.journal_upsert",
    "MERGE (l:Load {code: $id}) SET l += $props RETURN l.code AS code",
    mode=Mode.WRITE,
    params={"id": "L", "props": {}},
)

COUNT_NODES = statement(
    "load.count_nodes",
    """MATCH (n) WHERE NOT n:Load
       RETURN count(n) AS nodes""",
)

COUNT_RELATIONSHIPS = statement(
    "load.count_relationships",
    "MATCH ()-[e]->() RETURN count(e) AS relationships",
)


def _journal(scoped: bool, after: bool) -> str:
    page = ("WHERE l.started_at < $at OR (l.started_at = $at AND l.code < $code)"
            if after else "")
    where = ("""OPTIONAL MATCH (p:Place {code: l.jurisdiction})-[:IN*0..5]->(s:Place {code: $scope})
               WITH l, s WHERE s IS NOT NULL OR (l.jurisdiction IS NULL AND $top)"""
             if scoped else "")
    return f"""MATCH (l:Load) WHERE l.started_at IS NOT NULL
               WITH l {page}
               {where}
               RETURN l.code AS code, l.status AS status, l.who AS who,
                      l.jurisdiction AS jurisdiction, l.started_at AS started_at,
                      l.finished_at AS finished_at, l.files AS files, l.counts AS counts
               ORDER BY started_at DESC, code DESC LIMIT $limit"""


@builder(*({"scoped": s, "after": a} for s in (False, True) for a in (False, True)))
def load_journal(*, scoped: bool, after: bool) -> Statement:
    """The load journal, newest first. Scoped: loads made under a jurisdiction at or below
    `$scope`, and the operator's (no jurisdiction) only when `$top` (the caller's
    jurisdiction is a top place: an operator load may touch anything)."""
    params: dict[str, Any] = {"limit": 20}
    if scoped:
        params.update(scope="S", top=False)
    if after:
        params.update(at="2026-01-01T00:00:00+00:00", code="L")
    return compose(f"load.journal.{'scoped' if scoped else 'all'}{'.after' if after else ''}",
                   _journal(scoped, after), params=params)
