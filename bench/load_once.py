"""One timed roster load in a process of its own, so its peak RSS is the loader's alone.

    python -m bench.load_once DATA_DIR ROSTERS [--recheck]

Opens the embedded store in DATA_DIR, loads ROSTERS and prints one JSON line: seconds,
rows, the loader's peak RSS (MB), whether the load was taken as unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from pathlib import Path

from graph.factory import StoreConfig, open_store
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters


async def main(data: Path, rosters: Path, recheck: bool) -> dict[str, object]:
    store = await open_store(StoreConfig(data_dir=data))
    try:
        started = time.perf_counter()
        report = await load_rosters(store, [rosters], protector=IdProtector("bench-secret"),
                                    who="bench", recheck=recheck)
        seconds = time.perf_counter() - started
    finally:
        closing = time.perf_counter()
        await store.close()  # waits for the log rewrite the load started
    return {
        "seconds": seconds,
        "close_seconds": time.perf_counter() - closing,
        "rows": sum(c.rows for c in report.counts.values()),
        "created": sum(c.created for c in report.counts.values()),
        "unchanged": sum(c.unchanged for c in report.counts.values()),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "unchanged_since": report.unchanged_since,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path)
    parser.add_argument("rosters", type=Path)
    parser.add_argument("--recheck", action="store_true")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.data, args.rosters, args.recheck))))
