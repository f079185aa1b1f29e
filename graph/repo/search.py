"""Search: full-text terms for every node, and the indexed or scanning search statements."""

from __future__ import annotations

from graph.domain import Label
from graph.queries import search as q
from graph.records import NodeRecord, Page
from graph.store import GraphStore
from graph.text import query_terms, search_text

BACKFILL_BATCH = 5000


def prefix_end(text: str) -> str:
    """The smallest string above every string starting with `text` (code-point order)."""
    return text[:-1] + chr(min(ord(text[-1]) + 1, 0x10FFFF))


async def backfill_search_text(store: GraphStore) -> int:
    """Give `search` terms to nodes written before they existed; returns how many.

    Loads write the terms with every node, so on a current graph this is one empty read
    per label.
    """
    done = 0
    async with store.bulk():  # on Neo4j: the full-text index has taken them when it ends
        for label in q.SEARCH_LABELS:
            while True:
                rows = await store.read(q.missing_search_text(label=label),
                                        {"limit": BACKFILL_BATCH})
                if not rows:
                    break
                await store.write(q.set_search_text(label=label), {"rows": [
                    {"code": r["code"], "search": search_text(r["name"]) or ""}
                    for r in rows]})
                done += len(rows)
    return done


async def search(
    store: GraphStore, *, text: str, label: Label | None, scope: str | None,
    after: str | None, first: int,
) -> Page:
    """Substring search on name, prefix on code: one round trip through the indexes; texts
    without a letter or digit fall back to a scan (page and total: two round trips)."""
    scoped = scope is not None
    terms = query_terms(text)
    params = {"text": text, "scope": scope, "after": after, "limit": first + 1}
    if terms:
        joiner = " AND " if store.backend == "neo4j" else " "
        rows = await store.read(
            q.search_indexed(label=label, scoped=scoped, backend=store.backend),
            {**params, "terms": joiner.join(terms), "text_end": prefix_end(text)})
        items = [NodeRecord.from_row(n) for n in rows[0]["items"]] if rows else []
        total = int(rows[0]["total"]) if rows else 0
        return Page(items[:first], total, len(items) > first)
    rows = await store.read(q.search_page(label=label, scoped=scoped), params)
    count = await store.read(q.search_count(label=label, scoped=scoped), params)
    items = [NodeRecord.from_row(row["node"]) for row in rows]
    return Page(items[:first], int(count[0]["total"]), len(items) > first)
