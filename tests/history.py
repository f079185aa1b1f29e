"""A hand-built history (used by test_history): four versions of tests/regions.py's rosters,
each loaded as the whole truth of the district and snapshotted on the first of a month.

- S1 2026-01-01: REGIONS as they are.
- S2 2026-02-01: a party org covers community C2 and one covers property company PM5; an
  institution pairs with C2.
- S3 2026-03-01: C2's party org is gone again (C2 reopens); building B3 and property company
  PM3 are gone (C3 loses its pairing; PM3's gap closes as removed).
- S4 2026-04-01: C2's party org is back.

Notices: N0001 (region-party-org, everything, deadline 2026-02-15) after S1; N0002
(property-party-org, street S2, deadline 2026-02-20) after S2.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

from graph.queries.audits import AUDITS
from graph.repo import snapshots
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from resolvers import history as h
from tests.regions import REGIONS
from tests.rosters import write_rosters

Tables = dict[str, list[list[object]]]
DAYS = [dt.date(2026, m, 1) for m in (1, 2, 3, 4)]

PC2 = ["PC2", "二社区党委", "党委", "区域", "PS1", "C2", ""]


def versions() -> list[Tables]:
    v1 = copy.deepcopy(REGIONS)
    v2 = copy.deepcopy(v1)
    v2["party_orgs"] += [PC2, ["PPM5", "五物业党支部", "党支部", "非公企业", "PS1", "PM5", ""]]
    v2["relations"] += [["INS3", "结对共建", "C2", ""]]
    v3 = copy.deepcopy(v2)
    v3["party_orgs"] = [r for r in v3["party_orgs"] if r[0] != "PC2"]
    v3["buildings"] = []
    v3["organizations"] = [r for r in v3["organizations"] if r[0] != "PM3"]
    v3["posts"] = [r for r in v3["posts"] if r[1] != "PM3"]
    v3["relations"] = [r for r in v3["relations"] if "PM3" not in r and "B3" not in r]
    v4 = copy.deepcopy(v3)
    v4["party_orgs"] += [PC2]
    return [v1, v2, v3, v4]


async def build(store: GraphStore, folder: Path) -> None:
    """Load each version and snapshot it on its day; issue the two notices on the way."""
    for i, (tables, day) in enumerate(zip(versions(), DAYS, strict=True)):
        rosters = write_rosters(folder / f"v{i + 1}", tables)
        await load_rosters(store, [rosters], protector=IdProtector(None),
                           replace_scope=None if i == 0 else "D")
        await snapshots.record(store, taken_by="test", as_of=day)
        if i == 0:
            await h.issue_notice(store, audit=AUDITS["region-party-org"], scope=None,
                                 deadline=dt.date(2026, 2, 15), note="请于2月15日前整改",
                                 who="auditor-1", today=day)
        if i == 1:
            await h.issue_notice(store, audit=AUDITS["property-party-org"], scope="S2",
                                 deadline=dt.date(2026, 2, 20), note="", who="auditor-1",
                                 today=day)
