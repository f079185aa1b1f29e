"""GraphQL enums: the domain enums themselves, registered with Strawberry.

Registering the domain classes (rather than copies) keeps GraphQL names and stored
values identical to what loaders write and queries read.
"""

from __future__ import annotations

from enum import Enum

import strawberry

from graph import domain

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


@strawberry.enum(description="Level to group an audit by; must lie below the scope's level.")
class GroupLevel(Enum):
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


@strawberry.enum(description="Audit metric of design/audits.md: COMPOUND_PARTY_ORG is "
                             "小区党组织覆盖率 (compound party-organization coverage).")
class AuditMetric(Enum):
    COMPOUND_PARTY_ORG = "compound-party-org"
