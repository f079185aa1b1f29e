"""Benchmark: coverage over time (issue 13) at district scale.

    python -m bench.history --scale district [--snapshots 24] [--runs 7]

Loads a fresh district, times the live queries and a full re-check load, records
`--snapshots` monthly snapshots (the last one today's), then times the figures served from
the current snapshot (overview, one audit, a trend, a ranking, a change), and the same live
queries and load again: what the stored history costs them. Prints a table; figures go
into bench/RESULTS.md by hand with the machine and the date.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import shutil
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.run import OUT, SCHEMA, _median_ms
from graph.factory import StoreConfig, open_store
from graph.queries.audits import AUDITS
from graph.repo import audits as audit_repo
from graph.repo import snapshots
from graph.store import GraphStore
from loaders.history_demo import months_back
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.synthetic import SCALES, generate, write_csv
from resolvers.access import OPERATOR
from resolvers.context import Context

OVERVIEW = "{ overview { metric eligible covered rate } }"
AUDIT = """{ audit(metric: BUILDING_CHIEF, groupBy: COMMUNITY) { eligible covered rate
    snapshot groups { code eligible covered rate } } }"""
TREND = """{ trend(metric: BUILDING_CHIEF, last: 24) { points { asOf eligible covered rate } } }"""
RANKING = """{ ranking(metric: BUILDING_CHIEF) { places { code rank rankChange } } }"""
CHANGE = """{ coverageChange(metric: BUILDING_CHIEF, since: "S1") { newGaps { totalCount }
    closedGaps { totalCount } stillOpen(first: 50) { totalCount nodes { code daysOpen } } } }"""
COMPOUND = """query($c: String!) { compound(code: $c) { name grid { name community { name } }
    buildings { nodes { code } } coveringPartyOrgs { name } gaps { metric total } } }"""


async def _gql(store: GraphStore, query: str, **variables: Any) -> Any:
    result = await SCHEMA.execute(query, variable_values=variables,
                                  context_value=Context(store, caller=OPERATOR))
    assert result.errors is None, result.errors
    return result.data


async def _live(store: GraphStore, compound: str, runs: int) -> dict[str, float]:
    """Queries that never read the history: computed audits and a place page."""
    async def computed_overview() -> None:
        await asyncio.gather(*(audit_repo.audit_summary(store, audit=a, scope=None,
                                                        group_by=None)
                               for a in AUDITS.values()))

    async def computed_audit() -> None:
        await audit_repo.audit_summary(store, audit=AUDITS["building-chief"], scope=None,
                                       group_by="community")

    return {
        "overview computed (18 audits, whole district)": await _median_ms(
            computed_overview, runs),
        "building-chief computed, by community": await _median_ms(computed_audit, runs),
        "compound page with its gaps (GraphQL)": await _median_ms(
            lambda: _gql(store, COMPOUND, c=compound), runs),
    }


async def _recheck_load(store: GraphStore, rosters: Any) -> float:
    started = time.perf_counter()
    await load_rosters(store, [rosters], protector=IdProtector("bench-secret"), recheck=True,
                       who="bench")
    return time.perf_counter() - started


async def main(scale: str, count: int, runs: int) -> None:
    rosters, data = OUT / f"{scale}-rosters", OUT / f"{scale}-history-data"
    shutil.rmtree(data, ignore_errors=True)
    tables = generate(SCALES[scale])
    write_csv(tables, rosters)
    compound = tables.rows["compounds"][len(tables.rows["compounds"]) // 2][0]
    store = await open_store(StoreConfig(data_dir=data))
    try:
        await load_rosters(store, [rosters], protector=IdProtector("bench-secret"),
                           who="bench")
        before = await _live(store, str(compound), runs)
        load_before = await _recheck_load(store, rosters)

        recorded: list[float] = []
        days = months_back(dt.date.today(), count)
        for i, day in enumerate(days):
            started = time.perf_counter()
            await snapshots.record(store, taken_by="bench",
                                   as_of=None if i == count - 1 else day)
            recorded.append(time.perf_counter() - started)

        served: dict[str, float] = {}

        async def timed(name: str, fn: Callable[[], Awaitable[Any]]) -> None:
            served[name] = await _median_ms(fn, runs)

        check = await _gql(store, AUDIT)
        assert check["audit"]["snapshot"] == f"S{count}", check
        await timed("overview from the current snapshot (GraphQL)",
                    lambda: _gql(store, OVERVIEW))
        await timed("building-chief from the snapshot, by community (GraphQL)",
                    lambda: _gql(store, AUDIT))
        await timed(f"{count}-point trend (GraphQL)", lambda: _gql(store, TREND))
        await timed("ranking of the streets with rank changes (GraphQL)",
                    lambda: _gql(store, RANKING))
        await timed(f"change since S1, {count} snapshots back (GraphQL)",
                    lambda: _gql(store, CHANGE))
        after = await _live(store, str(compound), runs)
        load_after = await _recheck_load(store, rosters)
    finally:
        await store.close()
        shutil.rmtree(data, ignore_errors=True)

    print(f"# orgcover history bench — scale {scale}, {platform.node()}, {os.cpu_count()} "
          f"cores, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| record a snapshot (median / max of {count}) | "
          f"{statistics.median(recorded):.2f} s / {max(recorded):.2f} s |")
    for name, ms in served.items():
        print(f"| {name} | {ms:.1f} ms |")
    print()
    print(f"| live, median of {runs} | before | after {count} snapshots | change |")
    print("|---|---|---|---|")
    for name, ms in before.items():
        print(f"| {name} | {ms:.1f} ms | {after[name]:.1f} ms | "
              f"{after[name] / ms - 1:+.0%} |")
    print(f"| full re-check load | {load_before:.1f} s | {load_after:.1f} s | "
          f"{load_after / load_before - 1:+.0%} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="district", choices=sorted(SCALES))
    parser.add_argument("--snapshots", type=int, default=24)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.scale, args.snapshots, args.runs))
