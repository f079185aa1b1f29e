"""Benchmark: the frontend queries through HTTP on uvicorn workers sharing one store.

    python -m bench.http [--scale district] [--workers 2] [--clients 16] [--seconds 20]
                         [--client wrk|httpx]

Runs the embedded FalkorDB alone (as `orgcover store` does), loads the district into it
when it is empty (kept in bench/out/<scale>-http between runs), starts `uvicorn
app.main:create_app --factory --workers N` on it, then from this process (an asyncio
httpx client): per-query latency one request at a time (median and p95 over varied
codes); then a mixed frontend workload with N concurrent clients (requests/s, errors, p50,
p99), sent by `wrk` (Debian's package) when it is installed, else by this process. On two
cores the load generator shares the machine with the server: the httpx client took 0.3 of
a core at 200 requests/s, wrk a few percent. All of it twice in the same run: with auth
(every request carries the district admin's token, verified, bounded by its jurisdiction
and written to the access log) and without (`bench/unguarded.py`: the operator, no log),
and the share of requests/s auth costs. Prints tables; figures go into bench/RESULTS.md
by hand with machine and date.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from app.auth.tokens import mint
from graph.backends.embedded import EmbeddedFalkorServer
from graph.backends.falkordb import FalkorStore
from graph.queries.samples import (
    SAMPLE_BUILDINGS,
    SAMPLE_COMMUNITIES,
    SAMPLE_COMPOUNDS,
    SAMPLE_PEOPLE,
)
from graph.repo.load import count_graph
from graph.repo.search import backfill_search_text
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.synthetic import DISTRICT_CODE, SCALES, generate, write_csv

OUT = Path(__file__).resolve().parent / "out"
QUERIES = Path(__file__).resolve().parent.parent / "tests" / "queries"
GRAPH = "orgcover"

CHAIN = """query($c: String!) { chainOfCommand(code: $c) {
    depth partyOrg { code name kind } secretaries { code name } } }"""
PATHS = """query($a: String!, $b: String!) { connectionPaths(from: $a, to: $b, maxHops: 6) {
    length paths { nodes { __typename code name }
                   relationships { type startCode endCode } } } }"""
SEARCH = """query($t: String!) { search(text: $t, first: 10) {
    totalCount nodes { __typename code name } } }"""
SEARCH_PLACES = """query($t: String!) { search(text: $t, type: PLACE, first: 10) {
    totalCount nodes { __typename code name } } }"""
LIST = """query($s: String!) { compounds(scope: $s, first: 50) { totalCount
    nodes { code name grid { code } coveringPartyOrgs { code } propertyCompanies { code } } } }"""
BASELINE = """query($c: String!) { compound(code: $c) { code name } }"""
NEIGHBOURHOOD = """query($c: String!) { neighbourhood(code: $c, hops: 2, limit: 100) {
    truncated nodes { distance node { __typename code name } }
    relationships { type startCode endCode } } }"""


def _query(name: str) -> str:
    return (QUERIES / f"{name}.graphql").read_text(encoding="utf-8")


class Samples:
    def __init__(self, compounds: list[dict[str, Any]], people: list[str],
                 buildings: list[str], communities: list[str]) -> None:
        self.compounds = compounds
        self.people = people
        self.buildings = buildings
        self.communities = communities
        self.rng = random.Random(7)

    def compound(self) -> str:
        return str(self.rng.choice(self.compounds)["code"])

    def pair_across_streets(self) -> tuple[str, str]:
        a = self.rng.choice(self.compounds)
        b = self.rng.choice([c for c in self.compounds if c["street"] != a["street"]])
        return str(a["code"]), str(b["code"])

    def text(self) -> str:
        name = str(self.rng.choice(self.compounds)["name"])
        return name[:2]


Request = tuple[str, dict[str, Any]]


def _requests(s: Samples) -> dict[str, Callable[[], Request]]:
    compound_page, person_card = _query("compound_page"), _query("person_card")
    return {
        "compound profile (compound_page.graphql)":
            lambda: (compound_page, {"code": s.compound()}),
        "person profile (person_card.graphql)":
            lambda: (person_card, {"code": s.rng.choice(s.people)}),
        "chain of command from a building": lambda: (CHAIN, {"c": s.rng.choice(s.buildings)}),
        "paths between compounds in different streets":
            lambda: (PATHS, dict(zip(("a", "b"), s.pair_across_streets(), strict=True))),
        "search, every kind": lambda: (SEARCH, {"t": s.text()}),
        "search, places": lambda: (SEARCH_PLACES, {"t": s.text()}),
        "compound list of a community (50)":
            lambda: (LIST, {"s": s.rng.choice(s.communities)}),
        "neighbourhood of a compound, 2 hops": lambda: (NEIGHBOURHOOD, {"c": s.compound()}),
        "baseline: one compound by code": lambda: (BASELINE, {"c": s.compound()}),
    }


#: The mixed frontend workload: (request kind, weight).
MIX = (("compound profile (compound_page.graphql)", 3), ("person profile (person_card.graphql)", 2),
       ("compound list of a community (50)", 2), ("search, places", 1),
       ("search, every kind", 1), ("chain of command from a building", 1))


async def _post(client: httpx.AsyncClient, req: Request) -> float:
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": req[0], "variables": req[1]},
                                 headers=HEADERS)
    elapsed = (time.perf_counter() - started) * 1000
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{response.status_code}: {str(body)[:300]}")
    return elapsed


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _latencies(client: httpx.AsyncClient, kinds: dict[str, Callable[[], Request]],
                     runs: int) -> list[tuple[str, float, float]]:
    rows = []
    for name, make in kinds.items():
        for _ in range(3):
            await _post(client, make())  # warm-up: plan caches
        times = [await _post(client, make()) for _ in range(runs)]
        rows.append((name, statistics.median(times), _pct(times, 95)))
    return rows


async def _throughput(client: httpx.AsyncClient, kinds: dict[str, Callable[[], Request]],
                      clients: int, seconds: float, mix: tuple[tuple[str, int], ...] = MIX,
                      ) -> tuple[int, int, float, list[float]]:
    names = [n for n, w in mix for _ in range(w)]
    rng = random.Random(11)
    times: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            try:
                times.append(await _post(client, kinds[rng.choice(names)]()))
            except (RuntimeError, httpx.HTTPError) as exc:
                errors += 1
                if errors <= 3:
                    print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return len(times), errors, time.perf_counter() - started, times


#: wrk's script: request bodies drawn beforehand, each thread walks them from its own
#: offset; a reply that is not 200 or carries GraphQL errors counts as an error.
_WRK_SCRIPT = """
local threads = {}
function setup(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end
function init(args)
  bad = 0
  i = offset
  headers = {["Content-Type"] = "application/json", ["Authorization"] = authorization}
end
function request()
  i = (i % #bodies) + 1
  return wrk.format("POST", "/graphql", headers, bodies[i])
end
function response(status, hdrs, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local errors = 0
  for _, t in ipairs(threads) do errors = errors + t:get("bad") end
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests": %d, "seconds": %.3f, "errors": %d, "p50": %.3f, "p99": %.3f}\\n',
    summary.requests, summary.duration / 1e6,
    errors + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def _wrk_throughput(port: int, kinds: dict[str, Callable[[], Request]], clients: int,
                    seconds: float, mix: tuple[tuple[str, int], ...] = MIX,
                    ) -> tuple[int, int, float, dict[str, float]]:
    """The mix sent by wrk: (requests, errors, seconds, {p50, p99} in ms)."""
    import json

    names = [n for n, w in mix for _ in range(w)]
    rng = random.Random(11)
    bodies = []
    for _ in range(5000):
        query, variables = kinds[rng.choice(names)]()
        body = json.dumps({"query": query, "variables": variables}, ensure_ascii=False)
        if "]==]" in body:
            raise ValueError("a request body closes the Lua string")
        bodies.append(f"[==[{body}]==]")
    script = (f"authorization = [==[{HEADERS['authorization']}]==]\n"
              "bodies = {" + ",\n".join(bodies) + "}\n" + _WRK_SCRIPT)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8") as fh:
        fh.write(script)
        fh.flush()
        out = subprocess.run(
            ["wrk", "-t", "2", "-c", str(clients), "-d", f"{max(1, round(seconds))}s",
             "--timeout", "30s",
             "-s", fh.name, f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    return (int(result["requests"]), int(result["errors"]), float(result["seconds"]),
            {"p50": result["p50"], "p99": result["p99"]})


def _percentiles(run: tuple[int, int, float, list[float]],
                 ) -> tuple[int, int, float, dict[str, float]]:
    done, errors, elapsed, times = run
    return done, errors, elapsed, {"p50": _pct(times, 50), "p99": _pct(times, 99)}


async def _prepare(data: Path, scale: str, query_threads: int | None,
                   ) -> tuple[EmbeddedFalkorServer, Samples, str]:
    server = EmbeddedFalkorServer(data, query_threads=query_threads)
    await server.start()
    store = FalkorStore(graph_name=GRAPH, unix_socket=server.socket_path,
                        password=server.password)
    try:
        await store.ensure_schema()
        await backfill_search_text(store)
        nodes, _ = await count_graph(store)
        note = f"reused {nodes:,} nodes"
        if nodes == 0:
            rosters = OUT / f"{scale}-rosters"
            write_csv(generate(SCALES[scale]), rosters)
            started = time.perf_counter()
            await load_rosters(store, [rosters], protector=IdProtector("bench-secret"),
                               who="bench")
            nodes, _ = await count_graph(store)
            note = f"loaded {nodes:,} nodes in {time.perf_counter() - started:.0f} s"
            await store.settle()
        samples = Samples(
            await store.read(SAMPLE_COMPOUNDS),
            [r["code"] for r in await store.read(SAMPLE_PEOPLE)],
            [r["code"] for r in await store.read(SAMPLE_BUILDINGS)],
            [r["code"] for r in await store.read(SAMPLE_COMMUNITIES)])
    finally:
        await store.close()
    return server, samples, note


#: The district admin's token: signed with the bench's own secret, sent with every request.
BENCH_SECRET = "bench-auth-secret-" + "0123456789abcdef" * 2
HEADERS = {"authorization": "Bearer " + mint(
    BENCH_SECRET, sub="bench", name="bench", roles=["admin"], jurisdiction=DISTRICT_CODE,
    ttl_seconds=24 * 3600)}
#: The two apps measured in the same run: with auth (as served) and without it.
FACTORIES = {"auth on": "app.main:create_app", "auth off": "bench.unguarded:create_app"}


async def main(scale: str, workers: int, clients: int, seconds: float, runs: int,
               port: int, client_kind: str, query_threads: int | None) -> None:
    data = OUT / f"{scale}-http"
    server, samples, note = await _prepare(data, scale, query_threads)
    results: dict[str, Measured] = {}
    rates: dict[str, list[float]] = {label: [] for label in FACTORIES}
    try:
        # alternated, twice each: a load that just finished (or a slow minute of the VM)
        # must not land on one side only
        for label in [*FACTORIES, *reversed(FACTORIES)]:
            measured = await _measure(
                server, samples, factory=FACTORIES[label], workers=workers, clients=clients,
                seconds=seconds, runs=runs, port=port, client_kind=client_kind,
                logs=data / f"access-{label.replace(' ', '-')}")
            done, _errors, elapsed, _pct = measured[1]
            rates[label].append(done / elapsed)
            if label not in results or done / elapsed > max(rates[label][:-1]):
                results[label] = measured
    finally:
        await server.stop()

    print(f"\n{scale}: {note}; {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    threads = f"THREAD_COUNT {query_threads}" if query_threads else "default THREAD_COUNT"
    print(f"uvicorn --workers {workers}, one embedded FalkorDB ({threads}) on a Unix socket; "
          "auth on: the district admin's token on every request, verified, the jurisdiction "
          "bounding every query, one access-log line each; auth off: the operator, no log\n")
    rows = {label: r[0] for label, r in results.items()}
    print(f"| query (one at a time, {runs} varied requests) | "
          + " | ".join(f"{lb} median ms | {lb} p95 ms" for lb in rows) + " |")
    print("|---|" + "---:|---:|" * len(rows))
    for i, (name, *_rest) in enumerate(rows["auth on"]):
        cells = " | ".join(f"{rows[lb][i][1]:.1f} | {rows[lb][i][2]:.1f}" for lb in rows)
        print(f"| {name} | {cells} |")
    for label, (_rows, mixed, base) in results.items():
        done, errors, elapsed, pct = mixed
        print(f"\n{label}: mixed workload ({', '.join(f'{n} ×{w}' for n, w in MIX)}), "
              f"{clients} concurrent clients ({client_kind}), {elapsed:.0f} s:")
        print(f"{done / elapsed:.0f} requests/s, {errors} errors, p50 {pct['p50']:.1f} ms, "
              f"p99 {pct['p99']:.1f} ms")
        print(f"ceiling, one-field lookups only, {clients} clients, {base[2]:.0f} s: "
              f"{base[0] / base[2]:.0f} requests/s, {base[1]} errors, "
              f"p50 {base[3]['p50']:.1f} ms, p99 {base[3]['p99']:.1f} ms")
    on, off = (statistics.mean(rates[lb]) for lb in ("auth on", "auth off"))
    print("\nmix requests/s per run: " + "; ".join(
        f"{lb} {', '.join(f'{r:.0f}' for r in rs)}" for lb, rs in rates.items()))
    print(f"auth costs the mix {100 * (1 - on / off):.1f}% of its requests/s "
          f"(means {on:.0f} vs {off:.0f}; the tables show each side's better run)")


Measured = tuple[list[tuple[str, float, float]], tuple[int, int, float, dict[str, float]],
                 tuple[int, int, float, dict[str, float]]]


async def _measure(server: EmbeddedFalkorServer, samples: Samples, *, factory: str,
                   workers: int, clients: int, seconds: float, runs: int, port: int,
                   client_kind: str, logs: Path) -> Measured:
    env = {**os.environ, "ORGCOVER_GRAPH_URI": f"falkordb+unix://{server.socket_path}",
           "ORGCOVER_GRAPH_NAME": GRAPH, "ORGCOVER_LOG_LEVEL": "WARNING",
           "ORGCOVER_AUTH_SECRET": BENCH_SECRET, "ORGCOVER_ACCESS_LOG_DIR": str(logs),
           "ORGCOVER_DATA_DIR": str(logs.parent)}
    api = subprocess.Popen(  # noqa: ASYNC220 - started once, before any measuring
        [sys.executable, "-m", "uvicorn", factory, "--factory", "--workers",
         str(workers), "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env)
    try:
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits,
                                     timeout=30) as client:
            for _ in range(200):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            kinds = _requests(samples)
            rows = await _latencies(client, kinds, runs)
            # the ceiling of the HTTP + GraphQL stack on this machine: one-field lookups
            baseline = (("baseline: one compound by code", 1),)
            if client_kind == "wrk":
                mixed = _wrk_throughput(port, kinds, clients, seconds)
                base = _wrk_throughput(port, kinds, clients, seconds / 3, baseline)
            else:
                mixed = _percentiles(await _throughput(client, kinds, clients, seconds))
                base = _percentiles(await _throughput(client, kinds, clients, seconds / 3,
                                                      baseline))
    finally:
        api.terminate()
        api.wait(timeout=20)
    return rows, mixed, base


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="district", choices=sorted(SCALES))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--client", choices=("wrk", "httpx"),
                        default="wrk" if shutil.which("wrk") else "httpx",
                        help="what sends the concurrent workloads (default: wrk if installed)")
    parser.add_argument("--query-threads", type=int, default=None,
                        help="FalkorDB THREAD_COUNT (default: one per core)")
    args = parser.parse_args()
    asyncio.run(main(args.scale, args.workers, args.clients, args.seconds, args.runs,
                     args.port, args.client, args.query_threads))
