"""Coverage audits (design/audits.md) as Cypher builders; the catalogue of audits is in
graph/queries/audit_catalogue.py.

An audit is an eligible node set `x` plus a block that computes, for each `x`, a boolean
`covered` and a list of `reasons` (codes of audits.md's gap reasons). From that one
definition three statements are derived: the totals per group, the group places of the
scope (so empty groups show with rate null), and one page of gaps with their enclosing
community and street. Each is one round trip whatever the number of compounds.
"""

from __future__ import annotations

import re

from graph.domain import Label
from graph.queries.audit_catalogue import (
    AUDITS as AUDITS,
)
from graph.queries.audit_catalogue import (
    BRANCH_SIZE as BRANCH_SIZE,
)
from graph.queries.audit_catalogue import (
    BUILDING_CHIEF as BUILDING_CHIEF,
)
from graph.queries.audit_catalogue import (
    BUILDING_PARTY_GROUP as BUILDING_PARTY_GROUP,
)
from graph.queries.audit_catalogue import (
    COMMUNITY_PAIRING as COMMUNITY_PAIRING,
)
from graph.queries.audit_catalogue import (
    COMPOUND_OWNERS_COMMITTEE as COMPOUND_OWNERS_COMMITTEE,
)
from graph.queries.audit_catalogue import (
    COMPOUND_PARTY_ORG as COMPOUND_PARTY_ORG,
)
from graph.queries.audit_catalogue import (
    COMPOUND_PROPERTY as COMPOUND_PROPERTY,
)
from graph.queries.audit_catalogue import (
    CROSS_APPOINTMENT as CROSS_APPOINTMENT,
)
from graph.queries.audit_catalogue import (
    DUAL_REGISTRATION as DUAL_REGISTRATION,
)
from graph.queries.audit_catalogue import (
    DUAL_ROLE as DUAL_ROLE,
)
from graph.queries.audit_catalogue import (
    GRID_PARTY_ORG as GRID_PARTY_ORG,
)
from graph.queries.audit_catalogue import (
    GRID_WORKER as GRID_WORKER,
)
from graph.queries.audit_catalogue import (
    HIERARCHY_INTEGRITY as HIERARCHY_INTEGRITY,
)
from graph.queries.audit_catalogue import (
    PROPERTY_PARTY_ORG as PROPERTY_PARTY_ORG,
)
from graph.queries.audit_catalogue import (
    REGION_PARTY_ORG as REGION_PARTY_ORG,
)
from graph.queries.audit_catalogue import (
    SECRETARY_VACANCY as SECRETARY_VACANCY,
)
from graph.queries.audit_catalogue import (
    THREE_NO_COMPOUND as THREE_NO_COMPOUND,
)
from graph.queries.audit_catalogue import (
    TWO_NEW_PARTY_ORG as TWO_NEW_PARTY_ORG,
)
from graph.queries.audit_catalogue import (
    AuditDef as AuditDef,
)
from graph.queries.audit_catalogue import (  # the catalogue, re-exported for callers
    Reason as Reason,
)
from graph.queries.scope import scope_clause
from graph.statements import BOTH, Backend, Statement, builder, compose, dialect_name, statement

#: How an eligible node reaches the place it is grouped and located by (bound as `a0`).
_ANCHOR: dict[Label, str] = {
    Label.ORGANIZATION: "OPTIONAL MATCH (x)-[:LOCATED_IN]->(a0:Place)",
    # a covered place, or the place of a covered organization (two fixed hops: FalkorDB
    # expands `[:COVERS|LOCATED_IN*1..2]` markedly slower)
    Label.PARTY_ORG: """OPTIONAL MATCH (x)-[:COVERS]->(t)
        OPTIONAL MATCH (t)-[:LOCATED_IN]->(l:Place)
        WITH x, {keep}, CASE WHEN 'Place' IN labels(t) THEN t ELSE l END AS a0""",
    Label.PERSON: "OPTIONAL MATCH (x)-[:LIVES_IN]->(a0:Place)",
}
#: Eligible labels that can be linked to several places (grouped by the smallest code).
_MULTI_ANCHOR = frozenset({Label.PARTY_ORG})
#: IN hops from a building (the deepest place) up to the district.
_MAX_DEPTH = 5


def ancestors(audit: AuditDef, keep: str) -> str:
    """Bind `a0` (the anchor place) and `a1`…`a5` above it, one IN hop at a time.

    A chain of single-hop OPTIONAL MATCHes is about 2.5× faster on FalkorDB than one
    variable-length `[:IN*0..5]` (9,302 buildings → community: 56 ms against 139 ms).
    """
    anchor = (audit.anchor or _ANCHOR.get(audit.eligible, "WITH x, {keep}, x AS a0")
              ).format(keep=keep)
    hops = " ".join(f"OPTIONAL MATCH (a{i})-[:IN]->(a{i + 1})" for i in range(_MAX_DEPTH))
    return f"{anchor} {hops}"


def multi_anchor(audit: AuditDef) -> bool:
    """Whether an `x` of the audit can be linked to several places (so picks aggregate)."""
    return audit.eligible in _MULTI_ANCHOR or audit.multi_anchor


def chain() -> str:
    """The anchor place and the places above it, as a list expression (after `ancestors`)."""
    return f"[{', '.join(f'a{i}' for i in range(_MAX_DEPTH + 1))}]"


def pick(condition: str) -> str:
    """Code of the first of a0…a5 that meets `condition` (on `n`), or null."""
    return f"head([n IN {chain()} WHERE n IS NOT NULL AND {condition} | n.code])"


#: Group-by levels and the label/level of the group place.
GROUP_LEVELS: dict[str, tuple[Label, str | None]] = {
    "street": (Label.REGION, "street"),
    "community": (Label.REGION, "community"),
    "grid": (Label.GRID, None),
}


#: The same links read from the place side, to start a scoped audit at the scope place.
_FROM_PLACE: dict[Label, str] = {
    Label.REGION: "", Label.COMPOUND: "", Label.GRID: "", Label.BUILDING: "",
    Label.ORGANIZATION: "(:Place)<-[:LOCATED_IN]-",
    Label.PARTY_ORG: "(:Place)<-[:COVERS|LOCATED_IN*1..2]-",  # directly or via a covered unit
    Label.PERSON: "(:Place)<-[:LIVES_IN]-",
}


def eligible(audit: AuditDef, *, scoped: bool, extra: str = "") -> str:
    """Eligible `x`; scoped audits walk down from the scope place (audits.md: places by
    containment, organizations and people by the place they are linked to)."""
    conditions = [c for c in (audit.filter, extra) if c]
    return in_scope(audit.eligible, scoped=scoped, where=" AND ".join(conditions),
                    reach=audit.reach)


def in_scope(label: Label, *, scoped: bool, where: str = "", reach: str = "") -> str:
    """`MATCH` of every `x` of `label` (or, scoped, of those linked to a place inside
    `$scope`, by `reach` or the label's usual link), filtered by `where`."""
    condition = f"WHERE {where}" if where else ""
    path = reach or _FROM_PLACE[label]
    if not scoped:
        if reach:
            return f"MATCH {reach}(x:{label.value}) WITH DISTINCT x {condition}"
        return f"MATCH (x:{label.value}) {condition}"
    return (f"MATCH (:Place {{code: $scope}})<-[:IN*0..5]-{path}"
            f"(x:{label.value}) WITH DISTINCT x {condition}")


def _reach(audit: AuditDef) -> str:
    """The path from a place down (or across) to the eligible `x`."""
    return audit.reach or _FROM_PLACE[audit.eligible]


def _group_code(audit: AuditDef, group_by: str) -> str:
    """`group_code` of each `x`: one, even when `x` is linked to several places.

    Only party organizations can have several anchors; aggregating per `x` costs about
    160 ms on 9,302 buildings, so it is done only where it is needed.
    """
    label, level = GROUP_LEVELS[group_by]
    condition = "n.level = $group_level" if level else f"'{label.value}' IN labels(n)"
    code = pick(condition)
    if multi_anchor(audit):
        code = f"min({code})"
    return f"""{ancestors(audit, "covered")}
               WITH x, covered, {code} AS group_code"""


_AUDIT_EXAMPLES = [
    {"audit": a, "group_by": g, "scoped": s}
    for a in AUDITS.values() for g in (None, *GROUP_LEVELS) for s in (False, True)
]
#: Audits with a Neo4j form of their coverage: their totals are built per backend.
_NEO4J_FORMS = [a for a in AUDITS.values() if a.coverage_neo4j]


@builder(*_AUDIT_EXAMPLES,
         *({"audit": a, "group_by": g, "scoped": s, "backend": "neo4j"}
           for a in _NEO4J_FORMS for g in (None, *GROUP_LEVELS) for s in (False, True)))
def audit_totals(*, audit: AuditDef, group_by: str | None, scoped: bool,
                 backend: Backend = "falkordb") -> Statement:
    """Eligible and covered counts, per group when `group_by` is given; on Neo4j with the
    audit's `coverage_neo4j` where it has one (a statement of that backend only)."""
    own = backend == "neo4j" and bool(audit.coverage_neo4j)
    coverage = audit.coverage_neo4j if own else audit.coverage
    # an audit with a Neo4j form: each form runs on its backend only
    backends = frozenset({backend}) if audit.coverage_neo4j else BOTH
    if audit.totals_from_places and not scoped:
        group = f"{group_by}.code" if group_by else "null"
        return compose(
            f"audit.totals.{audit.id}.{group_by or 'all'}",
            f"""{audit.totals_from_places}
                RETURN {group} AS code, count(DISTINCT x) AS eligible,
                       count(DISTINCT CASE WHEN covered THEN x END) AS covered""",
            params={"scope": "S", "group_level": "community", "today": "2024-01-01"},
        )
    if group_by is None:
        tail = """RETURN null AS code, count(x) AS eligible,
                  count(CASE WHEN covered THEN 1 END) AS covered"""
    else:
        # names come with the group places (group_places), not per row
        tail = f"""{_group_code(audit, group_by)}
                   RETURN group_code AS code, count(x) AS eligible,
                          count(CASE WHEN covered THEN 1 END) AS covered"""
    name = f"audit.totals.{audit.id}.{group_by or 'all'}{'.scoped' if scoped else ''}"
    return compose(
        dialect_name(name, backend=backend) if own else name,
        f"""{eligible(audit, scoped=scoped)}
            {coverage}
            {tail}""",
        params={"scope": "S", "group_level": "community", "today": "2024-01-01"},
        backends=backends,
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
        params={"scope": "S", "group_level": "community", "today": "2024-01-01"},
    )


#: Gap filters: `$text` lower-case, matched inside the item's code or name; `$reason` a
#: reason code of the audit. Null is no filter (the text filter runs on the eligible items,
#: before their coverage is computed). CONTAINS and toLower are the same on FalkorDB and
#: Neo4j 5.
GAP_TEXT = ("($text IS NULL OR toLower(x.code) CONTAINS $text "
            "OR toLower(x.name) CONTAINS $text)")
GAP_REASON = "($reason IS NULL OR $reason IN reasons)"
_FILTER_PARAMS = {"text": "x", "reason": "r"}


def _uncovered(audit: AuditDef, *, scoped: bool, extra: str = "") -> str:
    """The audit's gaps `x` with their `reasons`, filtered by `$text` and `$reason`."""
    conditions = " AND ".join(c for c in (extra, GAP_TEXT) if c)
    return f"""{eligible(audit, scoped=scoped, extra=conditions)}
            {audit.coverage}
            WITH x, covered, reasons WHERE NOT covered AND {GAP_REASON}"""


@builder(*({"audit": a, "scoped": s} for a in AUDITS.values() for s in (False, True)))
def audit_gaps(*, audit: AuditDef, scoped: bool) -> Statement:
    """One page of gaps in code order with the enclosing community and street (the
    community's street, so the two agree when an `x` lies in several places; a street
    that is itself the gap names itself)."""
    return compose(
        f"audit.gaps.{audit.id}{'.scoped' if scoped else ''}",
        f"""{_uncovered(audit, scoped=scoped, extra="($after IS NULL OR x.code > $after)")}
            WITH x, reasons ORDER BY x.code LIMIT $limit
            {ancestors(audit, "reasons")}
            WITH x, reasons, min({pick("n.level = 'community'")}) AS community,
                 min({pick("n.level = 'street'")}) AS street
            OPTIONAL MATCH (cm:Region {{code: community}})
            OPTIONAL MATCH (cm)-[:IN]->(cs:Region {{level: 'street'}})
            WITH x, reasons, cm, coalesce(cs.code, street) AS street
            OPTIONAL MATCH (st:Region {{code: street}})
            RETURN x.code AS code, x.name AS name, reasons,
                   cm.code AS community_code, cm.name AS community_name,
                   st.code AS street_code, st.name AS street_name
            ORDER BY code""",
        params={"scope": "S", "after": None, "limit": 10, "today": "2024-01-01",
                "text": None, "reason": None},
    )


@builder(*({"audit": a, "scoped": s} for a in AUDITS.values() for s in (False, True)))
def audit_gap_count(*, audit: AuditDef, scoped: bool) -> Statement:
    """How many gaps pass the filters (`$text`, `$reason`): a filtered list's total."""
    return compose(
        f"audit.gap_count.{audit.id}{'.scoped' if scoped else ''}",
        f"""{_uncovered(audit, scoped=scoped)}
            RETURN count(x) AS total""",
        params={"scope": "S", "today": "2024-01-01", **_FILTER_PARAMS},
    )


PLACE_BY_CODE = statement(
    "audit.place_by_code",
    """MATCH (p:Place {code: $code})
       RETURN p.code AS code, p.name AS name, labels(p) AS labels, p.level AS level""",
    params={"code": "X"},
)


def _per_key(cypher: str) -> str:
    """Carry the key `k` through every WITH of a coverage block (blocks are written for `x`)."""
    return re.sub(r"\bWITH x\b", "WITH k, x", cypher)


#: Per kind of place: how many `IN` hops down reach everything inside it, and the kinds of
#: place that can never lie inside it (domain.md: a building is in a compound or a grid, a
#: compound in a grid, a grid in a community, a community in a street, a street in a
#: district). Other places take the general form.
_INSIDE: dict[Label, tuple[int, frozenset[Label]]] = {
    Label.PLACE: (5, frozenset()),
    Label.COMPOUND: (1, frozenset({Label.REGION, Label.GRID})),
    Label.BUILDING: (0, frozenset({Label.REGION, Label.GRID, Label.COMPOUND})),
}


def place_kind(label: Label) -> Label:
    """The `gaps_of_places` variant for places of `label`."""
    return label if label in _INSIDE else Label.PLACE


def _gaps_of_places_branch(audit: AuditDef, place: Label) -> str:
    where = f"WHERE {audit.filter}" if audit.filter else ""
    hops = _INSIDE[place][0]
    down = f"{_reach(audit)}(x:{audit.eligible.value})"
    return f"""UNWIND $codes AS k
        MATCH (:{place.value} {{code: k}})<-[:IN*0..{hops}]-{down}
        WITH DISTINCT k, x {where}
        {_per_key(audit.coverage)}
        WITH k, x, reasons WHERE NOT covered
        WITH k, x, reasons ORDER BY x.code
        RETURN k AS key, '{audit.id}' AS metric, count(x) AS total,
               collect({{code: x.code, name: x.name, reasons: reasons}})[0..$limit] AS items"""


@builder(*({"place": label} for label in _INSIDE))
def gaps_of_places(*, place: Label) -> Statement:
    """Every audit's gaps inside each place (`$codes`), first `$limit` per audit and place.

    One statement for every audit (a UNION ALL), so a compound page with its gaps,
    or a list of compounds with theirs, costs one round trip. Compounds and buildings take
    a variant without the audits of places that cannot lie inside them and with the exact
    depth of what does (a compound: 3.7 → 3.5 ms of database time at district scale; most
    of the rest is the fixed cost of each of the thirteen branches).
    """
    excluded = _INSIDE[place][1]
    return compose(
        f"audit.gaps_of_places{'' if place is Label.PLACE else '.' + place.value}",
        " UNION ALL ".join(_gaps_of_places_branch(a, place) for a in AUDITS.values()
                           if (a.via or a.eligible) not in excluded),
        params={"codes": ["X"], "limit": 10, "today": "2024-01-01"},
    )
