"""Lookups by code and one-hop navigation along the relationships of design/domain.md.

Every statement takes a list of codes (`UNWIND $codes`), so a DataLoader answers all the
parents of one selection level in one round trip. Lists are ordered by code; `$after`
and `$limit` give keyset pagination, and `total` counts the whole list.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.domain import Label, Rel
from graph.queries.projection import node_map, post_map
from graph.queries.scope import in_scope_any, match_all, scope_clause, scope_filter, walked
from graph.statements import Statement, builder, compose, statement

NODE_LABELS: tuple[Label, ...] = (
    Label.PLACE, Label.REGION, Label.GRID, Label.COMPOUND, Label.BUILDING,
    Label.PARTY_ORG, Label.ORGANIZATION, Label.PERSON,
)


@dataclass(frozen=True, slots=True)
class Edge:
    """One navigable relationship: (src)-[rel]->(dst) read from src (`outgoing`) or dst."""

    name: str
    src: Label
    rel: Rel
    outgoing: bool
    dst: Label

    @property
    def pattern(self) -> str:
        arrow = f"-[:{self.rel.value}]->" if self.outgoing else f"<-[:{self.rel.value}]-"
        return f"(n:{self.src.value} {{code: k}}){arrow}(m:{self.dst.value})"


EDGES: dict[str, Edge] = {e.name: e for e in (
    Edge("region_parent", Label.REGION, Rel.IN, True, Label.REGION),
    Edge("region_children", Label.REGION, Rel.IN, False, Label.REGION),
    Edge("region_grids", Label.REGION, Rel.IN, False, Label.GRID),
    Edge("grid_community", Label.GRID, Rel.IN, True, Label.REGION),
    Edge("grid_compounds", Label.GRID, Rel.IN, False, Label.COMPOUND),
    Edge("grid_buildings", Label.GRID, Rel.IN, False, Label.BUILDING),
    Edge("compound_grid", Label.COMPOUND, Rel.IN, True, Label.GRID),
    Edge("compound_buildings", Label.COMPOUND, Rel.IN, False, Label.BUILDING),
    Edge("building_parent", Label.BUILDING, Rel.IN, True, Label.PLACE),
    Edge("place_party_orgs", Label.PLACE, Rel.COVERS, False, Label.PARTY_ORG),
    Edge("compound_managers", Label.COMPOUND, Rel.MANAGES, False, Label.ORGANIZATION),
    Edge("compound_committees", Label.COMPOUND, Rel.SERVES, False, Label.ORGANIZATION),
    Edge("compound_responsible", Label.COMPOUND, Rel.RESPONSIBLE_FOR, False,
         Label.ORGANIZATION),
    Edge("place_paired", Label.PLACE, Rel.PAIRED_WITH, False, Label.ORGANIZATION),
    Edge("party_org_parent", Label.PARTY_ORG, Rel.UNDER, True, Label.PARTY_ORG),
    Edge("party_org_children", Label.PARTY_ORG, Rel.UNDER, False, Label.PARTY_ORG),
    Edge("party_org_places", Label.PARTY_ORG, Rel.COVERS, True, Label.PLACE),
    Edge("party_org_organizations", Label.PARTY_ORG, Rel.COVERS, True, Label.ORGANIZATION),
    Edge("party_org_members", Label.PARTY_ORG, Rel.MEMBER_OF, False, Label.PERSON),
    Edge("organization_location", Label.ORGANIZATION, Rel.LOCATED_IN, True, Label.PLACE),
    Edge("organization_manages", Label.ORGANIZATION, Rel.MANAGES, True, Label.COMPOUND),
    Edge("organization_serves", Label.ORGANIZATION, Rel.SERVES, True, Label.COMPOUND),
    Edge("organization_responsible_for", Label.ORGANIZATION, Rel.RESPONSIBLE_FOR, True,
         Label.COMPOUND),
    Edge("organization_paired_with", Label.ORGANIZATION, Rel.PAIRED_WITH, True, Label.PLACE),
    Edge("organization_employees", Label.ORGANIZATION, Rel.EMPLOYED_BY, False, Label.PERSON),
    Edge("person_party_org", Label.PERSON, Rel.MEMBER_OF, True, Label.PARTY_ORG),
    Edge("person_employer", Label.PERSON, Rel.EMPLOYED_BY, True, Label.ORGANIZATION),
    Edge("person_residence", Label.PERSON, Rel.LIVES_IN, True, Label.PLACE),
    Edge("person_reports_to", Label.PERSON, Rel.REPORTS_TO, True, Label.REGION),
)}

_EXAMPLE = {"codes": ["X"], "after": None, "limit": 10, "scope": "S"}


@builder(*({"label": label, "scoped": s} for label in NODE_LABELS for s in (False, True)))
def nodes_by_code(*, label: Label, scoped: bool) -> Statement:
    """Nodes of one label by code (unknown codes are simply absent)."""
    return compose(
        f"nav.nodes_by_code.{label.value}{'.scoped' if scoped else ''}",
        f"""UNWIND $codes AS k
            MATCH (n:{label.value} {{code: k}})
            {scope_clause("n", label, scoped=scoped)}
            RETURN k AS key, {node_map("n")} AS node""",
        params={"codes": ["X"], "scope": "S"},
    )


@builder(*({"edge": e, "scoped": s} for e in EDGES.values() for s in (False, True)))
def neighbours(*, edge: Edge, scoped: bool) -> Statement:
    """One page of neighbours per code along an edge, with the list's total size (the page
    is cut before its nodes are projected, as in `search_indexed`)."""
    return compose(
        f"nav.neighbours.{edge.name}{'.scoped' if scoped else ''}",
        f"""UNWIND $codes AS k
            MATCH {edge.pattern}
            {scope_clause("m", edge.dst, scoped=scoped)}
            WITH k, m ORDER BY m.code
            WITH k, collect(m) AS ms
            RETURN k AS key, size(ms) AS total,
                   [x IN [y IN ms WHERE $after IS NULL OR y.code > $after][0..$limit]
                    | {node_map("x")}] AS items""",
        params=_EXAMPLE,
    )


#: Edges read whole (no cursor: `one` and `all` fields), grouped by the label they start
#: from: the fields of one selection level ask several edges of the same nodes at once
#: (a person card: party org, employer, residence, reports-to), and one statement
#: answers them all — one round trip where there were four. Groups by start label keep
#: each statement short and its variants few (a union over every edge would be 12 kB of
#: Cypher, parsed again whenever FalkorDB's small query cache has dropped it).
HOP_GROUPS: dict[Label, tuple[Edge, ...]] = {}
for _edge in EDGES.values():
    HOP_GROUPS[_edge.src] = (*HOP_GROUPS.get(_edge.src, ()), _edge)


@builder(*({"src": src, "scoped": s} for src in HOP_GROUPS for s in (False, True)))
def hops(*, src: Label, scoped: bool) -> Statement:
    """Neighbours along every edge of one start label, for the codes given per edge
    (`$codes0`, `$codes1`, … in HOP_GROUPS order; an edge not asked gets `[]`), up to
    `$limit` each, with the list's total size: rows (edge index, key, total, items)."""
    parts = [f"""UNWIND $codes{i} AS k
            MATCH {edge.pattern}
            {scope_clause("m", edge.dst, scoped=scoped)}
            WITH k, m ORDER BY m.code
            WITH k, collect(m) AS ms
            RETURN {i} AS edge, k AS key, size(ms) AS total,
                   [x IN ms[0..$limit] | {node_map("x")}] AS items"""
             for i, edge in enumerate(HOP_GROUPS[src])]
    return compose(
        f"nav.hops.{src.value}{'.scoped' if scoped else ''}", " UNION ALL ".join(parts),
        params={**{f"codes{i}": ["X"] for i in range(len(HOP_GROUPS[src]))},
                "limit": 10, "scope": "S"},
    )


POST_HOLDER_LABELS: tuple[Label, ...] = (
    Label.PARTY_ORG, Label.ORGANIZATION, Label.PLACE,
)


@builder({"scoped": False}, {"scoped": True})
def posts_of_people(*, scoped: bool) -> Statement:
    """Every post (current and past) each person holds, with its target."""
    return compose(
        f"nav.posts_of_people{'.scoped' if scoped else ''}",
        f"""UNWIND $codes AS k
            MATCH (p:Person {{code: k}})-[e:HOLDS_POST]->(t)
            {scope_filter(in_scope_any("t"), scoped=scoped)}
            WITH k, e, t ORDER BY t.code, e.key
            RETURN k AS key,
                   collect({{post: {post_map("e")}, node: {node_map("t")}}}) AS items""",
        params=_EXAMPLE,
    )


@builder(*({"label": label, "scoped": s} for label in POST_HOLDER_LABELS for s in (False, True)))
def posts_on_targets(*, label: Label, scoped: bool) -> Statement:
    """Every post held on each target (a party org, organization or place), with its holder."""
    return compose(
        f"nav.posts_on_targets.{label.value}{'.scoped' if scoped else ''}",
        f"""UNWIND $codes AS k
            MATCH (t:{label.value} {{code: k}})<-[e:HOLDS_POST]-(p:Person)
            {scope_clause("p", Label.PERSON, scoped=scoped)}
            WITH k, e, p ORDER BY e.key, p.code
            RETURN k AS key,
                   collect({{post: {post_map("e")}, node: {node_map("p")}}}) AS items""",
        params=_EXAMPLE,
    )


def _predicate(label: Label, scoped: bool) -> str:
    """The scope condition `match_all` left to the WHERE (none for places: walked)."""
    return "" if walked(label, scoped=scoped) else scope_clause("n", label, scoped=scoped,
                                                                 keyword="AND")


@builder(*({"label": label, "scoped": s}
           for label in (Label.REGION, Label.GRID, Label.COMPOUND, Label.BUILDING,
                         Label.PARTY_ORG, Label.ORGANIZATION, Label.PERSON)
           for s in (False, True)))
def list_nodes(*, label: Label, scoped: bool) -> Statement:
    """A page of all nodes of a label (optionally one region level / kind), in code order."""
    return compose(
        f"nav.list_nodes.{label.value}{'.scoped' if scoped else ''}",
        f"""{match_all("n", label, scoped=scoped)}
            WHERE ($kind IS NULL OR n.level = $kind OR n.kind = $kind)
              AND ($after IS NULL OR n.code > $after)
              {_predicate(label, scoped)}
            WITH n ORDER BY n.code LIMIT $limit
            RETURN {node_map("n")} AS node""",
        params={"kind": None, "after": None, "limit": 10, "scope": "S"},
    )


@builder(*({"label": label, "scoped": s}
           for label in (Label.REGION, Label.GRID, Label.COMPOUND, Label.BUILDING,
                         Label.PARTY_ORG, Label.ORGANIZATION, Label.PERSON)
           for s in (False, True)))
def count_nodes(*, label: Label, scoped: bool) -> Statement:
    return compose(
        f"nav.count_nodes.{label.value}{'.scoped' if scoped else ''}",
        f"""{match_all("n", label, scoped=scoped)}
            WHERE ($kind IS NULL OR n.level = $kind OR n.kind = $kind)
              {_predicate(label, scoped)}
            RETURN count(n) AS total""",
        params={"kind": None, "scope": "S"},
    )


#: Phone numbers of people already reached (and scoped) by another statement. Read only
#: when a caller with a PII right asks for `phone`, so phones stay in the store otherwise.
PHONES = statement(
    "navigation.phones",
    """UNWIND $codes AS k
       MATCH (p:Person {code: k})
       WHERE p.phone IS NOT NULL
       RETURN k AS key, p.phone AS phone""",
    params={"codes": ["P1"]},
)


#: Regions inside no other (the top of every IN chain), two at most: whether a district is
#: the store's only one (resolvers/bounds.py). Regions only: loaders give every other
#: place a parent, and asking every place took 130 ms at district scale (regions: ~1 ms).
TOP_PLACES = statement(
    "navigation.top_places",
    """MATCH (p:Region) WHERE NOT (p)-[:IN]->(:Place)
       RETURN p.code AS code ORDER BY code LIMIT $limit""",
    params={"limit": 2},
)
