"""The Query root: lookups by code, lists, audits."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from graph.domain import Label
from resolvers import audits as audit_resolvers
from resolvers import nodes as r
from resolvers.context import Context
from schema.audits import AuditGroup, AuditResult
from schema.enums import AuditMetric, GroupLevel, OrgKind, PartyOrgKind, RegionLevel
from schema.types import (
    AFTER,
    FIRST,
    Building,
    Compound,
    Connection,
    Grid,
    Organization,
    PartyOrg,
    Person,
    Region,
    connection,
)

GInfo = Info[Context, None]
CODE = "Code to look up (编码); unknown codes give null."
SCOPE = "Place code to stay inside (街道/社区/网格 …); default everything."

Code = Annotated[str, strawberry.argument(description=CODE)]
Scope = Annotated[str | None, strawberry.argument(description=SCOPE)]
First = Annotated[int | None, strawberry.argument(description=FIRST)]
After = Annotated[str | None, strawberry.argument(description=AFTER)]


@strawberry.type(description="Read access to the organizational-coverage graph.")
class Query:
    @strawberry.field(description="A region (区县/街道/社区) by code.")
    async def region(self, info: GInfo, code: Code, scope: Scope = None) -> Region | None:
        s = await r.effective_scope(info.context, scope)
        rec = await r.lookup(info.context, label=Label.REGION, code=code, scope=s)
        return Region.from_record(rec, s) if rec else None

    @strawberry.field(description="A grid (网格) by code.")
    async def grid(self, info: GInfo, code: Code, scope: Scope = None) -> Grid | None:
        s = await r.effective_scope(info.context, scope)
        rec = await r.lookup(info.context, label=Label.GRID, code=code, scope=s)
        return Grid.from_record(rec, s) if rec else None

    @strawberry.field(description="A compound (小区) by code.")
    async def compound(self, info: GInfo, code: Code, scope: Scope = None) -> Compound | None:
        s = await r.effective_scope(info.context, scope)
        rec = await r.lookup(info.context, label=Label.COMPOUND, code=code, scope=s)
        return Compound.from_record(rec, s) if rec else None

    @strawberry.field(description="A building (楼栋) by code.")
    async def building(self, info: GInfo, code: Code, scope: Scope = None) -> Building | None:
        s = await r.effective_scope(info.context, scope)
        rec = await r.lookup(info.context, label=Label.BUILDING, code=code, scope=s)
        return Building.from_record(rec, s) if rec else None

    @strawberry.field(description="A party organization (党组织) by code.")
    async def party_org(self, info: GInfo, code: Code, scope: Scope = None) -> PartyOrg | None:
        s = await r.effective_scope(info.context, scope)
        rec = await r.lookup(info.context, label=Label.PARTY_ORG, code=code, scope=s)
        return PartyOrg.from_record(rec, s) if rec else None

    @strawberry.field(description="An organization (单位) by code.")
    async def organization(self, info: GInfo, code: Code,
                           scope: Scope = None) -> Organization | None:
        s = await r.effective_scope(info.context, scope)
        rec = await r.lookup(info.context, label=Label.ORGANIZATION, code=code, scope=s)
        return Organization.from_record(rec, s) if rec else None

    @strawberry.field(description="A person (人员) by code.")
    async def person(self, info: GInfo, code: Code, scope: Scope = None) -> Person | None:
        s = await r.effective_scope(info.context, scope)
        rec = await r.lookup(info.context, label=Label.PERSON, code=code, scope=s)
        return Person.from_record(rec, s) if rec else None

    @strawberry.field(description="Regions in code order, optionally of one level.")
    async def regions(self, info: GInfo, level: RegionLevel | None = None, scope: Scope = None,
                      first: First = None, after: After = None) -> Connection[Region]:
        s = await r.effective_scope(info.context, scope)
        page = await r.list_page(info.context, label=Label.REGION, list_id="regions",
                                 kind=level.value if level else None, scope=s, first=first,
                                 after=after)
        return connection(page, "regions", lambda x: Region.from_record(x, s),
                          started_after=after is not None)

    @strawberry.field(description="Grids in code order.")
    async def grids(self, info: GInfo, scope: Scope = None, first: First = None,
                    after: After = None) -> Connection[Grid]:
        s = await r.effective_scope(info.context, scope)
        page = await r.list_page(info.context, label=Label.GRID, list_id="grids", kind=None,
                                 scope=s, first=first, after=after)
        return connection(page, "grids", lambda x: Grid.from_record(x, s),
                          started_after=after is not None)

    @strawberry.field(description="Compounds in code order.")
    async def compounds(self, info: GInfo, scope: Scope = None, first: First = None,
                        after: After = None) -> Connection[Compound]:
        s = await r.effective_scope(info.context, scope)
        page = await r.list_page(info.context, label=Label.COMPOUND, list_id="compounds",
                                 kind=None, scope=s, first=first, after=after)
        return connection(page, "compounds", lambda x: Compound.from_record(x, s),
                          started_after=after is not None)

    @strawberry.field(description="Party organizations in code order, optionally of one kind.")
    async def party_orgs(self, info: GInfo, kind: PartyOrgKind | None = None,
                         scope: Scope = None, first: First = None,
                         after: After = None) -> Connection[PartyOrg]:
        s = await r.effective_scope(info.context, scope)
        page = await r.list_page(info.context, label=Label.PARTY_ORG, list_id="party_orgs",
                                 kind=kind.value if kind else None, scope=s, first=first,
                                 after=after)
        return connection(page, "party_orgs", lambda x: PartyOrg.from_record(x, s),
                          started_after=after is not None)

    @strawberry.field(description="Organizations in code order, optionally of one kind.")
    async def organizations(self, info: GInfo, kind: OrgKind | None = None,
                            scope: Scope = None, first: First = None,
                            after: After = None) -> Connection[Organization]:
        s = await r.effective_scope(info.context, scope)
        page = await r.list_page(info.context, label=Label.ORGANIZATION,
                                 list_id="organizations", kind=kind.value if kind else None,
                                 scope=s, first=first, after=after)
        return connection(page, "organizations", lambda x: Organization.from_record(x, s),
                          started_after=after is not None)

    @strawberry.field(description="A coverage audit (覆盖率审计) for a scope, grouped by a "
                                  "level below it, with paginated gaps.")
    async def audit(
        self, info: GInfo, metric: AuditMetric, scope: Scope = None,
        group_by: Annotated[GroupLevel | None, strawberry.argument(
            description="Level to group by; must lie below the scope.")] = None,
    ) -> AuditResult:
        audit = audit_resolvers.audit_definition(metric.value)
        s = await r.effective_scope(info.context, scope)
        s = await audit_resolvers.check_scope_and_group(
            info.context.store, scope=s, group_by=group_by.value if group_by else None)
        result = await audit_resolvers.summary(info.context.store, audit=audit, scope=s,
                                               group_by=group_by.value if group_by else None)
        return AuditResult(
            metric=audit.id, title=audit.zh, scope=s, eligible=result.eligible,
            covered=result.covered, rate=result.rate,
            groups=[AuditGroup(code=g.code, name=g.name, eligible=g.eligible,
                               covered=g.covered, rate=g.rate) for g in result.groups],
            audit=audit, gap_total=result.gap_count)
