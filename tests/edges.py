"""Hand-built rosters whose every figure is known: edge cases of the audit catalogue and
the links the linkage queries follow (used by test_audit_catalogue and test_linkage)."""

from __future__ import annotations

TODAY = "2026-01-01"
ENDED = "2020-12-31"


def person(code: str, status: str = "群众", org: str = "", employer: str = "",
           residence: str = "", member_status: str = "") -> list[str]:
    return [code, f"人员{code}", "", "", "", status, member_status, org, employer, residence]


EDGES: dict[str, list[list[object]]] = {
    "regions": [["D", "县", "区县", "", ""], ["S", "街道", "街道", "D", ""],
                ["C1", "一社区", "社区", "S", ""], ["C2", "二社区", "社区", "S", ""]],
    "grids": [["G1", "网格1", "C1", ""], ["G2", "网格2", "C1", ""], ["G3", "网格3", "C2", ""]],
    "compounds": [["X1", "阳光花园小区", "G1", "", "是"], ["X2", "锦绣家园小区", "G3", "", "否"],
                  ["X3", "和平新村小区", "G2", "", "是"], ["X4", "东方名苑小区", "G2", "", "是"]],
    "buildings": [["B1", "1号楼", "X1", "住宅", ""], ["B2", "2号楼", "X1", "住宅", ""],
                  ["B3", "3号楼", "X2", "住宅", ""]],
    "organizations": [
        ["E3", "三人企业", "非公企业", "G1", ""], ["E3B", "三人无支部企业", "非公企业", "G1", ""],
        ["E2", "两人企业", "非公企业", "G1", ""], ["E2P", "两正一预企业", "非公企业", "G1", ""],
        ["E0", "有指导员企业", "社会组织", "G1", ""], ["E0B", "空白企业", "社会组织", "G1", ""],
        ["PM", "万家物业", "物业服务企业", "S", ""], ["INS", "县医院", "机关事业单位", "D", ""],
        ["YX1", "阳光花园业委会", "业主委员会", "X1", "X1"],
        ["ZX2", "锦绣家园自管委", "自管委员会", "X2", "X2"],
        ["YX3", "和平新村业委会", "业主委员会", "X3", "X3"],
    ],
    "party_orgs": [
        ["PD", "县委", "党委", "区域", "", "D", ""],
        ["PC1", "一社区党委", "党委", "区域", "PD", "C1", ""],
        ["PE3", "三人企业党支部", "党支部", "非公企业", "PC1", "E3", ""],
        ["PJ", "联合党支部", "联合党支部", "非公企业", "PC1", "E2；E3B", ""],
        ["PS", "小支部", "党支部", "网格", "PC1", "G2", ""],
        ["PX1", "阳光花园党总支", "党总支", "小区", "PC1", "X1", ""],
        ["PB1", "1号楼党小组", "党小组", "楼栋", "PX1", "B1", ""],
        ["PX3", "和平新村党总支", "党总支", "小区", "PS", "X3", ""],
        ["PBAD", "越界党总支", "党总支", "小区", "PS", "X1", ""],
        ["PO", "孤立党总支", "党总支", "小区", "", "X4", ""],
    ],
    "people": [
        *(person(f"M3{i}", "中共党员", "PE3", "E3") for i in range(3)),
        *(person(f"M3B{i}", "中共党员", "PJ", "E3B") for i in range(3)),
        *(person(f"M2{i}", "中共党员", "PJ", "E2") for i in range(2)),
        person("M2P0", "中共党员", "PS", "E2P"), person("M2P1", "中共党员", "PS", "E2P"),
        person("M2P2", "中共预备党员", "PS", "E2P"),
        person("W1"), person("W2"), person("W3"), person("I1", "中共党员", "PC1"),
        person("K1"), person("K2"), person("SEC", "中共党员", "PC1"),
        # in-service members: correct registration, none, registered elsewhere
        person("H1", "中共党员", "PC1", residence="B1", member_status="在职党员"),
        person("H2", "中共党员", "PC1", residence="B2", member_status="在职党员"),
        person("H3", "中共党员", "PC1", residence="B3", member_status="在职党员"),
        person("H4", "中共党员", "PC1", residence="", member_status="在职党员"),
        person("SX"), person("S3"), person("C3"), person("HH"),
        # an in-service member of the paired institution, registered with C2 (no residence,
        # so outside the dual-registration audit)
        person("P1", "中共党员", "PD", "INS", member_status="在职党员"),
    ],
    "posts": [
        ["W1", "G1", "专职网格员", "2020-01-01", ""],
        ["W2", "G2", "专职网格员", "2019-01-01", ENDED],
        ["W3", "G2", "兼职网格员", "2020-01-01", ""],
        ["I1", "E0", "党建指导员", "2021-01-01", ""],
        ["K1", "B1", "楼长", "2020-01-01", ""],
        ["K2", "B2", "楼长", "2019-01-01", ENDED],
        ["SEC", "PC1", "书记", "2019-01-01", ENDED],
        ["M30", "PE3", "书记", "2020-01-01", ""],
        ["SX", "PX1", "书记", "2020-01-01", ""], ["SX", "YX1", "业委会主任", "2020-01-01", ""],
        ["S3", "PX3", "书记", "2020-01-01", ""], ["C3", "YX3", "业委会主任", "2020-01-01", ""],
        ["HH", "B2", "党员中心户", "2020-01-01", ""],
        ["P1", "E0", "党建指导员", "2022-01-01", ""],  # lives nowhere, registered with C2
    ],
    "relations": [["H1", "双报到", "C1", ""], ["H3", "双报到", "C1", ""],
                  ["P1", "双报到", "C2", ""],
                  ["PM", "物业服务", "X1", ""], ["PM", "物业服务", "X3", ""],
                  ["PM", "物业服务", "X4", ""], ["INS", "结对共建", "X2", ""]],
}
