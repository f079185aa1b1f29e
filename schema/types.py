"""GraphQL object types of the coverage graph (design/domain.md).

Types hold values; their list and link fields hand the question to `resolvers/`, which
batches it through DataLoaders. Every node carries the effective scope it was reached
in, so nested fields stay inside it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info

from graph import domain
from graph.domain import Label
from graph.errors import BadInput
from graph.records import NodeRecord
from resolvers import nodes as r
from resolvers.access import Right, saw_person
from resolvers.context import Context
from schema.enums import (
    BuildingKind,
    DualRegistration,
    Gender,
    GridKind,
    MemberStatus,
    OrgKind,
    PartyOrgCategory,
    PartyOrgKind,
    PoliticalStatus,
    RegionLevel,
    as_enum,
)
from schema.paging import AFTER, FIRST, Connection, connection
from schema.permissions import MaskedUnless, mask_phone, needs, requires
from schema.posts import CrossAppointment, Post

if TYPE_CHECKING:
    from schema.audits import PlaceAuditGaps

T = TypeVar("T")
GInfo = Info[Context, None]

CURRENT_ONLY = "true: only posts held today; false: past posts too."


async def _page(node: Node, info: GInfo, edge: str, first: int | None, after: str | None,
                convert: Callable[[NodeRecord, str | None], T]) -> Connection[T]:
    """One page of `node`'s neighbours along `edge`, in the node's scope."""
    page = await r.neighbour_page(info.context, edge=edge, code=node.code, scope=node.scope,
                                  first=first, after=after)
    return connection(page, edge, lambda rec: convert(rec, node.scope),
                      started_after=after is not None)


async def _one(node: Node, info: GInfo, edge: str,
               convert: Callable[[NodeRecord, str | None], T]) -> T | None:
    rec = await r.neighbour_one(info.context, edge=edge, code=node.code, scope=node.scope)
    return convert(rec, node.scope) if rec else None


async def _all(node: Node, info: GInfo, edge: str,
               convert: Callable[[NodeRecord, str | None], T]) -> list[T]:
    recs = await r.neighbour_all(info.context, edge=edge, code=node.code, scope=node.scope)
    return [convert(rec, node.scope) for rec in recs]


async def _current_holders(node: Node, info: GInfo, label: Label, *roles: domain.Role,
                           first_only: bool = False) -> list[Person]:
    """People holding a current post of one of `roles` on the node, in code order (only
    the first with `first_only`: people are built only when they are answered)."""
    posts = await r.posts_on(info.context, label=label, code=node.code, scope=node.scope)
    wanted = {role.value for role in roles}
    holders = {p.node.code: p.node for p in posts
               if p.role in wanted and p.is_current(info.context.today)}
    codes = sorted(holders)[:1] if first_only else sorted(holders)
    return [Person.from_record(holders[c], node.scope) for c in codes]


async def _region_at(node: Node, info: GInfo, level: str) -> Region | None:
    rec = await r.enclosing_at(info.context, code=node.code, level=level, scope=node.scope)
    return Region.from_record(rec, node.scope) if rec else None


#: Longest global id accepted: the base64 of the longest type name, ':' and a 64-character
#: code of up to 4 UTF-8 bytes a character.
MAX_GLOBAL_ID = 4 * ((len("Organization:") + 4 * 64 + 2) // 3)


def global_id(type_name: str, code: str) -> str:
    """The Relay global id of a node: base64 of `Type:code` (codes are unique per type, so
    Apollo and Relay caches can key every node without per-type configuration)."""
    return base64.b64encode(f"{type_name}:{code}".encode()).decode("ascii")


def parse_global_id(value: str) -> tuple[Label, str]:
    """The node label and code a global id names; BAD_USER_INPUT for anything else."""
    try:
        text = base64.b64decode(value[:MAX_GLOBAL_ID], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    type_name, _, code = text.partition(":")
    label = next((lb for lb, cls in _NODE_TYPES.items() if cls.__name__ == type_name), None)
    if label is None or not code or len(value) > MAX_GLOBAL_ID:
        raise BadInput("not a node id: pass the `id` of a node as the API gave it "
                       "(base64 of Type:code)")
    return label, code


@strawberry.interface(description="A node of the coverage graph, identified by its code.")
class Node:
    code: str = strawberry.field(description="Stable unique code from the rosters (编码).")
    name: str = strawberry.field(description="Name (名称).")
    scope: strawberry.Private[str | None]

    @strawberry.field(description="Global id (Relay): base64 of `Type:code`, e.g. of "
                                  "`Compound:371327001001001`; `node(id:)` fetches the node.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(type(self).__name__, self.code))


@strawberry.interface(description="A spatial unit (地点): region, grid, compound or building.")
class Place(Node):
    @strawberry.field(description="Party organizations that cover this place (覆盖的党组织).")
    async def covering_party_orgs(self, info: GInfo) -> list[PartyOrg]:
        return await _all(self, info, "place_party_orgs", PartyOrg.from_record)

    @strawberry.field(description="Posts held on this place, e.g. grid workers (任职).")
    async def posts(
        self, info: GInfo,
        current_only: Annotated[bool, strawberry.argument(description=CURRENT_ONLY)] = True,
    ) -> list[Post]:
        posts = await r.posts_on(info.context, label=Label.PLACE, code=self.code,
                                 scope=self.scope)
        return Post.many(posts, info.context.today, self.scope, current_only)

    @strawberry.field(description="Institutions paired with this place (结对共建 / 一包五帮).")
    async def paired_units(self, info: GInfo) -> list[Organization]:
        return await _all(self, info, "place_paired", Organization.from_record)

    @strawberry.field(description="Gaps of every audit inside this place (覆盖缺口): for each "
                                  "audit with gaps, how many and the first ones in code order.")
    async def gaps(
        self, info: GInfo,
        first: Annotated[int | None, strawberry.argument(
            description="Gaps listed per audit (default 20, at most 500).")] = None,
    ) -> list[Annotated[PlaceAuditGaps, strawberry.lazy("schema.audits")]]:
        from schema.audits import PlaceAuditGaps

        label = next(lb for lb, cls in _PLACE_TYPES.items() if isinstance(self, cls))
        found = await r.place_gaps(info.context, label=label, code=self.code, first=first)
        return [PlaceAuditGaps.from_record(g) for g in found]


@strawberry.type(description="A region (行政区划): district 区县, street 街道 or community 社区.")
class Region(Place):
    level: RegionLevel | None = strawberry.field(description="Level (层级).")
    population: int | None = strawberry.field(description="Resident population (常住人口).")

    @classmethod
    def from_record(cls, rec: NodeRecord, scope: str | None) -> Region:
        return cls(code=rec.code, name=rec.name, scope=scope,
                   level=as_enum(RegionLevel, rec.get("level")), population=rec.get("population"))

    @strawberry.field(description="Enclosing region (上级).")
    async def parent(self, info: GInfo) -> Region | None:
        return await _one(self, info, "region_parent", Region.from_record)

    @strawberry.field(description="Regions directly inside (下级: streets or communities).")
    async def children(
        self, info: GInfo,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[Region]:
        return await _page(self, info, "region_children", first, after, Region.from_record)

    @strawberry.field(description="Grids of a community (网格).")
    async def grids(
        self, info: GInfo,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[Grid]:
        return await _page(self, info, "region_grids", first, after, Grid.from_record)


@strawberry.type(description="A grid (网格) of a community.")
class Grid(Place):
    kind: GridKind | None = strawberry.field(description="Grid kind (网格类型).")

    @classmethod
    def from_record(cls, rec: NodeRecord, scope: str | None) -> Grid:
        return cls(code=rec.code, name=rec.name, scope=scope,
                   kind=as_enum(GridKind, rec.get("kind")))

    @strawberry.field(description="The community the grid belongs to (所属社区).")
    async def community(self, info: GInfo) -> Region | None:
        return await _one(self, info, "grid_community", Region.from_record)

    @strawberry.field(description="The street the grid lies in (所属街道).")
    async def street(self, info: GInfo) -> Region | None:
        return await _region_at(self, info, "street")

    @strawberry.field(description="Current grid leader and grid workers (网格长, 网格员).")
    async def grid_workers(self, info: GInfo) -> list[Post]:
        posts = await r.posts_on(info.context, label=Label.PLACE, code=self.code,
                                 scope=self.scope)
        roles = {domain.Role.GRID_LEADER.value, domain.Role.GRID_WORKER_FULL.value,
                 domain.Role.GRID_WORKER_PART.value}
        return Post.many([p for p in posts if p.role in roles], info.context.today,
                         self.scope, current_only=True)

    @strawberry.field(description="Compounds in the grid (小区).")
    async def compounds(
        self, info: GInfo,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[Compound]:
        return await _page(self, info, "grid_compounds", first, after, Compound.from_record)

    @strawberry.field(description="Buildings directly in the grid, e.g. office buildings (楼宇).")
    async def buildings(
        self, info: GInfo,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[Building]:
        return await _page(self, info, "grid_buildings", first, after, Building.from_record)


@strawberry.type(description="A residential compound (小区).")
class Compound(Place):
    households: int | None = strawberry.field(description="Households (户数).")
    has_security: bool | None = strawberry.field(
        description="Physical/technical security in place (物防技防).")

    @classmethod
    def from_record(cls, rec: NodeRecord, scope: str | None) -> Compound:
        return cls(code=rec.code, name=rec.name, scope=scope, households=rec.get("households"),
                   has_security=rec.get("has_security"))

    @strawberry.field(description="The grid the compound lies in (所属网格).")
    async def grid(self, info: GInfo) -> Grid | None:
        return await _one(self, info, "compound_grid", Grid.from_record)

    @strawberry.field(description="The community the compound lies in (所属社区).")
    async def community(self, info: GInfo) -> Region | None:
        return await _region_at(self, info, "community")

    @strawberry.field(description="The street the compound lies in (所属街道).")
    async def street(self, info: GInfo) -> Region | None:
        return await _region_at(self, info, "street")

    @strawberry.field(description="People cross-appointed for the compound (双向进入、交叉任职): "
                                  "a current post in a party org covering it, its grid or "
                                  "community, and one in its property company or committee.")
    async def cross_appointments(self, info: GInfo) -> list[CrossAppointment]:
        found = await r.cross_appointments_of(info.context, by="compound", code=self.code,
                                              scope=self.scope)
        return [CrossAppointment.from_record(x, info.context.today, self.scope) for x in found]

    @strawberry.field(description="Buildings of the compound (楼栋).")
    async def buildings(
        self, info: GInfo,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[Building]:
        return await _page(self, info, "compound_buildings", first, after, Building.from_record)

    @strawberry.field(description="Property companies managing it (物业服务企业).")
    async def property_companies(self, info: GInfo) -> list[Organization]:
        return await _all(self, info, "compound_managers", Organization.from_record)

    @strawberry.field(
        description="Owners' or self-management committees serving it (业委会/自管委).")
    async def committees(self, info: GInfo) -> list[Organization]:
        return await _all(self, info, "compound_committees", Organization.from_record)

    @strawberry.field(description="Institutions responsible for it (主管单位).")
    async def responsible_units(self, info: GInfo) -> list[Organization]:
        return await _all(self, info, "compound_responsible", Organization.from_record)


@strawberry.type(description="A building (楼栋 / 楼宇).")
class Building(Place):
    kind: BuildingKind | None = strawberry.field(description="Building kind (楼栋类型).")
    households: int | None = strawberry.field(description="Households (户数).")

    @classmethod
    def from_record(cls, rec: NodeRecord, scope: str | None) -> Building:
        return cls(code=rec.code, name=rec.name, scope=scope,
                   kind=as_enum(BuildingKind, rec.get("kind")), households=rec.get("households"))

    @strawberry.field(description="The compound or grid the building lies in (所属).")
    async def parent(self, info: GInfo) -> Place | None:
        return await _one(self, info, "building_parent", place_from_record)

    @strawberry.field(description="The community the building lies in (所属社区).")
    async def community(self, info: GInfo) -> Region | None:
        return await _region_at(self, info, "community")

    @strawberry.field(description="The street the building lies in (所属街道).")
    async def street(self, info: GInfo) -> Region | None:
        return await _region_at(self, info, "street")

    @strawberry.field(description="Current building chiefs (楼长).")
    async def building_chiefs(self, info: GInfo) -> list[Person]:
        return await _current_holders(self, info, Label.PLACE, domain.Role.BUILDING_CHIEF)

    @strawberry.field(description="Current party-member households (党员中心户).")
    async def member_households(self, info: GInfo) -> list[Person]:
        return await _current_holders(self, info, Label.PLACE, domain.Role.MEMBER_HOUSEHOLD)

    @strawberry.field(description="A party group covers it or a member household is in post "
                                  "(楼栋党小组, as the building-party-group audit counts it).")
    async def has_party_group(self, info: GInfo) -> bool:
        # both loads in the same tick, so each joins its level's batch
        orgs, households = await asyncio.gather(
            r.neighbour_all(info.context, edge="place_party_orgs", code=self.code,
                            scope=self.scope),
            self.member_households(info))
        return bool(orgs) or bool(households)


@strawberry.type(description="A party organization (党组织): committee, branch, group ….")
class PartyOrg(Node):
    kind: PartyOrgKind | None = strawberry.field(description="Organization kind (组织类型).")
    category: PartyOrgCategory | None = strawberry.field(description="Category (组织类别).")
    founded: str | None = strawberry.field(description="Founding date, ISO 8601 (成立日期).")

    @classmethod
    def from_record(cls, rec: NodeRecord, scope: str | None) -> PartyOrg:
        return cls(code=rec.code, name=rec.name, scope=scope,
                   kind=as_enum(PartyOrgKind, rec.get("kind")),
                   category=as_enum(PartyOrgCategory, rec.get("category")),
                   founded=rec.get("founded"))

    @strawberry.field(description="Parent organization (上级党组织).")
    async def parent(self, info: GInfo) -> PartyOrg | None:
        return await _one(self, info, "party_org_parent", PartyOrg.from_record)

    @strawberry.field(description="Organizations directly under it (下级党组织).")
    async def children(
        self, info: GInfo,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[PartyOrg]:
        return await _page(self, info, "party_org_children", first, after, PartyOrg.from_record)

    @strawberry.field(description="Places it covers (覆盖地点).")
    async def covered_places(self, info: GInfo) -> list[Place]:
        return await _all(self, info, "party_org_places", place_from_record)

    @strawberry.field(description="Organizations it covers (覆盖单位).")
    async def covered_organizations(self, info: GInfo) -> list[Organization]:
        return await _all(self, info, "party_org_organizations", Organization.from_record)

    @strawberry.field(description="Members whose membership it holds (党员).")
    async def members(
        self, info: GInfo,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[Person]:
        return await _page(self, info, "party_org_members", first, after, Person.from_record)

    @strawberry.field(description="Current secretary (书记); the first by code if several.")
    async def secretary(self, info: GInfo) -> Person | None:
        found = await _current_holders(self, info, Label.PARTY_ORG, domain.Role.SECRETARY,
                                       first_only=True)
        return found[0] if found else None

    @strawberry.field(description="Posts in the organization, e.g. secretary (书记, 委员).")
    async def posts(
        self, info: GInfo,
        current_only: Annotated[bool, strawberry.argument(description=CURRENT_ONLY)] = True,
    ) -> list[Post]:
        posts = await r.posts_on(info.context, label=Label.PARTY_ORG, code=self.code,
                                 scope=self.scope)
        return Post.many(posts, info.context.today, self.scope, current_only)


@strawberry.type(description="An organization (单位): enterprise, property company, committee ….")
class Organization(Node):
    kind: OrgKind | None = strawberry.field(description="Organization kind (单位类型).")
    uscc: str | None = strawberry.field(
        description="Unified social credit code when it has one (统一社会信用代码).")

    @classmethod
    def from_record(cls, rec: NodeRecord, scope: str | None) -> Organization:
        return cls(code=rec.code, name=rec.name, scope=scope,
                   kind=as_enum(OrgKind, rec.get("kind")), uscc=rec.get("uscc"))

    @strawberry.field(description="Where it sits (所在位置).")
    async def location(self, info: GInfo) -> Place | None:
        return await _one(self, info, "organization_location", place_from_record)

    @strawberry.field(description="Compounds it manages as property company (物业服务小区).")
    async def managed_compounds(self, info: GInfo) -> list[Compound]:
        return await _all(self, info, "organization_manages", Compound.from_record)

    @strawberry.field(description="Compound it serves as committee (服务小区).")
    async def served_compound(self, info: GInfo) -> Compound | None:
        return await _one(self, info, "organization_serves", Compound.from_record)

    @strawberry.field(description="People employed there (职工).")
    async def employees(
        self, info: GInfo,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[Person]:
        return await _page(self, info, "organization_employees", first, after, Person.from_record)

    @strawberry.field(
        description="Current chair (主任 / 业委会主任); the first by code if several.")
    async def chair(self, info: GInfo) -> Person | None:
        found = await _current_holders(self, info, Label.ORGANIZATION, domain.Role.CHAIR,
                                       first_only=True)
        return found[0] if found else None

    @strawberry.field(description="Current project manager of a property company (项目经理).")
    async def project_manager(self, info: GInfo) -> Person | None:
        found = await _current_holders(self, info, Label.ORGANIZATION,
                                       domain.Role.PROJECT_MANAGER, first_only=True)
        return found[0] if found else None

    @strawberry.field(description="Posts in the organization, e.g. chair (主任, 项目经理).")
    async def posts(
        self, info: GInfo,
        current_only: Annotated[bool, strawberry.argument(description=CURRENT_ONLY)] = True,
    ) -> list[Post]:
        posts = await r.posts_on(info.context, label=Label.ORGANIZATION, code=self.code,
                                 scope=self.scope)
        return Post.many(posts, info.context.today, self.scope, current_only)


@strawberry.type(description="A person (人员): party member or not.")
class Person(Node):
    gender: Gender | None = strawberry.field(description="Gender (性别).")
    political_status: PoliticalStatus | None = strawberry.field(
        description="Political status (政治面貌).")
    member_status: MemberStatus | None = strawberry.field(description="Member kind (党员类型).")
    id_masked: str | None = strawberry.field(
        description=requires("Masked ID-card number (身份证号, e.g. 3713**********123X); "
                             "the number itself is never stored; null without the right.",
                             Right.PII_MASKED),
        extensions=needs(Right.PII_MASKED, silent=True))

    @classmethod
    def from_record(cls, rec: NodeRecord, scope: str | None) -> Person:
        saw_person(rec.code)
        return cls(code=rec.code, name=rec.name, scope=scope,
                   gender=as_enum(Gender, rec.get("gender")),
                   political_status=as_enum(PoliticalStatus, rec.get("political_status")),
                   member_status=as_enum(MemberStatus, rec.get("member_status")),
                   id_masked=rec.get("id_masked"))

    @strawberry.field(description="Party organization holding the membership (所在党组织).")
    async def party_org(self, info: GInfo) -> PartyOrg | None:
        return await _one(self, info, "person_party_org", PartyOrg.from_record)

    @strawberry.field(description="Employer (工作单位).")
    async def employer(self, info: GInfo) -> Organization | None:
        return await _one(self, info, "person_employer", Organization.from_record)

    @strawberry.field(
        description=requires("Mobile phone (手机号): in full with `pii:phone`, masked "
                             "(138****5678) otherwise; null without the right.",
                             Right.PII_MASKED),
        extensions=[*needs(Right.PII_MASKED, silent=True),
                    MaskedUnless(Right.PII_PHONE, mask_phone)])
    async def phone(self, info: GInfo) -> str | None:
        return await r.phone(info.context, code=self.code)

    @strawberry.field(description="Residence (居住地): the building with right "
                                  "`pii:residence`, else the compound (or grid) it lies in.")
    async def residence(self, info: GInfo) -> Place | None:
        rec = await r.residence(info.context, code=self.code, scope=self.scope)
        return place_from_record(rec, self.scope) if rec else None

    @strawberry.field(description="Community registered with (双报到社区).")
    async def reports_to(self, info: GInfo) -> Region | None:
        return await _one(self, info, "person_reports_to", Region.from_record)

    @strawberry.field(description="The community the residence lies in (居住地社区).")
    async def residence_community(self, info: GInfo) -> Region | None:
        home = await r.residence(info.context, code=self.code, scope=self.scope)
        if home is None:
            return None
        if home.label is Label.REGION and home.get("level") == "community":
            return Region.from_record(home, self.scope)
        rec = await r.enclosing_at(info.context, code=home.code, level="community",
                                   scope=self.scope)
        return Region.from_record(rec, self.scope) if rec else None

    @strawberry.field(description="Dual registration (双报到) of an in-service party member "
                                  "against the community they live in; null when the "
                                  "residence's community is not known (or outside the scope).")
    async def dual_registration(self, info: GInfo) -> DualRegistration | None:
        if (self.member_status is not domain.MemberStatus.IN_SERVICE
                or self.political_status not in (domain.PoliticalStatus.MEMBER,
                                                 domain.PoliticalStatus.PROBATIONARY)):
            return DualRegistration.NOT_APPLICABLE
        home, registered = await asyncio.gather(
            self.residence_community(info),
            r.neighbour_all(info.context, edge="person_reports_to", code=self.code,
                            scope=self.scope))
        if home is None:
            return None
        if any(reg.code == home.code for reg in registered):
            return DualRegistration.REGISTERED
        return DualRegistration.REGISTERED_ELSEWHERE if registered \
            else DualRegistration.NOT_REGISTERED

    @strawberry.field(description="Compounds the person is cross-appointed for, with the posts "
                                  "on each side (双向进入、交叉任职).")
    async def cross_appointments(self, info: GInfo) -> list[CrossAppointment]:
        found = await r.cross_appointments_of(info.context, by="person", code=self.code,
                                              scope=self.scope)
        return [CrossAppointment.from_record(x, info.context.today, self.scope) for x in found]

    @strawberry.field(description="Posts the person holds or held (任职), with their targets.")
    async def posts(
        self, info: GInfo,
        current_only: Annotated[bool, strawberry.argument(description=CURRENT_ONLY)] = False,
    ) -> list[Post]:
        posts = await r.posts_of(info.context, code=self.code, scope=self.scope)
        return Post.many(posts, info.context.today, self.scope, current_only)


_PLACE_TYPES: dict[Label, Any] = {
    Label.REGION: Region, Label.GRID: Grid, Label.COMPOUND: Compound, Label.BUILDING: Building,
}
_NODE_TYPES: dict[Label, Any] = {
    **_PLACE_TYPES, Label.PARTY_ORG: PartyOrg, Label.ORGANIZATION: Organization,
    Label.PERSON: Person,
}


def place_from_record(rec: NodeRecord, scope: str | None) -> Place:
    return _PLACE_TYPES[rec.label].from_record(rec, scope)  # type: ignore[no-any-return]


def node_type(label: Label) -> Any:
    """The GraphQL type of a node label (its `from_record` builds one)."""
    return _NODE_TYPES[label]


def node_from_record(rec: NodeRecord, scope: str | None) -> Node:
    return _NODE_TYPES[rec.label].from_record(rec, scope)  # type: ignore[no-any-return]
