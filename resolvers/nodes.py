"""What to ask for lookups and navigation: effective scope, paging, which loader."""

from __future__ import annotations

import unicodedata

from graph.domain import Label
from graph.errors import BadInput, NotFound
from graph.queries.navigation import EDGES
from graph.records import CrossAppointmentRecord, NodeRecord, Page, PlaceGaps, PostRecord
from graph.repo import nodes as repo
from graph.repo import search as search_repo
from loaders.cells import CONTROL_CHARS
from resolvers.access import Right
from resolvers.context import Context
from resolvers.pagination import MAX_PAGE, decode_cursor, page_size


def normalize(code: str) -> str:
    """Codes are stored NFKC-normalized and trimmed; so are the codes clients send."""
    if CONTROL_CHARS.search(code):
        raise BadInput("codes and search text cannot contain control characters")
    try:
        code.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput("codes and search text must be text (a lone UTF-16 surrogate is "
                       "not)") from None
    return unicodedata.normalize("NFKC", code).strip()


async def effective_scope(ctx: Context, requested: str | None) -> str | None:
    """The scope a query runs in: the argument, narrowed to the caller's jurisdiction.

    A requested scope must be a place code (NOT_FOUND otherwise). With a jurisdiction set,
    a scope outside it finds nothing the caller may see, so it is reported as not found.
    A building is no scope for callers who may not see residences below compound level:
    the people inside a building are the people living in it (a yes/no test of anyone's
    home, found in review).
    """
    if requested is None:
        return ctx.jurisdiction
    code = normalize(requested)
    place = await ctx.loaders.node(Label.PLACE, ctx.jurisdiction).load(code)
    if place is None or (place.label is Label.BUILDING
                         and not ctx.caller.can(Right.PII_RESIDENCE)):
        raise NotFound(f"scope {requested[:64]!r} is not a known place code")
    return code


async def lookup(ctx: Context, *, label: Label, code: str, scope: str | None) -> NodeRecord | None:
    return await ctx.loaders.node(label, scope).load(normalize(code))


async def neighbour_page(
    ctx: Context, *, edge: str, code: str, scope: str | None, first: int | None,
    after: str | None,
) -> Page:
    size = page_size(first)
    start = decode_cursor(edge, after)
    return await ctx.loaders.page(EDGES[edge], scope, start, size).load(code)


async def neighbour_one(ctx: Context, *, edge: str, code: str, scope: str | None
                        ) -> NodeRecord | None:
    hop = EDGES[edge]
    page = await ctx.loaders.hops(hop.src, scope, MAX_PAGE).load((edge, code))
    return page.items[0] if page.items else None


async def residence(ctx: Context, *, code: str, scope: str | None) -> NodeRecord | None:
    """Where a person lives. Below compound level (the building) only for callers with
    `pii:residence`; everyone else sees the compound (or grid) the building lies in."""
    home = await neighbour_one(ctx, edge="person_residence", code=code, scope=scope)
    if home is None or home.label is not Label.BUILDING or ctx.caller.can(Right.PII_RESIDENCE):
        return home
    return await neighbour_one(ctx, edge="building_parent", code=home.code, scope=scope)


async def phone(ctx: Context, *, code: str) -> str | None:
    """A person's stored phone number (the permission layer masks or hides it)."""
    return await ctx.loaders.phones().load(code)


async def neighbour_all(ctx: Context, *, edge: str, code: str, scope: str | None
                        ) -> list[NodeRecord]:
    """Short lists (covering orgs, managers): up to the page cap, no cursor."""
    hop = EDGES[edge]
    page = await ctx.loaders.hops(hop.src, scope, MAX_PAGE).load((edge, code))
    return page.items


async def posts_of(ctx: Context, *, code: str, scope: str | None) -> list[PostRecord]:
    return await ctx.loaders.posts_of(scope).load(code)


async def posts_on(ctx: Context, *, label: Label, code: str, scope: str | None
                   ) -> list[PostRecord]:
    return await ctx.loaders.posts_on(label, scope).load(code)


async def search(
    ctx: Context, *, text: str, label: Label | None, scope: str | None, first: int | None,
    after: str | None,
) -> Page:
    query = normalize(text)
    if not query:
        raise BadInput("search text is empty")
    return await search_repo.search(ctx.store, text=query, label=label, scope=scope,
                             after=decode_cursor(search_list_id(text, label), after),
                             first=page_size(first))


def search_list_id(text: str, label: Label | None) -> str:
    query = normalize(text)
    return f"search:{label.value if label else 'all'}:{query}"


async def list_page(
    ctx: Context, *, label: Label, list_id: str, kind: str | None, scope: str | None,
    first: int | None, after: str | None,
) -> Page:
    return await repo.list_nodes(ctx.store, label=label, kind=kind, scope=scope,
                                 after=decode_cursor(list_id, after), first=page_size(first))


async def enclosing(ctx: Context, *, code: str, scope: str | None) -> list[NodeRecord]:
    """Regions a place lies in, nearest first (those inside the scope)."""
    return await ctx.loaders.enclosing(scope).load(code)


async def enclosing_at(ctx: Context, *, code: str, level: str, scope: str | None
                       ) -> NodeRecord | None:
    regions = await enclosing(ctx, code=code, scope=scope)
    return next((r for r in regions if r.get("level") == level), None)


async def cross_appointments_of(ctx: Context, *, by: str, code: str, scope: str | None
                                ) -> list[CrossAppointmentRecord]:
    return await ctx.loaders.cross_appointments(by, scope, ctx.today).load(code)


#: Gaps listed per audit on a place page unless the client asks for more (at most MAX_PAGE).
DEFAULT_PLACE_GAPS = 20


async def place_gaps(ctx: Context, *, label: Label, code: str,
                     first: int | None) -> list[PlaceGaps]:
    limit = DEFAULT_PLACE_GAPS if first is None else page_size(first)
    return await ctx.loaders.place_gaps(label, limit, ctx.today).load(code)
