"""Hypothesis: malformed rows never crash the loader and never write anything."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.repo.load import count_graph
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.report import RosterInvalid
from loaders.templates import TEMPLATES

cell = st.one_of(
    st.just(""), st.text(max_size=12),
    st.sampled_from(["区县", "街道", "社区", "是", "否", "12.5", "2023-02-30", "中共党员",
                     "楼长", "书记", "371327198204021179", "１２３", " ", "；", "C1", "D",
                     "C\x001", "\x7f", "`", "\\", "\"", "${x}"]),
    st.integers(-5, 10**6).map(str),
)
row = st.lists(cell, min_size=0, max_size=8)
template = st.sampled_from(TEMPLATES)
rosters = st.lists(st.tuples(template, st.lists(row, min_size=1, max_size=5)),
                   min_size=1, max_size=4)
BROKEN = ["D", "县", "区县", "", "not-a-number"]  # always one bad cell, so nothing may load


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=rosters, broken=st.booleans())
async def test_malformed_rosters_never_crash_or_half_write(
        store: GraphStore, files: list[tuple[object, list[list[str]]]], broken: bool) -> None:
    """Either the load is refused with errors and the graph is untouched, or it loads."""
    before = await count_graph(store)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        written: dict[str, list[list[str]]] = {}
        for tpl, rows in files:
            written.setdefault(tpl.zh, []).extend(rows)  # type: ignore[attr-defined]
        if broken:
            written.setdefault("行政区划", []).append(BROKEN)
        for name, rows in written.items():
            tpl = next(t for t in TEMPLATES if t.zh == name)
            with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(tpl.zh_headers)
                writer.writerows(rows)
        refused: RosterInvalid | None = None
        try:
            await load_rosters(store, [folder], protector=IdProtector("k"))
        except RosterInvalid as exc:
            refused = exc
    if refused is not None:
        assert refused.report.errors
        assert await count_graph(store) == before
    else:
        assert not broken, "a roster with a bad population cell loaded"
