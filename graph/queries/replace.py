"""`--replace-scope`: what lies inside a place that a roster may no longer name.

For each template a load carries, the nodes of its kind inside the scope are listed (by
the scope predicates every query uses); the loader deletes those the roster does not name.
Posts are listed by their target and relations by their `to` end inside the scope.
"""

from __future__ import annotations

from graph.domain import Label, Rel
from graph.queries.load import NODE_KINDS, NodeKind
from graph.queries.scope import bind_scope, in_scope
from graph.statements import Mode, Statement, builder, compose

TARGET_LABELS: tuple[Label, ...] = (Label.PLACE, Label.PARTY_ORG, Label.ORGANIZATION)
RELATION_TYPES: tuple[Rel, ...] = (Rel.MANAGES, Rel.RESPONSIBLE_FOR, Rel.PAIRED_WITH,
                                   Rel.REPORTS_TO)


@builder(*({"kind": kind} for kind in NODE_KINDS))
def nodes_in_scope(*, kind: NodeKind) -> Statement:
    return compose(
        f"replace.nodes_in_scope.{kind.name}",
        f"""{bind_scope(True)}
            MATCH (n:{kind.key_label.value})
            WHERE n.code <> $scope AND {in_scope("n", kind.key_label)}
            RETURN n.code AS code""",
        params={"scope": "S"},
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
def posts_in_scope(*, label: Label) -> Statement:
    return compose(
        f"replace.posts_in_scope.{label.value}",
        f"""{bind_scope(True)}
            MATCH (p:Person)-[e:HOLDS_POST]->(t:{label.value})
            WHERE {in_scope("t", label)}
            RETURN p.code AS src, t.code AS dst, e.key AS key""",
        params={"scope": "S"},
    )


@builder(*({"rel": rel} for rel in RELATION_TYPES))
def relations_in_scope(*, rel: Rel) -> Statement:
    return compose(
        f"replace.relations_in_scope.{rel.value}",
        f"""{bind_scope(True)}
            MATCH (a)-[e:{rel.value}]->(b:Place)
            WHERE {in_scope("b", Label.PLACE)}
            RETURN a.code AS src, b.code AS dst, e.key AS key""",
        params={"scope": "S"},
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
