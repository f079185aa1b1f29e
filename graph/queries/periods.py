"""Period figures beside the audits (design/audits.md): party organizations by kind, and
the secretary posts from which appointments and replacements in a period are counted.

Party organizations are in a scope by the audits' rule (they cover a place inside it, or
an organization located there), so these figures and the party-org audits agree.
"""

from __future__ import annotations

from graph.domain import Label
from graph.queries.audits import in_scope
from graph.statements import Statement, builder, compose

_SCOPES = ({"scoped": False}, {"scoped": True})


@builder(*_SCOPES)
def party_org_kinds(*, scoped: bool) -> Statement:
    """How many party organizations of each kind lie in the scope."""
    return compose(
        f"periods.party_org_kinds{'.scoped' if scoped else ''}",
        f"""{in_scope(Label.PARTY_ORG, scoped=scoped)}
            RETURN x.kind AS kind, count(x) AS count ORDER BY kind""",
        params={"scope": "S"},
    )


@builder(*_SCOPES)
def secretary_posts(*, scoped: bool) -> Statement:
    """Every secretary post, current or ended, begun by `$to`, of the party organizations
    in the scope (of category `$category`, or all): the rows tenures are built from."""
    return compose(
        f"periods.secretary_posts{'.scoped' if scoped else ''}",
        f"""{in_scope(Label.PARTY_ORG, scoped=scoped,
                      where="($category IS NULL OR x.category = $category)")}
            MATCH (x)<-[p:HOLDS_POST]-(person:Person)
            WHERE p.role = 'secretary' AND (p.start IS NULL OR p.start <= $to)
            RETURN x.code AS org, person.code AS person, p.start AS start, p.end AS end
            ORDER BY org, person, start""",
        params={"scope": "S", "category": None, "to": "2024-12-31"},
    )
