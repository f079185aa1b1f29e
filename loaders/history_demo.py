"""A synthetic district with a past: monthly versions of its rosters, the last one the
district as `generate` writes it, so a demo starts with trends, rankings and a notice.

Earlier months lack some of what the last one has (a building chief not yet appointed, a
grid worker not yet hired, a member not yet registered with their community, a compound
branch not yet covering its compound, an institution not yet paired, a property company's
branch not yet covering it): coverage mostly improves month by month. A few items are
covered, lost and covered again (their gaps reopen), and one street fixes little, so the
others overtake it in the ranking. Every version is the whole truth of the district
(loaded with --replace-scope), and deterministic for a seed.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from loaders.synthetic import DISTRICT_CODE, Scale, Tables, generate, write_csv

#: Roster rows whose absence opens a gap: (template key, predicate on the row, the column
#: blanked, or None to leave the row out).
_POST_ROLES = ("楼长", "专职网格员", "党员中心户")


@dataclass(frozen=True, slots=True)
class _Item:
    template: str
    index: int
    #: Column to blank in months the item is missing (None: leave the row out).
    column: int | None
    #: Code of the place the item belongs to (its street is the first 9 characters).
    place: str


def _items(t: Tables) -> list[_Item]:
    items = []
    for i, r in enumerate(t.rows["posts"]):
        if r[2] in _POST_ROLES and not r[4]:
            items.append(_Item("posts", i, None, str(r[1])))
    for i, r in enumerate(t.rows["relations"]):
        if r[1] in ("双报到", "结对共建"):
            items.append(_Item("relations", i, None, str(r[2])))
    for i, r in enumerate(t.rows["party_orgs"]):
        if r[3] == "小区" or (r[3] == "非公企业" and str(r[0]).startswith("P91")):
            items.append(_Item("party_orgs", i, 5, str(r[5] or r[0])))
    return items


def _weakest_street(tables: Tables) -> str | None:
    """The street with the fewest building chiefs at the end (the one that falls behind:
    it had more of them early on); None with a single street."""
    chiefs = {str(r[1]) for r in tables.rows["posts"] if r[2] == "楼长" and not r[4]}
    counts: dict[str, list[int]] = {}
    for r in tables.rows["buildings"]:
        if r[3] == "住宅":
            found = counts.setdefault(_street(str(r[0])), [0, 0])
            found[0] += 1
            found[1] += str(r[0]) in chiefs
    if len(counts) < 2:
        return None
    return min(counts, key=lambda street: (counts[street][1] / counts[street][0], street))


def _lagging_losses(tables: Tables, street: str, rng: random.Random) -> list[list[object]]:
    """Posts the lagging street had in the early months and lost in the last two: building
    chiefs and full-time grid workers who left and were not replaced."""
    held = {(str(r[1]), r[2]) for r in tables.rows["posts"] if not r[4]}
    people = [str(r[0]) for r in tables.rows["people"]]
    posts: list[list[object]] = []
    targets = [(str(r[0]), "楼长") for r in tables.rows["buildings"] if r[3] == "住宅"]
    targets += [(str(r[0]), "专职网格员") for r in tables.rows["grids"]]
    for code, role in targets:
        if _street(code) == street and (code, role) not in held and rng.random() < 0.7:
            posts.append([rng.choice(people), code, role, "2020-01-01", ""])
    return posts


def _street(code: str) -> str:
    return code[:9] if code.startswith(DISTRICT_CODE) else ""


def months_back(last: dt.date, months: int) -> list[dt.date]:
    """The first of each month before `last`'s month, oldest first, then `last` itself."""
    days = []
    year, month = last.year, last.month
    for _ in range(months - 1):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        days.append(dt.date(year, month, 1))
    return [*reversed(days), last]


def versions(tables: Tables, months: int, seed: int = 7) -> list[Tables]:
    """`months` versions, oldest first; the last is `tables` unchanged."""
    if months < 1:
        raise ValueError("a history has at least one month")
    rng = random.Random(seed * 31 + months)
    lagging = _weakest_street(tables)
    # month from which each item is present (0 = always); some items lost for a while
    present_from: dict[int, int] = {}
    lost: dict[int, range] = {}
    for n, item in enumerate(_items(tables)):
        behind = _street(item.place) == lagging
        draw = rng.random()
        if draw < (0.06 if behind else 0.3):
            present_from[n] = rng.randint(1, months - 1) if months > 1 else 0
        elif months >= 4 and draw < (0.1 if behind else 0.33):
            start = rng.randint(1, months - 3)
            lost[n] = range(start, start + rng.randint(1, 2))  # covered, lost, covered
    items = _items(tables)
    early = _lagging_losses(tables, lagging, rng) if lagging and months >= 3 else []
    out = []
    for month in range(months):
        if month == months - 1:
            out.append(tables)
            continue
        version = copy.deepcopy(tables)
        drop: dict[str, set[int]] = {}
        for n, item in enumerate(items):
            missing = month < present_from.get(n, 0) or month in lost.get(n, range(0))
            if not missing:
                continue
            if item.column is None:
                drop.setdefault(item.template, set()).add(item.index)
            else:
                version.rows[item.template][item.index][item.column] = ""
        for key, indexes in drop.items():
            version.rows[key] = [r for i, r in enumerate(version.rows[key]) if i not in indexes]
        if month < months - 2:
            version.rows["posts"] += copy.deepcopy(early)
        out.append(version)
    return out


def write_history(scale: Scale, out: Path, *, months: int, last: dt.date,
                  seed: int = 7) -> list[tuple[dt.date, Path]]:
    """Each month's rosters in `out/<YYYY-MM-DD>/`, oldest first, with the day its
    snapshot is for."""
    days = months_back(last, months)
    written = []
    for day, tables in zip(days, versions(generate(scale, seed), months, seed), strict=True):
        folder = out / day.isoformat()
        write_csv(tables, folder)
        written.append((day, folder))
    return written
