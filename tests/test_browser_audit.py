"""The one-audit page in a real browser, compared with what the API answers: the trend,
the ranking with rank changes, the gap list paged and filtered, the gaps' place links, the
xlsx export opened with openpyxl; a street auditor sees only that street and a scope
outside it is a clear NOT_FOUND; a viewer has no export button."""

from __future__ import annotations

from typing import Any

from graph.queries.audits import AUDITS
from tests.auth import DISTRICT, bearer
from tests.browser import OUT, STREET, gql, only_own_host, signed_in, skip_without_chromium

skip_without_chromium()

PAGE = 20
GAPS = """query($m: AuditMetric!, $s: String, $first: Int, $after: String, $reason: String,
                $text: String) { audit(metric: $m, scope: $s) {
  gaps(first: $first, after: $after, reason: $reason, text: $text) { totalCount
    pageInfo { hasNextPage endCursor }
    nodes { code name communityCode reasons { code } } } } }"""
#: Audits whose gaps are places (their rows link to the item itself).
PLACE_ITEMS = {"compound-party-org", "compound-property", "compound-owners-committee",
               "three-no-compound", "grid-party-org", "grid-worker", "cross-appointment",
               "dual-role", "region-party-org", "community-pairing"}


def _enum(metric: str) -> str:
    return metric.upper().replace("-", "_")


async def _pick_metric(base: str) -> str:
    """An audit with more than a page of gaps, one with several reasons if there is one."""
    found = (await gql(base, "{ overview { metric gaps } }"))["overview"]
    paged = [a for a in found if a["gaps"] > PAGE]
    assert paged
    best = max(paged, key=lambda a: (len(AUDITS[a["metric"]].reasons) > 1, a["gaps"]))
    metric: str = best["metric"]
    return metric


async def _gaps(base: str, metric: str, headers: dict[str, str] | None = None,
                **variables: Any) -> dict[str, Any]:
    data = await gql(base, GAPS, {"m": _enum(metric), "first": PAGE, **variables},
                     headers=headers)
    found: dict[str, Any] = data["audit"]["gaps"]
    return found


async def _rows(page: Any, table: str) -> list[list[str]]:
    """A table's rows as [data-code, cell texts…], read in one step."""
    rows = await page.eval_on_selector_all(f"#{table} tbody tr", """rows => rows.map(r =>
        [r.dataset.code || '', ...[...r.querySelectorAll('td')].map(td => td.innerText)])""")
    return [list(r) for r in rows]


async def _wait_gaps(page: Any, number: int, codes: list[str]) -> None:
    """Wait until page `number` of the gap list is drawn with these rows."""
    await page.wait_for_selector(f'body[data-gaps-ready="{number}"]')
    await page.wait_for_function(
        """codes => JSON.stringify([...document.querySelectorAll('#gaps tbody tr')]
            .map(r => r.dataset.code)) === JSON.stringify(codes)""", arg=codes)


def _change(place: dict[str, Any], against: bool) -> str:
    change = place["rankChange"]
    if change is None:
        return "新" if place["rank"] is not None and against else "—"
    return f"▲{change}" if change > 0 else f"▼{-change}" if change < 0 else "—"


async def test_district_admin_trend_ranking_gaps_filters_and_export(
        server: tuple[Any, str], browser: Any) -> None:
    app, base = server
    metric = await _pick_metric(base)
    w = await signed_in(browser, app, base)
    page = w.page
    await page.evaluate(f"location.hash = 'audit/{metric}'")
    await page.wait_for_selector("body[data-audit-ready='1']")

    # the trend: one point per snapshot the API gives
    trend = (await gql(base, "query($m: AuditMetric!) { trend(metric: $m, last: 24) { "
                             "points { rate } } }", {"m": _enum(metric)}))["trend"]["points"]
    assert len(trend) >= 2  # the demo's months of history
    assert await page.locator("#trend svg").count() == 1
    drawn = await page.evaluate("""() => echarts.getInstanceByDom(
        document.getElementById('trend')).getOption().series[0].data""")
    assert drawn == [p["rate"] for p in trend]

    # the ranking with rank changes, as the API ranks the district's streets
    ranking = (await gql(base, """query($m: AuditMetric!) { ranking(metric: $m) {
        at { id } against { id } places { code name rate rank rankChange } } }""",
                         {"m": _enum(metric)}))["ranking"]
    shown = await _rows(page, "ranking")
    assert [r[0] for r in shown] == [p["code"] for p in ranking["places"]]
    for row, p in zip(shown, ranking["places"], strict=True):
        assert row[1] == ("—" if p["rank"] is None else str(p["rank"]))
        assert row[2] == p["name"]
        assert row[4] == _change(p, ranking["against"] is not None)
    when = await page.locator("#ranking-when").inner_text()
    assert ranking["at"]["id"] in when
    if ranking["against"]:
        assert ranking["against"]["id"] in when
    href = await page.locator("#ranking tbody tr a").first.get_attribute("href")
    assert href == f"#audit/{metric}/{ranking['places'][0]['code']}"

    # the gap list: page 1, then page 2 by the connection's cursor, and back
    first = await _gaps(base, metric)
    second = await _gaps(base, metric, after=first["pageInfo"]["endCursor"])
    assert (await page.locator("#gap-total").inner_text()).startswith(
        str(first["totalCount"]))
    assert [r[0] for r in await _rows(page, "gaps")] == [g["code"] for g in first["nodes"]]
    await page.screenshot(path=OUT / "audit-page-district.png", full_page=True)
    await page.click("#gap-next")
    await _wait_gaps(page, 2, [g["code"] for g in second["nodes"]])
    assert "21" in await page.locator("#gap-total").inner_text()
    await page.click("#gap-prev")
    await _wait_gaps(page, 1, [g["code"] for g in first["nodes"]])
    assert await page.locator("#gap-prev").is_disabled()

    # each gap links to its place page: the item itself, or its community
    row = first["nodes"][0]
    target = row["code"] if metric in PLACE_ITEMS else row["communityCode"]
    link = page.locator(f'#gaps tr[data-code="{row["code"]}"] td a').first
    assert await link.get_attribute("href") == f"#place/{target}"

    # filtered by a reason of the audit, then also by text
    reasons = [r.code for r in AUDITS[metric].reasons]
    counts = {r: (await _gaps(base, metric, reason=r))["totalCount"] for r in reasons}
    reason = max(counts, key=lambda r: counts[r])
    by_reason = await _gaps(base, metric, reason=reason)
    await page.select_option("#gap-reason", reason)
    await _wait_gaps(page, 1, [g["code"] for g in by_reason["nodes"]])
    assert (await page.locator("#gap-total").inner_text()).startswith(
        str(by_reason["totalCount"]))
    assert all(reason in {x["code"] for x in g["reasons"]} for g in by_reason["nodes"])
    text = by_reason["nodes"][-1]["name"][-2:]
    both = await _gaps(base, metric, reason=reason, text=text)
    assert 0 < both["totalCount"] <= by_reason["totalCount"]
    await page.fill("#gap-text", text)
    await page.click("#gap-filter button[type=submit]")
    await _wait_gaps(page, 1, [g["code"] for g in both["nodes"]])
    assert (await page.locator("#gap-total").inner_text()).startswith(str(both["totalCount"]))
    await page.screenshot(path=OUT / "audit-page-filtered.png", full_page=True)

    # the export: what is shown (the filtered list), as an xlsx file saved by the browser
    async with page.expect_download() as info:
        await page.click("#audit-export")
    download = await info.value
    assert download.suggested_filename.startswith(f"{metric}-")
    assert download.suggested_filename.endswith(".xlsx")
    saved = OUT / "audit-page-export.xlsx"
    await download.save_as(saved)
    from openpyxl import load_workbook

    from app.audit_export import HEADER_ROW

    book = load_workbook(saved)
    sheet = book["缺口清单"]
    assert "筛选：" in str(sheet.cell(row=2, column=1).value)
    codes = [r[1] for r in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    every = await _gaps(base, metric, reason=reason, text=text, first=500)
    assert codes == [g["code"] for g in every["nodes"]]
    only_own_host(w, base)


async def test_street_auditor_sees_only_the_street_and_not_another(
        server: tuple[Any, str], browser: Any) -> None:
    app, base = server
    metric = await _pick_metric(base)
    w = await signed_in(browser, app, base, roles=("auditor",), jurisdiction=STREET,
                        name="十字路街道审计")
    page = w.page
    await page.evaluate(f"location.hash = 'audit/{metric}'")
    await page.wait_for_selector("body[data-audit-ready='1']")
    headers = bearer("auditor", STREET)
    audit = (await gql(base, """query($m: AuditMetric!) { audit(metric: $m,
        groupBy: COMMUNITY) { groups { code } } }""", {"m": _enum(metric)},
                       headers=headers))["audit"]
    shown = [r[0] for r in await _rows(page, "groups")]
    assert shown == [g["code"] for g in audit["groups"]]
    assert shown
    assert all(code.startswith(STREET) for code in shown)
    first = await _gaps(base, metric, headers=headers)
    assert [r[0] for r in await _rows(page, "gaps")] == [g["code"] for g in first["nodes"]]
    assert await page.locator("#audit-export").is_visible()
    await page.screenshot(path=OUT / "audit-page-street.png", full_page=True)

    # outside the street: the district above it (the demo district has one street) and
    # a street code beside it; both read as not found, in the page, not a blank one
    for outside in (DISTRICT, f"{DISTRICT}002"):
        await page.evaluate(f"location.hash = 'audit/{metric}/{STREET}/{outside}'")
        await page.wait_for_selector("body[data-audit-ready='error']")
        error = page.locator("#audit-error")
        assert await error.is_visible()
        assert "未找到该地点" in await error.inner_text()
        assert f"scope '{outside}' is not a known place code" in await error.inner_text()
        assert not await page.locator("#audit-body").is_visible()
        await page.screenshot(path=OUT / f"audit-page-not-found-{outside}.png",
                              full_page=True)
        await page.evaluate(f"location.hash = 'audit/{metric}'")  # and back in
        await page.wait_for_selector("body[data-audit-ready='1']")
        assert await page.locator("#audit-body").is_visible()
        assert not await page.locator("#audit-error").is_visible()
    only_own_host(w, base)


async def test_a_viewer_has_no_export_button(server: tuple[Any, str], browser: Any) -> None:
    app, base = server
    w = await signed_in(browser, app, base, roles=("viewer",), name="查看")
    await w.page.evaluate("location.hash = 'audit/building-chief'")
    await w.page.wait_for_selector("body[data-audit-ready='1']")
    assert await w.page.locator("#gaps tbody tr").count() > 0
    assert not await w.page.locator("#audit-export").is_visible()
    only_own_host(w, base)
