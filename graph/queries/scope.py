"""Scope predicates: whether a node lies inside the place `$scope` (design: scope on every query).

A place is inside when it reaches the scope place through `IN` (itself included). Other
nodes are inside through the places they are linked to: a party org through what it
covers, an organization through where it sits or what it manages or serves, a person
through residence, registration, membership or a post (a membership or post in a party
org counts where that party org is: what it covers, or where a covered unit sits) — not
through an employer. Builders include the predicate only when a scope is given, so
unscoped queries pay nothing for it.
"""

from __future__ import annotations

from graph.domain import BASE_LABELS, Label

#: Longest IN chain: building → compound → grid → community → street → district.
MAX_DEPTH = 5
_IN = f"[:IN*0..{MAX_DEPTH}]"
#: The scope place, bound once per statement by `bind_scope()`. FalkorDB evaluates a
#: pattern predicate ending in an unbound `(:Place {code: $scope})` by expanding it over
#: the whole graph (114 ms for one party org at district scale); ending in a bound node it
#: walks from the node (0.6 ms).
SCOPE_VAR = "scope_place"
_SCOPE = f"({SCOPE_VAR})"


def _place(var: str) -> str:
    return f"({var})-{_IN}->{_SCOPE}"


def _org(var: str) -> str:
    return (f"({var})-[:LOCATED_IN|MANAGES|SERVES|RESPONSIBLE_FOR]->()-{_IN}->{_SCOPE}")


def _party_org(var: str) -> str:
    # one pattern: a covered place (no LOCATED_IN hop) or a covered unit and where it sits;
    # an OR of two patterns took FalkorDB 4× longer
    return f"({var})-[:COVERS]->()-[:LOCATED_IN*0..1]->()-{_IN}->{_SCOPE}"


def _person(var: str) -> str:
    # not by employer: a company's staff spans streets, and placing every employee where
    # the company sits or manages let a community's officer read the phones of people
    # living anywhere (attack run, 2026-11-30)
    return (f"(({var})-[:LIVES_IN|REPORTS_TO|HOLDS_POST]->(:Place)-{_IN}->{_SCOPE} OR "
            f"({var})-[:HOLDS_POST]->(:Organization)"
            f"-[:LOCATED_IN|MANAGES|SERVES]->()-{_IN}->{_SCOPE} OR "
            f"({var})-[:MEMBER_OF|HOLDS_POST]->(:PartyOrg)-[:COVERS]->()"
            f"-[:LOCATED_IN*0..1]->()-{_IN}->{_SCOPE})")


_PREDICATES = {
    Label.PLACE: _place, Label.REGION: _place, Label.GRID: _place,
    Label.COMPOUND: _place, Label.BUILDING: _place,
    Label.ORGANIZATION: _org, Label.PARTY_ORG: _party_org, Label.PERSON: _person,
}


def in_scope(var: str, label: Label) -> str:
    """Cypher predicate: node `var` (of `label`) lies inside `$scope`."""
    return _PREDICATES[label](var)


PLACE_LABELS = frozenset({Label.PLACE, Label.REGION, Label.GRID, Label.COMPOUND, Label.BUILDING})


def match_all(var: str, label: Label, *, scoped: bool) -> str:
    """`MATCH` every node of `label` (inside `$scope` when scoped) as `var`.

    Places are walked down from the scope place (bound first, in a clause of its own:
    with a WHERE on `var` in the same MATCH FalkorDB starts from the label instead and
    checks every node; the 76 compounds of a street: 3.5 → 0.8 ms at district scale).
    Other labels take the predicate of their links, added by the caller's WHERE.
    """
    if scoped and label in PLACE_LABELS:
        return (f"{bind_scope(True)} WITH {SCOPE_VAR} "
                f"MATCH ({SCOPE_VAR})<-{_IN}-({var}:{label.value})")
    return f"{bind_scope(scoped)} MATCH ({var}:{label.value})"


def walked(label: Label, *, scoped: bool) -> bool:
    """Whether `match_all` already kept only the nodes inside the scope."""
    return scoped and label in PLACE_LABELS


def bind_scope(scoped: bool) -> str:
    """`MATCH` the scope place as `scope_place`; every scoped statement starts with it (or
    binds it before its first predicate). An unknown scope matches nothing."""
    return f"MATCH ({SCOPE_VAR}:Place {{code: $scope}})" if scoped else ""


def scope_clause(var: str, label: Label, *, scoped: bool, keyword: str = "MATCH") -> str:
    """When scoped, a clause keeping the rows whose `var` lies inside the scope; else nothing.

    The default is a clause of its own, `MATCH (scope_place …) WHERE <predicate>`, to put
    right after the MATCH that binds `var`: after an UNWIND, FalkorDB walks a predicate
    from `var` only when the scope place is matched there (2 ms), not when it was bound
    before the UNWIND (120 ms). `keyword="AND"` gives `AND <predicate>` for an existing
    WHERE of a statement that starts with `bind_scope()`.
    """
    if not scoped:
        return ""
    if keyword == "MATCH":
        return scope_filter(in_scope(var, label), scoped=True)
    return f"{keyword} {in_scope(var, label)}"


def scope_filter(predicate: str, *, scoped: bool) -> str:
    """A clause of its own that keeps the rows meeting `predicate` (binding the scope
    place), for use right after a WITH that did not carry `scope_place`."""
    # `WITH *` first: without it FalkorDB merges this MATCH into the one before and, for
    # several UNWIND keys, walks the predicate from the scope side (27 ms against 1 ms)
    return f"WITH * {bind_scope(True)} WHERE {predicate}" if scoped else ""


def in_scope_any(var: str) -> str:
    """Cypher predicate for a node of any label: its own label's scope rule applies."""
    either = " OR ".join(f"({var}:{lbl.value} AND {in_scope(var, lbl)})" for lbl in BASE_LABELS)
    return f"({either})"
