"""The organizational-coverage domain (design/domain.md) as code.

Loaders, graph queries and the GraphQL schema all take labels, relationship types and
enumerations from here, so a Chinese roster label, a graph value and a GraphQL enum can
never drift apart.
"""

from __future__ import annotations

import functools
from enum import StrEnum


class Label(StrEnum):
    """Node labels. Every label has a unique `code` (design/domain.md: unique per label)."""

    PLACE = "Place"
    REGION = "Region"
    GRID = "Grid"
    COMPOUND = "Compound"
    BUILDING = "Building"
    PARTY_ORG = "PartyOrg"
    ORGANIZATION = "Organization"
    PERSON = "Person"
    LOAD = "Load"
    #: The store's roster-load lock (loaders/lock.py): one node while a load runs.
    LOAD_LOCK = "LoadLock"
    #: Coverage history (graph/queries/history.py): a snapshot, its figures per place, the
    #: gaps tracked across snapshots, and rectification notices listing gaps.
    SNAPSHOT = "Snapshot"
    FIGURES = "Figures"
    GAP = "Gap"
    NOTICE = "Notice"


#: Labels that carry a uniqueness constraint on `code`.
UNIQUE_CODE_LABELS: tuple[Label, ...] = tuple(Label)

#: Range indexes beyond `code` that queries filter on (both dialects).
EXTRA_INDEXES: tuple[tuple[Label, str], ...] = (
    (Label.REGION, "level"), (Label.FIGURES, "place"), (Label.FIGURES, "parent"),
    (Label.GAP, "metric"))

#: Place sub-labels; every one of these nodes is also a `:Place`.
PLACE_KINDS: tuple[Label, ...] = (Label.REGION, Label.GRID, Label.COMPOUND, Label.BUILDING)

#: The labels every graph node (but the load journal) has one of, and codes are unique
#: under; in this order a code naming several nodes is read (place first).
BASE_LABELS: tuple[Label, ...] = (Label.PLACE, Label.PARTY_ORG, Label.ORGANIZATION,
                                  Label.PERSON)


class Rel(StrEnum):
    """Relationship types, direction as written in design/domain.md."""

    IN = "IN"
    UNDER = "UNDER"
    COVERS = "COVERS"
    LOCATED_IN = "LOCATED_IN"
    MANAGES = "MANAGES"
    SERVES = "SERVES"
    RESPONSIBLE_FOR = "RESPONSIBLE_FOR"
    PAIRED_WITH = "PAIRED_WITH"
    MEMBER_OF = "MEMBER_OF"
    EMPLOYED_BY = "EMPLOYED_BY"
    LIVES_IN = "LIVES_IN"
    REPORTS_TO = "REPORTS_TO"
    HOLDS_POST = "HOLDS_POST"
    #: A rectification notice lists the gaps it froze (coverage history).
    LISTS = "LISTS"


class ZhEnum(StrEnum):
    """A string enum whose members also carry the Chinese label(s) used in rosters.

    The first Chinese label is the canonical one (shown in reports and exports); further
    labels are accepted synonyms when reading rosters.
    """

    zh: str
    aliases: tuple[str, ...]

    def __new__(cls, value: str, *labels: str) -> ZhEnum:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.zh = labels[0] if labels else value
        obj.aliases = labels
        return obj

    @classmethod
    def from_label(cls, text: str) -> ZhEnum | None:
        """Member for a Chinese label, synonym or the English code; None when unknown."""
        return _labels(cls).get(text.strip())


@functools.cache
def _labels(enum: type[ZhEnum]) -> dict[str, ZhEnum]:
    """Every label, synonym and code of an enum → its member (rosters look up millions)."""
    table: dict[str, ZhEnum] = {}
    for member in enum:
        for label in (*member.aliases, member.value):
            table.setdefault(label, member)
    return table


class RegionLevel(ZhEnum):
    DISTRICT = "district", "区县", "区", "县", "市辖区", "县级市"
    STREET = "street", "街道", "乡镇", "镇", "乡"
    COMMUNITY = "community", "社区", "村"


class GridKind(ZhEnum):
    BASIC = "basic", "基础网格"
    DEDICATED = "dedicated", "专属网格"


class BuildingKind(ZhEnum):
    RESIDENTIAL = "residential", "住宅", "住宅楼"
    COMMERCIAL = "commercial", "商务楼宇", "楼宇"
    OTHER = "other", "其他"


class PartyOrgKind(ZhEnum):
    COMMITTEE = "committee", "党委"
    WORKING_COMMITTEE = "working_committee", "党工委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    JOINT_BRANCH = "joint_branch", "联合党支部"
    TEMPORARY_BRANCH = "temporary_branch", "临时党支部"
    GROUP = "group", "党小组"


class PartyOrgCategory(ZhEnum):
    REGION = "region", "区域"
    GRID = "grid", "网格"
    COMPOUND = "compound", "小区"
    BUILDING = "building", "楼栋"
    ENTERPRISE = "enterprise", "非公企业"
    SOCIAL_ORG = "social_org", "社会组织"
    INSTITUTION = "institution", "机关事业单位"
    FUNCTIONAL = "functional", "功能型"
    INDUSTRY = "industry", "行业"


class OrgKind(ZhEnum):
    ENTERPRISE = "enterprise", "非公企业"
    SOCIAL_ORG = "social_org", "社会组织"
    PROPERTY_COMPANY = "property_company", "物业服务企业", "物业公司"
    INSTITUTION = "institution", "机关事业单位", "国有企业", "机关企事业单位", "驻区单位"
    OWNERS_COMMITTEE = "owners_committee", "业主委员会", "业委会"
    SELF_MGMT_COMMITTEE = "self_mgmt_committee", "自管委员会", "自管委"


#: Organization kinds whose roster row must name the compound they SERVE.
COMMITTEE_KINDS: frozenset[OrgKind] = frozenset(
    {OrgKind.OWNERS_COMMITTEE, OrgKind.SELF_MGMT_COMMITTEE}
)


class PoliticalStatus(ZhEnum):
    MEMBER = "member", "中共党员", "党员"
    PROBATIONARY = "probationary", "中共预备党员", "预备党员"
    LEAGUE = "league", "共青团员", "团员"
    OTHER_PARTY = "other_party", "民主党派"
    MASSES = "masses", "群众"


#: Political statuses that make a person a party member (formal or probationary).
PARTY_MEMBER_STATUSES: frozenset[PoliticalStatus] = frozenset(
    {PoliticalStatus.MEMBER, PoliticalStatus.PROBATIONARY}
)


class MemberStatus(ZhEnum):
    IN_SERVICE = "in_service", "在职党员"
    RETIRED = "retired", "离退休党员", "退休党员"
    MOBILE = "mobile", "流动党员"
    OTHER = "other", "其他"


class Gender(ZhEnum):
    MALE = "male", "男"
    FEMALE = "female", "女"


class Role(ZhEnum):
    """Roles of `HOLDS_POST`; Chinese labels as in design/domain.md."""

    SECRETARY = "secretary", "书记", "党组织书记", "支部书记"
    DEPUTY_SECRETARY = "deputy_secretary", "副书记"
    COMMITTEE_MEMBER = (
        "committee_member", "委员", "组织委员", "宣传委员", "纪检委员", "业委会委员"
    )
    GROUP_LEADER = "group_leader", "党小组长"
    CHAIR = "chair", "主任", "业委会主任", "居委会主任"
    VICE_CHAIR = "vice_chair", "副主任", "业委会副主任"
    PROJECT_MANAGER = "project_manager", "项目经理"
    GRID_LEADER = "grid_leader", "网格长"
    GRID_WORKER_FULL = "grid_worker_full", "专职网格员"
    GRID_WORKER_PART = "grid_worker_part", "兼职网格员"
    BUILDING_CHIEF = "building_chief", "楼长"
    UNIT_CHIEF = "unit_chief", "单元长"
    RED_STEWARD = "red_steward", "红色管家"
    PARTY_INSTRUCTOR = "party_instructor", "党建指导员"
    MEMBER_HOUSEHOLD = "member_household", "党员中心户"


#: Which roles fit which kind of post target (rosters validation, design/domain.md).
ROLE_TARGETS: dict[Role, frozenset[Label]] = {
    Role.SECRETARY: frozenset({Label.PARTY_ORG}),
    Role.DEPUTY_SECRETARY: frozenset({Label.PARTY_ORG}),
    Role.COMMITTEE_MEMBER: frozenset({Label.PARTY_ORG, Label.ORGANIZATION, Label.REGION}),
    Role.GROUP_LEADER: frozenset({Label.PARTY_ORG}),
    Role.CHAIR: frozenset({Label.ORGANIZATION, Label.REGION}),
    Role.VICE_CHAIR: frozenset({Label.ORGANIZATION, Label.REGION}),
    Role.PROJECT_MANAGER: frozenset({Label.ORGANIZATION}),
    Role.GRID_LEADER: frozenset({Label.GRID}),
    Role.GRID_WORKER_FULL: frozenset({Label.GRID}),
    Role.GRID_WORKER_PART: frozenset({Label.GRID}),
    Role.BUILDING_CHIEF: frozenset({Label.BUILDING}),
    Role.UNIT_CHIEF: frozenset({Label.BUILDING}),
    Role.RED_STEWARD: frozenset({Label.BUILDING, Label.COMPOUND}),
    Role.PARTY_INSTRUCTOR: frozenset({Label.ORGANIZATION}),
    Role.MEMBER_HOUSEHOLD: frozenset({Label.BUILDING}),
}


class RelationType(ZhEnum):
    """Relationship types a `relations` roster row may create (rosters.md template 9)."""

    MANAGES = "MANAGES", "物业服务"
    RESPONSIBLE_FOR = "RESPONSIBLE_FOR", "主管单位"
    PAIRED_WITH = "PAIRED_WITH", "结对共建", "一包五帮"
    REPORTS_TO = "REPORTS_TO", "双报到"


#: Containment levels, outermost first; used for scope and group-by checks.
LEVEL_ORDER: tuple[str, ...] = ("district", "street", "community", "grid", "compound", "building")


def level_rank(level: str) -> int:
    """Depth of a containment level (district = 0); raises KeyError for unknown levels."""
    return LEVEL_ORDER.index(level)
