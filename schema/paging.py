"""Relay connections: the page types of every paged list (node neighbours, audit gaps,
history, the load journal). Generic over the item and free of the node types, so the
other schema modules page without importing the coverage graph's types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from graph.records import NodeRecord, Page
from resolvers.pagination import encode_cursor

T = TypeVar("T")

FIRST = "Page size (default 50, at most 500)."
AFTER = "Cursor from `pageInfo.endCursor` of the same list."


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="This page starts after a cursor.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item.")


@strawberry.type(description="An item of a connection with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque cursor of this item.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list ordered by code (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="Items of this page with cursors.")
    page_info: PageInfo = strawberry.field(description="Where this page lies in the list.")
    total_count: int = strawberry.field(description="Size of the whole list.")

    @strawberry.field(description="Items of this page without cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def page_info(cursors: list[str], *, has_next: bool, started_after: bool) -> PageInfo:
    """Where a page of items with these cursors lies in its list."""
    return PageInfo(has_next_page=has_next, has_previous_page=started_after,
                    start_cursor=cursors[0] if cursors else None,
                    end_cursor=cursors[-1] if cursors else None)


def connection(page: Page, list_id: str, convert: Callable[[NodeRecord], T],
               *, started_after: bool) -> Connection[T]:
    edges = [Edge(cursor=encode_cursor(list_id, rec.code), node=convert(rec))
             for rec in page.items]
    return Connection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], has_next=page.has_next,
                            started_after=started_after),
        total_count=page.total,
    )
