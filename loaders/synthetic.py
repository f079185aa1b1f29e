"""A synthetic district, written as the nine roster templates (CSV, Chinese headers).

Proportions follow the seeds: about 13 grids and 6 compounds per community (seed 000:
23 communities, 301 grids, 148 compounds), about 10 buildings per compound, most compounds
professionally managed, committees in most compounds, and every audit between roughly 75%
and 95% covered so that gaps exist. Deterministic for a seed.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

from loaders.cells import USCC_ALPHABET, id_check_char, uscc_check_char
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
    TEMPLATES,
    Template,
)


@dataclass(frozen=True, slots=True)
class Scale:
    streets: int
    communities_per_street: int
    #: Multiplier on party-branch sizes (people dominate the node count).
    members: float = 1.0


SCALES: dict[str, Scale] = {
    "tiny": Scale(1, 2, 0.3),  # tests: ≈1k nodes
    "demo": Scale(2, 5, 2.0),  # ≈20k nodes
    "district": Scale(12, 13, 2.0),  # ≈300k nodes, ≈400k relationships
    "city": Scale(48, 20, 2.0),  # ≈2M nodes, ≥2M roster rows
}

DISTRICT_CODE = "371327"
PLACE_WORDS = ("阳光", "幸福", "和平", "锦绣", "金色", "翠湖", "东方", "龙湖", "华府", "碧水",
               "建设", "人民", "文化", "新华", "光明", "滨河", "春晖", "丽景", "书香", "康乐",
               "明珠", "银河", "朝阳", "清风", "紫荆", "桂花", "海棠", "润泽", "怡景", "鑫源",
               "颐和", "盛世", "富康", "安居", "泰和", "兴业", "嘉禾", "福润", "瑞祥", "长青")
COMPOUND_SUFFIX = ("花园", "家园", "新村", "名苑", "华庭", "公寓", "雅居", "嘉园", "小区", "名邸")
STREET_WORDS = ("十字路", "文化路", "隆山", "岭泉", "大店", "坪上", "石莲子", "相沟", "洙边",
                "道口", "筵宾", "涝坡", "团林", "朱芦", "板泉", "东城", "西城", "南关", "北园",
                "新城", "鼓楼", "沿河", "振兴", "滨海", "金桥", "青山", "绿洲", "凤凰", "玉泉",
                "龙泉", "白塔", "红旗", "胜利", "育才", "解放", "永安", "长安", "天河", "荷花",
                "松山")
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
            "蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江"
            "尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰海波宁春梅"
         "立新文斌晓东亮辉军林云峰欣怡子涵浩然宇轩雨萱思远佳琪俊杰嘉怡")
ENTERPRISE_WORDS = ("科技", "商贸", "食品", "建材", "物流", "机械", "服饰", "电子", "医药", "餐饮")
PROPERTY_WORDS = ("万家", "宜居", "诚信", "安泰", "金管家", "恒信", "华润", "佳和")
INSTITUTIONS = ("县人民医院", "县第一中学", "县供电公司", "县税务局", "县住建局", "县农商银行",
                "县自来水公司", "县实验小学", "县文旅局", "县人社局", "县市场监管局", "县邮政公司")
SOCIAL_WORDS = ("志愿者协会", "老年协会", "邻里互助会", "文体协会", "慈善工作站")


@dataclass
class Tables:
    rows: dict[str, list[list[object]]] = field(
        default_factory=lambda: {t.key: [] for t in TEMPLATES})

    def add(self, template: Template, *values: object) -> None:
        self.rows[template.key].append(list(values))

    def count(self) -> int:
        return sum(len(v) for v in self.rows.values())


class DistrictGenerator:
    """Writes one district; `counts` says how many nodes and relationships it describes."""

    def __init__(self, scale: Scale, seed: int = 7) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.t = Tables()
        self.person_seq = 0
        self.org_seq = 0
        self.names_used: dict[str, int] = {}
        self.institutions: list[str] = []
        #: Enterprises a community's joint branch covers, filled while enterprises are made.
        self.joint_covers: dict[str, list[str]] = {}
        #: (street code, street party org) and (company, name, street party org), for
        #: `_later_work`.
        self.streets: list[tuple[str, str]] = []
        self.companies: list[tuple[str, str, str]] = []

    # -- helpers -------------------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def unique(self, stem: str, suffix: str, repeat: str) -> str:
        """`阳光社区`, then `阳光二社区`, `阳光三社区` … (repeat="{n}"), or `阳光花园二期小区`."""
        n = self.names_used.get(stem + suffix, 0)
        self.names_used[stem + suffix] = n + 1
        if n == 0:
            return stem + suffix
        numeral = _numeral(n + 1)
        return stem + repeat.format(n=numeral) + suffix

    def person_name(self) -> str:
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def id_number(self, female: bool) -> str:
        birth = f"{self.rng.randint(1950, 2000)}{self.rng.randint(1, 12):02d}" \
                f"{self.rng.randint(1, 28):02d}"
        seq = self.rng.randint(0, 99) * 10 + (self.rng.choice((0, 2, 4, 6, 8)) if female
                                              else self.rng.choice((1, 3, 5, 7, 9)))
        first17 = f"{DISTRICT_CODE}{birth}{seq:03d}"
        return first17 + id_check_char(first17)

    def uscc(self) -> str:
        self.org_seq += 1
        body = f"{self.org_seq:09d}"
        first17 = "91" + DISTRICT_CODE + "".join(
            USCC_ALPHABET[int(d) * 3 % 31] for d in body)
        return first17 + uscc_check_char(first17)

    def person(
        self, *, party_org: str | None, residence: str | None, employer: str | None = None,
        member: bool = True, in_service: bool | None = None,
    ) -> str:
        self.person_seq += 1
        code = f"R{self.person_seq:08d}"
        female = self.chance(0.5)
        if member:
            political = "中共党员" if self.chance(0.92) else "中共预备党员"
            status_draw = self.rng.random()
            if in_service is None:
                in_service = status_draw < 0.42
            status = "在职党员" if in_service else (
                "离退休党员" if status_draw < 0.9 else "流动党员")
        else:
            political, status = ("群众" if self.chance(0.8) else "共青团员"), ""
        self.t.add(PEOPLE, code, self.person_name(),
                   self.id_number(female) if self.chance(0.6) else "",
                   f"1{self.rng.choice('3589')}{self.rng.randint(0, 999999999):09d}"
                   if self.chance(0.7) else "",
                   "女" if female else "男", political, status,
                   party_org if member else "", employer or "", residence or "")
        return code

    def post(self, person: str, target: str, role: str, *, ended: bool = False) -> None:
        start = f"20{self.rng.randint(15, 23)}-{self.rng.randint(1, 12):02d}-01"
        end = f"20{self.rng.randint(23, 24)}-06-30" if ended else ""
        self.t.add(POSTS, person, target, role, start, end)

    # -- structure -----------------------------------------------------------------------

    def generate(self) -> Tables:
        district = DISTRICT_CODE
        self.t.add(REGIONS, district, "莒南县", "区县", "", 310000)
        district_org = f"P{district}"
        self.t.add(PARTY_ORGS, district_org, "中共莒南县委员会", "党委", "区域", "",
                   district, "1949-10-01")
        self.post(self.person(party_org=district_org, residence=None, in_service=True),
                  district_org, "书记")
        institutions = []
        for i, name in enumerate(INSTITUTIONS):
            code = self.uscc()
            institutions.append(code)
            self.t.add(ORGANIZATIONS, code, name, "机关事业单位", district, "")
            branch = f"P{district}I{i:02d}"
            self.t.add(PARTY_ORGS, branch, f"{name}党支部", "党支部", "机关事业单位",
                       district_org, code, "2001-07-01")
            staff = self._branch_members(branch, residences=[], size=(8, 20), employer=code)
            self._maybe_secretary(staff, branch)
        self.institutions = institutions
        for s in range(self.scale.streets):
            self._street(s, district, district_org)
        self._later_work()
        return self.t

    def _later_work(self) -> None:
        """What the region, pairing and red-property audits look at, drawn after everything
        else so the rest of the district stays as it was for a seed: a few new communities
        without a party organization yet, institutions paired with communities directly,
        and property companies with a party branch or a party-member project manager."""
        rng = self.rng
        communities = self.scale.streets * self.scale.communities_per_street
        for street, _ in rng.sample(self.streets, max(1, round(communities * 0.05))
                                    if len(self.streets) > 1 else 1):
            self._new_community(street)
        for row in self.t.rows[REGIONS.key]:
            if row[2] == "社区" and not str(row[0]).endswith("900") and rng.random() < 0.35:
                self.t.add(RELATIONS, rng.choice(self.institutions), "结对共建", row[0],
                           "2022-03-01")
        for company, name, street_org in self.companies:
            draw = rng.random()
            if draw < 0.45:
                branch = f"P{company}"
                self.t.add(PARTY_ORGS, branch, f"{name}党支部", "党支部", "非公企业",
                           street_org, company, "2021-07-01")
                staff = [self.person(party_org=branch, residence=None, employer=company,
                                     in_service=True) for _ in range(rng.randint(3, 6))]
                self._maybe_secretary(staff, branch)
            elif draw < 0.65:
                manager = self.person(party_org=street_org, residence=None, employer=company,
                                      in_service=True)
                self.post(manager, company, "项目经理")

        self._predecessors()

    def _predecessors(self) -> None:
        """Some compound and grid branches' secretaries replaced someone (调整撤换): the
        predecessor's post ended the day before theirs began."""
        rng = self.rng
        branches = {r[0] for r in self.t.rows[PARTY_ORGS.key] if r[3] in ("小区", "网格")}
        district_org = f"P{DISTRICT_CODE}"
        for row in list(self.t.rows[POSTS.key]):
            target, role, start = row[1], row[2], str(row[3])
            if role != "书记" or target not in branches or not start:
                continue
            began = dt.date.fromisoformat(start)
            if rng.random() > (0.3 if began.year >= 2021 else 0.1):  # most changes recent
                continue
            before = self.person(party_org=district_org, residence=None, in_service=False)
            self.t.add(POSTS, before, target, "书记",
                       began.replace(year=began.year - rng.randint(3, 5)).isoformat(),
                       (began - dt.timedelta(days=1)).isoformat())

    def _new_community(self, street: str) -> None:
        """A community set up lately (code …900): grids, no party organization, no pairing."""
        code = f"{street}900"
        name = self.unique(self.rng.choice(PLACE_WORDS), "社区", "{n}")
        self.t.add(REGIONS, code, name, "社区", street, self.rng.randint(3000, 6000))
        for g in range(self.rng.randint(1, 3)):
            grid = f"{code}G{g + 1:02d}"
            self.t.add(GRIDS, grid, f"{name}第{g + 1}网格", code, "基础网格")
            if self.chance(0.5):
                self.post(self.person(party_org=None, residence=None, member=False), grid,
                          "专职网格员")

    def _street(self, s: int, district: str, district_org: str) -> None:
        code = f"{district}{s + 1:03d}"
        word = STREET_WORDS[s % len(STREET_WORDS)]
        name = f"{word}街道" if s < len(STREET_WORDS) else f"{word}{s // len(STREET_WORDS)}街道"
        self.t.add(REGIONS, code, name, "街道", district, self.rng.randint(30000, 90000))
        org = f"P{code}"
        self.t.add(PARTY_ORGS, org, f"中共{name}工作委员会", "党工委", "区域", district_org,
                   code, "1985-05-01")
        secretary = self.person(party_org=org, residence=None, in_service=True)
        self.post(secretary, org, "书记")
        self.streets.append((code, org))
        property_companies = []
        for p in range(4):
            company = self.uscc()
            property_companies.append(company)
            company_name = (f"{self.rng.choice(PROPERTY_WORDS)}物业服务有限公司"
                            f"{name[:-2]}{p + 1}分公司")
            self.companies.append((company, company_name, org))
            self.t.add(ORGANIZATIONS, company, company_name, "物业服务企业", code, "")
            manager = self.person(party_org=None, residence=None, member=False)
            self.post(manager, company, "项目经理")
        for c in range(self.scale.communities_per_street):
            self._community(code, c, org, property_companies)

    def _community(self, street: str, c: int, street_org: str, companies: list[str]) -> None:
        rng = self.rng
        code = f"{street}{c + 1:03d}"
        word = rng.choice(PLACE_WORDS)
        name = self.unique(word, "社区", "{n}")
        self.t.add(REGIONS, code, name, "社区", street, rng.randint(5000, 15000))
        committee = f"P{code}"
        self.t.add(PARTY_ORGS, committee, f"中共{name}委员会", "党委", "区域", street_org,
                   code, "1998-07-01")
        community_members = self._branch_members(committee, residences=[], size=(60, 110))
        self.post(community_members[0], committee, "书记")
        self.post(community_members[0], code, "主任")  # 一肩挑 at community level
        self.post(community_members[1], committee, "副书记")

        grids = []
        grid_branch: dict[str, str] = {}
        for g in range(rng.randint(11, 15)):
            grid = f"{code}G{g + 1:02d}"
            grids.append(grid)
            self.t.add(GRIDS, grid, f"{name}第{g + 1}网格", code,
                       "基础网格" if g < 11 else "专属网格")
            leader = self.person(party_org=None, residence=None, member=False)
            self.post(leader, grid, "网格长")
            worker_draw = rng.random()
            if worker_draw < 0.86:
                worker = self.person(party_org=None, residence=None, member=False)
                self.post(worker, grid, "专职网格员")
            elif worker_draw < 0.95:
                part = self.person(party_org=None, residence=None, member=False)
                self.post(part, grid, "兼职网格员")
            if rng.random() < 0.03:  # a worker whose post ended: the grid is a gap again
                gone = self.person(party_org=None, residence=None, member=False)
                self.post(gone, grid, "专职网格员", ended=True)
            if rng.random() < 0.9:
                branch = f"P{grid}"
                grid_branch[grid] = branch
                self.t.add(PARTY_ORGS, branch, f"{name}第{g + 1}网格党支部", "党支部", "网格",
                           committee, grid, "2019-06-01")
            for b in range(1 if rng.random() < 0.3 else 0):
                self.t.add(BUILDINGS, f"{grid}B{b + 1:02d}",
                           f"{rng.choice(PLACE_WORDS)}商务楼宇", grid, "商务楼宇", "")

        residences_by_grid: dict[str, list[str]] = {g: [] for g in grids}
        for k in range(rng.randint(4, 8)):
            self._compound(code, name, k, rng.choice(grids), grid_branch, committee, companies,
                           residences_by_grid)
        all_residences = [b for bs in residences_by_grid.values() for b in bs] or [code]
        for branch in grid_branch.values():
            size = (2, 4) if rng.random() < 0.2 else (35, 70)  # some branches too small
            members = self._branch_members(branch, residences=all_residences, size=size,
                                           community=code)
            if rng.random() < 0.9:
                self.post(members[0], branch, "书记")
            self.post(members[1 % len(members)], branch, "组织委员")
        self._two_new(code, name, grids, committee, all_residences)

    def _compound(
        self, community: str, community_name: str, k: int, grid: str,
        grid_branch: dict[str, str], committee: str, companies: list[str],
        residences_by_grid: dict[str, list[str]],
    ) -> None:
        rng = self.rng
        code = f"{grid}C{k + 1:02d}"
        suffix = rng.choice(COMPOUND_SUFFIX)
        stem = f"{rng.choice(PLACE_WORDS)}{suffix if suffix != '小区' else ''}"
        name = self.unique(stem, "小区", "{n}期")
        managed = rng.random() < 0.8
        secure = rng.random() < (0.9 if managed else 0.35)
        self.t.add(COMPOUNDS, code, name, grid, rng.randint(120, 900), "是" if secure else "否")
        buildings = []
        building_names: dict[str, str] = {}
        for b in range(rng.randint(7, 13)):
            building = f"{code}B{b + 1:02d}"
            buildings.append(building)
            building_names[building] = f"{name}{b + 1}号楼"
            self.t.add(BUILDINGS, building, building_names[building], code, "住宅",
                       rng.randint(24, 120))
        residences_by_grid[grid].extend(buildings)

        branch = None
        if rng.random() < 0.88:
            branch = f"P{code}"
            parent = grid_branch.get(grid, committee)
            if rng.random() < 0.08 and len(grid_branch) > 1:  # parent covers another grid
                parent = rng.choice([b for g, b in grid_branch.items() if g != grid])
            self.t.add(PARTY_ORGS, branch, f"{name}党支部", "党支部", "小区", parent, code,
                       "2021-07-01")
        members = self._branch_members(branch, residences=buildings, size=(30, 60),
                                       community=community) if branch else []
        secretary = members[0] if members and rng.random() < 0.92 else None
        if branch and secretary:
            self.post(secretary, branch, "书记")
        if branch and members:
            self.post(members[1 % len(members)], branch, "组织委员")
            self.post(members[2 % len(members)], branch, "宣传委员")

        company = None
        if managed:
            company = rng.choice(companies)
            self.t.add(RELATIONS, company, "物业服务", code, "2020-01-01")
        elif rng.random() < 0.4:
            self.t.add(RELATIONS, rng.choice(self.institutions), "主管单位", code, "2021-01-01")
        if rng.random() < 0.3:
            self.t.add(RELATIONS, rng.choice(self.institutions), "结对共建", code, "2022-03-01")

        owners = None
        if (managed and rng.random() < 0.85) or (not managed and rng.random() < 0.3):
            owners = f"YWH{code}"
            self.t.add(ORGANIZATIONS, owners, f"{name}业主委员会", "业主委员会", code, code)
        elif not managed and rng.random() < 0.75:
            owners = f"ZGW{code}"
            self.t.add(ORGANIZATIONS, owners, f"{name}自管委员会", "自管委员会", code, code)
        if owners:
            dual = secretary is not None and rng.random() < 0.85
            chair = secretary if secretary is not None and dual else self.person(
                party_org=None, residence=rng.choice(buildings), member=False)
            self.post(chair, owners, "业委会主任")
            if members and not dual and rng.random() < 0.85:
                self.post(members[1 % len(members)], owners, "业委会委员")
        if company and members and rng.random() < 0.6:
            self.post(members[2 % len(members)], company, "委员")

        for building in buildings:
            draw = rng.random()
            if branch and draw < 0.45:
                group = f"P{building}"
                self.t.add(PARTY_ORGS, group, f"{building_names[building]}党小组", "党小组",
                           "楼栋", branch, building, "2022-07-01")
                self.post(members[int(draw * 100) % len(members)], group, "党小组长")
            elif members and draw < 0.95:
                self.post(members[int(draw * 1000) % len(members)], building, "党员中心户")
            if rng.random() < 0.86:
                chief = (members[int(draw * 997) % len(members)] if members and draw < 0.5
                         else self.person(party_org=None, residence=building, member=False))
                self.post(chief, building, "楼长")

    def _branch_members(
        self, branch: str | None, *, residences: list[str], size: tuple[int, int],
        employer: str | None = None, community: str | None = None,
    ) -> list[str]:
        if branch is None:
            return []
        low, high = size
        if high <= 5:  # deliberately small branches stay small (branch-size gaps)
            count = self.rng.randint(1, high)
        else:
            count = max(3, round(self.rng.randint(low, high) * self.scale.members))
        members = []
        for _ in range(count):
            residence = (self.rng.choice(residences)
                         if residences and self.rng.random() < 0.2 else None)
            in_service = True if employer else None
            code = self.person(party_org=branch, residence=residence, employer=employer,
                               in_service=in_service)
            members.append(code)
            if residence and community:
                self._register(code, community)
        return members

    def _register(self, person: str, community: str) -> None:
        """双报到: most register with their own community, a few with a wrong one, some not."""
        draw = self.rng.random()
        if draw < 0.85:
            self.t.add(RELATIONS, person, "双报到", community, "2023-03-01")
        elif draw < 0.9:
            self.t.add(RELATIONS, person, "双报到", self._other_community(community),
                       "2023-03-01")

    def _maybe_secretary(self, members: list[str], branch: str) -> None:
        if members and self.rng.random() < 0.9:
            self.post(members[0], branch, "书记")

    def _other_community(self, community: str) -> str:
        street, seq = community[:-3], int(community[-3:])
        other = seq + 1 if seq < self.scale.communities_per_street else 1
        return f"{street}{other:03d}"

    def _two_new(self, community: str, name: str, grids: list[str], committee: str,
                 residences: list[str]) -> None:
        rng = self.rng
        joint = f"P{community}LH"
        joint_used = False
        for e in range(rng.randint(5, 9)):
            is_social = e >= 6
            org = self.uscc()
            label = (f"{name[:-2]}{rng.choice(SOCIAL_WORDS)}" if is_social else
                     f"莒南{rng.choice(PLACE_WORDS)}{rng.choice(ENTERPRISE_WORDS)}有限公司")
            self.t.add(ORGANIZATIONS, org, self.unique(label, "", "（{n}）"),
                       "社会组织" if is_social else "非公企业", rng.choice(grids), "")
            n_members = rng.choice((0, 0, 1, 2, 3, 4, 6, 9))
            if n_members >= 3 and rng.random() < 0.85:
                branch = f"P{community}E{e:02d}"
                orphan = rng.random() < 0.1  # registered without a parent organization
                self.t.add(PARTY_ORGS, branch, f"{label}党支部", "党支部",
                           "社会组织" if is_social else "非公企业", "" if orphan else committee,
                           org, "2018-07-01")
                staff = [self.person(party_org=branch, residence=None, employer=org,
                                     in_service=True) for _ in range(n_members)]
                self._maybe_secretary(staff, branch)
            elif n_members >= 1:
                host = joint if rng.random() < 0.8 else committee
                joint_used = joint_used or host == joint
                for _ in range(n_members):
                    member = self.person(party_org=host, residence=rng.choice(residences),
                                         employer=org, in_service=True)
                    self._register(member, community)
                if host == joint:
                    self.joint_covers.setdefault(joint, []).append(org)
            elif rng.random() < 0.7:
                instructor = self.person(party_org=committee, residence=None)
                self.post(instructor, org, "党建指导员")
        if joint_used:
            covers = "；".join(self.joint_covers.get(joint, []))
            self.t.add(PARTY_ORGS, joint, f"{name}非公企业联合党支部", "联合党支部", "非公企业",
                       committee, covers, "2020-07-01")
            if rng.random() < 0.9:
                self.post(self.person(party_org=joint, residence=None, in_service=True), joint,
                          "书记")


def _numeral(n: int) -> str:
    """Chinese numeral for 2–99."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if tens == 0:
        return digits[ones]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def generate(scale: Scale, seed: int = 7) -> Tables:
    return DistrictGenerator(scale, seed).generate()


def write_csv(tables: Tables, out: Path) -> list[Path]:
    """One UTF-8 (BOM, so Excel opens it right) CSV per template, named in Chinese.

    The rosters hold names, phones and ID-card numbers: the folder is made 0700 and
    every file 0600, whatever the umask."""
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = []
    for template in TEMPLATES:
        path = out / f"{template.zh}.csv"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with open(fd, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(template.zh_headers)
            writer.writerows(tables.rows[template.key])
        paths.append(path)
    return paths
