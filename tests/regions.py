"""Hand-built rosters for the region, pairing and red-property audits and the period
figures (used by test_audit_regions): every figure below is known.

Streets S1 (covered) and S2 (not); communities C1 (a joint committee covers it), C2 (none)
in S1 and C3 (covered) in S2; one grid and one compound in each community.
"""

from __future__ import annotations

from tests.edges import person

PERIOD = ("2023-01-01", "2024-12-31")

REGIONS: dict[str, list[list[object]]] = {
    "regions": [["D", "县", "区县", "", ""], ["S1", "一街道", "街道", "D", ""],
                ["S2", "二街道", "街道", "D", ""], ["C1", "一社区", "社区", "S1", ""],
                ["C2", "二社区", "社区", "S1", ""], ["C3", "三社区", "社区", "S2", ""]],
    "grids": [["G1", "网格1", "C1", ""], ["G2", "网格2", "C2", ""], ["G3", "网格3", "C3", ""]],
    "compounds": [["X1", "一小区", "G1", "", "是"], ["X2", "二小区", "G2", "", "是"],
                  ["X3", "三小区", "G3", "", "是"]],
    "buildings": [["B3", "三小区1号楼", "X3", "住宅", ""]],
    "organizations": [
        # PM1: a party branch covers it; PM2: a formal member is its project manager;
        # PM3: the member manager's post ended, the current ones are a probationary member
        # and a non-member; PM4 manages nothing (not eligible); PM5 manages X1 and X3
        ["PM1", "一物业", "物业服务企业", "S1", ""], ["PM2", "二物业", "物业服务企业", "S1", ""],
        ["PM3", "三物业", "物业服务企业", "S2", ""], ["PM4", "四物业", "物业服务企业", "S2", ""],
        ["PM5", "五物业", "物业服务企业", "D", ""],
        ["INS1", "县医院", "机关事业单位", "D", ""], ["INS2", "县一中", "机关事业单位", "D", ""],
        ["INS3", "县税务局", "机关事业单位", "D", ""],
    ],
    "party_orgs": [
        ["PS1", "一街道党工委", "党工委", "区域", "", "S1", ""],
        ["PC1", "一社区联合党委", "党委", "区域", "PS1", "C1", ""],
        ["PC3", "三社区党委", "党委", "区域", "", "C3", ""],
        ["PX1", "一小区党支部", "党支部", "小区", "PC1", "X1", ""],
        ["PX2", "二小区党支部", "党支部", "小区", "PS1", "X2", ""],
        ["PX3", "三小区党支部", "党支部", "小区", "PC3", "X3", ""],
        ["PG1", "网格1党支部", "党支部", "网格", "PC1", "G1", ""],
        ["PT", "二小区临时党支部", "临时党支部", "小区", "PX2", "X2", ""],
        ["PPM1", "一物业党支部", "党支部", "非公企业", "PS1", "PM1", ""],
    ],
    "people": [
        person("M1", "中共党员", "PS1"), person("M2", "中共党员", "PC3"),
        person("M3", "中共预备党员", "PC3"), person("N1"),
        *(person(code, "中共党员", "PS1") for code in ("A", "B", "C", "L", "H", "D", "I", "G")),
    ],
    "posts": [
        ["M1", "PM2", "项目经理", "2021-01-01", ""],
        ["M2", "PM3", "项目经理", "2019-01-01", "2022-12-31"],
        ["M3", "PM3", "项目经理", "2023-01-01", ""],
        ["N1", "PM3", "项目经理", "2023-01-01", ""],
        # PX1: A ended in the period and B re-filled the post (one replacement, one
        # appointment)
        ["A", "PX1", "书记", "2019-01-01", "2023-06-30"],
        ["B", "PX1", "书记", "2023-07-01", ""],
        # PX2: C, in post before the period, replaced; L appointed, ends after it; H after it
        ["C", "PX2", "书记", "2020-01-01", "2024-05-31"],
        ["L", "PX2", "书记", "2024-06-15", "2025-01-31"],
        ["H", "PX2", "书记", "2025-02-01", ""],
        # PX3: D re-elected on the day after the term ended (no change); I long gone
        ["I", "PX3", "书记", "2016-01-01", "2020-12-31"],
        ["D", "PX3", "书记", "2021-01-01", "2023-12-31"],
        ["D", "PX3", "书记", "2024-01-01", ""],
        # PG1 (a grid branch): G appointed in the period
        ["G", "PG1", "书记", "2023-02-01", ""],
        # not a secretary post: never counted
        ["A", "PX3", "副书记", "2023-05-01", ""],
    ],
    "relations": [
        ["PM1", "物业服务", "X1", ""], ["PM2", "物业服务", "X2", ""], ["PM3", "物业服务", "X3", ""],
        ["PM5", "物业服务", "X1", ""], ["PM5", "物业服务", "X3", ""],
        # pairing: C1 itself, a building three levels inside C3, and street S2 (which
        # pairs no community); C2 has none
        ["INS1", "结对共建", "C1", ""], ["INS2", "结对共建", "B3", ""],
        ["INS3", "结对共建", "S2", ""],
    ],
}
