"""Search by name or code (阳光 finds 阳光花园小区).

The indexed form (`search_indexed`): names through the full-text index on the `search`
terms of graph/text.py, checked with `CONTAINS` so matches are exact substring matches,
and codes by prefix through the code index; page and total in one statement. The scan
form (`search_page`, `search_count`: name or code CONTAINS the text) answers texts
without a letter or digit, which have no terms. At district scale (291k nodes) a scan of
every label took 630 ms through HTTP.
"""

from __future__ import annotations

from graph.dialects.neo4j import SEARCH_INDEX
from graph.domain import BASE_LABELS, Label
from graph.queries.projection import node_map
from graph.queries.scope import bind_scope, in_scope, scope_filter
from graph.statements import (
    Backend,
    Mode,
    Statement,
    builder,
    compose,
    dialect_name,
    subquery,
)

SEARCH_LABELS: tuple[Label, ...] = BASE_LABELS


def _match(label: Label | None) -> str:
    if label is None:
        types = " OR ".join(f"n:{lbl.value}" for lbl in SEARCH_LABELS)
        return f"MATCH (n) WHERE ({types})"
    return f"MATCH (n:{label.value}) WHERE true"


def _predicate(label: Label | None) -> str:
    if label is not None:
        return in_scope("n", label)
    return "(" + " OR ".join(f"(n:{lbl.value} AND {in_scope('n', lbl)})"
                             for lbl in SEARCH_LABELS) + ")"


def _scope(label: Label | None, scoped: bool) -> str:
    """Scope predicate; across every label, each label's own predicate applies."""
    if not scoped:
        return ""
    if label is not None:
        return f"AND {in_scope('n', label)}"
    either = " OR ".join(f"(n:{lbl.value} AND {in_scope('n', lbl)})" for lbl in SEARCH_LABELS)
    return f"AND ({either})"


def _where(label: Label | None, scoped: bool) -> str:
    return f"""{bind_scope(scoped)}
              {_match(label)}
              AND (n.name CONTAINS $text OR n.code CONTAINS $text)
              {_scope(label, scoped)}"""


def _name(kind: str, label: Label | None, scoped: bool) -> str:
    return f"search.{kind}.{label.value if label else 'all'}{'.scoped' if scoped else ''}"


_EXAMPLES = [{"label": lbl, "scoped": s} for lbl in (None, *SEARCH_LABELS) for s in (False, True)]


@builder(*_EXAMPLES)
def search_page(*, label: Label | None, scoped: bool) -> Statement:
    """One page of matches in code order (`label` None: every searchable label)."""
    return compose(
        _name("page", label, scoped),
        f"""{_where(label, scoped)}
              AND ($after IS NULL OR n.code > $after)
            WITH n ORDER BY n.code LIMIT $limit
            RETURN {node_map("n")} AS node""",
        params={"text": "阳光", "after": None, "limit": 10, "scope": "S"},
    )


@builder(*_EXAMPLES)
def search_count(*, label: Label | None, scoped: bool) -> Statement:
    return compose(
        _name("count", label, scoped),
        f"""{_where(label, scoped)}
            RETURN count(n) AS total""",
        params={"text": "阳光", "scope": "S"},
    )


def _candidates(label: Label | None, backend: Backend) -> str:
    """A subquery yielding every `n` whose name contains `$text` (via the full-text terms
    `$terms`) or whose code starts with it."""
    labels = SEARCH_LABELS if label is None else (label,)
    branches = []
    if backend == "neo4j":
        only = "" if label is None else f"WHERE n:{label.value}"
        branches.append(f"""CALL db.index.fulltext.queryNodes('{SEARCH_INDEX}', $terms)
                              YIELD node AS n
                            WITH n {only}
                            WITH n WHERE n.name CONTAINS $text RETURN n""")
    else:
        branches.extend(f"""CALL db.idx.fulltext.queryNodes('{lbl.value}', $terms)
                              YIELD node AS n
                            WITH n WHERE n.name CONTAINS $text RETURN n""" for lbl in labels)
    # a range rather than STARTS WITH: FalkorDB answers the range from the code index
    # (0.9 ms) and scans for STARTS WITH (37 ms over 269k people)
    branches.extend(f"MATCH (n:{lbl.value}) WHERE n.code >= $text AND n.code < $text_end "
                    "RETURN n" for lbl in labels)
    return subquery(" UNION ".join(branches), backend=backend)


def _page(backend: Backend) -> str:
    """Total and the page after `$after`. Neo4j keeps the page's nodes while it goes
    through the matches (`ORDER BY … LIMIT` inside a subquery: a top-k) instead of sorting
    them all (a broad search, 1,023 matches: 6.8 → 4.5 ms); FalkorDB cannot import a
    variable into a subquery and sorts."""
    if backend == "neo4j":
        return f"""WITH collect(n) AS ns
            CALL (ns) {{
              UNWIND ns AS x
              WITH x WHERE $after IS NULL OR x.code > $after
              WITH x ORDER BY x.code LIMIT $limit
              RETURN collect({node_map("x")}) AS items
            }}
            RETURN size(ns) AS total, items"""
    return f"""WITH n ORDER BY n.code
            WITH collect(n) AS ns
            RETURN size(ns) AS total,
                   [x IN [y IN ns WHERE $after IS NULL OR y.code > $after][0..$limit]
                    | {node_map("x")}] AS items"""


_INDEXED_EXAMPLES = [{"label": lbl, "scoped": s, "backend": b}
                     for lbl in (None, *SEARCH_LABELS) for s in (False, True)
                     for b in ("falkordb", "neo4j")]


@builder(*_INDEXED_EXAMPLES)
def search_indexed(*, label: Label | None, scoped: bool, backend: Backend) -> Statement:
    """Total and one page of matches in code order, through the full-text and code indexes;
    the page is cut before its nodes are projected (projecting every match first made a
    broad search on Neo4j 192 ms where this takes 45)."""
    name = f"search.indexed.{label.value if label else 'all'}{'.scoped' if scoped else ''}"
    return compose(
        dialect_name(name, backend=backend),
        f"""{_candidates(label, backend)}
            {scope_filter(_predicate(label), scoped=scoped)}
            {_page(backend)}""",
        params={"text": "阳光", "text_end": "阳光\U0010ffff", "terms": "阳光", "after": None,
                "limit": 10, "scope": "S"},
        backends=frozenset({backend}),
    )


@builder(*({"label": lbl} for lbl in SEARCH_LABELS))
def missing_search_text(*, label: Label) -> Statement:
    """Nodes written before `search` terms existed (a batch of them)."""
    return compose(
        f"search.missing_text.{label.value}",
        f"""MATCH (n:{label.value}) WHERE n.search IS NULL AND n.name IS NOT NULL
            RETURN n.code AS code, n.name AS name LIMIT $limit""",
        params={"limit": 10},
    )


@builder(*({"label": lbl} for lbl in SEARCH_LABELS))
def set_search_text(*, label: Label) -> Statement:
    return compose(
        f"search.set_text.{label.value}",
        f"""UNWIND $rows AS r
            MATCH (n:{label.value} {{code: r.code}})
            SET n.search = r.search""",
        mode=Mode.WRITE,
        params={"rows": [{"code": "X", "search": "x"}]},
    )
