"""Benchmark: a live Neo4j 5 against the embedded FalkorDB, same machine, same rosters.

    ORGCOVER_BENCH_NEO4J_URI=bolt://127.0.0.1:7688 ORGCOVER_NEO4J_PASSWORD=… \\
        python -m bench.neo4j --scale demo|district [--runs 9] [--warmup 10] [--no-profile] \\
        [--only neo4j]

THE NEO4J DATABASE IS EMPTIED (every node, and our constraints and indexes, recreated):
point it at a benchmark instance, never at the one the test suite or anyone else uses.
The URI comes from --neo4j-uri or ORGCOVER_BENCH_NEO4J_URI only (not ORGCOVER_GRAPH_URI,
so the service's own setting is never emptied by accident); user and password from
--neo4j-user / --neo4j-password or ORGCOVER_NEO4J_USER / ORGCOVER_NEO4J_PASSWORD.

For each backend (the embedded FalkorDB in a fresh temporary data directory, as bench/run.py
does it, and the Neo4j named): generate the rosters of the scale once, load them (first
load into an empty store, repeat load of the same files — taken as unchanged —, repeat with
--recheck), then every frontend query of tests/queries/*.graphql through the schema with
the operator's context (codes picked from the rosters for the `# variables:` placeholders),
plus `overview` over the whole district: the first run, --warmup untimed rounds of them all,
then the median of --runs warm runs,
and the store round trips of one run. Last, the store is emptied and loaded again in the
same process ("warm first load": JIT, plan cache and connections warm).

Then, on Neo4j (skip with --no-profile): what one round trip costs (`RETURN 1` through the
store, through the driver's execute_query, through an auto-commit session.run), the
statements each query sends in order (client ms, server ms, rows, and whether they ran one
after another), and for the slowest statements a PROFILE (db hits, planner, runtime, the
costliest operators) and the first run after `db.clearQueryCaches()` against a warm one.

Prints markdown; figures go into bench/RESULTS.md by hand, with the machine and the date.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.graphql import build_schema
from bench.run import _median_ms
from graph.backends.falkordb import FalkorStore
from graph.backends.neo4j import Neo4jStore
from graph.factory import StoreConfig, open_store
from graph.repo.load import count_graph
from graph.statements import Statement
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.synthetic import SCALES, Tables, generate, write_csv
from resolvers.access import OPERATOR
from resolvers.context import Context

OUT = Path(__file__).resolve().parent / "out"
QUERIES = sorted((Path(__file__).resolve().parent.parent / "tests" / "queries").glob("*.graphql"))
OVERVIEW = "{ overview { metric title eligible covered gaps rate } }"
PING = Statement("bench.ping", "RETURN 1 AS one")
SCHEMA = build_schema()
SECRET = "bench-secret-bench-secret-bench-secret"  # the PII key of the loads (≥ 32 bytes)


# --- the frontend queries and the codes they are asked with ------------------------------

def _variables(text: str) -> dict[str, Any]:
    """The `variables: {...}` of the query's header comment (as tests/test_query_shapes)."""
    header = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    found = re.search(r"variables:\s*(\{.*\})", header)
    return json.loads(found.group(1)) if found else {}


def pick_codes(tables: Tables) -> dict[str, str]:
    """Real codes of the rosters for the placeholders of tests/queries (tests/edges.py):
    S a street, X1 a compound with buildings, X3 another compound of its community (another
    grid if there is one), X2 a compound paired with an institution, B1 a building of X1,
    PC1 a community's party committee, H3 an in-service member living in a building, C1
    X1's community."""
    rows = {key: [[str(cell) for cell in row] for row in value]
            for key, value in tables.rows.items()}
    region_parent = {r[0]: r[3] for r in rows["regions"]}
    streets = sorted(r[0] for r in rows["regions"] if r[2] == "街道")
    grid_community = {g[0]: g[2] for g in rows["grids"]}
    street = streets[0]
    compounds = sorted(c for c in rows["compounds"]
                       if region_parent.get(grid_community.get(c[2], ""), "") == street)
    buildings_of: dict[str, list[str]] = {}
    for b in rows["buildings"]:
        buildings_of.setdefault(b[2], []).append(b[0])
    x1 = max(compounds, key=lambda c: (len(buildings_of.get(c[0], [])), c[0]))
    community = grid_community[x1[2]]
    others = [c for c in compounds if c[0] != x1[0]]
    same_community = [c for c in others if grid_community[c[2]] == community]
    x3 = next((c for c in same_community if c[2] != x1[2]),
              (same_community or others)[0])
    compound_codes = {c[0] for c in rows["compounds"]}
    paired = sorted(r[2] for r in rows["relations"] if r[1] == "结对共建"
                    and r[2] in compound_codes)
    communities = {r[0] for r in rows["regions"] if r[2] == "社区"}
    committees = sorted(p[0] for p in rows["party_orgs"] if p[2] == "党委" and p[5] in communities
                        and region_parent.get(p[5]) == street)
    committees = committees or sorted(p[0] for p in rows["party_orgs"] if p[2] == "党委" and p[4])
    building_codes = {b[0] for b in rows["buildings"]}
    residents = [p[0] for p in rows["people"] if p[6] == "在职党员" and p[9] in building_codes]
    return {
        "S": street, "X1": x1[0], "X3": x3[0], "X2": paired[0] if paired else x3[0],
        "B1": sorted(buildings_of[x1[0]])[0], "PC1": committees[0],
        "H3": residents[len(residents) // 2], "C1": community,
    }


def frontend_queries(codes: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path in QUERIES:
        text = path.read_text(encoding="utf-8")
        variables = {k: codes.get(v, v) if isinstance(v, str) else v
                     for k, v in _variables(text).items()}
        out.append((path.stem, text, variables))
    out.append(("overview (whole district)", OVERVIEW, {}))
    return out


async def _gql(store: GraphStore, query: str, variables: dict[str, Any]) -> None:
    result = await SCHEMA.execute(query, variable_values=variables,
                                  context_value=Context(store, caller=OPERATOR))
    assert result.errors is None, result.errors


# --- tracing the statements a request sends ----------------------------------------------

@dataclass
class Call:
    stmt: Statement
    params: dict[str, Any]
    start: float
    end: float
    rows: int

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


@dataclass
class Trace:
    """Wraps the store's `_read`: every read statement with its parameters and times."""

    store: GraphStore
    calls: list[Call] = field(default_factory=list)
    active: bool = False

    def __post_init__(self) -> None:
        inner = self.store._read

        async def traced(stmt: Statement, params: dict[str, Any]) -> list[dict[str, Any]]:
            started = time.perf_counter()
            rows = await inner(stmt, params)
            if self.active:
                self.calls.append(Call(stmt, params, started, time.perf_counter(), len(rows)))
            return rows

        self.store._read = traced  # type: ignore[method-assign]

    async def record(self, fn: Callable[[], Awaitable[Any]]) -> tuple[float, list[Call]]:
        self.calls, self.active = [], True
        started = time.perf_counter()
        try:
            await fn()
        finally:
            self.active = False
        return (time.perf_counter() - started) * 1000, self.calls


def _waves(calls: list[Call]) -> int:
    """Sequential steps: groups of overlapping calls, one group after another (1 = all at
    once, len(calls) = strictly one after another)."""
    waves, end = 0, -1.0
    for call in sorted(calls, key=lambda c: c.start):
        if call.start >= end:
            waves += 1
        end = max(end, call.end)
    return waves


# --- one backend -------------------------------------------------------------------------

@dataclass
class Measure:
    name: str
    first_ms: float
    median_ms: float
    trips: int
    calls: list[Call]
    wall_ms: float
    #: statements a warm run sent (Neo4j combines reads issued together)
    sent: int | None = None


@dataclass
class Side:
    name: str
    loads: dict[str, tuple[float, int, str]] = field(default_factory=dict)
    measures: dict[str, Measure] = field(default_factory=dict)
    ping_ms: float = 0.0
    nodes: int = 0
    rels: int = 0


async def _timed_load(store: GraphStore, rosters: Path, *, recheck: bool = False,
                      ) -> tuple[float, int, str]:
    store.round_trips = 0
    started = time.perf_counter()
    report = await load_rosters(store, [rosters], protector=IdProtector(SECRET), who="bench",
                                recheck=recheck)
    seconds = time.perf_counter() - started
    unchanged = sum(c.unchanged for c in report.counts.values())
    created = sum(c.created for c in report.counts.values())
    return seconds, store.round_trips, f"{created:,} new, {unchanged:,} unchanged"


async def _empty_neo4j(store: GraphStore) -> None:
    await store.delete_graph(schema=True)  # type: ignore[attr-defined]
    await store.ensure_schema()


async def _open(kind: str, args: argparse.Namespace, data: Path) -> GraphStore:
    if kind == "embedded":
        return await open_store(StoreConfig(data_dir=data))
    store = await open_store(StoreConfig(uri=args.neo4j_uri, neo4j_user=args.neo4j_user,
                                         neo4j_password=args.neo4j_password))
    await _empty_neo4j(store)
    return store


@dataclass
class Open:
    """One backend with its store open, loaded, and its per-query timings."""

    side: Side
    store: GraphStore
    trace: Trace
    tmp: Path
    first: dict[str, float] = field(default_factory=dict)
    trips: dict[str, int] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)


async def open_and_load(kind: str, args: argparse.Namespace, rosters: Path) -> Open:
    side = Side(kind)
    tmp = Path(tempfile.mkdtemp(prefix="orgcover-bench-"))
    store = await _open(kind, args, tmp / "data")
    try:
        side.loads["first load"] = await _timed_load(store, rosters)
        side.loads["repeat load (unchanged)"] = await _timed_load(store, rosters)
        side.loads["repeat load --recheck"] = await _timed_load(store, rosters, recheck=True)
        side.nodes, side.rels = await count_graph(store)
        if isinstance(store, FalkorStore):
            await store.settle()  # the log rewrite the loads started
    except BaseException:
        await store.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Open(side, store, Trace(store), tmp)


async def measure_queries(opened: list[Open], queries: list[tuple[str, str, dict[str, Any]]],
                          runs: int, warmup: int = 0) -> None:
    """First run on each backend, `warmup` untimed rounds of every query (a JVM compiles
    what it has run often: right after a Neo4j restart the warm medians came out up to
    1.8× the same server's an hour later), then `runs` rounds alternating the backends
    query by query (so a busy moment of the machine falls on both), then one traced run
    each."""
    def call(o: Open, text: str, variables: dict[str, Any]) -> Awaitable[None]:
        return _gql(o.store, text, variables)

    for name, text, variables in queries:
        for o in opened:
            o.store.round_trips = 0
            started = time.perf_counter()
            await call(o, text, variables)
            o.first[name] = (time.perf_counter() - started) * 1000
            o.trips[name] = o.store.round_trips
            await call(o, text, variables)  # the warm-up
            o.times[name] = []
    for _ in range(warmup):
        for _name, text, variables in queries:
            for o in opened:
                await call(o, text, variables)
    gc.collect()  # what the loads left behind, before the timed runs
    for _ in range(runs):
        for name, text, variables in queries:
            for o in opened:
                started = time.perf_counter()
                await call(o, text, variables)
                o.times[name].append((time.perf_counter() - started) * 1000)
    for o in opened:
        async def ping(store: GraphStore = o.store) -> None:
            await store.read(PING)

        for name, text, variables in queries:
            def once(o: Open = o, text: str = text,
                     variables: dict[str, Any] = variables) -> Awaitable[None]:
                return call(o, text, variables)
            sent_before = getattr(o.store, "sent", None)
            wall_ms, calls = await o.trace.record(once)
            sent_after = getattr(o.store, "sent", None)
            o.side.measures[name] = Measure(
                name, o.first[name], statistics.median(o.times[name]), o.trips[name], calls,
                wall_ms, None if sent_before is None else sent_after - sent_before)
        await ping()
        o.side.ping_ms = await _median_ms(ping, 200)


async def warm_reload(o: Open, args: argparse.Namespace, rosters: Path) -> None:
    """The same process loads again into an empty store: the embedded one new, Neo4j's
    emptied (its JIT, plan cache and connections warm)."""
    if o.side.name == "embedded":
        await o.store.close()
        o.store = await open_store(StoreConfig(data_dir=o.tmp / "data2"))
    else:
        await _empty_neo4j(o.store)
    o.side.loads["first load again, warm process"] = await _timed_load(o.store, rosters)


async def planned_first(o: Open, queries: list[tuple[str, str, dict[str, Any]]]
                        ) -> list[str]:
    """Neo4j's query caches cleared, then what `serve` does after start-up (plan every
    registered read with EXPLAIN, graph/backends/neo4j_plans.py), then each query's first
    run: what the first user after a start waits."""
    assert isinstance(o.store, Neo4jStore)
    async with o.store._driver.session(database=o.store.database) as session:
        await (await session.run("CALL db.clearQueryCaches()")).consume()
    started = time.perf_counter()
    o.store.plan_ahead()
    assert o.store.plans._task is not None
    planned = await o.store.plans._task
    took = time.perf_counter() - started
    lines = [f"Planned ahead: {planned} statements in {took:.1f} s (EXPLAIN, one at a time, "
             "query caches cleared before). First run of each query after that, ms "
             "(before, cold: the `first` column above):", "",
             "| query | first run after planning ahead | cold first run |", "|---|---:|---:|"]
    for name, text, variables in queries:
        begun = time.perf_counter()
        await _gql(o.store, text, variables)
        lines.append(f"| {name} | {(time.perf_counter() - begun) * 1000:.1f} | "
                     f"{o.first[name]:.1f} |")
    return [*lines, ""]


async def close(o: Open) -> None:
    try:
        await o.store.close()
    finally:
        shutil.rmtree(o.tmp, ignore_errors=True)


# --- the Neo4j profile -------------------------------------------------------------------

def _operators(plan: Any, depth: int = 0) -> list[tuple[int, str, int, int, str]]:
    """(depth, operator, db hits, rows, details) of a profiled plan, depth first."""
    args = dict(plan.get("args", {}))
    out = [(depth, str(plan.get("operatorType", "?")), int(plan.get("dbHits", 0) or 0),
            int(plan.get("rows", 0) or 0), str(args.get("Details", ""))[:110])]
    for child in plan.get("children", []):
        out.extend(_operators(child, depth + 1))
    return out


async def neo4j_profile(store: GraphStore, side: Side, *, runs: int, top: int,
                        report: list[str]) -> None:
    """Round-trip cost, per-query statement sequences, PROFILE of the slowest statements."""
    driver = store._driver  # type: ignore[attr-defined]
    database = store.database  # type: ignore[attr-defined]
    from neo4j import RoutingControl

    async def via_execute_query() -> None:
        await driver.execute_query("RETURN 1 AS one", routing_=RoutingControl.READ,
                                   database_=database)

    async with driver.session(database=database) as session:
        async def via_session_run() -> None:
            result = await session.run("RETURN 1 AS one")
            await result.consume()

        async def via_read_tx() -> None:
            async def work(tx: Any) -> None:
                await (await tx.run("RETURN 1 AS one")).consume()
            await session.execute_read(work)

        await via_session_run()
        auto = await _median_ms(via_session_run, 200)
        read_tx = await _median_ms(via_read_tx, 200)
    await via_execute_query()
    eq = await _median_ms(via_execute_query, 200)
    report.append("### One round trip on Neo4j (`RETURN 1`, median of 200)\n")
    report.append("| path | ms |\n|---|---:|")
    report.append(f"| store.read (execute_query, READ routing, shielded task, row conversion) | "
                  f"{side.ping_ms:.2f} |")
    report.append(f"| driver.execute_query alone | {eq:.2f} |")
    report.append(f"| session.execute_read on a held session (BEGIN, RUN+PULL, COMMIT) | "
                  f"{read_tx:.2f} |")
    report.append(f"| session.run auto-commit on a held session (RUN+PULL) | {auto:.2f} |")
    report.append("")

    async with driver.session(database=database) as session:
        async def server_ms(text: str, params: dict[str, Any]) -> tuple[float, float]:
            """(client ms, server ms) of one auto-commit run on the held session."""
            started = time.perf_counter()
            result = await session.run(text, params)
            await result.fetch(1_000_000)
            summary = await result.consume()
            client = (time.perf_counter() - started) * 1000
            return client, float((summary.result_available_after or 0)
                                 + (summary.result_consumed_after or 0))

        # Every statement of every query replayed alone: what the server spends on it.
        replay: dict[int, tuple[float, float]] = {}
        for m in side.measures.values():
            for call in m.calls:
                await server_ms(call.stmt.text, call.params)
                runs_ = [await server_ms(call.stmt.text, call.params) for _ in range(3)]
                replay[id(call)] = (statistics.median(r[0] for r in runs_),
                                    statistics.median(r[1] for r in runs_))
        slow: list[tuple[float, str, Call]] = []
        report.append("### Statements per query on Neo4j\n")
        report.append("Traced: one warm run through the schema (statements overlap where the "
                      "resolvers send them together). Replayed: each statement alone, "
                      "auto-commit on a held session, median of 3; server ms is the "
                      "summary's result_available_after + result_consumed_after.\n")
        report.append("| query | wall ms | statements | in sequence | Σ traced ms | "
                      "Σ replayed ms | Σ server ms | costliest on the server (server ms / rows) |")
        report.append("|---|---:|---:|---:|---:|---:|---:|---|")
        for name, m in side.measures.items():
            ordered = sorted(m.calls, key=lambda c: c.start)
            worst = sorted(ordered, key=lambda c: -replay[id(c)][1])[:3]
            report.append(
                f"| {name} | {m.wall_ms:.1f} | {len(ordered)} | {_waves(ordered)} | "
                f"{sum(c.ms for c in ordered):.1f} | "
                f"{sum(replay[id(c)][0] for c in ordered):.1f} | "
                f"{sum(replay[id(c)][1] for c in ordered):.0f} | "
                + "; ".join(f"`{c.stmt.name}` {replay[id(c)][1]:.0f}/{c.rows}"
                            for c in worst) + " |")
            for call in ordered:
                slow.append((replay[id(call)][1], name, call))
        report.append("")

        # The costliest distinct statements on the server: PROFILE, cold vs warm plans.
        seen: set[str] = set()
        chosen: list[tuple[float, str, Call]] = []
        for ms, name, call in sorted(slow, key=lambda s: -s[0]):
            if call.stmt.text in seen:
                continue
            seen.add(call.stmt.text)
            chosen.append((ms, name, call))
            if len(chosen) == top:
                break

        report.append(f"### The {len(chosen)} costliest statements on the Neo4j server\n")
        report.append("| statement (query) | traced ms | session.run ms | server ms | "
                      "cold ms (query caches cleared) | db hits | rows | planner / runtime |")
        report.append("|---|---:|---:|---:|---:|---:|---:|---|")
        details: list[str] = []
        for _, qname, call in chosen:
            text, params = call.stmt.text, call.params
            warm = [await server_ms(text, params) for _ in range(runs)]
            client = statistics.median(w[0] for w in warm)
            server = statistics.median(w[1] for w in warm)
            await (await session.run("CALL db.clearQueryCaches()")).consume()
            cold_client, _ = await server_ms(text, params)
            result = await session.run("PROFILE " + text, params)
            await result.fetch(1_000_000)
            summary = await result.consume()
            plan = summary.profile or {}
            ops = _operators(plan)
            hits = sum(o[2] for o in ops)
            pargs = dict(plan.get("args", {}))
            report.append(
                f"| `{call.stmt.name}` ({qname}) | {call.ms:.1f} | {client:.1f} | {server:.0f} | "
                f"{cold_client:.1f} | {hits:,} | {call.rows:,} | "
                f"{pargs.get('planner', '?')} {pargs.get('planner-version', '')} / "
                f"{pargs.get('runtime', '?')} |")
            costly = sorted(ops, key=lambda o: -o[2])[:6]
            shown = json.dumps(params, ensure_ascii=False)[:160]
            details.append(f"`{call.stmt.name}` — params {shown}"
                           f"\n  text: {text[:600]}" + ("…" if len(text) > 600 else "")
                           + "\n  costliest operators (db hits, rows):\n"
                           + "\n".join(f"    {'  ' * d}{op} {h:,} hits, {r:,} rows: {det}"
                                       for d, op, h, r, det in costly))
        report.append("")
        report.append("<details><summary>PROFILE details</summary>\n")
        report.append("```")
        report.extend(details)
        report.append("```\n</details>\n")


class Busy:
    """How busy the machine was during the run, from /proc/stat, and how much of it was
    this process (a test suite on another server shares the cores: say so)."""

    def __init__(self) -> None:
        self.stat, self.cpu, self.wall = self._stat(), time.process_time(), time.time()

    @staticmethod
    def _stat() -> tuple[int, int]:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
        return sum(fields), fields[3] + fields[4]

    def note(self) -> str:
        total, idle = self._stat()
        ticks = total - self.stat[0]
        used = 1 - (idle - self.stat[1]) / ticks if ticks else 0.0
        cores = os.cpu_count() or 1
        mine = (time.process_time() - self.cpu) / (time.time() - self.wall) / cores
        return (f"all cores {used:.0%} busy on average, this Python process {mine:.0%} of "
                f"the machine; load average now {os.getloadavg()[0]:.1f}")


# --- main --------------------------------------------------------------------------------

def _machine() -> str:
    model = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            model = next(line.split(":", 1)[1].strip() for line in fh
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.node()}, {os.cpu_count()} × {model}, Python {platform.python_version()}"


async def _neo4j_version(args: argparse.Namespace) -> str:
    from neo4j import AsyncGraphDatabase
    async with AsyncGraphDatabase.driver(args.neo4j_uri,
                                         auth=(args.neo4j_user, args.neo4j_password)) as d:
        records, _, _ = await d.execute_query(
            "CALL dbms.components() YIELD name, versions, edition "
            "RETURN name + ' ' + versions[0] + ' ' + edition AS v")
        try:
            heap, _, _ = await d.execute_query(
                "CALL dbms.listConfig() YIELD name, value WHERE name IN ["
                "'server.memory.heap.initial_size', 'server.memory.heap.max_size', "
                "'server.memory.pagecache.size'] RETURN name, value ORDER BY name")
            mem = ", ".join(f"{r['name'].removeprefix('server.memory.')}={r['value']}"
                            for r in heap if r["value"])
        except Exception:
            mem = "?"
    return f"{records[0]['v']} ({mem})"


async def main(args: argparse.Namespace) -> None:
    rosters = OUT / f"{args.scale}-rosters-neo4j"
    started = time.perf_counter()
    tables = generate(SCALES[args.scale])
    shutil.rmtree(rosters, ignore_errors=True)
    write_csv(tables, rosters)
    rows, gen_s = tables.count(), time.perf_counter() - started
    codes = pick_codes(tables)
    queries = frontend_queries(codes)
    # A serving process holds no rosters: 363,297 generated rows kept alive made every
    # full garbage collection during the measurements walk them (pauses on both sides,
    # more often on the side whose driver allocates more per request).
    del tables
    gc.collect()

    sides: dict[str, Side] = {}
    report: list[str] = []
    version = await _neo4j_version(args) if "neo4j" in args.only else "-"
    busy = Busy()
    opened: list[Open] = []
    try:
        for kind in ("embedded", "neo4j"):
            if kind in args.only:
                opened.append(await open_and_load(kind, args, rosters))
        await measure_queries(opened, queries, args.runs, args.warmup)
        for o in opened:
            if o.side.name == "neo4j" and args.profile:
                await neo4j_profile(o.store, o.side, runs=args.runs, top=args.top,
                                    report=report)
        for o in opened:
            await warm_reload(o, args, rosters)
            sides[o.side.name] = o.side
            if o.side.name == "neo4j":
                report[:0] = await planned_first(o, queries)
    finally:
        for o in opened:
            await close(o)
    busy_note = busy.note()
    emb, neo = sides.get("embedded"), sides.get("neo4j")

    print(f"# orgcover: Neo4j vs embedded FalkorDB — scale {args.scale}, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}")
    print()
    print(f"Machine: {_machine()}. Neo4j: {version} at {args.neo4j_uri}. "
          f"{rows:,} roster rows (generated in {gen_s:.1f} s); codes: "
          + ", ".join(f"{k}={v}" for k, v in codes.items()) + ".")
    any_side = neo or emb
    assert any_side is not None
    print(f"Machine busy meanwhile: {busy_note}.")
    print(f"Graph: {any_side.nodes:,} nodes, {any_side.rels:,} relationships. "
          f"Queries: first run, then median of {args.runs} warm runs (after "
          f"{args.warmup + 1} more), "
          "in-process through the schema, operator context.")
    print()

    def cell(side: Side | None, get: Callable[[Side], str]) -> str:
        return get(side) if side else "-"

    print("| load | Neo4j s | embedded s | ratio | round trips Neo4j / embedded | outcome |")
    print("|---|---:|---:|---:|---|---|")
    for what in any_side.loads:
        n = neo.loads[what] if neo else None
        e = emb.loads[what] if emb else None
        ratio = f"{n[0] / e[0]:.2f}" if n and e and e[0] else "-"
        print(f"| {what} | {n[0] if n else float('nan'):.2f} | "
              f"{e[0] if e else float('nan'):.2f} | {ratio} | "
              f"{n[1] if n else '-'} / {e[1] if e else '-'} | {(n or e)[2]} |")  # type: ignore[index]
    print()
    print("| query | Neo4j ms (first) | Neo4j ms | embedded ms (first) | embedded ms | ratio | "
          "round trips Neo4j (statements sent warm) / embedded |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, _, _ in queries:
        nm = neo.measures[name] if neo else None
        em = emb.measures[name] if emb else None
        ratio = f"{nm.median_ms / em.median_ms:.2f}" if nm and em else "-"
        print(f"| {name} | {nm.first_ms if nm else float('nan'):.1f} | "
              f"{nm.median_ms if nm else float('nan'):.1f} | "
              f"{em.first_ms if em else float('nan'):.1f} | "
              f"{em.median_ms if em else float('nan'):.1f} | {ratio} | "
              f"{nm.trips if nm else '-'} ({nm.sent if nm else '-'}) / "
              f"{em.trips if em else '-'} |")
    print(f"| one round trip: `RETURN 1` through store.read (median of 200) | - | "
          f"{cell(neo, lambda s: f'{s.ping_ms:.2f}')} | - | "
          f"{cell(emb, lambda s: f'{s.ping_ms:.2f}')} | "
          f"{neo.ping_ms / emb.ping_ms if neo and emb else float('nan'):.1f} | 1 / 1 |")
    print()
    if emb is not None:
        print("### Statements per query on the embedded store (same warm run)\n")
        print("| query | wall ms | statements | in sequence | Σ statement ms | slowest |")
        print("|---|---:|---:|---:|---:|---|")
        for name, m in emb.measures.items():
            ordered = sorted(m.calls, key=lambda c: c.start)
            worst = sorted(ordered, key=lambda c: -c.ms)[:3]
            print(f"| {name} | {m.wall_ms:.1f} | {len(ordered)} | {_waves(ordered)} | "
                  f"{sum(c.ms for c in ordered):.1f} | "
                  + "; ".join(f"`{c.stmt.name}` {c.ms:.1f}/{c.rows}" for c in worst) + " |")
        print()
    print("\n".join(report))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="demo", choices=sorted(SCALES))
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=10,
                        help="untimed rounds of every query before the timed ones")
    parser.add_argument("--top", type=int, default=8, help="statements to PROFILE")
    parser.add_argument("--neo4j-uri", default=os.environ.get("ORGCOVER_BENCH_NEO4J_URI"))
    parser.add_argument("--neo4j-user", default=os.environ.get("ORGCOVER_NEO4J_USER", "neo4j"))
    parser.add_argument("--neo4j-password", default=os.environ.get("ORGCOVER_NEO4J_PASSWORD"))
    parser.add_argument("--only", nargs="+", default=["embedded", "neo4j"],
                        choices=["embedded", "neo4j"])
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parsed = parser.parse_args()
    if "neo4j" in parsed.only and not (parsed.neo4j_uri and parsed.neo4j_password):
        parser.error("give --neo4j-uri (or ORGCOVER_BENCH_NEO4J_URI) and --neo4j-password "
                     "(or ORGCOVER_NEO4J_PASSWORD); that database is EMPTIED")
    asyncio.run(main(parsed))
