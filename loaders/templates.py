"""The nine roster templates of design/rosters.md: names, columns, Chinese headers.

Readers map a file's header row through these definitions, the generator writes them, and
`orgcover templates` (next issue) renders them as an empty workbook.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    zh: str
    required: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class Template:
    key: str
    zh: str
    columns: tuple[Column, ...]

    def header_map(self) -> dict[str, str]:
        """Accepted header text (Chinese or English) → column key."""
        out: dict[str, str] = {}
        for col in self.columns:
            out[col.key] = col.key
            out[col.zh] = col.key
        return out

    @property
    def zh_headers(self) -> list[str]:
        return [col.zh for col in self.columns]

    @property
    def file_names(self) -> tuple[str, str]:
        return f"{self.key}.csv", f"{self.zh}.csv"


REGIONS = Template("regions", "行政区划", (
    Column("code", "编码", True),
    Column("name", "名称", True),
    Column("level", "层级", True, "区县 / 街道 / 社区"),
    Column("parent_code", "上级编码", False, "区县以外必填"),
    Column("population", "常住人口"),
))
GRIDS = Template("grids", "网格", (
    Column("code", "网格编码", True),
    Column("name", "网格名称", True),
    Column("community_code", "所属社区编码", True),
    Column("kind", "网格类型", False, "基础网格 / 专属网格"),
))
COMPOUNDS = Template("compounds", "小区", (
    Column("code", "小区编码", True),
    Column("name", "小区名称", True),
    Column("grid_code", "所属网格编码", True),
    Column("households", "户数"),
    Column("has_security", "物防技防", False, "是 / 否"),
))
BUILDINGS = Template("buildings", "楼栋", (
    Column("code", "楼栋编码", True),
    Column("name", "楼栋名称", True),
    Column("parent_code", "所属编码", True, "小区或网格编码"),
    Column("kind", "楼栋类型", False, "住宅 / 商务楼宇 / 其他"),
    Column("households", "户数"),
))
ORGANIZATIONS = Template("organizations", "单位", (
    Column("code", "单位编码", True, "有统一社会信用代码的填代码"),
    Column("name", "单位名称", True),
    Column("kind", "单位类型", True,
           "非公企业 / 社会组织 / 物业服务企业 / 机关事业单位 / 业主委员会 / 自管委员会"),
    Column("location_code", "所在位置编码"),
    Column("compound_code", "服务小区编码", False, "业主委员会、自管委员会必填"),
))
PARTY_ORGS = Template("party_orgs", "党组织", (
    Column("code", "党组织编码", True),
    Column("name", "党组织名称", True),
    Column("kind", "组织类型", True,
           "党委 / 党工委 / 党总支 / 党支部 / 联合党支部 / 临时党支部 / 党小组"),
    Column("category", "组织类别"),
    Column("parent_code", "上级党组织编码", False, "最高一级以外必填"),
    Column("covers", "覆盖对象编码", False, "多个用 ; 、 , 分隔"),
    Column("founded", "成立日期"),
))
PEOPLE = Template("people", "人员", (
    Column("code", "人员编号", True),
    Column("name", "姓名", True),
    Column("id_number", "身份证号"),
    Column("phone", "手机号"),
    Column("gender", "性别"),
    Column("political_status", "政治面貌"),
    Column("member_status", "党员类型"),
    Column("party_org_code", "所在党组织编码", False, "党员必填"),
    Column("employer_code", "工作单位编码"),
    Column("residence_code", "居住地编码", False, "楼栋或小区编码"),
))
POSTS = Template("posts", "任职", (
    Column("person_code", "人员编号", True),
    Column("target_code", "任职对象编码", True),
    Column("role", "职务", True),
    Column("start", "任职开始"),
    Column("end", "任职结束"),
))
RELATIONS = Template("relations", "关系", (
    Column("from_code", "起点编码", True),
    Column("type", "关系类型", True, "物业服务 / 主管单位 / 结对共建 / 双报到"),
    Column("to_code", "终点编码", True),
    Column("start", "开始日期"),
))

#: In load order: what a row refers to is written before the row.
TEMPLATES: tuple[Template, ...] = (
    REGIONS, GRIDS, COMPOUNDS, BUILDINGS, ORGANIZATIONS, PARTY_ORGS, PEOPLE, POSTS, RELATIONS
)


def template_for_name(name: str) -> Template | None:
    """Template for a file stem or sheet name, in English or Chinese."""
    key = name.strip().lower()
    for template in TEMPLATES:
        if key in (template.key, template.zh):
            return template
    return None
