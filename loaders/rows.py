"""Pydantic row models, one per roster template: the edge where cells become typed values.

Each model takes the cells of one row keyed by column key (headers already mapped) and
either validates or raises a ValidationError whose locations are column keys, so the
report can name the column header the user sees.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from graph.domain import (
    PARTY_MEMBER_STATUSES,
    BuildingKind,
    Gender,
    GridKind,
    MemberStatus,
    OrgKind,
    PartyOrgCategory,
    PartyOrgKind,
    PoliticalStatus,
    RegionLevel,
    RelationType,
    Role,
    ZhEnum,
)
from loaders import cells
from loaders.messages import WHAT_EN, CellError
from loaders.templates import (
    BUILDINGS,
    COMPOUNDS,
    GRIDS,
    ORGANIZATIONS,
    PARTY_ORGS,
    PEOPLE,
    POSTS,
    REGIONS,
    RELATIONS,
    Template,
)

E = TypeVar("E", bound=ZhEnum)


def _code(value: Any) -> str:
    text = cells.clean(value)
    if text is None:
        raise CellError("required")
    code = cells.normalize_code(text)
    if cells.SPACE_RE.search(code):
        raise CellError("code_space")
    return code


def _enum(enum: type[E], what: str) -> BeforeValidator:
    def parse(value: Any) -> E | None:
        if isinstance(value, enum) or value is None:
            return value
        member = enum.from_label(str(value))
        if member is None:
            allowed = " / ".join(m.zh for m in enum)
            raise CellError("bad_enum", what=what, what_en=WHAT_EN.get(what, what),
                            allowed=allowed)
        return member  # type: ignore[return-value]

    return BeforeValidator(parse)


def _id_number(value: Any) -> str | None:
    text = cells.clean(value)
    if text is None:
        return None
    number = cells.normalize_code(text).upper()
    if not cells.valid_id_number(number):
        # Never echo the number itself: it is PII.
        raise CellError("bad_id")
    return number


def _phone(value: Any) -> str | None:
    text = cells.clean(value)
    if text is None:
        return None
    digits = cells.normalize_code(text).replace("-", "").replace(" ", "")
    if not cells.valid_mobile(digits):
        raise CellError("bad_phone")
    return digits


Code = Annotated[str, BeforeValidator(_code)]
OptCode = Annotated[str | None, BeforeValidator(lambda v: None if cells.clean(v) is None
                                                else _code(v))]
Text = Annotated[str, BeforeValidator(lambda v: cells.clean(v))]
OptDate = Annotated[str | None, BeforeValidator(lambda v: None if cells.clean(v) is None
                                                else cells.parse_date(v))]
OptBool = Annotated[bool | None, BeforeValidator(lambda v: None if cells.clean(v) is None
                                                 else cells.parse_bool(v))]


#: Ranges of the counts a roster gives (README "Rosters"): a value outside is a row error,
#: never a number the graph keeps (GraphQL's Int is 32-bit: 2,147,483,648 households made
#: every later read of the compound fail).
POPULATION_MAX = 100_000_000
COMPOUND_HOUSEHOLDS_MAX = 100_000
BUILDING_HOUSEHOLDS_MAX = 10_000


def _count(high: int) -> BeforeValidator:
    def parse(value: Any) -> int | None:
        if cells.clean(value) is None:
            return None
        number = cells.parse_int(value)
        if not 0 <= number <= high:
            raise CellError("int_range", min=0, max=f"{high:,}")
        return number

    return BeforeValidator(parse)


Population = Annotated[int | None, _count(POPULATION_MAX)]
CompoundHouseholds = Annotated[int | None, _count(COMPOUND_HOUSEHOLDS_MAX)]
BuildingHouseholds = Annotated[int | None, _count(BUILDING_HOUSEHOLDS_MAX)]


class RowModel(BaseModel):
    """Base: empty cells are absent (defaults apply), unknown keys ignored (readers warn)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    template: ClassVar[Template]

    @model_validator(mode="before")
    @classmethod
    def _blank_to_none(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items()
                    if v is not None and (v.strip() if isinstance(v, str) else str(v).strip())}
        return data


class RegionRow(RowModel):
    template = REGIONS
    code: Code
    name: Text
    level: Annotated[RegionLevel, _enum(RegionLevel, "层级")]
    parent_code: OptCode = None
    population: Population = None

    @model_validator(mode="after")
    def _parent_required(self) -> RegionRow:
        if self.level is not RegionLevel.DISTRICT and self.parent_code is None:
            raise CellError("parent_required", column="parent_code")
        return self


class GridRow(RowModel):
    template = GRIDS
    code: Code
    name: Text
    community_code: Code
    kind: Annotated[GridKind, _enum(GridKind, "网格类型")] = GridKind.BASIC


class CompoundRow(RowModel):
    template = COMPOUNDS
    code: Code
    name: Text
    grid_code: Code
    households: CompoundHouseholds = None
    has_security: OptBool = None


class BuildingRow(RowModel):
    template = BUILDINGS
    code: Code
    name: Text
    parent_code: Code
    kind: Annotated[BuildingKind, _enum(BuildingKind, "楼栋类型")] = BuildingKind.RESIDENTIAL
    households: BuildingHouseholds = None


class OrganizationRow(RowModel):
    template = ORGANIZATIONS
    code: Code
    name: Text
    kind: Annotated[OrgKind, _enum(OrgKind, "单位类型")]
    location_code: OptCode = None
    compound_code: OptCode = None

    @model_validator(mode="after")
    def _committee_needs_compound(self) -> OrganizationRow:
        committee = self.kind in (OrgKind.OWNERS_COMMITTEE, OrgKind.SELF_MGMT_COMMITTEE)
        if committee and self.compound_code is None:
            raise CellError("compound_required", column="compound_code")
        if cells.looks_like_uscc(self.code) and not cells.valid_uscc(self.code):
            raise CellError("bad_uscc", column="code")
        return self

    @property
    def uscc(self) -> str | None:
        return self.code if cells.valid_uscc(self.code) else None


class PartyOrgRow(RowModel):
    template = PARTY_ORGS
    code: Code
    name: Text
    kind: Annotated[PartyOrgKind, _enum(PartyOrgKind, "组织类型")]
    category: Annotated[PartyOrgCategory | None, _enum(PartyOrgCategory, "组织类别")] = None
    parent_code: OptCode = None
    covers: Annotated[tuple[str, ...], BeforeValidator(
        lambda v: () if cells.clean(v) is None else tuple(cells.split_codes(str(v))))] = ()
    founded: OptDate = None


class PersonRow(RowModel):
    template = PEOPLE
    code: Code
    name: Text
    id_number: Annotated[str | None, BeforeValidator(_id_number)] = None
    phone: Annotated[str | None, BeforeValidator(_phone)] = None
    gender: Annotated[Gender | None, _enum(Gender, "性别")] = None
    political_status: Annotated[
        PoliticalStatus | None, _enum(PoliticalStatus, "政治面貌")] = None
    member_status: Annotated[MemberStatus | None, _enum(MemberStatus, "党员类型")] = None
    party_org_code: OptCode = None
    employer_code: OptCode = None
    residence_code: OptCode = None

    @model_validator(mode="after")
    def _members_need_org(self) -> PersonRow:
        if self.political_status in PARTY_MEMBER_STATUSES and self.party_org_code is None:
            raise CellError("org_required", column="party_org_code")
        return self

    def __repr__(self) -> str:  # keep the ID-card number out of logs and tracebacks
        return f"PersonRow(code={self.code!r}, name={self.name!r})"


class PostRow(RowModel):
    template = POSTS
    person_code: Code
    target_code: Code
    role: Annotated[Role, _enum(Role, "职务")]
    start: OptDate = None
    end: OptDate = None

    @property
    def key(self) -> str:
        return f"{self.role.value}|{self.start or ''}"


class RelationRow(RowModel):
    template = RELATIONS
    from_code: Code
    type: Annotated[RelationType, _enum(RelationType, "关系类型")]
    to_code: Code
    start: OptDate = None


ROW_MODELS: dict[str, type[RowModel]] = {
    model.template.key: model
    for model in (RegionRow, GridRow, CompoundRow, BuildingRow, OrganizationRow,
                  PartyOrgRow, PersonRow, PostRow, RelationRow)
}
