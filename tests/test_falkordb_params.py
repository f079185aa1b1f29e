"""The parameter header sent to FalkorDB reads back as the values given (real server)."""

from __future__ import annotations

from typing import Any

import pytest
from falkordb.helpers import stringify_param_value

from graph.backends.falkordb import FalkorStore
from graph.backends.falkordb_params import header, literal
from graph.queries.admin import ECHO

VALUES: list[Any] = [
    "plain", "", "中文 阳光花园", "q\"uote", "back\\slash", "a\nb\tc\rd", "\x01ctrl", "\u2028",
    'a,"b":1', "{", "}", "`tick`", 0, -3, 10**15, 1.5, 1e-7, True, False, None, [], {},
    [1, "x", None, [2, [3]]], {"code": "C1", "props": {"name": "n", "n": 2, "ok": True}},
    {"with space": 1, "@type": "x"}, {"a": "back\\slash", "b": "fine"},
    [{"code": "A"}, {"code": "B\\"}, {"code": "C\x02"}],
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
async def test_value_reads_back_unchanged(store: FalkorStore, value: Any) -> None:
    rows = await store.read(ECHO, {"value": value})
    assert rows == [{"value": value}]


def test_plain_values_take_the_json_path() -> None:
    rows = [{"code": f"C{i}", "props": {"name": "楼", "n": i, "flag": None}} for i in range(3)]
    assert literal(rows) == (
        '[{`code`:"C0",`props`:{`name`:"楼",`n`:0,`flag`:null}},'
        '{`code`:"C1",`props`:{`name`:"楼",`n`:1,`flag`:null}},'
        '{`code`:"C2",`props`:{`name`:"楼",`n`:2,`flag`:null}}]')


def test_only_the_odd_item_falls_back_to_the_client() -> None:
    text = literal(["ok", "a\x01"])
    assert text == '["ok",' + stringify_param_value("a\x01") + "]"


def test_header_names_every_parameter() -> None:
    assert header({}) == ""
    assert header({"a": 1, "b": "x"}) == 'CYPHER `a`=1 `b`="x" '
