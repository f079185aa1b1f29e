"""GraphQL types of the load journal (:Load nodes, design/rosters.md)."""

from __future__ import annotations

import strawberry

from graph.repo.load import JournalEntry
from schema.mutation import TemplateCount
from schema.paging import PageInfo


@strawberry.type(description="One roster load as the journal records it (导入记录).")
class Load:
    load_id: str = strawberry.field(description="Journal id of the load.")
    status: str = strawberry.field(description="started (interrupted or running) or "
                                               "committed.")
    who: str | None = strawberry.field(description="Who loaded: the token's sub, or cli.")
    jurisdiction: str | None = strawberry.field(
        description="Place code the load was bound to; null for the operator's CLI.")
    started_at: str = strawberry.field(description="ISO 8601, UTC.")
    finished_at: str | None = strawberry.field(description="ISO 8601, UTC; null if never "
                                                           "committed.")
    files: list[str] = strawberry.field(description="File names as loaded.")
    counts: list[TemplateCount] = strawberry.field(description="Per template.")

    @classmethod
    def from_entry(cls, entry: JournalEntry) -> Load:
        return cls(
            load_id=entry.load_id, status=entry.status, who=entry.who,
            jurisdiction=entry.jurisdiction, started_at=entry.started_at,
            finished_at=entry.finished_at,
            files=[f.rsplit(":", 1)[0] for f in entry.files],
            counts=[TemplateCount(template=k, rows=c.get("rows", 0),
                                  created=c.get("created", 0), updated=c.get("updated", 0),
                                  unchanged=c.get("unchanged", 0), errors=c.get("errors", 0),
                                  removed=c.get("removed", 0))
                    for k, c in entry.counts.items()])


@strawberry.type(description="A page of the load journal, newest first.")
class LoadConnection:
    nodes: list[Load] = strawberry.field(description="Loads of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page lies.")
