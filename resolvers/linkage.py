"""What to ask for linkage queries (design/linkage.md): check the arguments, resolve the
codes they name inside the effective scope, then ask the repository once."""

from __future__ import annotations

from graph.domain import Label, OrgKind, Rel
from graph.errors import BadInput, NotFound
from graph.queries import linkage as queries
from graph.records import (
    ChainLink,
    CommunityCount,
    CrossAppointmentRecord,
    LinkRecord,
    NeighbourhoodRecord,
    NodeRecord,
    PairingRecord,
    PathRecord,
)
from graph.repo import linkage as repo
from resolvers.access import Right
from resolvers.context import Context
from resolvers.nodes import normalize
from resolvers.pagination import MAX_PAGE, decode_pair, encode_pair, page_size

#: Longest connection path looked for.
MAX_HOPS = queries.MAX_HOPS
#: Neighbourhood limits (README documents them).
MAX_NEIGHBOURHOOD_HOPS = 3
DEFAULT_NEIGHBOURHOOD_NODES = 100
MAX_NEIGHBOURHOOD_NODES = MAX_PAGE
#: Most shortest paths returned between two nodes.
MAX_PATHS = 50
CROSS_LIST = "cross_appointments"


async def resolve_node(ctx: Context, *, code: str, scope: str | None,
                       argument: str = "code") -> NodeRecord:
    """The node a code names inside the scope; NOT_FOUND otherwise. A code used by nodes
    of several labels names the place, else the party org, organization, person."""
    key = normalize(code)
    found = await repo.resolve_codes(ctx.store, codes=[key], scope=scope)
    if key not in found:
        where = f" inside {scope}" if scope else ""
        raise NotFound(f"{argument} {code!r} names no node{where}")
    return found[key][0]


async def chain_of_command(ctx: Context, *, code: str, scope: str | None) -> list[ChainLink]:
    start = await resolve_node(ctx, code=code, scope=scope)
    if start.label is Label.PERSON:
        raise BadInput("chain of command starts at a party org, place or organization; "
                       f"{code!r} is a person")
    return await repo.chain_of_command(ctx.store, start=start, scope=scope, today=ctx.today)


async def connection_paths(
    ctx: Context, *, source: str, target: str, max_hops: int, types: list[Rel] | None,
    scope: str | None, limit: int,
) -> tuple[NodeRecord, NodeRecord, list[PathRecord]]:
    if not 1 <= max_hops <= MAX_HOPS:
        raise BadInput(f"maxHops must be between 1 and {MAX_HOPS}, got {max_hops}")
    if not 1 <= limit <= MAX_PATHS:
        raise BadInput(f"limit must be between 1 and {MAX_PATHS}, got {limit}")
    if types is not None and not types:
        raise BadInput("types must name at least one relationship type (or be omitted)")
    a = await resolve_node(ctx, code=source, scope=scope, argument="from")
    b = await resolve_node(ctx, code=target, scope=scope, argument="to")
    if a.key == b.key:
        raise BadInput("from and to name the same node")
    allowed = tuple(sorted(set(types))) if types else None
    if not ctx.caller.can(Right.PII_RESIDENCE):
        # residence is not searched at all for them: dropping the paths found through a
        # building afterwards told which building was the shortest link (attack run)
        allowed = tuple(t for t in (allowed or queries.NOT_RESIDENCE) if t is not Rel.LIVES_IN)
        if not allowed:
            return a, b, []
    paths = await repo.connection_paths(ctx.store, source=a, target=b, max_hops=max_hops,
                                        types=allowed, scope=scope, limit=limit)
    return a, b, paths


def _home(link: LinkRecord, nodes: dict[tuple[str, str], NodeRecord]) -> bool:
    """A LIVES_IN link to a building: residence below compound level (`pii:residence`)."""
    end = nodes.get(link.end)
    return link.type == Rel.LIVES_IN.value and end is not None and end.label is Label.BUILDING


def _without_homes(found: NeighbourhoodRecord, hops: int) -> NeighbourhoodRecord:
    """The neighbourhood without the links that say which building a person lives in, and
    without the nodes only those links reached (distances counted again without them)."""
    nodes = {n.key: n for n, _ in found.nodes}
    links = [link for link in found.links if not _home(link, nodes)]
    if len(links) == len(found.links):
        return found
    adjacent: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for link in links:
        adjacent.setdefault(link.start, []).append(link.end)
        adjacent.setdefault(link.end, []).append(link.start)
    distance = {found.center.key: 0}
    frontier = [found.center.key]
    for depth in range(1, hops + 1):
        frontier = [m for k in frontier for m in adjacent.get(k, ()) if m not in distance]
        for key in frontier:
            distance.setdefault(key, depth)
    kept = [(n, distance[n.key]) for n, _ in found.nodes if n.key in distance]
    return NeighbourhoodRecord(
        center=found.center, nodes=kept, truncated=found.truncated,
        links=[link for link in links if link.start in distance and link.end in distance])


async def neighbourhood(ctx: Context, *, code: str, hops: int, limit: int | None,
                        scope: str | None) -> NeighbourhoodRecord:
    if not 1 <= hops <= MAX_NEIGHBOURHOOD_HOPS:
        raise BadInput(f"hops must be between 1 and {MAX_NEIGHBOURHOOD_HOPS}, got {hops}")
    size = DEFAULT_NEIGHBOURHOOD_NODES if limit is None else limit
    if not 1 <= size <= MAX_NEIGHBOURHOOD_NODES:
        raise BadInput(f"limit must be between 1 and {MAX_NEIGHBOURHOOD_NODES}, got {size}")
    center = await resolve_node(ctx, code=code, scope=scope)
    found = await repo.neighbourhood(ctx.store, center=center, hops=hops, limit=size,
                                     scope=scope)
    return found if ctx.caller.can(Right.PII_RESIDENCE) else _without_homes(found, hops)


async def pairing(ctx: Context, *, code: str, scope: str | None
                  ) -> tuple[NodeRecord, list[PairingRecord]]:
    start = await resolve_node(ctx, code=code, scope=scope)
    if start.label is Label.ORGANIZATION and start.get("kind") != OrgKind.INSTITUTION.value:
        raise BadInput(f"{code!r} is an organization but not an institution (机关企事业单位); "
                       "pairing takes an institution or a place code")
    if start.label in (Label.PARTY_ORG, Label.PERSON):
        raise BadInput(f"pairing takes an institution or a place code; {code!r} is a "
                       f"{start.label.value}")
    return start, await repo.pairing(ctx.store, start=start, scope=scope)


def cross_cursor(rec: CrossAppointmentRecord) -> str:
    return encode_pair(CROSS_LIST, rec.compound.code, rec.person.code)


async def cross_appointment_page(
    ctx: Context, *, scope: str | None, first: int | None, after: str | None,
) -> tuple[list[CrossAppointmentRecord], bool]:
    size = page_size(first)
    key = decode_pair(CROSS_LIST, after)
    found = await repo.cross_appointment_page(ctx.store, scope=scope, today=ctx.today,
                                              after=key, limit=size + 1)
    return found[:size], len(found) > size


async def cross_appointment_counts(ctx: Context, *, scope: str | None) -> list[CommunityCount]:
    return await repo.cross_appointment_counts(ctx.store, scope=scope, today=ctx.today)
