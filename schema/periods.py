"""GraphQL types of the period figures beside the audits (design/audits.md)."""

from __future__ import annotations

import datetime as dt

import strawberry

from graph.domain import PartyOrgCategory, PartyOrgKind
from graph.records import KindCount
from resolvers.periods import SecretaryChanges as ChangesRecord


@strawberry.type(description="How many party organizations of one kind lie in the scope "
                             "(党组织数量, e.g. 临时党支部).")
class PartyOrgKindCount:
    kind: PartyOrgKind = strawberry.field(description="Kind of party organization.")
    label: str = strawberry.field(description="The kind in Chinese (党委, 临时党支部 …).")
    count: int = strawberry.field(description="Party organizations of this kind in the scope.")

    @classmethod
    def from_record(cls, rec: KindCount) -> PartyOrgKindCount:
        kind = PartyOrgKind(rec.kind)
        return cls(kind=kind, label=kind.zh, count=rec.count)


@strawberry.type(description="Secretaries appointed and replaced in a period (书记选配 / "
                             "调整撤换), from the start and end dates of secretary posts.")
class SecretaryChanges:
    scope: str | None = strawberry.field(description="Scope place code; null for everything.")
    category: PartyOrgCategory | None = strawberry.field(
        description="Only party organizations of this category; null for every category.")
    start: dt.date = strawberry.field(name="from", description="First day of the period.")
    end: dt.date = strawberry.field(name="to", description="Last day of the period.")
    appointed: int = strawberry.field(
        description="Tenures begun in the period (选配): a post begun before it does not "
                    "count, and a re-election that follows on is not a new tenure.")
    replaced: int = strawberry.field(
        description="Tenures ended in the period (调整撤换): an ended and re-filled post "
                    "counts once.")

    @classmethod
    def from_record(cls, rec: ChangesRecord) -> SecretaryChanges:
        return cls(scope=rec.scope,
                   category=PartyOrgCategory(rec.category) if rec.category else None,
                   start=rec.start, end=rec.end, appointed=rec.appointed,
                   replaced=rec.replaced)
