"""Scope predicates: whether a node lies inside the place `$scope` (design: scope on every query).

A place is inside when it reaches the scope place through `IN` (itself included). Other
nodes are inside through the places they are linked to: a party org through what it
covers, an organization through where it sits or what it manages or serves, a person
through residence, registration, employer, membership or a post. Builders include the
predicate only when a scope is given, so unscoped queries pay nothing for it.
"""

from __future__ import annotations

from graph.domain import Label

#: Longest IN chain: building → compound → grid → community → street → district.
MAX_DEPTH = 5
_IN = f"[:IN*0..{MAX_DEPTH}]"
_SCOPE = "(:Place {code: $scope})"


def _place(var: str) -> str:
    return f"({var})-{_IN}->{_SCOPE}"


def _org(var: str) -> str:
    return (f"({var})-[:LOCATED_IN|MANAGES|SERVES|RESPONSIBLE_FOR]->()-{_IN}->{_SCOPE}")


def _party_org(var: str) -> str:
    return (f"(({var})-[:COVERS]->(:Place)-{_IN}->{_SCOPE} OR "
            f"({var})-[:COVERS]->(:Organization)-[:LOCATED_IN]->()-{_IN}->{_SCOPE})")


def _person(var: str) -> str:
    return (f"(({var})-[:LIVES_IN|REPORTS_TO]->()-{_IN}->{_SCOPE} OR "
            f"({var})-[:HOLDS_POST]->(:Place)-{_IN}->{_SCOPE} OR "
            f"({var})-[:EMPLOYED_BY|HOLDS_POST]->(:Organization)"
            f"-[:LOCATED_IN|MANAGES|SERVES]->()-{_IN}->{_SCOPE} OR "
            f"({var})-[:MEMBER_OF|HOLDS_POST]->(:PartyOrg)-[:COVERS]->(:Place)-{_IN}->{_SCOPE})")


_PREDICATES = {
    Label.PLACE: _place, Label.REGION: _place, Label.GRID: _place,
    Label.COMPOUND: _place, Label.BUILDING: _place,
    Label.ORGANIZATION: _org, Label.PARTY_ORG: _party_org, Label.PERSON: _person,
}


def in_scope(var: str, label: Label) -> str:
    """Cypher predicate: node `var` (of `label`) lies inside `$scope`."""
    return _PREDICATES[label](var)


def scope_clause(var: str, label: Label, *, scoped: bool, keyword: str = "WHERE") -> str:
    """`WHERE <predicate>` when scoped, else nothing."""
    return f"{keyword} {in_scope(var, label)}" if scoped else ""


#: Labels whose scope predicate `in_scope_any` distinguishes (every node is one of these).
_BASE_LABELS: tuple[Label, ...] = (
    Label.PLACE, Label.PARTY_ORG, Label.ORGANIZATION, Label.PERSON,
)


def in_scope_any(var: str) -> str:
    """Cypher predicate for a node of any label: its own label's scope rule applies."""
    either = " OR ".join(f"({var}:{lbl.value} AND {in_scope(var, lbl)})" for lbl in _BASE_LABELS)
    return f"({either})"
