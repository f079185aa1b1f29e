"""GraphQL enums: the domain enums themselves, registered with Strawberry.

Registering the domain classes (rather than copies) keeps GraphQL names and stored
values identical to what loaders write and queries read.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry

from graph import domain
from graph.queries.audits import AUDITS

E = TypeVar("E", bound=domain.ZhEnum)


def describe_values(enum: type[Enum], describe: Callable[[Any], str]) -> None:
    """Give every value of a registered enum a description: clients show them in pickers
    and docs, and schema linters want one (a test walks the schema for any missing)."""
    for value in enum.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = describe(enum[value.name])


def as_enum(enum: type[E], value: Any) -> E | None:
    """The member of `enum` with this stored value; None when it is missing or unknown."""
    try:
        return enum(value) if value is not None else None
    except ValueError:
        return None


for _enum, _description in (
    (domain.RegionLevel, "Administrative level of a region (区县 / 街道 / 社区)."),
    (domain.GridKind, "Kind of grid (基础网格 / 专属网格)."),
    (domain.BuildingKind, "Kind of building (住宅 / 商务楼宇 / 其他)."),
    (domain.PartyOrgKind, "Kind of party organization (党委, 党工委, 党总支, 党支部, …)."),
    (domain.PartyOrgCategory, "Category of party organization (区域, 网格, 小区, 楼栋, …)."),
    (domain.OrgKind, "Kind of organization (非公企业, 物业服务企业, 业主委员会, …)."),
    (domain.PoliticalStatus, "Political status (中共党员, 中共预备党员, 群众, …)."),
    (domain.MemberStatus, "Kind of party member (在职党员, 离退休党员, 流动党员)."),
    (domain.Gender, "Gender (男 / 女)."),
    (domain.Role, "Role of a post (书记, 专职网格员, 楼长, …)."),
):
    strawberry.enum(_enum, description=_description)
    describe_values(_enum, lambda m: f"{m.zh} ({m.value.replace('_', ' ')})")
strawberry.enum(domain.Rel, name="RelType",
                description="Relationship type of the graph (design/domain.md: IN 包含, "
                            "UNDER 隶属, COVERS 覆盖, HOLDS_POST 任职 …).")
#: design/domain.md's names of the relationship types.
REL_NAMES: dict[domain.Rel, str] = {
    domain.Rel.IN: "包含: a place lies in a larger place (building → compound → grid → "
                   "community → street → district)",
    domain.Rel.UNDER: "隶属: a party organization under its superior",
    domain.Rel.COVERS: "覆盖: a party organization covers a place or an organization",
    domain.Rel.LOCATED_IN: "位于: an organization located in a place",
    domain.Rel.MANAGES: "管理: a property company manages a compound",
    domain.Rel.SERVES: "服务: a committee serves a compound",
    domain.Rel.RESPONSIBLE_FOR: "主管: an institution responsible for a place",
    domain.Rel.PAIRED_WITH: "结对共建: an institution paired with a place",
    domain.Rel.MEMBER_OF: "党员隶属: a party member's organization",
    domain.Rel.EMPLOYED_BY: "工作单位: a person's employer",
    domain.Rel.LIVES_IN: "居住: where a person lives",
    domain.Rel.REPORTS_TO: "双报到: where an in-service member has registered",
    domain.Rel.HOLDS_POST: "任职: a person's post on a party org, organization or place",
    domain.Rel.LISTS: "列入: a rectification notice lists a gap",
}
describe_values(domain.Rel, REL_NAMES.__getitem__)

RegionLevel = domain.RegionLevel
GridKind = domain.GridKind
BuildingKind = domain.BuildingKind
PartyOrgKind = domain.PartyOrgKind
PartyOrgCategory = domain.PartyOrgCategory
OrgKind = domain.OrgKind
PoliticalStatus = domain.PoliticalStatus
MemberStatus = domain.MemberStatus
Gender = domain.Gender
Role = domain.Role
RelType = domain.Rel


@strawberry.enum(description="What a search looks at.")
class SearchType(Enum):
    PLACE = "Place"
    PARTY_ORG = "PartyOrg"
    ORGANIZATION = "Organization"
    PERSON = "Person"


describe_values(SearchType, {
    SearchType.PLACE: "地点: regions, grids, compounds and buildings",
    SearchType.PARTY_ORG: "党组织: party organizations",
    SearchType.ORGANIZATION: "单位: enterprises, property companies, committees …",
    SearchType.PERSON: "人员: people",
}.__getitem__)


@strawberry.enum(description="Level to group an audit by: the scope's level or below.")
class GroupLevel(Enum):
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


describe_values(GroupLevel, {
    GroupLevel.STREET: "街道: one group per street", GroupLevel.COMMUNITY: "社区: one group "
    "per community", GroupLevel.GRID: "网格: one group per grid"}.__getitem__)


@strawberry.enum(description="Audit metric of design/audits.md (a test keeps it equal to the "
                             "catalogue in graph/queries/audits.py).")
class AuditMetric(Enum):
    COMPOUND_PARTY_ORG = "compound-party-org"  # 小区党组织覆盖率
    COMPOUND_PROPERTY = "compound-property"  # 专业化物业覆盖率
    COMPOUND_OWNERS_COMMITTEE = "compound-owners-committee"  # 业委会(自管委)组建率
    THREE_NO_COMPOUND = "three-no-compound"  # 三无小区
    GRID_PARTY_ORG = "grid-party-org"  # 网格党组织覆盖
    GRID_WORKER = "grid-worker"  # 网格员配备
    BUILDING_PARTY_GROUP = "building-party-group"  # 楼栋党小组
    BUILDING_CHIEF = "building-chief"  # 楼长配备
    TWO_NEW_PARTY_ORG = "two-new-party-org"  # 两新组织党组织覆盖
    CROSS_APPOINTMENT = "cross-appointment"  # 双向进入、交叉任职
    DUAL_ROLE = "dual-role"  # 一肩挑
    SECRETARY_VACANCY = "secretary-vacancy"  # 书记配备
    BRANCH_SIZE = "branch-size"  # 支部党员人数
    DUAL_REGISTRATION = "dual-registration"  # 在职党员双报到
    HIERARCHY_INTEGRITY = "hierarchy-integrity"  # 组织体系完整性
    REGION_PARTY_ORG = "region-party-org"  # 街道社区党组织覆盖
    COMMUNITY_PAIRING = "community-pairing"  # 结对共建覆盖
    PROPERTY_PARTY_ORG = "property-party-org"  # 红色物业


describe_values(AuditMetric, lambda m: f"{AUDITS[m.value].zh} ({AUDITS[m.value].en})")


@strawberry.enum(description="Dual-registration status of a person (双报到).")
class DualRegistration(Enum):
    REGISTERED = "registered"  # 已到居住地社区报到
    REGISTERED_ELSEWHERE = "registered_elsewhere"  # 报到社区与居住地社区不一致
    NOT_REGISTERED = "not_registered"  # 未报到
    NOT_APPLICABLE = "not_applicable"  # 非在职党员


describe_values(DualRegistration, {
    DualRegistration.REGISTERED: "已到居住地社区报到 (registered where they live)",
    DualRegistration.REGISTERED_ELSEWHERE: "报到社区与居住地社区不一致 (registered in another "
                                           "community than where they live)",
    DualRegistration.NOT_REGISTERED: "未报到 (not registered)",
    DualRegistration.NOT_APPLICABLE: "非在职党员 (not an in-service party member)",
}.__getitem__)

#: The `scope` argument of every field that reads a part of the caller's jurisdiction.
Scope = Annotated[str | None, strawberry.argument(
    description="Place code to stay inside (街道/社区/网格 …), at or below the caller's "
                "jurisdiction (NOT_FOUND outside it); default the whole jurisdiction.")]

#: The `metric` argument of audit fields.
Metric = Annotated[AuditMetric, strawberry.argument(
    description="The audit (覆盖率审计指标), one of design/audits.md's catalogue.")]
