"""Gap lists filtered by reason and text, and the audit workbook (auditWorkbook), through
HTTP on the tiny district: each filter's answer is the unfiltered list filtered here,
paging a filtered list gives each gap once, a bad reason is BAD_USER_INPUT, the
jurisdiction still bounds everything, and the workbook holds what the API lists."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.audit_export import HEADER_ROW
from app.main import create_app
from graph.queries.audits import AUDITS
from graph.store import GraphStore
from resolvers.audits import MAX_GAP_TEXT
from tests.auth import DISTRICT, bearer, settings

STREET, COMMUNITY, OTHER = "371327001", "371327001001", "371327001002"
#: Audits with several reasons, and one of places with a plain name.
METRICS = ("three-no-compound", "compound-owners-committee", "grid-worker",
           "two-new-party-org", "building-chief")
GAPS = """query($m: AuditMetric!, $s: String, $first: Int, $after: String, $reason: String,
                $text: String) {
  audit(metric: $m, scope: $s) { gaps(first: $first, after: $after, reason: $reason,
                                      text: $text) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { code name communityName streetName reasons { code label } } } } }"""
WORKBOOK = """query($m: AuditMetric!, $s: String, $g: GroupLevel, $reason: String,
                    $text: String) {
  auditWorkbook(metric: $m, scope: $s, groupBy: $g, reason: $reason, text: $text) {
    filename mediaType contentBase64 rows } }"""


@pytest.fixture(scope="module")
async def client(tiny_store: GraphStore, tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(tmp_path_factory.mktemp("gap-filters")), store=tiny_store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
        yield c


async def _ask(client: httpx.AsyncClient, query: str, variables: dict[str, Any], *,
               role: str = "admin", where: str = DISTRICT) -> dict[str, Any]:
    response = await client.post("/graphql", headers=bearer(role, where),
                                 json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _enum(metric: str) -> str:
    return metric.upper().replace("-", "_")


async def _all(client: httpx.AsyncClient, metric: str, *, size: int = 500,
               **filters: Any) -> tuple[int, list[dict[str, Any]]]:
    """The whole list, page by page: (totalCount, gaps)."""
    role, where = filters.pop("role", "admin"), filters.pop("where", DISTRICT)
    found: list[dict[str, Any]] = []
    after = None
    while True:
        body = await _ask(client, GAPS, {"m": _enum(metric), "first": size, "after": after,
                                         **filters}, role=role, where=where)
        assert "errors" not in body, body
        gaps = body["data"]["audit"]["gaps"]
        found += gaps["nodes"]
        if not gaps["pageInfo"]["hasNextPage"]:
            return gaps["totalCount"], found
        after = gaps["pageInfo"]["endCursor"]


def _has(gap: dict[str, Any], text: str) -> bool:
    return text.lower() in gap["code"].lower() or text.lower() in gap["name"].lower()


@pytest.mark.parametrize("metric", METRICS)
async def test_each_filter_is_the_unfiltered_list_filtered(client: httpx.AsyncClient,
                                                           metric: str) -> None:
    total, every = await _all(client, metric)
    assert total == len(every) > 0
    for reason in (r.code for r in AUDITS[metric].reasons):
        count, kept = await _all(client, metric, reason=reason)
        expected = [g for g in every if reason in {x["code"] for x in g["reasons"]}]
        assert kept == expected, reason
        assert count == len(expected)
    name = every[len(every) // 2]["name"]
    for text in (name[-2:], every[0]["code"][-3:], f"  {name[:3]} "):
        count, kept = await _all(client, metric, text=text)
        assert kept == [g for g in every if _has(g, text.strip())], text
        assert count == len(kept) > 0
    reason = AUDITS[metric].reasons[0].code
    count, kept = await _all(client, metric, text=name[-1:], reason=reason)
    assert kept == [g for g in every if _has(g, name[-1:])
                    and reason in {x["code"] for x in g["reasons"]}]
    assert count == len(kept)
    assert (await _all(client, metric, text="   "))[1] == every  # blank: no filter


async def test_paging_a_filtered_list_gives_each_gap_once(client: httpx.AsyncClient) -> None:
    _, every = await _all(client, "building-chief")
    text = every[0]["code"][:-2]  # a prefix many gaps share
    count, whole = await _all(client, "building-chief", text=text)
    count3, paged = await _all(client, "building-chief", text=text, size=3)
    assert count == count3 == len(whole) > 3
    assert paged == whole
    assert len({g["code"] for g in paged}) == len(paged)


async def test_bad_filters_are_bad_input(client: httpx.AsyncClient) -> None:
    body = await _ask(client, GAPS, {"m": "GRID_WORKER", "reason": "no_party_org"})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "argument reason" in error["message"]
    assert "no_grid_worker, only_part_time" in error["message"]
    body = await _ask(client, GAPS, {"m": "GRID_WORKER", "text": "x" * (MAX_GAP_TEXT + 1)})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "argument text" in body["errors"][0]["message"]
    body = await _ask(client, WORKBOOK, {"m": "GRID_WORKER", "reason": "nope"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_filters_stay_inside_the_jurisdiction(client: httpx.AsyncClient) -> None:
    _, district = await _all(client, "building-chief", reason="no_building_chief")
    count, community = await _all(client, "building-chief", reason="no_building_chief",
                                  role="viewer", where=COMMUNITY)
    assert 0 < count == len(community) < len(district)
    assert {g["streetName"] for g in community} == {None}  # above the scope: hidden
    inside = {g["code"] for g in await _scoped(client, COMMUNITY)}
    assert {g["code"] for g in community} == inside
    body = await _ask(client, GAPS, {"m": "BUILDING_CHIEF", "s": OTHER, "text": "1"},
                      role="viewer", where=COMMUNITY)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await _ask(client, WORKBOOK, {"m": "BUILDING_CHIEF", "s": OTHER},
                      role="auditor", where=COMMUNITY)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def _scoped(client: httpx.AsyncClient, scope: str) -> list[dict[str, Any]]:
    body = await _ask(client, GAPS, {"m": "BUILDING_CHIEF", "s": scope, "first": 500})
    nodes: list[dict[str, Any]] = body["data"]["audit"]["gaps"]["nodes"]
    return nodes


def _open(answer: dict[str, Any]) -> Any:
    from openpyxl import load_workbook

    content = base64.b64decode(answer["contentBase64"])
    return load_workbook(io.BytesIO(content))


@pytest.mark.parametrize("role", ["auditor", "officer", "admin"])
async def test_the_workbook_holds_the_filtered_gaps(client: httpx.AsyncClient,
                                                   role: str) -> None:
    reason, text = "no_building_chief", "0"
    _, gaps = await _all(client, "building-chief", reason=reason, text=text, role=role,
                         where=STREET)
    body = await _ask(client, WORKBOOK, {"m": "BUILDING_CHIEF", "g": "COMMUNITY",
                                         "reason": reason, "text": text},
                      role=role, where=STREET)
    assert "errors" not in body, body
    answer = body["data"]["auditWorkbook"]
    assert answer["mediaType"] == ("application/vnd.openxmlformats-officedocument."
                                   "spreadsheetml.sheet")
    assert answer["filename"].startswith("building-chief-")
    assert answer["filename"].endswith(".xlsx")
    assert answer["rows"] == len(gaps) > 0
    book = _open(answer)
    assert book.sheetnames == ["汇总", "分组", "缺口清单"]
    sheet = book["缺口清单"]
    title = [sheet.cell(row=i, column=1).value or "" for i in range(1, HEADER_ROW)]
    assert title[0].startswith("楼栋长覆盖率") or "缺口清单" in title[0]
    assert "十字路街道" in title[1]
    assert "筛选：原因 " in title[1]
    assert "含“0”" in title[1]
    assert "数据截至" in title[2]
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    assert sheet.auto_filter.ref.startswith(f"A{HEADER_ROW}:")
    rows = [list(r) for r in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    assert rows == [[i, g["code"], g["name"], g["communityName"], g["streetName"],
                     "；".join(x["label"] for x in g["reasons"])]
                    for i, g in enumerate(gaps, start=1)]
    groups = [r[0] for r in book["分组"].iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    assert groups
    assert all(code.startswith(STREET) for code in groups)


@pytest.mark.parametrize("role", ["viewer", "loader"])
async def test_the_workbook_needs_the_export_right(client: httpx.AsyncClient,
                                                   role: str) -> None:
    body = await _ask(client, WORKBOOK, {"m": "BUILDING_CHIEF"}, role=role)
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "right": "export"}


async def test_a_workbook_too_large_is_refused(client: httpx.AsyncClient,
                                               monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    from resolvers import exports

    monkeypatch.setattr(exports, "MAX_WORKBOOK_ROWS", 2)
    body = await _ask(client, WORKBOOK, {"m": "BUILDING_CHIEF"}, role="auditor")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "narrow the scope" in body["errors"][0]["message"]


async def test_a_workbook_without_scope_names_the_jurisdiction(
        client: httpx.AsyncClient) -> None:
    body = await _ask(client, WORKBOOK, {"m": "BUILDING_CHIEF", "g": "STREET"})
    answer = body["data"]["auditWorkbook"]
    assert answer["filename"].startswith("building-chief-莒南县-")
    line = _open(answer)["汇总"].cell(row=2, column=1).value
    assert line.startswith("管辖范围：莒南县（371327）    统计范围：莒南县（371327）")


async def test_at_most_two_workbooks_are_written_at_once(client: httpx.AsyncClient,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """Writing holds the GIL: more requests at once wait their turn (in their thread)."""
    import threading
    import time

    from resolvers import exports

    writing, most, lock = [0], [0], threading.Lock()
    written = exports._written

    def slow(*args: Any) -> bytes:
        with lock:
            writing[0] += 1
            most[0] = max(most[0], writing[0])
        time.sleep(0.2)
        try:
            return written(*args)
        finally:
            with lock:
                writing[0] -= 1

    monkeypatch.setattr(exports, "_written", slow)
    answers = await asyncio.gather(*(_ask(client, WORKBOOK, {"m": "BUILDING_CHIEF"},
                                          role="auditor") for _ in range(5)))
    assert all(a["data"]["auditWorkbook"]["rows"] >= 0 for a in answers)
    assert most[0] == 2
