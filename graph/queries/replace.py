"""`--replace-scope`: what lies inside a place that a roster may no longer name.

For each template a load carries, the nodes of its kind inside the scope are listed; the
loader deletes those the roster does not name. Posts are listed by their target and
relations by their `to` end inside the scope. "Inside" is what the scope owns (the load
rule of graph/queries/jurisdiction.py, narrower than what queries show), asked the other
way round: the places at or below the scope are
walked down once (`PLACES_IN_SCOPE`), then the nodes linked to them are found a batch of
places at a time, one pattern per statement. Asked as the predicate of every node of a
label (the first version), the people of a district took one statement of 10 s on
FalkorDB — a dry run of a 400-byte roster held a query thread that long; walked down,
the same people are 3 × 14 statements of at most a few tenths of a second each.
"""

from __future__ import annotations

from graph.domain import Label, Rel
from graph.queries.load import NODE_KINDS, NodeKind
from graph.queries.scope import MAX_DEPTH, SCOPE_VAR, bind_scope
from graph.statements import Mode, Statement, builder, compose, statement

TARGET_LABELS: tuple[Label, ...] = (Label.PLACE, Label.PARTY_ORG, Label.ORGANIZATION)
RELATION_TYPES: tuple[Rel, ...] = (Rel.MANAGES, Rel.RESPONSIBLE_FOR, Rel.PAIRED_WITH,
                                   Rel.REPORTS_TO)

#: Every place at or below the scope place (itself included) and its labels.
PLACES_IN_SCOPE = statement(
    "replace.places_in_scope",
    f"""{bind_scope(True)} WITH {SCOPE_VAR}
        MATCH ({SCOPE_VAR})<-[:IN*0..{MAX_DEPTH}]-(n:Place)
        RETURN n.code AS code, labels(n) AS labels""",
    params={"scope": "S"},
)

_NO_HOME = "WITH DISTINCT n WHERE NOT (n)-[:LIVES_IN]->()"

#: Per label of a node that is not a place, the (pattern, then) pairs — one statement each
#: — that put a node `n` at place `x`: what a place owns, the load rule of
#: graph/queries/jurisdiction.py with the place walk taken out (a replace scope removes
#: what the scope owns, not what is merely linked to it: a person living elsewhere who
#: holds a post there, a company elsewhere managing a compound there). Party orgs found
#: here must also cover nothing elsewhere (graph/repo/replace.py asks that of the few
#: found).
AT_PLACE: dict[Label, tuple[tuple[str, str], ...]] = {
    Label.ORGANIZATION: (("(n:Organization)-[:LOCATED_IN|SERVES]->(x)", ""),),
    Label.PARTY_ORG: (("(n:PartyOrg)-[:COVERS]->()-[:LOCATED_IN*0..1]->(x)", ""),),
    Label.PERSON: (
        ("(n:Person)-[:LIVES_IN]->(x)", ""),
        ("(n:Person)-[:REPORTS_TO|HOLDS_POST]->(x)", _NO_HOME),
        ("(n:Person)-[:HOLDS_POST]->(:Organization)-[:LOCATED_IN|SERVES]->(x)", _NO_HOME),
        ("(n:Person)-[:MEMBER_OF|HOLDS_POST]->(:PartyOrg)-[:COVERS]->()"
         "-[:LOCATED_IN*0..1]->(x)", _NO_HOME),
    ),
}


@builder(*({"label": label, "pattern": i}
           for label, patterns in AT_PLACE.items() for i in range(len(patterns))))
def nodes_at_places(*, label: Label, pattern: int) -> Statement:
    """Of the nodes of `label`, those one pattern links to one of the places `$places`."""
    return compose(
        f"replace.nodes_at_places.{label.value}.{pattern}",
        f"""UNWIND $places AS c
            MATCH (x:Place {{code: c}})
            MATCH {AT_PLACE[label][pattern][0]}
            {AT_PLACE[label][pattern][1]}
            RETURN DISTINCT n.code AS code""",
        params={"places": ["X"]},
    )


@builder(*({"kind": kind} for kind in NODE_KINDS))
def delete_nodes(*, kind: NodeKind) -> Statement:
    return compose(
        f"replace.delete_nodes.{kind.name}",
        f"""UNWIND $codes AS c
            MATCH (n:{kind.key_label.value} {{code: c}})
            DETACH DELETE n""",
        mode=Mode.WRITE,
        params={"codes": ["X"]},
    )


@builder(*({"label": label} for label in TARGET_LABELS))
def posts_at(*, label: Label) -> Statement:
    """The posts held on the targets of `label` named by `$codes`."""
    return compose(
        f"replace.posts_at.{label.value}",
        f"""UNWIND $codes AS c
            MATCH (t:{label.value} {{code: c}})
            MATCH (p:Person)-[e:HOLDS_POST]->(t)
            RETURN p.code AS src, t.code AS dst, e.key AS key""",
        params={"codes": ["X"]},
    )


@builder(*({"rel": rel} for rel in RELATION_TYPES))
def relations_at(*, rel: Rel) -> Statement:
    """The relations of type `rel` ending at the places `$codes`."""
    return compose(
        f"replace.relations_at.{rel.value}",
        f"""UNWIND $codes AS c
            MATCH (b:Place {{code: c}})
            MATCH (a)-[e:{rel.value}]->(b)
            RETURN a.code AS src, b.code AS dst, e.key AS key""",
        params={"codes": ["X"]},
    )


@builder(*(
    {"from_label": a, "rel": rel, "to_label": b}
    for a, rel, b in (
        *((Label.PERSON, Rel.HOLDS_POST, t) for t in TARGET_LABELS),
        (Label.ORGANIZATION, Rel.MANAGES, Label.PLACE),
        (Label.ORGANIZATION, Rel.RESPONSIBLE_FOR, Label.PLACE),
        (Label.ORGANIZATION, Rel.PAIRED_WITH, Label.PLACE),
        (Label.PERSON, Rel.REPORTS_TO, Label.PLACE),
    )
))
def delete_relationships(*, from_label: Label, rel: Rel, to_label: Label) -> Statement:
    return compose(
        f"replace.delete_rels.{from_label.value}.{rel.value}.{to_label.value}",
        f"""UNWIND $rows AS r
            MATCH (a:{from_label.value} {{code: r.src}})-[e:{rel.value} {{key: r.key}}]->
                  (b:{to_label.value} {{code: r.dst}})
            DELETE e""",
        mode=Mode.WRITE,
        params={"rows": [{"src": "X", "dst": "Y", "key": ""}]},
    )
