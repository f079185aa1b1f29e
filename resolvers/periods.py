"""Period figures beside the audits (design/audits.md): how many party organizations of
each kind a scope has, and how many secretaries were appointed and replaced in a period
("2023年以来共选配小区党支部书记158名，调整撤换28名", seed 000)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from graph.domain import PartyOrgKind
from graph.errors import BadInput
from graph.records import KindCount, PostSpan
from graph.repo import periods as repo
from graph.store import GraphStore


@dataclass(frozen=True, slots=True)
class Tenure:
    """An unbroken stretch in which one person was one org's secretary."""

    org: str
    person: str
    start: dt.date | None
    end: dt.date | None


@dataclass(frozen=True, slots=True)
class SecretaryChanges:
    scope: str | None
    category: str | None
    start: dt.date
    end: dt.date
    appointed: int
    replaced: int


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def tenures(posts: Iterable[PostSpan]) -> list[Tenure]:
    """Posts of the same person and org that overlap or follow on the next day are one
    tenure: a re-election recorded as a new post is neither an appointment nor a
    replacement."""
    by_holder: dict[tuple[str, str], list[PostSpan]] = {}
    for post in posts:
        by_holder.setdefault((post.org, post.person), []).append(post)
    out: list[Tenure] = []
    for (org, person), spans in by_holder.items():
        spans.sort(key=lambda p: p.start or "")
        current: Tenure | None = None
        for span in spans:
            start, end = _date(span.start), _date(span.end)
            follows = current is not None and (
                current.end is None or start is None
                or start <= current.end + dt.timedelta(days=1))
            if current is not None and follows:
                longer = None if current.end is None or end is None else max(current.end, end)
                current = Tenure(org, person, current.start, longer)
                continue
            if current is not None:
                out.append(current)
            current = Tenure(org, person, start, end)
        if current is not None:
            out.append(current)
    return out


def count_changes(found: Iterable[Tenure], start: dt.date, end: dt.date) -> tuple[int, int]:
    """(appointed, replaced) between `start` and `end`, both days included: a tenure that
    began in the period is an appointment, one that ended in it a replacement (an ended and
    re-filled post is one replacement and one appointment; a tenure begun before the period
    is not an appointment)."""
    appointed = replaced = 0
    for tenure in found:
        if tenure.start is not None and start <= tenure.start <= end:
            appointed += 1
        if tenure.end is not None and start <= tenure.end <= end:
            replaced += 1
    return appointed, replaced


async def secretary_changes(store: GraphStore, *, scope: str | None, category: str | None,
                            start: dt.date, end: dt.date) -> SecretaryChanges:
    """Secretaries appointed and replaced between two dates in the scope's party orgs."""
    if start > end:
        raise BadInput(f"the period must not end before it starts: from {start.isoformat()} "
                       f"is after to {end.isoformat()}")
    posts = await repo.secretary_posts(store, scope=scope, category=category,
                                       to=end.isoformat())
    appointed, replaced = count_changes(tenures(posts), start, end)
    return SecretaryChanges(scope, category, start, end, appointed, replaced)


async def party_org_kinds(store: GraphStore, *, scope: str | None) -> list[KindCount]:
    """Every kind of party organization with its count in the scope (zeros included)."""
    counts = {k.kind: k.count for k in await repo.party_org_kinds(store, scope=scope)}
    return [KindCount(kind.value, counts.get(kind.value, 0)) for kind in PartyOrgKind]
