"""Coverage audits (design/audits.md) as Cypher builders.

An audit is an eligible node set `x` plus a block that computes, for each `x`, a boolean
`covered` and a list of `reasons` (codes of audits.md's gap reasons). From that one
definition three statements are derived: the totals per group, the group places of the
scope (so empty groups show with rate null), and one page of gaps with their enclosing
community and street. Each is one round trip whatever the number of compounds.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.domain import Label
from graph.queries.scope import scope_clause
from graph.statements import Statement, builder, compose, statement


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class AuditDef:
    id: str
    zh: str
    en: str
    eligible: Label
    #: Cypher run once per eligible `x`; must end with `WITH x, covered, reasons`.
    coverage: str
    reasons: tuple[Reason, ...]
    #: Optional extra filter on the eligible `x` (a predicate, no WHERE keyword).
    filter: str = ""

    def reason(self, code: str) -> Reason:
        return next(r for r in self.reasons if r.code == code)


COMPOUND_PARTY_ORG = AuditDef(
    id="compound-party-org",
    zh="小区党组织覆盖率",
    en="Compound party-organization coverage",
    eligible=Label.COMPOUND,
    coverage="""
        OPTIONAL MATCH (o:PartyOrg)-[:COVERS]->(x)
        WITH x, count(o) > 0 AS covered
        WITH x, covered, CASE WHEN covered THEN [] ELSE ['no_party_org'] END AS reasons""",
    reasons=(Reason("no_party_org", "无党组织覆盖", "no party organization"),),
)

AUDITS: dict[str, AuditDef] = {a.id: a for a in (COMPOUND_PARTY_ORG,)}

#: Group-by levels and the label/level of the group place.
GROUP_LEVELS: dict[str, tuple[Label, str | None]] = {
    "street": (Label.REGION, "street"),
    "community": (Label.REGION, "community"),
    "grid": (Label.GRID, None),
}


def _eligible(audit: AuditDef, *, scoped: bool, extra: str = "") -> str:
    conditions = [c for c in (
        audit.filter,
        extra,
        scope_clause("x", audit.eligible, scoped=scoped, keyword="").strip(),
    ) if c]
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"MATCH (x:{audit.eligible.value}) {where}"


def _group_match(group_by: str) -> str:
    label, level = GROUP_LEVELS[group_by]
    props = " {level: $group_level}" if level else ""
    return f"OPTIONAL MATCH (x)-[:IN*1..5]->(g:{label.value}{props})"


_AUDIT_EXAMPLES = [
    {"audit": a, "group_by": g, "scoped": s}
    for a in AUDITS.values() for g in (None, *GROUP_LEVELS) for s in (False, True)
]


@builder(*_AUDIT_EXAMPLES)
def audit_totals(*, audit: AuditDef, group_by: str | None, scoped: bool) -> Statement:
    """Eligible and covered counts, per group when `group_by` is given."""
    if group_by is None:
        tail = """RETURN null AS code, null AS name, count(x) AS eligible,
                  count(CASE WHEN covered THEN 1 END) AS covered"""
    else:
        tail = f"""{_group_match(group_by)}
                   RETURN g.code AS code, g.name AS name, count(x) AS eligible,
                          count(CASE WHEN covered THEN 1 END) AS covered"""
    return compose(
        f"audit.totals.{audit.id}.{group_by or 'all'}{'.scoped' if scoped else ''}",
        f"""{_eligible(audit, scoped=scoped)}
            {audit.coverage}
            {tail}""",
        params={"scope": "S", "group_level": "community"},
    )


@builder(*({"group_by": g, "scoped": s} for g in GROUP_LEVELS for s in (False, True)))
def group_places(*, group_by: str, scoped: bool) -> Statement:
    """Every place of the group level inside the scope, so empty groups are listed too."""
    label, level = GROUP_LEVELS[group_by]
    props = " {level: $group_level}" if level else ""
    return compose(
        f"audit.group_places.{group_by}{'.scoped' if scoped else ''}",
        f"""MATCH (g:{label.value}{props})
            {scope_clause("g", label, scoped=scoped)}
            RETURN g.code AS code, g.name AS name ORDER BY code""",
        params={"scope": "S", "group_level": "community"},
    )


@builder(*({"audit": a, "scoped": s} for a in AUDITS.values() for s in (False, True)))
def audit_gaps(*, audit: AuditDef, scoped: bool) -> Statement:
    """One page of gaps in code order with the enclosing community and street."""
    return compose(
        f"audit.gaps.{audit.id}{'.scoped' if scoped else ''}",
        f"""{_eligible(audit, scoped=scoped, extra="($after IS NULL OR x.code > $after)")}
            {audit.coverage}
            WITH x, covered, reasons WHERE NOT covered
            WITH x, reasons ORDER BY x.code LIMIT $limit
            OPTIONAL MATCH (x)-[:IN*0..5]->(cm:Region {{level: 'community'}})
            OPTIONAL MATCH (x)-[:IN*0..5]->(st:Region {{level: 'street'}})
            RETURN x.code AS code, x.name AS name, reasons,
                   cm.code AS community_code, cm.name AS community_name,
                   st.code AS street_code, st.name AS street_name""",
        params={"scope": "S", "after": None, "limit": 10},
    )


PLACE_BY_CODE = statement(
    "audit.place_by_code",
    """MATCH (p:Place {code: $code})
       RETURN p.code AS code, p.name AS name, labels(p) AS labels, p.level AS level""",
    params={"code": "X"},
)
