"""The audit catalogue (design/audits.md): what each audit counts, what covers an item
and the reasons a gap names. graph/queries/audits.py derives the statements from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.domain import Label


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class AuditDef:
    id: str
    zh: str
    en: str
    eligible: Label
    #: Cypher run once per eligible `x`; must end with `WITH x, covered, reasons`.
    coverage: str
    reasons: tuple[Reason, ...]
    #: Optional extra filter on the eligible `x` (a predicate, no WHERE keyword).
    filter: str = ""
    #: Optional faster form of the whole-graph totals: Cypher binding `x`, `covered` and
    #: the group places `grid`, `community`, `street` (see `audit_totals`); rows may repeat
    #: an `x`, which is counted once.
    totals_from_places: str = ""
    #: Optional path from a place to the eligible `x` (e.g. `(:Compound)<-[:MANAGES]-`),
    #: replacing the label's usual link (`_FROM_PLACE`): `x` is eligible only when reached
    #: this way, from anywhere (no scope) or from inside the scope.
    reach: str = ""
    #: The kind of place `reach` starts at (what must lie inside a place for `x` to count).
    via: Label | None = None
    #: Optional anchor binding `a0` (the place an `x` is grouped and located by) instead of
    #: the label's; `multi_anchor` when an `x` can have several (the smallest code wins).
    anchor: str = ""
    multi_anchor: bool = False
    #: Optional Neo4j form of `coverage` for the totals (`audit_totals`), where a
    #: subquery with its own LIMIT stops early (FalkorDB cannot import a variable into one).
    coverage_neo4j: str = ""

    def reason(self, code: str) -> Reason:
        return next(r for r in self.reasons if r.code == code)


COMPOUND_PARTY_ORG = AuditDef(
    id="compound-party-org",
    zh="小区党组织覆盖率",
    en="Compound party-organization coverage",
    eligible=Label.COMPOUND,
    coverage="""
        OPTIONAL MATCH (o:PartyOrg)-[:COVERS]->(x)
        WITH x, count(o) > 0 AS covered
        WITH x, covered, CASE WHEN covered THEN [] ELSE ['no_party_org'] END AS reasons""",
    reasons=(Reason("no_party_org", "无党组织覆盖", "no party organization"),),
)

CURRENT = "({v}.end IS NULL OR {v}.end > $today)"


def _current(var: str) -> str:
    return CURRENT.format(v=var)


def _posts(var: str, role: str) -> str:
    """Count of current posts of one role among the HOLDS_POST relationships `var`.

    FalkorDB answers "expand once, then count with CASE" several times faster than a
    pattern with the role as a property filter (measured at district scale).
    """
    return f"sum(CASE WHEN {var}.role = '{role}' AND {_current(var)} THEN 1 ELSE 0 END)"


def _covered_by_flag(flag: str, reason: str) -> str:
    return f"""WITH x, {flag} AS covered
        WITH x, covered, CASE WHEN covered THEN [] ELSE ['{reason}'] END AS reasons"""


COMPOUND_PROPERTY = AuditDef(
    id="compound-property", zh="专业化物业覆盖率", en="Professional property management",
    eligible=Label.COMPOUND,
    coverage="""
        OPTIONAL MATCH (x)<-[:MANAGES]-(p)
        WITH x, sum(CASE WHEN p.kind = 'property_company' THEN 1 ELSE 0 END) AS companies
        """ + _covered_by_flag("companies > 0", "no_property_company"),
    reasons=(Reason("no_property_company", "无物业服务企业", "no property company"),),
)

COMPOUND_OWNERS_COMMITTEE = AuditDef(
    id="compound-owners-committee", zh="业委会(自管委)组建率",
    en="Owners' (self-management) committees", eligible=Label.COMPOUND,
    coverage="""
        OPTIONAL MATCH (x)<-[:MANAGES]-(p)
        WITH x, sum(CASE WHEN p.kind = 'property_company' THEN 1 ELSE 0 END) > 0 AS managed
        OPTIONAL MATCH (x)<-[:SERVES]-(o)
        WITH x, managed,
             sum(CASE WHEN o.kind = 'owners_committee' THEN 1 ELSE 0 END) > 0 AS owners,
             sum(CASE WHEN o.kind = 'self_mgmt_committee' THEN 1 ELSE 0 END) > 0 AS self_managed
        WITH x, managed, owners OR (NOT managed AND self_managed) AS covered
        WITH x, covered, CASE WHEN covered THEN [] WHEN managed THEN ['no_owners_committee']
                              ELSE ['no_committee'] END AS reasons""",
    reasons=(Reason("no_owners_committee", "无业主委员会", "no owners' committee"),
             Reason("no_committee", "无业主委员会或自管委员会",
                    "no owners' or self-management committee")),
)

THREE_NO_COMPOUND = AuditDef(
    id="three-no-compound", zh="三无小区", en="Three-no compounds", eligible=Label.COMPOUND,
    coverage="""
        OPTIONAL MATCH (x)<-[link:MANAGES|RESPONSIBLE_FOR|PAIRED_WITH]-(o)
        WITH x,
             sum(CASE WHEN type(link) = 'MANAGES' AND o.kind = 'property_company'
                      THEN 1 ELSE 0 END) > 0 AS managed,
             sum(CASE WHEN type(link) = 'RESPONSIBLE_FOR' THEN 1 ELSE 0 END) > 0 AS responsible,
             sum(CASE WHEN type(link) = 'PAIRED_WITH' THEN 1 ELSE 0 END) > 0 AS paired
        WITH x, managed, responsible, coalesce(x.has_security, false) AS secure, paired
        WITH x, managed OR responsible OR secure AS covered, paired
        WITH x, covered, CASE WHEN covered THEN [] ELSE
             ['no_property_company', 'no_responsible_unit', 'no_security',
              CASE WHEN paired THEN 'paired_institution' ELSE 'no_paired_institution' END]
             END AS reasons""",
    reasons=(Reason("no_property_company", "无物业服务企业", "no property company"),
             Reason("no_responsible_unit", "无主管单位", "no responsible unit"),
             Reason("no_security", "无物防技防", "no physical/technical security"),
             Reason("paired_institution", "已有结对共建单位（一包五帮）",
                    "an institution is paired with it"),
             Reason("no_paired_institution", "无结对共建单位", "no paired institution")),
)

GRID_PARTY_ORG = AuditDef(
    id="grid-party-org", zh="网格党组织覆盖", en="Grid party-organization coverage",
    eligible=Label.GRID,
    coverage="""
        OPTIONAL MATCH (x)<-[:COVERS]-(o)
        """ + _covered_by_flag("count(o) > 0", "no_party_org"),
    reasons=(Reason("no_party_org", "无党组织覆盖", "no party organization"),),
)

GRID_WORKER = AuditDef(
    id="grid-worker", zh="网格员配备", en="Grid workers", eligible=Label.GRID,
    coverage=f"""
        OPTIONAL MATCH (x)<-[p:HOLDS_POST]-()
        WITH x, {_posts("p", "grid_worker_full")} > 0 AS covered,
             {_posts("p", "grid_worker_part")} AS part_time
        WITH x, covered, CASE WHEN covered THEN [] WHEN part_time > 0 THEN ['only_part_time']
                              ELSE ['no_grid_worker'] END AS reasons""",
    reasons=(Reason("no_grid_worker", "无网格员", "no grid worker"),
             Reason("only_part_time", "仅有兼职网格员", "only part-time grid workers")),
)

BUILDING_PARTY_GROUP = AuditDef(
    id="building-party-group", zh="楼栋党小组", en="Building party groups",
    eligible=Label.BUILDING, filter="x.kind = 'residential'",
    coverage=f"""
        OPTIONAL MATCH (x)<-[:COVERS]-(o)
        WITH x, count(o) AS orgs
        OPTIONAL MATCH (x)<-[h:HOLDS_POST]-()
        WITH x, orgs, {_posts("h", "member_household")} AS households
        """ + _covered_by_flag("orgs > 0 OR households > 0", "no_party_group"),
    reasons=(Reason("no_party_group", "无楼栋党小组或党员中心户",
                    "no party group or member household"),),
)

BUILDING_CHIEF = AuditDef(
    id="building-chief", zh="楼长配备", en="Building chiefs", eligible=Label.BUILDING,
    filter="x.kind = 'residential'",
    coverage=f"""
        OPTIONAL MATCH (x)<-[c:HOLDS_POST]-()
        WITH x, {_posts("c", "building_chief")} AS chiefs
        """ + _covered_by_flag("chiefs > 0", "no_building_chief"),
    reasons=(Reason("no_building_chief", "无楼长", "no building chief"),),
)

TWO_NEW_PARTY_ORG = AuditDef(
    id="two-new-party-org", zh="两新组织党组织覆盖", en="Party coverage of two-new organizations",
    eligible=Label.ORGANIZATION, filter="x.kind IN ['enterprise', 'social_org']",
    coverage=f"""
        OPTIONAL MATCH (x)<-[:EMPLOYED_BY]-(m)
        WITH x, sum(CASE WHEN m.political_status = 'member' THEN 1 ELSE 0 END) AS members
        OPTIONAL MATCH (x)<-[:COVERS]-(o)
        WITH x, members, count(o) AS any_orgs,
             sum(CASE WHEN o.category IN ['enterprise', 'social_org']
                       AND o.kind <> 'joint_branch' THEN 1 ELSE 0 END) AS own_orgs
        OPTIONAL MATCH (x)<-[i:HOLDS_POST]-()
        WITH x, members, own_orgs, any_orgs, {_posts("i", "party_instructor")} AS instructors
        WITH x, members, CASE WHEN members >= 3 THEN own_orgs > 0
                              WHEN members >= 1 THEN any_orgs > 0
                              ELSE any_orgs > 0 OR instructors > 0 END AS covered
        WITH x, covered, CASE WHEN covered THEN []
                              WHEN members >= 3 THEN ['should_form_own']
                              WHEN members >= 1 THEN ['not_in_joint_branch']
                              ELSE ['no_instructor_or_coverage'] END AS reasons""",
    reasons=(Reason("should_form_own", "党员3名以上，未单独组建党组织（应单建）",
                    "3+ members, no own party organization (should form one)"),
             Reason("not_in_joint_branch", "党员1–2名，未纳入联合党支部",
                    "1–2 members, not in a joint branch"),
             Reason("no_instructor_or_coverage", "无党员，未选派党建指导员也未覆盖",
                    "no members, no instructor or coverage")),
)

_GOVERNANCE = "['property_company', 'owners_committee', 'self_mgmt_committee']"

CROSS_APPOINTMENT = AuditDef(
    id="cross-appointment", zh="双向进入、交叉任职", en="Cross-appointment",
    eligible=Label.COMPOUND,
    coverage=f"""
        OPTIONAL MATCH (po:PartyOrg)-[:COVERS]->(x)
        WITH x, count(po) AS party_orgs
        OPTIONAL MATCH (gov:Organization)-[:MANAGES|SERVES]->(x)
        WHERE gov.kind IN ['property_company', 'owners_committee']
        WITH x, party_orgs, count(gov) AS governance
        WHERE party_orgs > 0 AND governance > 0
        OPTIONAL MATCH (x)-[:IN*0..2]->(:Place)<-[:COVERS]-(:PartyOrg)<-[pp:HOLDS_POST]-(p:Person)
                       -[gp:HOLDS_POST]->(g:Organization)-[:MANAGES|SERVES]->(x)
        WHERE {_current("pp")} AND {_current("gp")} AND g.kind IN {_GOVERNANCE}
        """ + _covered_by_flag("count(DISTINCT p) > 0", "no_cross_appointment"),
    reasons=(Reason("no_cross_appointment", "无交叉任职人员", "no cross-appointed person"),),
)

DUAL_ROLE = AuditDef(
    id="dual-role", zh="一肩挑", en="Dual role", eligible=Label.COMPOUND,
    coverage=f"""
        OPTIONAL MATCH (:PartyOrg)-[:COVERS]->(x)
        WITH x
        OPTIONAL MATCH (s:Person)-[sp:HOLDS_POST {{role: 'secretary'}}]->(:PartyOrg)-[:COVERS]->(x)
        WHERE {_current("sp")}
        WITH x, collect(DISTINCT s.code) AS secretaries
        OPTIONAL MATCH (c:Person)-[cp:HOLDS_POST {{role: 'chair'}}]->
                       (:Organization {{kind: 'owners_committee'}})-[:SERVES]->(x)
        WHERE {_current("cp")}
        WITH x, secretaries, collect(DISTINCT c.code) AS chairs
        WHERE size(secretaries) > 0 AND size(chairs) > 0
        """ + _covered_by_flag(
            "size([s IN secretaries WHERE s IN chairs]) > 0", "different_people"),
    reasons=(Reason("different_people", "书记与业委会主任非同一人",
                    "secretary and chair are different people"),),
)

SECRETARY_VACANCY = AuditDef(
    id="secretary-vacancy", zh="书记配备", en="Secretaries in post", eligible=Label.PARTY_ORG,
    filter="x.kind <> 'group'",
    coverage=f"""
        OPTIONAL MATCH (x)<-[s:HOLDS_POST]-()
        WITH x, {_posts("s", "secretary")} AS secretaries
        """ + _covered_by_flag("secretaries > 0", "secretary_vacant"),
    reasons=(Reason("secretary_vacant", "书记空缺", "secretary vacant"),),
)

BRANCH_SIZE = AuditDef(
    id="branch-size", zh="支部党员人数", en="Branch size", eligible=Label.PARTY_ORG,
    filter="x.kind = 'branch'",
    coverage="""
        OPTIONAL MATCH (x)<-[:MEMBER_OF]-(m)
        WITH x, sum(CASE WHEN m.political_status = 'member' THEN 1 ELSE 0 END) AS formal
        """ + _covered_by_flag("formal >= 3", "too_few_members"),
    # stops at the third formal member: every member's status was read before (the
    # district's overview: 133 → 15 ms for this audit on Neo4j 5.26)
    coverage_neo4j="""
        CALL (x) {
          MATCH (x)<-[:MEMBER_OF]-(m) WHERE m.political_status = 'member'
          WITH m LIMIT 3
          RETURN count(m) AS formal
        }
        """ + _covered_by_flag("formal >= 3", "too_few_members"),
    reasons=(Reason("too_few_members", "正式党员不足3名，应组建联合党支部",
                    "fewer than 3 formal members: should be a joint branch"),),
)

_DUAL_REGISTRATION_FILTER = (
    "x.member_status = 'in_service' AND x.political_status IN ['member', 'probationary']")

DUAL_REGISTRATION = AuditDef(
    id="dual-registration", zh="在职党员双报到", en="Dual registration of in-service members",
    eligible=Label.PERSON,
    # "with a residence" is the MATCH below: a pattern predicate here is ten times slower
    filter=_DUAL_REGISTRATION_FILTER,
    # Over the whole graph, walking down from each community to the homes in it and the
    # people living there is 6× faster than walking up from every person (550 → 90 ms at
    # district scale); a test keeps both forms equal. Homes: what lies directly in a grid
    # and the buildings of compounds (domain.md: people live in buildings or compounds).
    totals_from_places=f"""
        MATCH (community:Region {{level: 'community'}})<-[:IN]-(grid:Grid)<-[:IN]-(p0:Place)
        OPTIONAL MATCH (p0)<-[:IN]-(p1:Building)
        WITH community, grid, collect(DISTINCT p0) + collect(DISTINCT p1) AS homes
        OPTIONAL MATCH (community)-[:IN]->(street:Region {{level: 'street'}})
        WITH street, community, grid, homes
        UNWIND homes AS home
        MATCH (home)<-[:LIVES_IN]-(x:Person)
        WHERE {_DUAL_REGISTRATION_FILTER}
        OPTIONAL MATCH (x)-[reg:REPORTS_TO]->(community)
        WITH street, community, grid, x, reg IS NOT NULL AS covered""",
    coverage="""
        MATCH (x)-[:LIVES_IN]->(:Place)-[:IN*0..5]->(home:Region {level: 'community'})
        OPTIONAL MATCH (x)-[:REPORTS_TO]->(reg:Region)
        WITH x, home, collect(reg.code) AS registered
        WITH x, home.code IN registered AS covered, size(registered) > 0 AS elsewhere
        WITH x, covered, CASE WHEN covered THEN [] WHEN elsewhere THEN ['registered_elsewhere']
                              ELSE ['not_registered'] END AS reasons""",
    reasons=(Reason("not_registered", "未到居住地社区报到", "not registered with their community"),
             Reason("registered_elsewhere", "报到社区与居住地社区不一致",
                    "registered with another community than the one they live in")),
)

HIERARCHY_INTEGRITY = AuditDef(
    id="hierarchy-integrity", zh="组织体系完整性", en="Party hierarchy integrity",
    eligible=Label.PARTY_ORG,
    # One row per (covered target, place the parent covers); each covered place must meet
    # one of the parent's places on its IN chain. Counted in a single aggregation per `x`:
    # FalkorDB's per-node grouping, and the pattern comprehension this replaced, were most
    # of the cost (district: 292 → 147 ms, the same verdict for each of 7,128 orgs).
    coverage="""
        OPTIONAL MATCH (x)-[:UNDER]->(parent:PartyOrg)
        OPTIONAL MATCH (x)-[:COVERS]->(p0)
        OPTIONAL MATCH (p0)-[:IN]->(p1)
        OPTIONAL MATCH (p1)-[:IN]->(p2)
        OPTIONAL MATCH (p2)-[:IN]->(p3)
        OPTIONAL MATCH (p3)-[:IN]->(p4)
        OPTIONAL MATCH (parent)-[:COVERS]->(a:Place)
        WITH x, parent IS NOT NULL AS has_parent, p0, a, 'Place' IN labels(p0) AS place,
             a IN [p0, p1, p2, p3, p4] AS hit
        WITH x, has_parent, max(CASE WHEN p0.level = 'district' THEN 1 ELSE 0 END) AS top,
             count(a) AS areas, count(DISTINCT CASE WHEN hit THEN p0 END) AS hits,
             count(DISTINCT CASE WHEN place THEN p0 END) AS places
        WITH x, has_parent OR top = 1 AS rooted, areas = 0 OR hits = places AS inside
        WITH x, rooted AND inside AS covered, rooted, inside
        WITH x, covered, CASE WHEN covered THEN [] ELSE
             (CASE WHEN rooted THEN [] ELSE ['orphan'] END) +
             (CASE WHEN inside THEN [] ELSE ['covers_outside_parent'] END) END AS reasons""",
    reasons=(Reason("orphan", "无上级党组织（孤立组织）", "orphan: no parent organization"),
             Reason("covers_outside_parent", "覆盖范围超出上级党组织所辖区域",
                    "covers places outside its parent's area")),
)

REGION_PARTY_ORG = AuditDef(
    id="region-party-org", zh="街道社区党组织覆盖",
    en="Street and community party-organization coverage", eligible=Label.REGION,
    filter="x.level IN ['street', 'community']",
    # a joint committee (联合党(工)委) covering the region is a party organization like any
    coverage="""
        OPTIONAL MATCH (x)<-[:COVERS]-(o)
        """ + _covered_by_flag("count(o) > 0", "no_party_org"),
    reasons=(Reason("no_party_org", "无党组织覆盖", "no party organization"),),
)

COMMUNITY_PAIRING = AuditDef(
    id="community-pairing", zh="结对共建覆盖", en="Communities with a paired institution",
    eligible=Label.REGION, filter="x.level = 'community'",
    # paired with the community itself or with a grid, compound or building inside it
    coverage="""
        OPTIONAL MATCH (x)<-[:IN*0..3]-(:Place)<-[:PAIRED_WITH]-(o)
        """ + _covered_by_flag("count(o) > 0", "no_paired_institution"),
    reasons=(Reason("no_paired_institution", "无结对共建单位", "no paired institution"),),
)

PROPERTY_PARTY_ORG = AuditDef(
    id="property-party-org", zh="红色物业", en="Party coverage of property companies",
    eligible=Label.ORGANIZATION, filter="x.kind = 'property_company'",
    # property companies are counted where they work, by the compounds they manage (many
    # are registered elsewhere): in scope when one of them is, grouped by the first
    reach="(:Compound)<-[:MANAGES]-", via=Label.COMPOUND,
    anchor="OPTIONAL MATCH (x)-[:MANAGES]->(a0:Compound)", multi_anchor=True,
    coverage=f"""
        OPTIONAL MATCH (x)<-[:COVERS]-(o)
        WITH x, count(o) AS orgs
        OPTIONAL MATCH (x)<-[pm:HOLDS_POST]-(m)
        WITH x, orgs, sum(CASE WHEN pm.role = 'project_manager' AND {_current("pm")}
                                    AND m.political_status = 'member'
                               THEN 1 ELSE 0 END) AS member_managers
        """ + _covered_by_flag("orgs > 0 OR member_managers > 0",
                               "no_party_org_or_member_manager"),
    reasons=(Reason("no_party_org_or_member_manager", "无党组织覆盖，项目经理非党员",
                    "no party organization and no party-member project manager"),),
)

AUDITS: dict[str, AuditDef] = {a.id: a for a in (
    COMPOUND_PARTY_ORG, COMPOUND_PROPERTY, COMPOUND_OWNERS_COMMITTEE, THREE_NO_COMPOUND,
    GRID_PARTY_ORG, GRID_WORKER, BUILDING_PARTY_GROUP, BUILDING_CHIEF, TWO_NEW_PARTY_ORG,
    CROSS_APPOINTMENT, DUAL_ROLE, SECRETARY_VACANCY, BRANCH_SIZE, DUAL_REGISTRATION,
    HIERARCHY_INTEGRITY, REGION_PARTY_ORG, COMMUNITY_PAIRING, PROPERTY_PARTY_ORG,
)}
