"""The interpreter tuned for serving beside roster loads (measured: tests/test_abuse_uploads.py,
/healthz probed while the `demo` rosters load through a real uvicorn on 2 cores).

A load's Python work runs in a worker thread (loaders/check.py `off_loop`), so the event
loop keeps serving — but both need the GIL. Two interpreter defaults made the loop wait:

- The switch interval (5 ms): after every socket call or `epoll` the loop thread asks for
  the GIL back and a CPU-bound worker keeps it up to 5 ms; a request needs several such
  hand-backs. With 1 ms, /healthz p99 during a demo upload went from 128–240 ms to
  17–26 ms. The worker's cost is a few hundred more switches a second.
- Full collections of the cyclic garbage collector: a pass over the ≈125k objects built at
  start-up (modules, the schema, the store) took 50–90 ms, and when the loader's thread
  triggered one it held the loop that long, three times per demo-sized load. `gc.freeze`
  leaves them out of later passes (they are still freed by reference counting).
- Collections of the young generation every 700 allocations: a costly query's objects
  (thousands of result dicts, tasks and futures, alive for its second or two) were
  caught alive by nearly every one, promoted, and made full collections frequent, each
  walking every query in flight (50–170 ms with the GIL held). With a young generation
  of 10,000 most of them die young: four of the costliest queries allowed at once held
  `/healthz` p99 66–112 ms instead of 134–215 ms (`make bench-abuse`, 2c, four runs each).

All three are undone when serving ends (tests build and stop many apps in one process).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: Seconds a thread may hold the GIL while another waits for it (interpreter default 0.005).
SWITCH_INTERVAL = 0.001
#: Allocations between two collections of the young generation (interpreter default 700).
YOUNG_GENERATION = 10_000


@contextmanager
def tuned_for_serving() -> Iterator[None]:
    previous = sys.getswitchinterval()
    thresholds = gc.get_threshold()
    sys.setswitchinterval(SWITCH_INTERVAL)
    gc.set_threshold(YOUNG_GENERATION, *thresholds[1:])
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        sys.setswitchinterval(previous)
