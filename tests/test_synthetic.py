"""The synthetic district: deterministic, shaped like the seeds, with gaps on purpose."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

from loaders.cells import valid_id_number, valid_uscc
from loaders.synthetic import SCALES, generate, write_csv


def _digest(paths: list[Path]) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()


def test_same_seed_same_district(tmp_path: Path) -> None:
    a = _digest(write_csv(generate(SCALES["tiny"], seed=3), tmp_path / "a"))
    b = _digest(write_csv(generate(SCALES["tiny"], seed=3), tmp_path / "b"))
    c = _digest(write_csv(generate(SCALES["tiny"], seed=4), tmp_path / "c"))
    assert a == b != c


def test_demo_scale_has_seed_proportions_and_gaps() -> None:
    t = generate(SCALES["demo"]).rows
    # communities, and one set up lately (code …900) with a few grids and no party org yet
    communities = [r for r in t["regions"] if r[2] == "社区" and not r[0].endswith("900")]
    new = [r for r in t["regions"] if r[2] == "社区" and r[0].endswith("900")]
    grids_per = Counter(r[2] for r in t["grids"])
    compounds_per = Counter(r[2][:-3] for r in t["compounds"])  # grid code → community code
    assert len(communities) == 10
    assert all(11 <= grids_per[c[0]] <= 15 for c in communities)
    assert len(new) == 1
    assert 1 <= grids_per[new[0][0]] <= 3
    assert new[0][0] not in {r[5] for r in t["party_orgs"]}
    assert 4 <= sum(compounds_per.values()) / len(communities) <= 8
    buildings = [r for r in t["buildings"] if r[3] == "住宅"]
    assert 7 <= len(buildings) / len(t["compounds"]) <= 13
    nodes = sum(len(t[k]) for k in ("regions", "grids", "compounds", "buildings",
                                    "organizations", "party_orgs", "people"))
    assert 15_000 <= nodes <= 25_000
    covered = {r[5] for r in t["party_orgs"] if r[3] == "小区"}
    rate = sum(1 for c in t["compounds"] if c[0] in covered) / len(t["compounds"])
    assert 0.75 <= rate <= 0.95
    managed = {r[2] for r in t["relations"] if r[1] == "物业服务"}
    assert 0.7 <= len(managed) / len(t["compounds"]) <= 0.9
    assert any(r[1] == "双报到" for r in t["relations"])
    assert all(valid_id_number(r[2]) for r in t["people"] if r[2])
    assert all(valid_uscc(r[0]) for r in t["organizations"] if r[2] in ("非公企业", "物业服务企业"))
    names = {r[1] for r in t["compounds"]}
    assert all(name.endswith("小区") for name in names)


def test_district_has_gaps_in_the_region_pairing_and_property_audits() -> None:
    """Proportions an auditor would find plausible (audits.md; issue 15): about 5% of
    communities without a party org, four in five communities paired, about two thirds of property
    companies red, and secretaries replaced mostly in recent years."""
    t = generate(SCALES["district"]).rows
    communities = [r[0] for r in t["regions"] if r[2] == "社区"]
    covered = {r[5] for r in t["party_orgs"]}
    uncovered = [c for c in communities if c not in covered]
    assert 0.03 <= len(uncovered) / len(communities) <= 0.08
    paired = {r[2] for r in t["relations"] if r[1] == "结对共建"}
    inside = {r[0]: r[2] for r in t["grids"]}
    inside |= {r[0]: inside[r[2]] for r in t["compounds"]}
    paired_communities = {c for c in communities if c in paired} | {
        inside[p] for p in paired if p in inside}
    assert 0.75 <= len(paired_communities) / len(communities) <= 0.95
    companies = [r[0] for r in t["organizations"] if r[2] == "物业服务企业"]
    members = {p[0] for p in t["people"] if p[5] == "中共党员"}
    member_managers = {r[1] for r in t["posts"] if r[2] == "项目经理" and r[0] in members}
    red = [c for c in companies if c in covered or c in member_managers]
    assert 0.5 <= len(red) / len(companies) <= 0.8
    ended = [r for r in t["posts"] if r[2] == "书记" and r[4]]
    assert 0.1 <= len(ended) / sum(1 for r in t["posts"] if r[2] == "书记") <= 0.3
