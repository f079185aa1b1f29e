"""Linkage queries (design/linkage.md): how compounds, people, party organizations and
institutions are tied together.

Keyed statements take `UNWIND $codes AS k` and return one row (or a few) per key, so a
DataLoader answers a whole selection level in one round trip. With a scope every node a
statement returns must lie inside it (`graph.queries.scope`): what lies outside is simply
not there, the rule the jurisdiction binding of the security issue relies on.
"""

from __future__ import annotations

from graph.domain import BASE_LABELS, Label, Rel
from graph.queries.projection import node_map, post_map
from graph.queries.scope import (
    SCOPE_VAR,
    bind_scope,
    in_scope,
    in_scope_any,
    scope_clause,
    scope_filter,
)
from graph.statements import Statement, builder, compose

#: Labels a code is resolved against, in the order of preference when several match.
RESOLVE_LABELS: tuple[Label, ...] = BASE_LABELS
#: Organization kinds on the governance side of a cross-appointment (domain.md).
GOVERNANCE_KINDS = ("property_company", "owners_committee", "self_mgmt_committee")
_GOVERNANCE = "[" + ", ".join(f"'{k}'" for k in GOVERNANCE_KINDS) + "]"
_TODAY = "2024-01-01"


def _node(var: str) -> str:
    return node_map(var)


def _current(var: str) -> str:
    return f"({var}.end IS NULL OR {var}.end > $today)"


def _suffix(scoped: bool) -> str:
    return ".scoped" if scoped else ""


@builder({"scoped": False}, {"scoped": True})
def resolve_codes(*, scoped: bool) -> Statement:
    """The nodes each code names, one row per label it exists under (codes are unique per
    label, not across labels); with a scope only nodes inside it."""
    branches = [
        f"""UNWIND $codes AS k
            MATCH (n:{label.value} {{code: k}})
            {scope_clause("n", label, scoped=scoped)}
            RETURN k AS key, {_node("n")} AS node"""
        for label in RESOLVE_LABELS
    ]
    return compose(f"link.resolve_codes{_suffix(scoped)}", " UNION ALL ".join(branches),
                   params={"codes": ["X"], "scope": "S"})


# --- places: enclosing regions -------------------------------------------------------

@builder({"scoped": False}, {"scoped": True})
def enclosing_regions(*, scoped: bool) -> Statement:
    """The regions each place lies in (community, street, district), nearest first."""
    return compose(
        f"link.enclosing_regions{_suffix(scoped)}",
        f"""UNWIND $codes AS k
            MATCH path = (:Place {{code: k}})-[:IN*1..5]->(a:Region)
            {scope_clause("a", Label.REGION, scoped=scoped)}
            WITH k, a, length(path) AS distance ORDER BY distance
            RETURN k AS key, collect({_node("a")}) AS items""",
        params={"codes": ["X"], "scope": "S"},
    )


# --- cross-appointment ----------------------------------------------------------------

#: Cross-appointment (domain.md): a current party-side post `pp` in an org `po` covering
#: the compound `x`, its grid or community, and a current governance-side post `gp` in an
#: organization `g` that manages or serves `x` (the patterns below bind these names).
_CROSS_WHERE = f"{_current('pp')} AND {_current('gp')} AND g.kind IN {_GOVERNANCE}"
#: The posts on each side, per (x, p).
_CROSS_POSTS = (f"collect(DISTINCT {{post: {post_map('pp')}, node: {_node('po')}}}) AS party, "
                f"collect(DISTINCT {{post: {post_map('gp')}, node: {_node('g')}}}) AS governance")


# The start node is bound in a MATCH of its own: with the WHERE on `g.kind` in the same
# MATCH FalkorDB scanned every organization first (3 ms a compound, 3.5 ms a person at
# district scale; 0.4 and 0.1 ms anchored). From the compound, the governance side comes
# first: a compound has a few managers and committees, its community many party posts.
_CROSS_FROM_COMPOUND = ("(x:Compound {code: k}) WITH k, x "
                        "MATCH (x)<-[:MANAGES|SERVES]-(g:Organization)<-[gp:HOLDS_POST]-"
                        "(p:Person)-[pp:HOLDS_POST]->(po:PartyOrg)-[:COVERS]->(:Place)"
                        "<-[:IN*0..2]-(x)")
# from the governance side: a party org covering a community reaches every compound in it
_CROSS_FROM_PERSON = ("(p:Person {code: k}) WITH k, p "
                      "MATCH (p)-[gp:HOLDS_POST]->(g:Organization)"
                      "-[:MANAGES|SERVES]->(x:Compound)-[:IN*0..2]->(:Place)<-[:COVERS]-"
                      "(po:PartyOrg)<-[pp:HOLDS_POST]-(p)")


def _cross_return(scoped: bool) -> str:
    scope_po = scope_clause("po", Label.PARTY_ORG, scoped=scoped)
    return f"""{scope_po}
            WITH k, x, p, {_CROSS_POSTS}
            WITH k, x, p, party, governance ORDER BY x.code, p.code
            RETURN k AS key, collect({{compound: {_node("x")}, person: {_node("p")},
                                      party: party, governance: governance}}) AS items"""


@builder(*({"by": by, "scoped": s} for by in ("compound", "person") for s in (False, True)))
def cross_appointments_of(*, by: str, scoped: bool) -> Statement:
    """Cross-appointments of each compound (`by` compound) or each person (`by` person)."""
    start = _CROSS_FROM_COMPOUND if by == "compound" else _CROSS_FROM_PERSON
    return compose(
        f"link.cross_appointments_of.{by}{_suffix(scoped)}",
        f"""UNWIND $codes AS k
            MATCH {start} WHERE {_CROSS_WHERE}
            {_cross_return(scoped)}""",
        params={"codes": ["X"], "scope": "S", "today": _TODAY},
    )


def _cross_in_scope(scoped: bool) -> str:
    if not scoped:
        return "MATCH (x:Compound)"
    return (f"MATCH ({SCOPE_VAR}:Place {{code: $scope}})<-[:IN*0..5]-(x:Compound) "
            f"WITH DISTINCT {SCOPE_VAR}, x")


def _scope_po(scoped: bool) -> str:
    """The party side's org inside the scope (`scope_place` is bound by _cross_in_scope)."""
    return scope_clause("po", Label.PARTY_ORG, scoped=scoped, keyword="AND")


_CROSS_ALL = ("(x)-[:IN*0..2]->(:Place)<-[:COVERS]-(po:PartyOrg)<-[pp:HOLDS_POST]-(p:Person)"
              "-[gp:HOLDS_POST]->(g:Organization)-[:MANAGES|SERVES]->(x)")


@builder({"scoped": False}, {"scoped": True})
def cross_appointment_page(*, scoped: bool) -> Statement:
    """One page of (compound, person) cross-appointments in (compound, person) code order."""
    return compose(
        f"link.cross_appointment_page{_suffix(scoped)}",
        f"""{_cross_in_scope(scoped)}
            MATCH {_CROSS_ALL}
            WHERE {_CROSS_WHERE}
              AND ($after_compound IS NULL OR x.code > $after_compound
                   OR (x.code = $after_compound AND p.code > $after_person))
              {_scope_po(scoped)}
            WITH x, p, {_CROSS_POSTS}
            WITH x, p, party, governance ORDER BY x.code, p.code LIMIT $limit
            RETURN {_node("x")} AS compound, {_node("p")} AS person, party, governance""",
        params={"scope": "S", "today": _TODAY, "after_compound": None, "after_person": None,
                "limit": 10},
    )


@builder({"scoped": False}, {"scoped": True})
def cross_appointment_counts(*, scoped: bool) -> Statement:
    """Cross-appointed people and compounds per community (compound → grid → community)."""
    return compose(
        f"link.cross_appointment_counts{_suffix(scoped)}",
        f"""{_cross_in_scope(scoped)}
            MATCH {_CROSS_ALL}
            WHERE {_CROSS_WHERE} {_scope_po(scoped)}
            WITH DISTINCT x, p
            OPTIONAL MATCH (x)-[:IN]->(:Grid)-[:IN]->(c:Region)
            RETURN c.code AS code, c.name AS name, count(DISTINCT p) AS people,
                   count(DISTINCT x) AS compounds, count(*) AS pairs
            ORDER BY code""",
        params={"scope": "S", "today": _TODAY},
    )


# --- chain of command -------------------------------------------------------------------

#: Maximum depth of the party hierarchy walked up (district committee → building group is 5).
MAX_UNDER = 10


@builder(*({"label": label, "scoped": s}
           for label in (Label.PARTY_ORG, Label.PLACE, Label.ORGANIZATION)
           for s in (False, True)))
def chain_of_command(*, label: Label, scoped: bool) -> Statement:
    """From the nearest covering (or own) party org of a node up `UNDER` to the top.

    A place climbs its `IN` chain to the nearest place a party org covers; an organization
    takes the org that covers it, else the nearest one covering where it sits. Each org
    comes with its current secretaries. With a scope the chain stops at the scope's edge.
    """
    if label is Label.PARTY_ORG:
        start = "MATCH (o:PartyOrg {code: $code})"
    else:
        start = f"""MATCH path = (:{label.value} {{code: $code}})-[:LOCATED_IN*0..1]->()
                          -[:IN*0..5]->()<-[:COVERS]-(o:PartyOrg)
                    WITH o, length(path) AS distance ORDER BY distance, o.code LIMIT 1"""
    return compose(
        f"link.chain_of_command.{label.value}{_suffix(scoped)}",
        f"""{start}
            MATCH up = (o)-[:UNDER*0..{MAX_UNDER}]->(a:PartyOrg)
            WITH a, length(up) AS depth
            {scope_filter(in_scope("a", Label.PARTY_ORG), scoped=scoped)}
            OPTIONAL MATCH (a)<-[h:HOLDS_POST]-(s:Person)
            WHERE h.role = 'secretary' AND {_current("h")}
            WITH a, depth, s ORDER BY s.code
            WITH a, depth, collect({_node("s")}) AS secretaries
            RETURN {_node("a")} AS org, depth, secretaries ORDER BY depth""",
        params={"code": "X", "scope": "S", "today": _TODAY},
    )


# --- connection paths ---------------------------------------------------------------------

MAX_HOPS = 6
#: Every type but LIVES_IN: the paths of callers who may not see residences (a building).
NOT_RESIDENCE = tuple(t for t in Rel if t is not Rel.LIVES_IN)
_PATH_EXAMPLES = [
    {"source": Label.COMPOUND, "target": Label.COMPOUND, "hops": h, "types": t, "scoped": s}
    for h, t in ((6, None), (2, (Rel.IN, Rel.MANAGES)), (1, (Rel.HOLDS_POST,)),
                 (6, NOT_RESIDENCE))
    for s in (False, True)
] + [{"source": src, "target": dst, "hops": 4, "types": None, "scoped": False}
     for src in RESOLVE_LABELS for dst in RESOLVE_LABELS]


@builder(*_PATH_EXAMPLES)
def connection_paths(*, source: Label, target: Label, hops: int, types: tuple[Rel, ...] | None,
                     scoped: bool) -> Statement:
    """All shortest undirected paths between two nodes (`allShortestPaths` after WITH works
    on both backends; FalkorDB has no undirected `shortestPath`). With a scope, paths that
    leave it are dropped."""
    if not 1 <= hops <= MAX_HOPS:
        raise ValueError(f"hops must be 1..{MAX_HOPS}")
    rel = ":" + "|".join(t.value for t in sorted(types)) if types else ""
    keep = ""
    if scoped:
        keep = f"""UNWIND nodes(p) AS n
            {scope_filter(in_scope_any("n"), scoped=True)}
            WITH p, count(n) AS inside WHERE inside = length(p) + 1"""
    name = "all" if not types else "-".join(t.value for t in sorted(types))
    return compose(
        f"link.paths.{source.value}.{target.value}.{hops}.{name}{_suffix(scoped)}",
        f"""MATCH (a:{source.value} {{code: $source}}), (b:{target.value} {{code: $target}})
            WITH a, b
            MATCH p = allShortestPaths((a)-[{rel}*..{hops}]-(b))
            WITH p LIMIT $limit
            {keep}
            RETURN [n IN nodes(p) | {_node("n")}] AS nodes,
                   [i IN range(0, length(p) - 1) |
                    {{type: type(relationships(p)[i]), props: properties(relationships(p)[i]),
                      forward: startNode(relationships(p)[i]) = nodes(p)[i]}}] AS rels""",
        params={"source": "A", "target": "B", "limit": 10, "scope": "S"},
    )


# --- neighbourhood ------------------------------------------------------------------------

#: Parameter holding the frontier codes of each base label.
FRONTIER_PARAMS: dict[Label, str] = {
    Label.PLACE: "places", Label.PARTY_ORG: "party_orgs", Label.ORGANIZATION: "organizations",
    Label.PERSON: "people",
}


@builder({"scoped": False}, {"scoped": True})
def neighbourhood_hop(*, scoped: bool) -> Statement:
    """Every relationship of the frontier nodes with the node at its other end (one hop).

    The frontier comes as code lists per base label so each lookup uses the code index.
    Rows are ordered (frontier code, type, neighbour code) and capped at `$limit` per label.
    """
    where = scope_filter(in_scope_any("m"), scoped=scoped)
    branches = [
        f"""UNWIND ${param} AS k
            MATCH (n:{label.value} {{code: k}})-[r]-(m)
            {where}
            WITH k, r, m, startNode(r) = n AS outgoing ORDER BY k, type(r), m.code LIMIT $limit
            RETURN '{label.value}' AS source_label, k AS source, type(r) AS type,
                   properties(r) AS props, outgoing, {_node("m")} AS node"""
        for label, param in FRONTIER_PARAMS.items()
    ]
    return compose(
        f"link.neighbourhood_hop{_suffix(scoped)}", " UNION ALL ".join(branches),
        params={**{p: ["X"] for p in FRONTIER_PARAMS.values()}, "limit": 10, "scope": "S"},
    )


# --- pairing ---------------------------------------------------------------------------------

def _pairing_tail(scoped: bool) -> str:
    """Members of the institution in service who registered (双报到) with a community that
    is the place, lies inside it or encloses it."""
    scope_m = f"AND {in_scope('m', Label.PERSON)}" if scoped else ""
    return f"""OPTIONAL MATCH (i)<-[:EMPLOYED_BY]-(m:Person)-[:REPORTS_TO]->(c:Region)
            WHERE m.member_status = 'in_service'
              AND ((p)-[:IN*0..4]->(c) OR (c)-[:IN*1..2]->(p)) {scope_m}
            WITH i, rel, p, m ORDER BY m.code
            WITH i, rel, p, collect(DISTINCT {_node("m")}) AS members
            RETURN type(rel) AS relation, {_node("i")} AS institution, {_node("p")} AS place,
                   members
            ORDER BY place.code, institution.code, relation"""


@builder(*({"side": side, "scoped": s} for side in ("place", "institution")
           for s in (False, True)))
def pairing(*, side: str, scoped: bool) -> Statement:
    """Institutions paired with / responsible for a place (`side` place), or the places an
    institution is paired with / responsible for (`side` institution)."""
    if side == "place":
        match = f"""MATCH (p:Place {{code: $code}})<-[rel:PAIRED_WITH|RESPONSIBLE_FOR]-
                          (i:Organization)
                    {scope_clause("i", Label.ORGANIZATION, scoped=scoped, keyword="WHERE")}"""
    else:
        match = f"""MATCH (i:Organization {{code: $code}})-[rel:PAIRED_WITH|RESPONSIBLE_FOR]->
                          (p:Place)
                    {scope_clause("p", Label.PLACE, scoped=scoped, keyword="WHERE")}"""
    return compose(
        f"link.pairing.{side}{_suffix(scoped)}",
        f"""{bind_scope(scoped)}
            {match}
            {_pairing_tail(scoped)}""",
        params={"code": "X", "scope": "S"},
    )
