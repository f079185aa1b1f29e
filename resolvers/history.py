"""What to ask for coverage over time: trends, rankings with rank changes, the change
between two snapshots, a gap's history, and rectification notices with their ledgers.

Everything is read from stored snapshots (graph/repo/snapshots.py records them), a few
round trips per answer; every list is bounded by the caller's jurisdiction like the audits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from graph.errors import BadInput, NotFound
from graph.queries.audits import AuditDef
from graph.records import NoticeRecord, PlaceFigures, SnapshotRecord, TrackedGap
from graph.repo import history as repo
from graph.repo import snapshots
from graph.repo.jurisdiction import place_parent
from graph.repo.load import latest_committed_load
from graph.store import GraphStore
from loaders.lock import LoadLock

#: Snapshots a trend shows by default (two years of monthly snapshots).
TREND_POINTS = 24
MAX_TREND_POINTS = 240


def _rate(eligible: int, covered: int) -> float | None:
    return covered / eligible if eligible else None


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


async def take_snapshot(store: GraphStore, *, who: str) -> SnapshotRecord:
    """A snapshot now, under the load lock (`LOAD_IN_PROGRESS` while a load runs: its
    figures would be half old, half new)."""
    async with LoadLock(store, who=who):
        return await snapshots.record(store, taken_by=who)


class History:
    """The snapshots of one store, read once per request."""

    def __init__(self, found: list[SnapshotRecord]) -> None:
        self.all = found
        self.by_seq = {s.seq: s for s in found}
        self.by_code = {s.code: s for s in found}

    @classmethod
    async def of(cls, store: GraphStore) -> History:
        return cls(await repo.snapshots(store))

    def latest(self) -> SnapshotRecord:
        if not self.all:
            raise NotFound("no snapshot has been taken yet (one is taken after every load "
                           "that changes something, or with `orgcover audit --snapshot`)")
        return self.all[-1]

    def get(self, code: str | None, *, default: SnapshotRecord | None = None
            ) -> SnapshotRecord | None:
        if code is None:
            return default
        found = self.by_code.get(code.strip().upper())
        if found is None:
            raise NotFound(f"snapshot {code[:20]!r} does not exist")
        return found

    def before(self, snapshot: SnapshotRecord) -> SnapshotRecord | None:
        earlier = [s for s in self.all if s.seq < snapshot.seq]
        return earlier[-1] if earlier else None

    def date_of(self, seq: int) -> dt.date:
        return _date(self.by_seq[seq].as_of)


def _metric_index(snapshot: SnapshotRecord, audit: AuditDef) -> int | None:
    return snapshot.metrics.index(audit.id) if audit.id in snapshot.metrics else None


# -- trends and rankings -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrendPoint:
    snapshot: SnapshotRecord
    eligible: int
    covered: int

    @property
    def rate(self) -> float | None:
        return _rate(self.eligible, self.covered)


async def trend(store: GraphStore, *, audit: AuditDef, scope: str | None,
                last: int = TREND_POINTS) -> list[TrendPoint]:
    """The metric at the place (everything without a scope) in its last snapshots, oldest
    first; snapshots taken before the metric existed are left out."""
    if not 1 <= last <= MAX_TREND_POINTS:
        raise BadInput(f"last must be between 1 and {MAX_TREND_POINTS}, not {last}")
    history = await History.of(store)
    found = await repo.figures_of_place(store, place=scope or snapshots.EVERYTHING,
                                        limit=last)
    points = []
    for figures in reversed(found):
        snapshot = history.by_seq.get(figures.seq)
        i = _metric_index(snapshot, audit) if snapshot else None
        if snapshot is not None and i is not None:
            points.append(TrendPoint(snapshot, figures.eligible[i], figures.covered[i]))
    return points


@dataclass(frozen=True, slots=True)
class RankedPlace:
    code: str
    name: str
    level: str
    eligible: int
    covered: int
    rank: int | None
    previous_rank: int | None

    @property
    def rate(self) -> float | None:
        return _rate(self.eligible, self.covered)

    @property
    def change(self) -> int | None:
        """Places moved up (位次变化: +16 is "提升16个位次"); None without both ranks."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


def rank(rows: Sequence[tuple[str, int, int]]) -> dict[str, int | None]:
    """Competition ranks by rate, highest first (equal rates share a rank: 1, 2, 2, 4);
    places with nothing eligible have no rank."""
    rated = sorted(((c / e, code) for code, e, c in rows if e), key=lambda x: -x[0])
    ranks: dict[str, int | None] = {code: None for code, _, _ in rows}
    for position, (rate, code) in enumerate(rated, start=1):
        ranks[code] = position if position == 1 or rate != rated[position - 2][0] \
            else ranks[rated[position - 2][1]]
    return ranks


@dataclass(frozen=True, slots=True)
class Ranking:
    at: SnapshotRecord
    against: SnapshotRecord | None
    places: list[RankedPlace]


async def ranking(store: GraphStore, *, audit: AuditDef, scope: str | None,
                  at: str | None = None, against: str | None = None) -> Ranking:
    """The places right below the scope ranked by rate at one snapshot (default the
    latest), each with its rank at an earlier one (default the one before)."""
    history = await History.of(store)
    when = history.get(at, default=history.latest())
    assert when is not None
    before = history.get(against, default=history.before(when))
    if before is not None and before.seq >= when.seq:
        raise BadInput(f"against ({before.code}) must be earlier than at ({when.code})")
    seqs = [when.seq] + ([before.seq] if before else [])
    place = scope
    found = await repo.child_figures(store, place=place, seqs=seqs)
    tops = {f.place for f in found if f.seq == when.seq}
    if place is None and len(tops) == 1:  # one district: rank its streets
        place = tops.pop()
        found = await repo.child_figures(store, place=place, seqs=seqs)

    def ranks_at(snapshot: SnapshotRecord | None) -> tuple[dict[str, int | None],
                                                           dict[str, PlaceFigures]]:
        i = _metric_index(snapshot, audit) if snapshot else None
        if snapshot is None or i is None:
            return {}, {}
        mine = {f.place: f for f in found if f.seq == snapshot.seq}
        return rank([(c, f.eligible[i], f.covered[i]) for c, f in mine.items()]), mine

    now_ranks, now = ranks_at(when)
    then_ranks, _ = ranks_at(before)
    i = _metric_index(when, audit)
    if i is None:
        raise NotFound(f"snapshot {when.code} was taken before audit {audit.id} existed")
    places = [RankedPlace(code, f.name, f.level, f.eligible[i], f.covered[i], now_ranks[code],
                          then_ranks.get(code)) for code, f in now.items()]
    places.sort(key=lambda p: (p.rank is None, p.rank or 0, p.code))
    return Ranking(when, before, places)


# -- what changed --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GapState:
    """A tracked gap as seen from one snapshot (or a notice): open since when, closed when."""

    gap: TrackedGap
    opened_on: dt.date
    closed_on: dt.date | None
    days_open: int


def _episode(history: History, gap: TrackedGap, seq: int, until: dt.date) -> GapState | None:
    episode = gap.episode_at(seq)
    if episode is None:
        return None
    opened = history.date_of(episode[0])
    closed = history.date_of(episode[1]) if episode[1] and episode[1] in history.by_seq \
        else None
    return GapState(gap, opened, closed, ((closed or until) - opened).days)


@dataclass(frozen=True, slots=True)
class Changes:
    since: SnapshotRecord
    until: SnapshotRecord
    new: list[GapState]
    closed: list[GapState]
    still_open: list[GapState]


async def changes(store: GraphStore, *, audit: AuditDef, scope: str | None, since: str,
                  until: str | None = None) -> Changes:
    """Gaps new, closed and still open (with their age at `until`) between two snapshots."""
    history = await History.of(store)
    end = history.get(until, default=history.latest())
    start = history.get(since)
    if end is None or start is None:
        raise BadInput("since names no snapshot")
    if start.seq >= end.seq:
        raise BadInput(f"since ({start.code}) must be earlier than until ({end.code})")
    day = _date(end.as_of)
    new: list[GapState] = []
    closed: list[GapState] = []
    still: list[GapState] = []
    for gap in await repo.gaps_of_metric(store, metric=audit.id, scope=scope):
        before, after = gap.open_at(start.seq), gap.open_at(end.seq)
        if after:
            state = _episode(history, gap, end.seq, day)
            assert state is not None
            (still if before else new).append(state)
        elif before:
            state = _episode(history, gap, start.seq, day)
            assert state is not None
            closed_seq = next(c for o, c in zip(gap.opened, gap.closed, strict=True)
                              if o <= start.seq and c > start.seq)
            closed.append(GapState(gap, state.opened_on, history.date_of(closed_seq),
                                   (history.date_of(closed_seq) - state.opened_on).days))
    return Changes(start, end, new, closed, still)


@dataclass(frozen=True, slots=True)
class GapHistory:
    gap: TrackedGap
    episodes: list[tuple[dt.date, dt.date | None]]
    reasons: list[tuple[dt.date, list[str]]]
    days_open: int

    @property
    def first_seen(self) -> dt.date:
        return self.episodes[0][0]

    @property
    def reopened(self) -> int:
        return len(self.episodes) - 1


async def gap_history(store: GraphStore, *, audit: AuditDef, code: str, scope: str | None,
                      today: dt.date) -> GapHistory:
    """One item's gap in one audit across snapshots (NOT_FOUND if it never was one in the
    scope)."""
    found = await repo.gap(store, code=f"{audit.id}|{code}", scope=scope)
    if found is None:
        raise NotFound(f"{code[:64]!r} has never been a gap of {audit.id} here")
    history = await History.of(store)
    episodes = [(history.date_of(o), history.date_of(c) if c else None)
                for o, c in zip(found.opened, found.closed, strict=True)
                if o in history.by_seq]
    reasons = []
    for mark in found.reason_log:
        seq, _, codes = mark.partition(":")
        if int(seq) in history.by_seq:
            reasons.append((history.date_of(int(seq)), codes.split(",") if codes else []))
    days = sum(((closed or today) - opened).days for opened, closed in episodes)
    return GapHistory(found, episodes, reasons, days)


# -- rectification notices ----------------------------------------------------------------

FIXED, OPEN, OVERDUE, REMOVED = "fixed", "open", "overdue", "removed"


async def chain_of(store: GraphStore, code: str | None) -> list[str]:
    """The place and every place above it (at most five hops)."""
    out: list[str] = []
    while code is not None and len(out) < 8:
        place = await place_parent(store, code=code)
        if place is None:
            break
        out.append(code)
        code = place.parent
    return out


async def issue_notice(store: GraphStore, *, audit: AuditDef, scope: str | None,
                       deadline: dt.date, note: str, who: str,
                       today: dt.date) -> tuple[NoticeRecord, int]:
    """A notice freezing the metric's gaps in the scope at the latest snapshot; a snapshot
    is taken first when none reflects the last load."""
    if deadline < today:
        raise BadInput(f"the deadline {deadline.isoformat()} has already passed")
    if len(note) > 500:
        raise BadInput("the note is longer than 500 characters")
    latest = await snapshots.latest(store)
    committed = await latest_committed_load(store)
    if latest is None or (committed is not None and latest.load_id != committed.load_id):
        latest = await take_snapshot(store, who=who)
    open_gaps = [g.code for g in await repo.gaps_of_metric(store, metric=audit.id, scope=scope)
                 if g.open_at(latest.seq)]
    notice = NoticeRecord(f"N{await repo.count_notices(store) + 1:04d}", audit.id, scope,
                          deadline.isoformat(), note, snapshots.now_utc(), who, latest.seq)
    listed = await repo.create_notice(store, notice=notice, places=await chain_of(store, scope),
                                      gaps=open_gaps)
    return notice, listed


@dataclass(frozen=True, slots=True)
class LedgerItem:
    gap: TrackedGap
    state: str
    opened_on: dt.date
    closed_on: dt.date | None
    days_open: int


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts of one notice's items (for the whole notice, or one street)."""

    code: str | None
    name: str | None
    fixed: int
    open: int
    overdue: int
    removed: int

    @property
    def total(self) -> int:
        return self.fixed + self.open + self.overdue + self.removed

    @property
    def closure_rate(self) -> float | None:
        """Fixed among the items still concerning the place (removed targets left it)."""
        return _rate(self.total - self.removed, self.fixed)


@dataclass(frozen=True, slots=True)
class Ledger:
    notice: NoticeRecord
    items: list[LedgerItem]
    total: Tally
    streets: list[Tally]


def ledger_items(history: History, notice: NoticeRecord, gaps: list[TrackedGap],
                 today: dt.date) -> list[LedgerItem]:
    """Each listed gap's state: fixed (closed by a later snapshot), removed (its target
    left the graph), open, or overdue (open past the deadline); a gap that was fixed and
    reopened is open again."""
    deadline = dt.date.fromisoformat(notice.deadline)
    items = []
    for gap in gaps:
        state = _episode(history, gap, notice.seq, today)
        opened = state.opened_on if state else history.date_of(notice.seq)
        if gap.open:
            kind = OVERDUE if today > deadline else OPEN
            items.append(LedgerItem(gap, kind, opened, None, (today - opened).days))
            continue
        closed_on = history.date_of(gap.closed[-1]) if gap.closed[-1] in history.by_seq \
            else None
        items.append(LedgerItem(gap, REMOVED if gap.removed else FIXED, opened, closed_on,
                                ((closed_on or today) - opened).days))
    order = {OVERDUE: 0, OPEN: 1, FIXED: 2, REMOVED: 3}
    items.sort(key=lambda i: (order[i.state], i.gap.street or "", i.gap.target))
    return items


def tally(items: Sequence[LedgerItem], code: str | None = None,
          name: str | None = None) -> Tally:
    count = {k: sum(1 for i in items if i.state == k) for k in (FIXED, OPEN, OVERDUE, REMOVED)}
    return Tally(code, name, count[FIXED], count[OPEN], count[OVERDUE], count[REMOVED])


async def notices(store: GraphStore, *, scope: str | None) -> list[NoticeRecord]:
    return await repo.notices(store, scope=scope, chain=await chain_of(store, scope))


async def notice_visible(store: GraphStore, *, code: str, scope: str | None) -> NoticeRecord:
    """The notice, if the caller of jurisdiction `scope` may see it (NOT_FOUND otherwise)."""
    visible = {n.code: n for n in await notices(store, scope=scope)}
    found = visible.get(code.strip().upper())
    if found is None:
        raise NotFound(f"notice {code[:20]!r} does not exist")
    return found


async def ledger(store: GraphStore, *, notice: NoticeRecord, scope: str | None,
                 today: dt.date) -> Ledger:
    """The notice's ledger (整改台账) inside the scope, overdue items first, with counts for
    the notice and per street."""
    history = await History.of(store)
    items = ledger_items(history, notice,
                         await repo.notice_gaps(store, code=notice.code, scope=scope), today)
    streets: dict[str | None, list[LedgerItem]] = {}
    for item in items:
        streets.setdefault(item.gap.street, []).append(item)
    per_street = [tally(found, code, found[0].gap.street_name)
                  for code, found in sorted(streets.items(), key=lambda kv: kv[0] or "")]
    return Ledger(notice, items, tally(items), per_street)
