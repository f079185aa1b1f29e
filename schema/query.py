"""The Query root: lookups by code, lists, audits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, TypeVar

import strawberry
from strawberry.types import Info

from graph.domain import Label
from graph.records import NodeRecord
from graph.repo.audits import place_by_code
from resolvers import audits as audit_resolvers
from resolvers import journal, periods
from resolvers import linkage as link
from resolvers import nodes as r
from resolvers.access import Right
from resolvers.context import Context
from schema.audits import (
    AuditGroup,
    AuditHeadline,
    AuditResult,
    DataStatusInfo,
    status_of,
)
from schema.enums import (
    GroupLevel,
    Metric,
    OrgKind,
    PartyOrgCategory,
    PartyOrgKind,
    RegionLevel,
    RelType,
    Scope,
    SearchType,
)
from schema.exports import ExportQuery
from schema.history_fields import HistoryQuery
from schema.journal import Load, LoadConnection
from schema.linkage import (
    ChainLink,
    ConnectionPaths,
    CrossAppointmentConnection,
    CrossAppointmentCount,
    CrossAppointmentEdge,
    Neighbourhood,
    Pairing,
    PairingLink,
)
from schema.paging import AFTER, FIRST, Connection, connection, page_info
from schema.periods import PartyOrgKindCount, SecretaryChanges
from schema.permissions import guarded
from schema.posts import CrossAppointment
from schema.types import (
    Building,
    Compound,
    Grid,
    Node,
    Organization,
    PartyOrg,
    Person,
    Region,
    node_from_record,
    node_type,
    parse_global_id,
)

GInfo = Info[Context, None]
T = TypeVar("T")
CODE = "Code to look up (编码); unknown codes give null."

Code = Annotated[str, strawberry.argument(description=CODE)]
NodeCode = Annotated[str, strawberry.argument(
    description="Code of a node (编码); NOT_FOUND when no node has it inside the scope.")]
First = Annotated[int | None, strawberry.argument(description=FIRST)]
After = Annotated[str | None, strawberry.argument(description=AFTER)]


async def _lookup(info: GInfo, label: Label, code: str, scope: str | None,
                  convert: Callable[[NodeRecord, str | None], T]) -> T | None:
    s = await r.effective_scope(info.context, scope)
    rec = await r.lookup(info.context, label=label, code=code, scope=s)
    return convert(rec, s) if rec else None


async def _list(info: GInfo, label: Label, list_id: str, kind: str | None, scope: str | None,
                first: int | None, after: str | None,
                convert: Callable[[NodeRecord, str | None], T]) -> Connection[T]:
    s = await r.effective_scope(info.context, scope)
    page = await r.list_page(info.context, label=label, list_id=list_id, kind=kind, scope=s,
                             first=first, after=after)
    return connection(page, list_id, lambda rec: convert(rec, s),
                      started_after=after is not None)


@strawberry.type(description="Who is asking (the verified caller of this request): what a "
                 "frontend shows in its header, and which roles it offers pages for.")
class Me:
    sub: str = strawberry.field(description="Subject: the caller's id at the token's issuer.")
    name: str = strawberry.field(description="Display name (姓名).")
    roles: list[str] = strawberry.field(
        description="orgcover roles: viewer, auditor, officer, loader, admin.")
    jurisdiction_code: str | None = strawberry.field(
        description="Code of the place bounding every answer (管辖范围); null only for "
                    "the operator.")
    jurisdiction_name: str | None = strawberry.field(
        description="Name of that place, e.g. 某某区 or 某某街道.")


@strawberry.type(description="Read access to the organizational-coverage graph.")
class Query(HistoryQuery, ExportQuery):
    @guarded(Right.SELF, "The caller of this request: name, roles and jurisdiction (当前用户).")
    async def me(self, info: GInfo) -> Me:
        caller = info.context.caller
        place = (await place_by_code(info.context.store, code=caller.jurisdiction)
                 if caller.jurisdiction else None)
        return Me(sub=caller.sub, name=caller.name, roles=list(caller.roles),
                  jurisdiction_code=caller.jurisdiction,
                  jurisdiction_name=place.name if place else None)

    @guarded(Right.READ, "A region (区县/街道/社区) by code.")
    async def region(self, info: GInfo, code: Code, scope: Scope = None) -> Region | None:
        return await _lookup(info, Label.REGION, code, scope, Region.from_record)

    @guarded(Right.READ, "A grid (网格) by code.")
    async def grid(self, info: GInfo, code: Code, scope: Scope = None) -> Grid | None:
        return await _lookup(info, Label.GRID, code, scope, Grid.from_record)

    @guarded(Right.READ, "A compound (小区) by code.")
    async def compound(self, info: GInfo, code: Code, scope: Scope = None) -> Compound | None:
        return await _lookup(info, Label.COMPOUND, code, scope, Compound.from_record)

    @guarded(Right.READ, "A building (楼栋) by code.")
    async def building(self, info: GInfo, code: Code, scope: Scope = None) -> Building | None:
        return await _lookup(info, Label.BUILDING, code, scope, Building.from_record)

    @guarded(Right.READ, "A party organization (党组织) by code.")
    async def party_org(self, info: GInfo, code: Code, scope: Scope = None) -> PartyOrg | None:
        return await _lookup(info, Label.PARTY_ORG, code, scope, PartyOrg.from_record)

    @guarded(Right.READ, "An organization (单位) by code.")
    async def organization(self, info: GInfo, code: Code,
                           scope: Scope = None) -> Organization | None:
        return await _lookup(info, Label.ORGANIZATION, code, scope, Organization.from_record)

    @guarded(Right.READ, "A person (人员) by code.")
    async def person(self, info: GInfo, code: Code, scope: Scope = None) -> Person | None:
        return await _lookup(info, Label.PERSON, code, scope, Person.from_record)

    @guarded(Right.READ, "Any node by its global id (Relay `node`): null when no node has "
                         "it or it lies outside the caller's jurisdiction, like the lookups "
                         "by code.")
    async def node(self, info: GInfo, id: Annotated[strawberry.ID, strawberry.argument(
            description="A node's `id` as the API gave it.")]) -> Node | None:
        label, code = parse_global_id(id)
        return await _lookup(info, label, code, None, node_type(label).from_record)

    @guarded(Right.READ, "Regions in code order, optionally of one level.")
    async def regions(self, info: GInfo, level: Annotated[RegionLevel | None, strawberry.argument(
                          description="Only regions of this level; default every level.")] = None,
                      scope: Scope = None,
                      first: First = None, after: After = None) -> Connection[Region]:
        return await _list(info, Label.REGION, "regions", level.value if level else None,
                           scope, first, after, Region.from_record)

    @guarded(Right.READ, "Grids in code order.")
    async def grids(self, info: GInfo, scope: Scope = None, first: First = None,
                    after: After = None) -> Connection[Grid]:
        return await _list(info, Label.GRID, "grids", None, scope, first, after,
                           Grid.from_record)

    @guarded(Right.READ, "Compounds in code order.")
    async def compounds(self, info: GInfo, scope: Scope = None, first: First = None,
                        after: After = None) -> Connection[Compound]:
        return await _list(info, Label.COMPOUND, "compounds", None, scope, first,
                           after, Compound.from_record)

    @guarded(Right.READ, "Party organizations in code order, optionally of one kind.")
    async def party_orgs(self, info: GInfo, kind: Annotated[
                             PartyOrgKind | None, strawberry.argument(
                                 description="Only party organizations of this kind.")] = None,
                         scope: Scope = None, first: First = None,
                         after: After = None) -> Connection[PartyOrg]:
        return await _list(info, Label.PARTY_ORG, "party_orgs", kind.value if kind else None,
                           scope, first, after, PartyOrg.from_record)

    @guarded(Right.READ, "Organizations in code order, optionally of one kind.")
    async def organizations(self, info: GInfo, kind: Annotated[
                                OrgKind | None, strawberry.argument(
                                    description="Only organizations of this kind.")] = None,
                            scope: Scope = None, first: First = None,
                            after: After = None) -> Connection[Organization]:
        return await _list(info, Label.ORGANIZATION, "organizations",
                           kind.value if kind else None, scope, first, after,
                           Organization.from_record)

    @guarded(Right.READ, "Nodes whose name or code contains the text (搜索); Chinese "
             "substrings work (阳光 finds 阳光花园小区).")
    async def search(
        self, info: GInfo,
        text: Annotated[str, strawberry.argument(description="Text to look for.")],
        type: Annotated[SearchType | None, strawberry.argument(
            description="Only this kind of node; default every kind.")] = None,
        scope: Scope = None, first: First = None, after: After = None,
    ) -> Connection[Node]:
        s = await r.effective_scope(info.context, scope)
        label = Label(type.value) if type else None
        page = await r.search(info.context, text=text, label=label, scope=s, first=first,
                              after=after)
        return connection(page, r.search_list_id(text, label),
                          lambda rec: node_from_record(rec, s), started_after=after is not None)

    @guarded(Right.READ, "How current the data is: the last committed load, an unfinished "
             "load, the latest coverage snapshot (数据截至).")
    async def data_status(self, info: GInfo) -> DataStatusInfo:
        return DataStatusInfo.from_record(await status_of(info))

    @guarded(Right.READ, "Headline figures of every audit for a scope (总览).")
    async def overview(self, info: GInfo, scope: Scope = None) -> list[AuditHeadline]:
        s = await r.effective_scope(info.context, scope)
        s = await audit_resolvers.check_scope_and_group(info.context.store, scope=s,
                                                        group_by=None)
        return [AuditHeadline(metric=a.id, title=a.zh, title_en=a.en, eligible=x.eligible,
                              covered=x.covered, gaps=x.gap_count, rate=x.rate)
                for a, x in await audit_resolvers.overview(info.context.store, scope=s)]

    @guarded(Right.READ, "A coverage audit (覆盖率审计) for a scope, grouped by a "
             "level below it, with paginated gaps.")
    async def audit(
        self, info: GInfo, metric: Metric, scope: Scope = None,
        group_by: Annotated[GroupLevel | None, strawberry.argument(
            description="Level to group by: the scope's own level (one group) or below.")]
        = None,
    ) -> AuditResult:
        audit = audit_resolvers.audit_definition(metric.value)
        s = await r.effective_scope(info.context, scope)
        s, level = await audit_resolvers.scope_and_level(
            info.context.store, scope=s, group_by=group_by.value if group_by else None)
        result = await audit_resolvers.summary(info.context.store, audit=audit, scope=s,
                                               group_by=group_by.value if group_by else None)
        return AuditResult(
            metric=audit.id, title=audit.zh, scope=s, eligible=result.eligible,
            covered=result.covered, rate=result.rate,
            groups=[AuditGroup(code=g.code, name=g.name, eligible=g.eligible,
                               covered=g.covered, rate=g.rate) for g in result.groups],
            audit=audit, gap_total=result.gap_count, scope_level=level,
            snapshot=result.snapshot)

    @guarded(Right.READ, "Party organizations in the scope by kind (党组织数量, e.g. "
             "\"219 temporary branches\"): every kind, zeros included.")
    async def party_org_counts(self, info: GInfo, scope: Scope = None
                               ) -> list[PartyOrgKindCount]:
        s = await r.effective_scope(info.context, scope)
        s = await audit_resolvers.check_scope_and_group(info.context.store, scope=s,
                                                        group_by=None)
        return [PartyOrgKindCount.from_record(k)
                for k in await periods.party_org_kinds(info.context.store, scope=s)]

    @guarded(Right.READ, "Secretaries appointed and replaced between two dates (书记选配 / "
             "调整撤换), in the scope's party organizations of one category or all.")
    async def secretary_changes(
        self, info: GInfo,
        start: Annotated[dt.date, strawberry.argument(
            name="from", description="First day of the period (YYYY-MM-DD).")],
        end: Annotated[dt.date, strawberry.argument(
            name="to", description="Last day of the period (YYYY-MM-DD).")],
        scope: Scope = None,
        category: Annotated[PartyOrgCategory | None, strawberry.argument(
            description="Only party organizations of this category (小区, 网格 …); "
                        "default every category.")] = None,
    ) -> SecretaryChanges:
        s = await r.effective_scope(info.context, scope)
        s = await audit_resolvers.check_scope_and_group(info.context.store, scope=s,
                                                        group_by=None)
        changes = await periods.secretary_changes(
            info.context.store, scope=s, category=category.value if category else None,
            start=start, end=end)
        return SecretaryChanges.from_record(changes)

    @guarded(Right.READ, "Chain of command (指挥链): from the nearest party org "
             "covering (or owning) the node up UNDER to the top, each "
             "with its secretaries. Takes a party org, place or "
             "organization code; with a scope the chain ends at its edge.")
    async def chain_of_command(self, info: GInfo, code: NodeCode,
                               scope: Scope = None) -> list[ChainLink]:
        s = await r.effective_scope(info.context, scope)
        chain = await link.chain_of_command(info.context, code=code, scope=s)
        return [ChainLink.from_record(c, s) for c in chain]

    @guarded(Right.READ, "How two nodes are linked (关联路径): every shortest path "
             "between them, ignoring direction, up to maxHops. With a "
             "scope, paths leaving it are left out.")
    async def connection_paths(
        self, info: GInfo,
        from_code: Annotated[str, strawberry.argument(
            name="from", description="Code of the first node.")],
        to_code: Annotated[str, strawberry.argument(
            name="to", description="Code of the second node.")],
        max_hops: Annotated[int, strawberry.argument(
            description=f"Longest path looked for, 1–{link.MAX_HOPS}.")] = link.MAX_HOPS,
        types: Annotated[list[RelType] | None, strawberry.argument(
            description="Only these relationship types; default every type.")] = None,
        limit: Annotated[int, strawberry.argument(
            description=f"Most paths returned, 1–{link.MAX_PATHS}.")] = 10,
        scope: Scope = None,
    ) -> ConnectionPaths:
        s = await r.effective_scope(info.context, scope)
        a, b, paths = await link.connection_paths(
            info.context, source=from_code, target=to_code, max_hops=max_hops,
            types=list(types) if types is not None else None, scope=s, limit=limit)
        return ConnectionPaths.build(a, b, paths, s)

    @guarded(Right.READ, "Nodes and relationships around a node (周边关系), breadth "
             "first, for graph views.")
    async def neighbourhood(
        self, info: GInfo, code: NodeCode,
        hops: Annotated[int, strawberry.argument(
            description=f"Hops from the node, 1–{link.MAX_NEIGHBOURHOOD_HOPS}.")] = 1,
        limit: Annotated[int | None, strawberry.argument(
            description=f"Most nodes returned (default {link.DEFAULT_NEIGHBOURHOOD_NODES}, at "
                        f"most {link.MAX_NEIGHBOURHOOD_NODES}).")] = None,
        scope: Scope = None,
    ) -> Neighbourhood:
        s = await r.effective_scope(info.context, scope)
        found = await link.neighbourhood(info.context, code=code, hops=hops, limit=limit,
                                         scope=s)
        return Neighbourhood.from_record(found, s)

    @guarded(Right.READ, "Pairing (结对共建): the institutions paired with or "
             "responsible for a place, or the places an institution is "
             "paired with or responsible for, with its in-service members "
             "registered there.")
    async def pairing(self, info: GInfo, code: NodeCode, scope: Scope = None) -> Pairing:
        s = await r.effective_scope(info.context, scope)
        subject, links = await link.pairing(info.context, code=code, scope=s)
        return Pairing(subject=node_from_record(subject, s),
                       links=[PairingLink.from_record(x, s) for x in links])

    @guarded(Right.RECORDS, "The load journal (导入记录), newest first: loads made under "
             "the caller's jurisdiction or one inside it; the operator's CLI loads only "
             "for a jurisdiction at the top.")
    async def loads(self, info: GInfo, first: First = None,
                    after: After = None) -> LoadConnection:
        found, more = await journal.loads(info.context, first=first, after=after)
        cursors = [journal.cursor(e) for e in found]
        return LoadConnection(nodes=[Load.from_entry(e) for e in found],
                              page_info=page_info(cursors, has_next=more,
                                                  started_after=after is not None))

    @guarded(Right.READ, "Every cross-appointed person (双向进入、交叉任职) in the "
             "scope with the compound and the posts that make them so, "
             "and counts by community.")
    async def cross_appointments(self, info: GInfo, scope: Scope = None, first: First = None,
                                 after: After = None) -> CrossAppointmentConnection:
        s = await r.effective_scope(info.context, scope)
        found, more = await link.cross_appointment_page(info.context, scope=s, first=first,
                                                        after=after)
        counts = await link.cross_appointment_counts(info.context, scope=s)
        today = info.context.today
        edges = [CrossAppointmentEdge(cursor=link.cross_cursor(x),
                                      node=CrossAppointment.from_record(x, today, s))
                 for x in found]
        return CrossAppointmentConnection(
            edges=edges, total_count=sum(c.pairs for c in counts),
            by_community=[CrossAppointmentCount.from_record(c) for c in counts],
            page_info=page_info([e.cursor for e in edges], has_next=more,
                                started_after=after is not None))
