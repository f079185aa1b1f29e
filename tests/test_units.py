"""Pure unit tests: cell parsing, checksums, row models, domain labels, cursors, builders."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from graph.domain import OrgKind, Role, ZhEnum
from graph.errors import BadInput
from graph.queries import audits, load, navigation
from graph.queries.scope import in_scope, scope_filter
from loaders import cells
from loaders.rows import (
    CompoundRow,
    OrganizationRow,
    PartyOrgRow,
    PersonRow,
    PostRow,
    RegionRow,
)
from resolvers.pagination import MAX_PAGE, decode_cursor, encode_cursor, page_size


def test_zh_enum_reads_chinese_labels_and_synonyms() -> None:
    assert Role.from_label("楼长") is Role.BUILDING_CHIEF
    assert Role.from_label("组织委员") is Role.COMMITTEE_MEMBER
    assert Role.from_label("building_chief") is Role.BUILDING_CHIEF
    assert OrgKind.from_label("国有企业") is OrgKind.INSTITUTION
    assert Role.from_label("董事长") is None
    assert isinstance(Role.SECRETARY, ZhEnum)
    assert Role.SECRETARY.zh == "书记"


@pytest.mark.parametrize("text", ["2023-05-01", "2023/5/1", "2023.5.1", "2023年5月1日",
                                  "２０２３-０５-０１"])
def test_dates_in_every_roster_format(text: str) -> None:
    assert cells.parse_date(text) == "2023-05-01"


def test_excel_date_cells_and_bad_dates() -> None:
    assert cells.parse_date(dt.datetime(2023, 5, 1, 0, 0)) == "2023-05-01"
    with pytest.raises(ValueError, match="日期"):
        cells.parse_date("2023-02-30")


def test_integers_from_excel_floats() -> None:
    assert cells.parse_int(12.0) == 12
    assert cells.parse_int("12.0") == 12
    with pytest.raises(ValueError, match="整数"):
        cells.parse_int("12.5")


def test_booleans() -> None:
    assert cells.parse_bool("是") is True
    assert cells.parse_bool("N") is False
    with pytest.raises(ValueError, match="是/否"):
        cells.parse_bool("也许")


def test_id_card_check_digit() -> None:
    first17 = "11010519491231002"
    number = first17 + cells.id_check_char(first17)
    assert number == "11010519491231002X"  # the GB 11643 example
    assert cells.valid_id_number(number)
    assert not cells.valid_id_number(first17 + "1")
    assert cells.mask_id_number("371327198204021178") == "3713**********1178"


def test_uscc_check_character() -> None:
    assert cells.valid_uscc("91350100M000100Y43")  # a published example
    assert not cells.valid_uscc("91350100M000100Y44")
    assert cells.looks_like_uscc("91350100M000100Y44")
    assert not cells.looks_like_uscc("YWH0001")


def test_codes_are_nfkc_normalized_and_trimmed() -> None:
    row = RegionRow.model_validate({"code": " ＪＮ０１ ", "name": "莒南", "level": "区县"})
    assert row.code == "JN01"


def _error(model: type, data: dict[str, object]) -> tuple[str, str]:
    with pytest.raises(ValidationError) as err:
        model.model_validate(data)
    first = err.value.errors()[0]
    return (str(first["loc"][0]) if first["loc"] else ""), first["msg"]


def test_row_rules_fail_with_the_column() -> None:
    assert _error(RegionRow, {"code": "a", "name": "b", "level": "省"})[0] == "level"
    assert "上级编码" in _error(RegionRow, {"code": "a", "name": "b", "level": "社区"})[1]
    assert _error(CompoundRow, {"code": "a", "name": "b", "grid_code": "g",
                                "households": "1.5"})[0] == "households"
    assert _error(CompoundRow, {"code": "a", "name": "", "grid_code": "g"})[0] == "name"
    assert "服务小区编码" in _error(OrganizationRow, {"code": "a", "name": "b",
                                                   "kind": "业主委员会"})[1]
    assert "统一社会信用代码" in _error(OrganizationRow, {"code": "91350100M000100Y44",
                                                      "name": "b", "kind": "非公企业"})[1]
    assert _error(PersonRow, {"code": "p", "name": "n",
                              "id_number": "371327198204021179"})[0] == "id_number"
    assert _error(PersonRow, {"code": "p", "name": "n", "phone": "12345"})[0] == "phone"
    assert "所在党组织编码" in _error(PersonRow, {"code": "p", "name": "n",
                                                 "political_status": "中共党员"})[1]
    assert _error(PostRow, {"person_code": "p", "target_code": "t",
                            "role": "董事长"})[0] == "role"


def test_covers_split_on_every_separator() -> None:
    row = PartyOrgRow.model_validate({"code": "P", "name": "n", "kind": "党支部",
                                      "covers": "A；B、C,D;E"})
    assert row.covers == ("A", "B", "C", "D", "E")


def test_person_repr_keeps_the_id_number_out() -> None:
    row = PersonRow.model_validate({"code": "p", "name": "n",
                                    "id_number": "371327198204021178"})
    assert "371327198204021178" not in repr(row)


def test_cursors_are_bound_to_their_list() -> None:
    cursor = encode_cursor("grid_compounds", "C01")
    assert decode_cursor("grid_compounds", cursor) == "C01"
    with pytest.raises(BadInput, match="another list"):
        decode_cursor("regions", cursor)
    with pytest.raises(BadInput, match="not a cursor"):
        decode_cursor("regions", "forged!")
    assert page_size(None) == 50
    with pytest.raises(BadInput):
        page_size(MAX_PAGE + 1)


def test_builders_are_parameterized() -> None:
    stmt = load.upsert_nodes(kind=load.COMPOUND)
    assert stmt.text.startswith(
        "UNWIND range(0, size($code) - 1) AS i WITH i, $code[i] AS code "
        "MERGE (n:Place:Compound {code: code})")
    scoped = navigation.neighbours(edge=navigation.EDGES["grid_compounds"], scoped=True)
    assert "$scope" in scoped.text
    assert "$after" in scoped.text
    unscoped = navigation.neighbours(edge=navigation.EDGES["grid_compounds"], scoped=False)
    assert "$scope" not in unscoped.text
    gaps = audits.audit_gaps(audit=audits.COMPOUND_PARTY_ORG, scoped=False)
    assert "LIMIT $limit" in gaps.text
    assert "'no_party_org'" in gaps.text


def test_scope_predicates_follow_links_to_places() -> None:
    assert in_scope("x", load.Label.COMPOUND) == "(x)-[:IN*0..5]->(scope_place)"
    # the scope place is matched in a clause of its own, after every variable is carried
    assert scope_filter("p", scoped=True) == (
        "WITH * MATCH (scope_place:Place {code: $scope}) WHERE p")
    assert scope_filter("p", scoped=False) == ""
    assert "LIVES_IN" in in_scope("p", load.Label.PERSON)
    assert "COVERS" in in_scope("o", load.Label.PARTY_ORG)


def test_graphql_audit_metrics_match_the_catalogue() -> None:
    from graph.queries.audits import AUDITS
    from schema.enums import AuditMetric

    assert [m.value for m in AuditMetric] == list(AUDITS)


def test_a_builder_variant_is_built_once() -> None:
    from graph.queries import navigation as nav

    edge = nav.EDGES["compound_buildings"]
    first = nav.neighbours(edge=edge, scoped=True)
    assert nav.neighbours(edge=edge, scoped=True) is first
    assert nav.neighbours(edge=edge, scoped=False) is not first
    assert nav.neighbours(edge=edge, scoped=False).name == "nav.neighbours.compound_buildings"


def test_serving_tunes_the_interpreter_and_gives_it_back() -> None:
    """app/loop.py: a 1 ms switch interval, a young generation of 10,000 and the start-up
    heap frozen while serving; the interpreter's own settings again afterwards."""
    import gc
    import sys

    from app.loop import SWITCH_INTERVAL, YOUNG_GENERATION, tuned_for_serving

    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    with tuned_for_serving():
        assert sys.getswitchinterval() == SWITCH_INTERVAL
        assert gc.get_threshold() == (YOUNG_GENERATION, *thresholds[1:])
        assert gc.get_freeze_count() > 0
    assert sys.getswitchinterval() == interval
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0
