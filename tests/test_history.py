"""Coverage over time on a hand-built history (tests/history.py: four snapshots with chosen
changes): trends, ranks and rank changes, new, closed and reopened gaps, days open, notice
states, a gap whose item was removed; and snapshot figures equal to the computed audits."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app.graphql import build_schema
from graph.queries.audits import AUDITS, GROUP_LEVELS, multi_anchor
from graph.repo import audits as audit_repo
from graph.repo import history as repo
from graph.repo import snapshots
from graph.repo.load import record_load
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from resolvers import history as h
from resolvers.access import OPERATOR, Caller
from resolvers.context import Context
from resolvers.status import data_status
from tests.graphs import Graphs
from tests.history import DAYS, build
from tests.regions import REGIONS
from tests.rosters import write_rosters

SCHEMA = build_schema(max_cost=10**12)


@pytest.fixture(scope="module")
async def history_store(graphs: Graphs, tmp_path_factory: pytest.TempPathFactory
                        ) -> AsyncIterator[GraphStore]:
    folder = tmp_path_factory.mktemp("history")

    async def fill(store: GraphStore) -> None:
        await build(store, folder)

    async with graphs.shared("history_store", fill) as s:
        yield s


def _points(found: list[h.TrendPoint]) -> list[tuple[str, int, int]]:
    return [(p.snapshot.code, p.eligible, p.covered) for p in found]


async def test_four_snapshots_in_order(history_store: GraphStore) -> None:
    found = await repo.snapshots(history_store)
    assert [(s.code, s.as_of) for s in found] == [
        (f"S{i + 1}", day.isoformat()) for i, day in enumerate(DAYS)]
    assert all(s.metrics == list(AUDITS) for s in found)
    assert found[0].load_id is not None
    assert len({s.load_id for s in found}) == 4


async def test_trends(history_store: GraphStore) -> None:
    async def trend(metric: str, scope: str | None = None, last: int = 24) -> Any:
        return _points(await h.trend(history_store, audit=AUDITS[metric], scope=scope,
                                     last=last))

    assert await trend("region-party-org") == [("S1", 5, 3), ("S2", 5, 4), ("S3", 5, 3),
                                               ("S4", 5, 4)]
    assert await trend("region-party-org", "C2") == [("S1", 1, 0), ("S2", 1, 1),
                                                     ("S3", 1, 0), ("S4", 1, 1)]
    assert await trend("community-pairing", "D") == [("S1", 3, 2), ("S2", 3, 3),
                                                     ("S3", 3, 2), ("S4", 3, 2)]
    assert await trend("property-party-org", last=2) == [("S3", 3, 3), ("S4", 3, 3)]
    # a place's figures are those of the audit scoped to it: PM5 (compounds in both
    # streets) counts in each
    assert await trend("property-party-org", "S2") == [("S1", 2, 0), ("S2", 2, 1),
                                                       ("S3", 1, 1), ("S4", 1, 1)]
    points = await h.trend(history_store, audit=AUDITS["region-party-org"], scope=None)
    assert [p.rate for p in points] == [0.6, 0.8, 0.6, 0.8]


async def test_ranking_and_rank_changes(history_store: GraphStore) -> None:
    pairing = AUDITS["community-pairing"]

    async def ranks(**kw: Any) -> list[tuple[str, int | None, int | None, int | None]]:
        found = await h.ranking(history_store, audit=pairing, **kw)
        return [(p.code, p.rank, p.previous_rank, p.change) for p in found.places]

    # S1: street S1 half paired (rank 2), S2 fully (rank 1); S3: S1 full, S2 none
    assert await ranks(scope="D", at="S3", against="S1") == [
        ("S1", 1, 2, 1), ("S2", 2, 1, -1)]
    # S2 against the snapshot before it: both streets fully paired share rank 1
    assert await ranks(scope="D", at="S2") == [("S1", 1, 2, 1), ("S2", 1, 1, 0)]
    # one district in the store: no scope ranks its streets; the first snapshot has no
    # earlier one to compare with
    assert await ranks(scope=None, at="S1") == [("S2", 1, None, None), ("S1", 2, None, None)]
    # a street's communities
    found = await h.ranking(history_store, audit=pairing, scope="S1", at="S1")
    assert [(p.code, p.eligible, p.covered, p.rank) for p in found.places] == [
        ("C1", 1, 1, 1), ("C2", 1, 0, 2)]


def test_competition_ranks_share_and_skip() -> None:
    assert h.rank([("a", 4, 3), ("b", 2, 2), ("c", 4, 3), ("d", 0, 0), ("e", 10, 1)]) == {
        "b": 1, "a": 2, "c": 2, "e": 4, "d": None}


async def test_changes_between_snapshots(history_store: GraphStore) -> None:
    prop = await h.changes(history_store, audit=AUDITS["property-party-org"], scope=None,
                           since="S1", until="S3")
    assert prop.new == [] and prop.still_open == []  # noqa: PT018
    closed = {s.gap.target: (s.opened_on, s.closed_on, s.days_open, s.gap.removed)
              for s in prop.closed}
    assert closed == {"PM3": (DAYS[0], DAYS[2], 59, True),  # removed from the graph
                      "PM5": (DAYS[0], DAYS[1], 31, False)}  # fixed
    pairing = await h.changes(history_store, audit=AUDITS["community-pairing"], scope=None,
                              since="S2")
    assert [(s.gap.target, s.opened_on, s.days_open) for s in pairing.new] == [
        ("C3", DAYS[2], 31)]
    region = await h.changes(history_store, audit=AUDITS["region-party-org"], scope="S1",
                             since="S2", until="S3")
    assert [s.gap.target for s in region.new] == ["C2"]  # reopened: new again at S3
    still = await h.changes(history_store, audit=AUDITS["region-party-org"], scope=None,
                            since="S1")
    assert [(s.gap.target, s.days_open) for s in still.still_open] == [("S2", 90)]
    with pytest.raises(Exception, match="must be earlier"):
        await h.changes(history_store, audit=AUDITS["region-party-org"], scope=None,
                        since="S3", until="S2")


async def test_gap_lifecycle(history_store: GraphStore) -> None:
    today = dt.date(2026, 4, 10)
    c2 = await h.gap_history(history_store, audit=AUDITS["region-party-org"], code="C2",
                             scope=None, today=today)
    assert c2.episodes == [(DAYS[0], DAYS[1]), (DAYS[2], DAYS[3])]
    assert (c2.first_seen, c2.reopened, c2.days_open, c2.gap.open) == (DAYS[0], 1, 62, False)
    assert c2.reasons == [(DAYS[0], ["no_party_org"]), (DAYS[2], ["no_party_org"])]
    s2 = await h.gap_history(history_store, audit=AUDITS["region-party-org"], code="S2",
                             scope=None, today=today)
    assert (s2.episodes, s2.days_open, s2.gap.open) == ([(DAYS[0], None)], 99, True)
    pm3 = await h.gap_history(history_store, audit=AUDITS["property-party-org"], code="PM3",
                              scope=None, today=today)
    assert (pm3.gap.removed, pm3.gap.open, pm3.episodes) == (True, False, [(DAYS[0], DAYS[2])])
    # the removed company's gap keeps where it was
    assert (pm3.gap.name, pm3.gap.community, pm3.gap.street) == ("三物业", "C3", "S2")
    with pytest.raises(Exception, match="never been a gap"):
        await h.gap_history(history_store, audit=AUDITS["region-party-org"], code="S2",
                            scope="S1", today=today)


async def test_notice_states_follow_the_snapshots_and_the_deadline(
        history_store: GraphStore) -> None:
    n1, n2 = sorted(await h.notices(history_store, scope=None), key=lambda n: n.code)
    assert (n1.code, n1.metric, n1.seq, n1.deadline) == ("N0001", "region-party-org", 1,
                                                         "2026-02-15")
    assert (n2.code, n2.scope, n2.seq) == ("N0002", "S2", 2)

    async def states(notice: Any, today: dt.date, scope: str | None = None) -> Any:
        found = await h.ledger(history_store, notice=notice, scope=scope, today=today)
        return ({i.gap.target: (i.state, i.closed_on) for i in found.items},
                [(t.code, t.fixed, t.open, t.overdue, t.removed, t.closure_rate)
                 for t in found.streets], found.total)

    items, streets, total = await states(n1, dt.date(2026, 2, 10))
    # C2 was fixed by S2, reopened at S3 and fixed again at S4; S2 never was
    assert items == {"C2": ("fixed", DAYS[3]), "S2": ("open", None)}
    assert streets == [("S1", 1, 0, 0, 0, 1.0), ("S2", 0, 1, 0, 0, 0.0)]
    items, _, total = await states(n1, dt.date(2026, 4, 10))
    assert items["S2"] == ("overdue", None)
    assert (total.fixed, total.overdue, total.closure_rate) == (1, 1, 0.5)
    # a street auditor sees only the street's part of a district's notice
    items, streets, _ = await states(n1, dt.date(2026, 4, 10), scope="S1")
    assert (items, [s[0] for s in streets]) == ({"C2": ("fixed", DAYS[3])}, ["S1"])
    items, _, total = await states(n2, dt.date(2026, 4, 10))
    assert items == {"PM3": ("removed", DAYS[2])}
    assert (total.removed, total.closure_rate) == (1, None)


async def test_notices_stay_inside_the_jurisdiction(history_store: GraphStore) -> None:
    assert [n.code for n in await h.notices(history_store, scope="S1")] == ["N0001"]
    assert {n.code for n in await h.notices(history_store, scope="S2")} == {"N0001", "N0002"}
    assert {n.code for n in await h.notices(history_store, scope="C3")} == {"N0001", "N0002"}
    with pytest.raises(Exception, match="does not exist"):
        await h.notice_visible(history_store, code="N0002", scope="S1")


# -- GraphQL ------------------------------------------------------------------------------

def _auditor(jurisdiction: str) -> Caller:
    return Caller.of_roles(sub="a", name="审计", roles=("auditor",), jurisdiction=jurisdiction)


async def _run(store: GraphStore, query: str, caller: Caller = OPERATOR,
               today: dt.date | None = None, **variables: Any) -> Any:
    return await SCHEMA.execute(query, variable_values=variables,
                                context_value=Context(store, caller=caller, today=today))


HISTORY = """query($scope: String) {
  snapshots { totalCount nodes { id asOf who } }
  trend(metric: REGION_PARTY_ORG, scope: $scope) { points { asOf eligible covered rate } }
  ranking(metric: COMMUNITY_PAIRING, at: "S3", against: "S1") {
    scope at { id } against { id } places { code rank previousRank rankChange } }
  coverageChange(metric: PROPERTY_PARTY_ORG, since: "S1", until: "S3") {
    closedGaps { totalCount nodes { code closedOn daysOpen } }
    newGaps { totalCount } stillOpen { totalCount } }
  notices { nodes { id title deadline summary { total fixed overdue closureRate }
                    streets { code fixed overdue }
                    items(first: 1) { totalCount pageInfo { hasNextPage }
                                      nodes { state gap { code streetName } } } } }
}"""


async def test_history_through_graphql(history_store: GraphStore) -> None:
    result = await _run(history_store, HISTORY, today=dt.date(2026, 4, 10))
    assert result.errors is None, result.errors
    data = result.data
    assert data["snapshots"]["totalCount"] == 4
    assert data["snapshots"]["nodes"][0] == {"id": "S1", "asOf": "2026-01-01", "who": "test"}
    assert [p["covered"] for p in data["trend"]["points"]] == [3, 4, 3, 4]
    assert data["ranking"]["places"] == [
        {"code": "S1", "rank": 1, "previousRank": 2, "rankChange": 1},
        {"code": "S2", "rank": 2, "previousRank": 1, "rankChange": -1}]
    assert data["ranking"]["scope"] is None
    closed = data["coverageChange"]["closedGaps"]
    assert closed["totalCount"] == 2
    assert {n["code"]: n["closedOn"] for n in closed["nodes"]} == {
        "PM3": "2026-03-01", "PM5": "2026-02-01"}
    n1 = next(n for n in data["notices"]["nodes"] if n["id"] == "N0001")
    assert n1["summary"] == {"total": 2, "fixed": 1, "overdue": 1, "closureRate": 0.5}
    assert n1["items"]["totalCount"] == 2
    assert n1["items"]["pageInfo"]["hasNextPage"] is True
    assert n1["items"]["nodes"] == [{"state": "OVERDUE", "gap": {"code": "S2",
                                                                  "streetName": "二街道"}}]


async def test_history_needs_rights_and_stays_inside(history_store: GraphStore) -> None:
    viewer = Caller.of_roles(sub="v", name="查看", roles=("viewer",), jurisdiction="S1")
    denied = await _run(history_store, "{ notices { totalCount } }", viewer)
    assert denied.errors[0].extensions == {"code": "FORBIDDEN", "right": "notice"}
    snap = await _run(history_store, "mutation { takeSnapshot { id } }", viewer)
    assert snap.errors[0].extensions["code"] == "FORBIDDEN"
    street = await _run(history_store, HISTORY, _auditor("S1"), today=dt.date(2026, 4, 10))
    assert street.errors is None, street.errors
    data = street.data
    # the street's own trend; its communities ranked; no `who` without `records`
    assert [p["eligible"] for p in data["trend"]["points"]] == [3, 3, 3, 3]
    assert data["ranking"]["scope"] == "S1"
    assert [p["code"] for p in data["ranking"]["places"]] == ["C1", "C2"]
    assert data["snapshots"]["nodes"][0]["who"] is None
    assert data["coverageChange"]["closedGaps"]["totalCount"] == 1  # PM5 (manages X1)
    [n1] = data["notices"]["nodes"]
    assert n1["summary"]["total"] == 1
    assert [s["code"] for s in n1["streets"]] == ["S1"]
    outside = await _run(history_store, '{ trend(metric: REGION_PARTY_ORG, scope: "S2") '
                                        '{ scope } }', _auditor("S1"))
    assert outside.errors[0].extensions["code"] == "NOT_FOUND"


# -- snapshots after loads, and the figures they keep -------------------------------------

async def test_a_load_that_changes_something_records_a_snapshot(graphs: Graphs,
                                                                tmp_path: Path) -> None:
    store = await graphs.open()
    try:
        rosters = write_rosters(tmp_path / "r", REGIONS)
        first = await load_rosters(store, [rosters], protector=IdProtector(None),
                                   snapshot=True)
        assert first.snapshot == "S1"
        again = await load_rosters(store, [rosters], protector=IdProtector(None),
                                   snapshot=True, recheck=True)
        dry = await load_rosters(store, [rosters], protector=IdProtector(None),
                                 snapshot=True, dry_run=True)
        assert (again.snapshot, dry.snapshot) == (None, None)
        [taken] = await repo.snapshots(store)
        assert (taken.load_id, taken.taken_by) == (first.load_id, "cli")
    finally:
        await graphs.dispose(store)


async def test_snapshot_figures_equal_the_computed_audits(graphs: Graphs,
                                                          tiny_rosters: Path) -> None:
    """Every metric at every place of every level: the figures a snapshot keeps are those
    of the audit scoped to the place on the same day; for audits whose items lie in one
    place, also those of the grouped audit."""
    store = await graphs.open()
    try:
        await load_rosters(store, [tiny_rosters], protector=IdProtector("x" * 40))
        taken = await snapshots.record(store, taken_by="test")
        day = taken.as_of
        places = [None, *(p.place for p in await repo.child_figures(
            store, place=None, seqs=[taken.seq]))]
        walked = 1
        while walked < len(places):  # every place at every level, walking down
            places += [f.place for f in await repo.child_figures(
                store, place=places[walked], seqs=[taken.seq])]
            walked += 1
        assert len(places) > 30
        for place in places:
            kept = await repo.figures_at(store, seq=taken.seq,
                                         place=place or snapshots.EVERYTHING)
            assert kept is not None, place
            for i, metric in enumerate(taken.metrics):
                live = await audit_repo.audit_summary(store, audit=AUDITS[metric], scope=place,
                                                      group_by=None, today=day)
                assert (kept.eligible[i], kept.covered[i]) == (live.eligible, live.covered), \
                    (metric, place)
        for metric in taken.metrics:  # single-place items: groups are the places' figures
            if multi_anchor(AUDITS[metric]):
                continue
            for level in GROUP_LEVELS:
                grouped = await audit_repo.audit_summary(store, audit=AUDITS[metric],
                                                         scope=None, group_by=level, today=day)
                for group in grouped.groups:
                    kept = await repo.figures_at(store, seq=taken.seq, place=str(group.code))
                    i = taken.metrics.index(metric)
                    assert kept is not None
                    assert (kept.eligible[i], kept.covered[i]) == (
                        group.eligible, group.covered), (metric, level, group.code)
        gaps = 0
        for audit in AUDITS.values():
            gaps += len(await audit_repo.audit_gaps(store, audit=audit, scope=None, after=None,
                                                    limit=10_000, today=day))
        assert taken.gaps == gaps
    finally:
        await graphs.dispose(store)


async def test_the_current_snapshot_serves_the_audits(graphs: Graphs, tiny_rosters: Path,
                                                      tmp_path: Path) -> None:
    """Taken today with nothing loaded since, the latest snapshot answers overview and
    audits (single-place audits grouped too) with the figures the computation gives; a
    load without a snapshot makes them computed again."""
    from resolvers import audits as served

    store = await graphs.open()
    try:
        await load_rosters(store, [tiny_rosters], protector=IdProtector("x" * 40),
                           snapshot=True)
        assert await served.serving_snapshot(store) is not None
        headlines = await served.overview(store, scope="371327001")
        assert {s.snapshot for _, s in headlines} == {"S1"}
        for audit, kept in headlines:
            live = await audit_repo.audit_summary(store, audit=audit, scope="371327001",
                                                  group_by=None)
            assert (kept.eligible, kept.covered) == (live.eligible, live.covered), audit.id
        for audit in AUDITS.values():
            for level in (None, *GROUP_LEVELS):
                answer = await served.summary(store, audit=audit, scope=None, group_by=level)
                live = await audit_repo.audit_summary(store, audit=audit, scope=None,
                                                      group_by=level)
                assert answer.snapshot == (None if level and multi_anchor(audit) else "S1")
                assert (answer.eligible, answer.covered) == (live.eligible, live.covered)
                assert [(g.code, g.name, g.eligible, g.covered) for g in answer.groups] == [
                    (g.code, g.name, g.eligible, g.covered) for g in live.groups], audit.id
        await load_rosters(store, [write_rosters(tmp_path / "r", REGIONS)],
                           protector=IdProtector(None))
        assert await served.serving_snapshot(store) is None
        await snapshots.record(store, taken_by="test")  # current again, until …
        assert await served.serving_snapshot(store) is not None
        await record_load(store, load_id="interrupted", props={
            "status": "started", "started_at": "2026-01-01T00:00:00Z"})
        assert await served.serving_snapshot(store) is None  # … a load is unfinished
        status = await data_status(store)
        assert (status.unfinished, status.snapshot_current) == (True, True)
        assert status.warning() is not None
        answer = await served.summary(store, audit=AUDITS["grid-worker"], scope=None,
                                      group_by=None)
        assert answer.snapshot is None
    finally:
        await graphs.dispose(store)


async def test_snapshot_and_notice_mutations(graphs: Graphs, tmp_path: Path) -> None:
    store = await graphs.open()
    try:
        await load_rosters(store, [write_rosters(tmp_path / "r", REGIONS)],
                           protector=IdProtector(None))
        auditor = _auditor("S1")
        status = await _run(store, "{ dataStatus { asOf loadId loadUnfinished snapshot "
                                   "snapshotCurrent } }", auditor)
        assert status.data["dataStatus"]["snapshot"] is None
        assert status.data["dataStatus"]["loadUnfinished"] is False
        taken = await _run(store, "mutation { takeSnapshot { id gapCount who } }", auditor)
        assert taken.errors is None, taken.errors
        assert taken.data["takeSnapshot"]["id"] == "S1"
        assert taken.data["takeSnapshot"]["who"] is None  # needs `records`
        issued = await _run(store, """mutation { issueNotice(metric: COMMUNITY_PAIRING,
            deadline: "2099-12-31", note: "结对共建全覆盖") { id scope note summary { total open }
            items { nodes { state gap { code } } } } }""", auditor)
        assert issued.errors is None, issued.errors
        notice = issued.data["issueNotice"]
        assert (notice["id"], notice["scope"], notice["summary"]) == (
            "N0001", "S1", {"total": 1, "open": 1})
        assert notice["items"]["nodes"] == [{"state": "OPEN", "gap": {"code": "C2"}}]
        answer = await _run(store, '{ audit(metric: COMMUNITY_PAIRING) { snapshot dataAsOf '
                                   'loadUnfinished covered } }', auditor)
        assert answer.data["audit"]["snapshot"] == "S1"
        assert answer.data["audit"]["dataAsOf"] is not None
        for bad, code in (('deadline: "2000-01-01"', "BAD_USER_INPUT"),
                          ('deadline: "2099-01-01", note: "' + "长" * 501 + '"',
                           "BAD_USER_INPUT"),
                          ('deadline: "2099-01-01", scope: "S2"', "NOT_FOUND")):
            refused = await _run(store, "mutation { issueNotice(metric: GRID_WORKER, "
                                        f"{bad}) {{ id }} }}", auditor)
            assert refused.errors[0].extensions["code"] == code, bad
    finally:
        await graphs.dispose(store)
