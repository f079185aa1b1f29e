"""What to ask for the load journal: the caller's jurisdiction decides which loads show."""

from __future__ import annotations

from graph.repo import load as repo
from graph.repo.jurisdiction import place_parent
from graph.repo.load import JournalEntry
from resolvers.context import Context
from resolvers.pagination import decode_pair, encode_pair, page_size

LIST_ID = "loads"


def cursor(entry: JournalEntry) -> str:
    return encode_pair(LIST_ID, entry.started_at, entry.load_id)


async def loads(ctx: Context, *, first: int | None, after: str | None
                ) -> tuple[list[JournalEntry], bool]:
    """A page of the journal, newest first: loads made under a jurisdiction at or below
    the caller's; the operator's loads (CLI, no jurisdiction) only for callers whose
    jurisdiction is a top place, since such a load may have touched anything."""
    size = page_size(first)
    key = decode_pair(LIST_ID, after)
    scope = ctx.jurisdiction
    top = False
    if scope is not None:
        place = await place_parent(ctx.store, code=scope)
        top = place is not None and place.parent is None  # no place above it at all
    found = await repo.load_journal(ctx.store, scope=scope, top=top, after=key,
                                    limit=size + 1)
    return found[:size], len(found) > size
