"""Benchmark: generate a district, load it into a fresh embedded store, time queries.

    python -m bench.run --scale district [--runs 7] [--keep]

Prints a table (median of --runs runs per query, after one warm-up). Figures go into
bench/RESULTS.md by hand, with the machine and the date.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
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
from loaders.synthetic import SCALES, generate, write_csv
from resolvers.access import OPERATOR
from resolvers.context import Context

OUT = Path(__file__).resolve().parent / "out"

NESTED = """{ regions(level: COMMUNITY, first: 20) { nodes { code
    grids(first: 50) { nodes { code compounds { nodes { code
        buildings(first: 50) { nodes { code posts { roleLabel holder { code } } } }
        coveringPartyOrgs { code posts { roleLabel } } } } } } } } }"""
AUDIT_SUMMARY = """query($m: AuditMetric!) { audit(metric: $m, groupBy: COMMUNITY) {
    eligible covered rate groups { code eligible covered rate } } }"""
PERIOD = """query($scope: String) { secretaryChanges(from: "2023-01-01", to: "2026-12-31",
    scope: $scope, category: COMPOUND) { appointed replaced } }"""
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


#: The bench times the store and the resolvers: its nested query (58M estimated) is far
#: above what the service lets a client ask (app/limits.py), so the limit is lifted here.
SCHEMA = build_schema(max_cost=10**12)


async def _gql(store: GraphStore, query: str, **variables: Any) -> None:
    result = await SCHEMA.execute(query, variable_values=variables,
                                          context_value=Context(store, caller=OPERATOR))
    assert result.errors is None, result.errors


def _load_once(data: Path, rosters: Path, *flags: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.load_once", str(data), str(rosters),
                          *flags], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _print_loads(scale: str, rows: int, gen_s: float, first: dict[str, Any],
                 repeat: dict[str, Any], recheck: dict[str, Any]) -> None:
    print(f"# orgcover load bench — scale {scale}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| roster rows | {rows:,} |")
    print(f"| generate + write CSV | {gen_s:.1f} s |")
    print(f"| first load (validated, end to end) | {first['seconds']:.1f} s = "
          f"{rows / first['seconds']:,.0f} rows/s, peak RSS {first['rss_mb']:.0f} MB; "
          f"closing the store then waits {first['close_seconds']:.1f} s for the log rewrite |")
    print(f"| repeat load, same files (taken as unchanged) | {repeat['seconds']:.2f} s, "
          f"peak RSS {repeat['rss_mb']:.0f} MB |")
    print(f"| repeat load with --recheck | {recheck['seconds']:.1f} s = "
          f"{rows / recheck['seconds']:,.0f} rows/s, peak RSS {recheck['rss_mb']:.0f} MB |")


async def main(scale: str, runs: int, keep: bool, loads_only: bool = False) -> None:
    rosters, data = OUT / f"{scale}-rosters", OUT / f"{scale}-data"
    shutil.rmtree(data, ignore_errors=True)
    started = time.perf_counter()
    if loads_only and rosters.is_dir():  # the city rosters take minutes to generate
        rows = sum(sum(1 for _ in path.open(encoding="utf-8-sig")) - 1
                   for path in rosters.glob("*.csv"))
        gen_s = 0.0
    else:
        tables = generate(SCALES[scale])
        write_csv(tables, rosters)
        rows = tables.count()
        gen_s = time.perf_counter() - started

    # Each load runs in a process of its own: its peak RSS is the loader's alone.
    first = _load_once(data, rosters)
    repeat = _load_once(data, rosters)
    recheck = _load_once(data, rosters, "--recheck")
    load_s, reload_s, recheck_s = first["seconds"], repeat["seconds"], recheck["seconds"]
    loader_rss = max(first["rss_mb"], repeat["rss_mb"], recheck["rss_mb"])
    if loads_only:
        _print_loads(scale, rows, gen_s, first, repeat, recheck)
        if not keep:
            shutil.rmtree(data, ignore_errors=True)
        return

    store = await open_store(StoreConfig(data_dir=data))
    try:
        nodes, rels = await count_graph(store)
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
        await timed("party orgs by kind, whole district (GraphQL)",
                    lambda: _gql(store, "{ partyOrgCounts { kind count } }"))
        await timed("secretaries appointed/replaced since 2023, compound branches, whole "
                    "district (GraphQL)", lambda: _gql(store, PERIOD))
        await timed("secretaries appointed/replaced since 2023, one street (GraphQL)",
                    lambda: _gql(store, PERIOD, scope=street))
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
                                    "bulk_baseline", server.password) if server else None)
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
    print(f"| repeat load, same files (taken as unchanged) | {reload_s:.2f} s "
          f"({load_s / reload_s:.0f}× faster than first) |")
    print(f"| repeat load with --recheck (every row checked and diffed) | {recheck_s:.1f} s "
          f"({load_s / recheck_s:.1f}× faster than first) |")
    print(f"| peak RSS loader process / FalkorDB child | {loader_rss:.0f} MB / "
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
    parser.add_argument("--loads-only", action="store_true",
                        help="only the three loads (first, repeat, --recheck): the city scale")
    args = parser.parse_args()
    asyncio.run(main(args.scale, args.runs, args.keep, args.loads_only))
