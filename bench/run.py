"""Benchmark: generate a district, load it into a fresh embedded store, time queries.

    python -m bench.run --scale district [--runs 7] [--keep]

Prints a table (median of --runs runs per query, after one warm-up). Figures go into
bench/RESULTS.md by hand, with the machine and the date.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import shutil
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from app.graphql import build_schema
from bench.bulk_baseline import bulk_load_seconds
from graph.backends.falkordb import FalkorStore
from graph.factory import StoreConfig, open_store
from graph.queries.audits import AUDITS, COMPOUND_PARTY_ORG
from graph.repo import audits
from graph.repo.load import count_graph
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.synthetic import SCALES, generate, write_csv
from resolvers.context import Context

OUT = Path(__file__).resolve().parent / "out"

NESTED = """{ regions(level: COMMUNITY, first: 20) { nodes { code
    grids(first: 50) { nodes { code compounds { nodes { code
        buildings(first: 50) { nodes { code posts { roleLabel holder { code } } } }
        coveringPartyOrgs { code posts { roleLabel } } } } } } } } }"""
AUDIT_SUMMARY = """query($m: AuditMetric!) { audit(metric: $m, groupBy: COMMUNITY) {
    eligible covered rate groups { code eligible covered rate } } }"""
AUDIT = """query($scope: String) { audit(metric: COMPOUND_PARTY_ORG, scope: $scope,
    groupBy: COMMUNITY) { eligible covered rate groups { code rate }
    gaps(first: 50) { totalCount nodes { code reasons { label } } } } }"""


def _rss_mb(pid: int | None = None) -> float:
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def _median_ms(fn: Callable[[], Awaitable[Any]], runs: int) -> float:
    await fn()  # warm-up (plan caches)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


SCHEMA = build_schema()


async def _gql(store: GraphStore, query: str, **variables: Any) -> None:
    result = await SCHEMA.execute(query, variable_values=variables,
                                          context_value=Context(store))
    assert result.errors is None, result.errors


async def main(scale: str, runs: int, keep: bool) -> None:
    rosters, data = OUT / f"{scale}-rosters", OUT / f"{scale}-data"
    shutil.rmtree(data, ignore_errors=True)
    started = time.perf_counter()
    tables = generate(SCALES[scale])
    write_csv(tables, rosters)
    rows = tables.count()
    gen_s = time.perf_counter() - started

    store = await open_store(StoreConfig(data_dir=data))
    protector = IdProtector("bench-secret")
    try:
        started = time.perf_counter()
        await load_rosters(store, [rosters], protector=protector, who="bench")
        load_s = time.perf_counter() - started
        nodes, rels = await count_graph(store)
        started = time.perf_counter()
        await load_rosters(store, [rosters], protector=protector, who="bench")
        reload_s = time.perf_counter() - started
        if isinstance(store, FalkorStore):
            await store.settle()  # let the AOF rewrite the loads started finish first
        street = next(r[0] for r in tables.rows["regions"] if r[2] == "街道")
        compound = tables.rows["compounds"][len(tables.rows["compounds"]) // 2][0]

        measures: list[tuple[str, float, int]] = []

        async def timed(name: str, fn: Callable[[], Awaitable[Any]]) -> None:
            store.round_trips = 0
            await fn()
            trips = store.round_trips
            measures.append((name, await _median_ms(fn, runs), trips))

        await timed("audit compound-party-org, district by community (store)",
                    lambda: audits.audit_summary(store, audit=COMPOUND_PARTY_ORG, scope=None,
                                                 group_by="community"))
        await timed("audit compound-party-org, district by community (GraphQL)",
                    lambda: _gql(store, AUDIT))
        await timed("audit compound-party-org, one street by community (GraphQL)",
                    lambda: _gql(store, AUDIT, scope=street))
        audit_rows: list[tuple[str, float, float]] = []
        for one in AUDITS.values():
            direct = await _median_ms(lambda one=one: audits.audit_summary(
                store, audit=one, scope=None, group_by="community"), runs)
            via_gql = await _median_ms(lambda one=one: _gql(
                store, AUDIT_SUMMARY, m=one.id.upper().replace("-", "_")), runs)
            audit_rows.append((one.id, direct, via_gql))
        await timed("overview: every audit's headline figures, whole district (GraphQL)",
                    lambda: _gql(store, "{ overview { metric eligible covered rate } }"))
        await timed("compound lookup with grid/buildings (GraphQL)", lambda: _gql(
            store, 'query($c: String!) { compound(code: $c) { name grid { name community '
                   '{ name } } buildings { nodes { code } } coveringPartyOrgs { name } } }',
            c=compound))
        await timed("nested 20 communities → grids → compounds → buildings (GraphQL)",
                    lambda: _gql(store, NESTED))
        child = getattr(getattr(store, "server", None), "pid", None)
        falkor_rss = _rss_mb(child) if child else 0.0
        server = getattr(store, "server", None)
        bulk_s = (bulk_load_seconds(tables, OUT / f"{scale}-bulk", server.socket_path,
                                    "bulk_baseline") if server else None)
    finally:
        await store.close()
        if not keep:
            shutil.rmtree(data, ignore_errors=True)

    print(f"# orgcover bench — scale {scale}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| roster rows | {rows:,} |")
    print(f"| graph nodes / relationships | {nodes:,} / {rels:,} |")
    print(f"| generate + write CSV | {gen_s:.1f} s |")
    print(f"| first load (validated, end to end) | {load_s:.1f} s = {rows / load_s:,.0f} rows/s |")
    print(f"| repeat load, nothing changed | {reload_s:.1f} s "
          f"({load_s / reload_s:.1f}× faster than first) |")
    print(f"| peak RSS loader process / FalkorDB child | {_rss_mb():.0f} MB / "
          f"{falkor_rss:.0f} MB |")
    if bulk_s:
        print(f"| falkordb-bulk-loader, same data, no validation (ceiling) | {bulk_s:.1f} s = "
              f"{rows / bulk_s:,.0f} rows/s; orgcover reaches {bulk_s / load_s:.0%} of it |")
    print()
    print(f"| audit, whole district grouped by community (median of {runs}) | store ms | "
          "GraphQL ms | ratio |")
    print("|---|---|---|---|")
    for metric, direct, via_gql in audit_rows:
        print(f"| {metric} | {direct:.1f} | {via_gql:.1f} | {via_gql / direct:.2f} |")
    print()
    print(f"| query (median of {runs}) | ms | store round trips |")
    print("|---|---|---|")
    for name, ms, trips in measures:
        print(f"| {name} | {ms:.1f} | {trips} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="district", choices=sorted(SCALES))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the loaded data directory")
    args = parser.parse_args()
    asyncio.run(main(args.scale, args.runs, args.keep))
