"""Coverage history (issue 13) as Cypher: what a snapshot reads, and how snapshots, their
figures, tracked gaps and rectification notices are stored and read back.

Stored, beside the roster graph and never touched by loads:
- `(:Snapshot {code, seq, taken_at, as_of, load_id, taken_by, metrics, gaps})`: `metrics`
  is the audit order of the figure lists below (the catalogue may grow);
- `(:Figures {code: "<seq>|<place>", seq, place, level, parent, name, eligible, covered})`:
  one per place at every level (district, street, community, grid) and `*` for everything,
  with one eligible and one covered count per metric;
- `(:Gap {code: "<metric>|<target>", metric, target, name, places, community, street, …})`:
  one per gap ever seen, its episodes as two lists of snapshot numbers (`opened`,
  `closed`; 0 = still open), the reasons it had over time, `removed` when its target left
  the graph;
- `(:Notice {code, metric, scope, places, deadline, note, issued_at, issued_by, seq})`
  `-[:LISTS]->(:Gap)`: the gaps a rectification notice froze.
"""

from __future__ import annotations

from graph.queries.audits import (
    AUDITS,
    GROUP_LEVELS,
    AuditDef,
    ancestors,
    chain,
    eligible,
    multi_anchor,
    pick,
)
from graph.queries.scope import scope_clause
from graph.statements import Mode, Statement, builder, compose, statement

_LEVELS = {"grid": "'Grid' IN labels(n)", "community": "n.level = 'community'",
           "street": "n.level = 'street'", "district": "n.level = 'district'"}


@builder(*({"audit": a} for a in AUDITS.values()))
def figures(*, audit: AuditDef) -> Statement:
    """Eligible and covered counts of one audit per (grid, community, street, district) an
    item lies in — the same picks as the grouped audit, all levels in one statement — with
    the gaps among them (code, name, reasons, the places each lies in), so a snapshot
    evaluates each audit once. Items linked to several places come one row per item with
    all of them (they count in each place, as the audit scoped to it counts them). The
    fast whole-graph form of an audit gives counts only: its gaps come from `gaps`."""
    if audit.totals_from_places:
        return compose(
            f"history.figures.{audit.id}",
            f"""{audit.totals_from_places}
                RETURN grid.code AS grid, community.code AS community, street.code AS street,
                       null AS district, count(DISTINCT x) AS eligible,
                       count(DISTINCT CASE WHEN covered THEN x END) AS covered""",
            params={"today": "2024-01-01"},
        )
    places = f"[n IN {chain()} WHERE n IS NOT NULL | n.code]"
    if multi_anchor(audit):
        return compose(
            f"history.figures.{audit.id}",
            f"""{eligible(audit, scoped=False)}
                {audit.coverage}
                {ancestors(audit, "covered, reasons")}
                WITH x, covered, reasons, collect({places}) AS chains
                RETURN chains, covered, x.code AS code, x.name AS name, reasons""",
            params={"today": "2024-01-01"},
        )
    picks = {level: pick(condition) for level, condition in _LEVELS.items()}
    return compose(
        f"history.figures.{audit.id}",
        f"""{eligible(audit, scoped=False)}
            {audit.coverage}
            {ancestors(audit, "covered, reasons")}
            WITH x, covered, reasons, {places} AS places,
                 {", ".join(f"{code} AS {lv}" for lv, code in picks.items())}
            RETURN grid, community, street, district, count(x) AS eligible,
                   count(CASE WHEN covered THEN 1 END) AS covered,
                   collect(CASE WHEN NOT covered THEN {{code: x.code, name: x.name,
                           reasons: reasons, chains: [places]}} END) AS gaps""",
        params={"today": "2024-01-01"},
    )


@builder(*({"audit": a} for a in AUDITS.values() if a.totals_from_places))
def gaps(*, audit: AuditDef) -> Statement:
    """Every gap of an audit whose figures come from its fast whole-graph form, with its
    reasons and the places it lies in (each anchor's chain up to the district)."""
    return compose(
        f"history.gaps.{audit.id}",
        f"""{eligible(audit, scoped=False)}
            {audit.coverage}
            WITH x, covered, reasons WHERE NOT covered
            {ancestors(audit, "reasons")}
            WITH x, reasons, collect([n IN {chain()} WHERE n IS NOT NULL | n.code]) AS chains
            RETURN x.code AS code, x.name AS name, reasons, chains""",
        params={"today": "2024-01-01"},
    )


PLACES = statement(
    "history.places",
    """MATCH (p:Place) WHERE p:Grid OR p:Region
       OPTIONAL MATCH (p)-[:IN]->(q:Place)
       RETURN p.code AS code, p.name AS name,
              CASE WHEN p:Grid THEN 'grid' ELSE p.level END AS level, q.code AS parent""",
)

CREATE_SNAPSHOT = statement(
    "history.create_snapshot",
    """CREATE (s:Snapshot {code: $code, seq: $seq, taken_at: $taken_at, as_of: $as_of,
                           load_id: $load_id, taken_by: $taken_by, metrics: $metrics,
                           gaps: $gaps})
       RETURN s.code AS code""",
    mode=Mode.WRITE,
    params={"code": "S1", "seq": 1, "taken_at": "2024-01-01T00:00:00Z", "as_of": "2024-01-01",
            "load_id": None, "taken_by": "t", "metrics": ["m"], "gaps": 0},
)

WRITE_FIGURES = statement(
    "history.write_figures",
    """UNWIND $rows AS r
       MERGE (f:Figures {code: r.code})
       SET f.seq = $seq, f.place = r.place, f.level = r.level, f.parent = r.parent,
           f.name = r.name, f.eligible = r.eligible, f.covered = r.covered""",
    mode=Mode.WRITE,
    params={"seq": 1, "rows": [{"code": "1|X", "place": "X", "level": "grid", "parent": "C",
                                "name": "n", "eligible": [1], "covered": [0]}]},
)

WRITE_GAPS = statement(
    "history.write_gaps",
    """UNWIND $rows AS r
       MERGE (g:Gap {code: r.code})
       SET g.metric = r.metric, g.target = r.target, g.name = r.name, g.places = r.places,
           g.community = r.community, g.community_name = r.community_name,
           g.street = r.street, g.street_name = r.street_name, g.reasons = r.reasons,
           g.reason_log = r.reason_log, g.opened = r.opened, g.closed = r.closed,
           g.open = r.open, g.removed = r.removed""",
    mode=Mode.WRITE,
    params={"rows": [{"code": "m|X", "metric": "m", "target": "X", "name": "n",
                      "places": ["X"], "community": None, "community_name": None,
                      "street": None, "street_name": None, "reasons": ["r"],
                      "reason_log": ["1:r"], "opened": [1], "closed": [0], "open": True,
                      "removed": False}]},
)

_GAP_FIELDS = """g.code AS code, g.metric AS metric, g.target AS target, g.name AS name,
    g.places AS places, g.community AS community, g.community_name AS community_name,
    g.street AS street, g.street_name AS street_name, g.reasons AS reasons,
    g.reason_log AS reason_log, g.opened AS opened, g.closed AS closed, g.open AS open,
    g.removed AS removed"""

OPEN_GAPS = statement(
    "history.open_gaps",
    f"MATCH (g:Gap) WHERE g.open RETURN {_GAP_FIELDS}",
)

EXISTING = statement(
    "history.existing",
    """UNWIND $codes AS c
       OPTIONAL MATCH (p:Place {code: c}) OPTIONAL MATCH (o:PartyOrg {code: c})
       OPTIONAL MATCH (u:Organization {code: c}) OPTIONAL MATCH (h:Person {code: c})
       WITH c WHERE p IS NOT NULL OR o IS NOT NULL OR u IS NOT NULL OR h IS NOT NULL
       RETURN c AS code""",
    params={"codes": ["X"]},
)

GAPS_OF_METRIC = statement(
    "history.gaps_of_metric",
    f"""MATCH (g:Gap {{metric: $metric}})
        WHERE $scope IS NULL OR $scope IN g.places
        RETURN {_GAP_FIELDS} ORDER BY code""",
    params={"metric": "m", "scope": None},
)

GAPS_BY_CODES = statement(
    "history.gaps_by_codes",
    f"""UNWIND $codes AS c MATCH (g:Gap {{code: c}}) RETURN {_GAP_FIELDS}""",
    params={"codes": ["m|X"]},
)

GAP_BY_CODE = statement(
    "history.gap_by_code",
    f"""MATCH (g:Gap {{code: $code}})
        WHERE $scope IS NULL OR $scope IN g.places
        RETURN {_GAP_FIELDS}""",
    params={"code": "m|X", "scope": None},
)

_SNAPSHOT_FIELDS = """s.code AS code, s.seq AS seq, s.taken_at AS taken_at, s.as_of AS as_of,
    s.load_id AS load_id, s.taken_by AS taken_by, s.metrics AS metrics, s.gaps AS gaps"""

SNAPSHOTS = statement(
    "history.snapshots",
    f"MATCH (s:Snapshot) RETURN {_SNAPSHOT_FIELDS} ORDER BY seq",
)

CURRENT_STATE = statement(
    "history.current_state",
    """OPTIONAL MATCH (s:Snapshot)
       WITH s ORDER BY s.seq DESC LIMIT 1
       OPTIONAL MATCH (l:Load) WHERE l.status = 'committed'
       WITH s, l ORDER BY l.finished_at DESC LIMIT 1
       OPTIONAL MATCH (u:Load) WHERE u.status = 'started'
       RETURN s.code AS code, s.seq AS seq, s.taken_at AS taken_at, s.as_of AS as_of,
              s.load_id AS load_id, s.taken_by AS taken_by, s.metrics AS metrics,
              s.gaps AS gaps, l.code AS committed, l.finished_at AS finished_at,
              count(u) AS unfinished""",
)

LATEST_SNAPSHOT = statement(
    "history.latest_snapshot",
    f"MATCH (s:Snapshot) RETURN {_SNAPSHOT_FIELDS} ORDER BY seq DESC LIMIT 1",
)

_FIGURE_FIELDS = """f.seq AS seq, f.place AS place, f.level AS level, f.parent AS parent,
    f.name AS name, f.eligible AS eligible, f.covered AS covered"""

FIGURES_OF_PLACE = statement(
    "history.figures_of_place",
    f"""MATCH (f:Figures {{place: $place}})
        RETURN {_FIGURE_FIELDS} ORDER BY seq DESC LIMIT $limit""",
    params={"place": "*", "limit": 24},
)

FIGURES_AT = statement(
    "history.figures_at",
    f"""MATCH (f:Figures {{code: $code}}) RETURN {_FIGURE_FIELDS}""",
    params={"code": "1|*"},
)

@builder(*({"group_by": g, "scoped": s} for g in GROUP_LEVELS for s in (False, True)))
def group_figures(*, group_by: str, scoped: bool) -> Statement:
    """Every place of the group level inside the scope (empty groups too, as the audit
    lists them) with its figures in snapshot `$seq`: a served grouped audit in one read."""
    label, level = GROUP_LEVELS[group_by]
    props = " {level: $group_level}" if level else ""
    return compose(
        f"history.group_figures.{group_by}{'.scoped' if scoped else ''}",
        f"""MATCH (g:{label.value}{props})
            {scope_clause("g", label, scoped=scoped)}
            WITH g, toString($seq) + '|' + g.code AS key
            OPTIONAL MATCH (f:Figures {{code: key}})
            RETURN g.code AS code, g.name AS name, f.eligible AS eligible,
                   f.covered AS covered ORDER BY code""",
        params={"scope": "S", "group_level": "community", "seq": 1},
    )


CHILD_FIGURES = statement(
    "history.child_figures",
    f"""MATCH (f:Figures {{parent: $place}}) WHERE f.seq IN $seqs
        RETURN {_FIGURE_FIELDS} ORDER BY place""",
    params={"place": "X", "seqs": [1]},
)

TOP_FIGURES = statement(
    "history.top_figures",
    f"""MATCH (f:Figures) WHERE f.seq IN $seqs AND f.level = 'district'
        RETURN {_FIGURE_FIELDS} ORDER BY place""",
    params={"seqs": [1]},
)

CREATE_NOTICE = statement(
    "history.create_notice",
    """CREATE (n:Notice {code: $code, metric: $metric, scope: $scope, places: $places,
                         deadline: $deadline, note: $note, issued_at: $issued_at,
                         issued_by: $issued_by, seq: $seq})
       WITH n
       UNWIND $gaps AS k
       MATCH (g:Gap {code: k})
       CREATE (n)-[:LISTS]->(g)
       RETURN count(g) AS listed""",
    mode=Mode.WRITE,
    params={"code": "N1", "metric": "m", "scope": None, "places": [], "deadline": "2024-01-01",
            "note": "", "issued_at": "2024-01-01T00:00:00Z", "issued_by": "t", "seq": 1,
            "gaps": ["m|X"]},
)

_NOTICE_FIELDS = """n.code AS code, n.metric AS metric, n.scope AS scope,
    n.deadline AS deadline, n.note AS note, n.issued_at AS issued_at,
    n.issued_by AS issued_by, n.seq AS seq"""

NOTICES = statement(
    "history.notices",
    f"""MATCH (n:Notice)
        WHERE $scope IS NULL OR n.scope IS NULL OR $scope IN n.places OR n.scope IN $chain
        RETURN {_NOTICE_FIELDS} ORDER BY issued_at DESC, code DESC""",
    params={"scope": None, "chain": []},
)

NOTICE_BY_CODE = statement(
    "history.notice_by_code",
    f"MATCH (n:Notice {{code: $code}}) RETURN {_NOTICE_FIELDS}",
    params={"code": "N1"},
)

NOTICE_GAPS = statement(
    "history.notice_gaps",
    f"""MATCH (:Notice {{code: $code}})-[:LISTS]->(g:Gap)
        WHERE $scope IS NULL OR $scope IN g.places
        RETURN {_GAP_FIELDS} ORDER BY code""",
    params={"code": "N1", "scope": None},
)

COUNT_NOTICES = statement(
    "history.count_notices",
    "MATCH (n:Notice) RETURN count(n) AS notices",
)
