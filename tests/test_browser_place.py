"""The place page (#place/<code>) and the search page (#search/<text>) in a real browser:
what they show equals what the API answers for the same caller (no hard-coded figures),
the jurisdiction bounds both, and a viewer sees no phone number. Screenshots go to
tests/out/."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from tests.auth import DISTRICT, bearer
from tests.browser import (
    OUT,
    STREET,
    Watched,
    gql,
    only_own_host,
    signed_in,
    skip_without_chromium,
)

skip_without_chromium()

WHO = "{ code name phone }"
COMPOUND = f"""query($c: String!) {{ compound(code: $c) {{ code name
  community {{ code name }} grid {{ code name }} street {{ code name }}
  coveringPartyOrgs {{ code secretary {WHO} }} propertyCompanies {{ code }}
  committees {{ code }} crossAppointments {{ person {{ code }} }}
  buildings(first: 100) {{ nodes {{ code }} }}
  gaps(first: 20) {{ metric total gaps {{ code }} }} }} }}"""
COMPOUNDS = """{ compounds(first: 100) { nodes { code name propertyCompanies { code }
  gaps(first: 1) { metric } } } }"""
SEARCH = """query($t: String!) { search(text: $t, first: 20) { totalCount
  nodes { __typename code } } }"""
#: The audits whose gaps are compounds (their gap rows lead to a compound's place page).
COMPOUND_AUDITS = ("COMPOUND_PARTY_ORG", "COMPOUND_PROPERTY", "COMPOUND_OWNERS_COMMITTEE",
                   "THREE_NO_COMPOUND", "CROSS_APPOINTMENT", "DUAL_ROLE")
PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
MASKED = re.compile(r"\d{3}\*{4}\d{4}|\*{4}")


async def _hash(w: Watched, value: str, page: str) -> None:
    """Go to `#value` and wait until that page is drawn (the ready mark of the page
    before is taken away first, so it cannot be read as this one's)."""
    await w.page.evaluate("""h => { document.body.removeAttribute('data-page-ready');
        document.body.removeAttribute('data-place-ready');
        document.body.removeAttribute('data-search-ready'); location.hash = h; }""", value)
    await w.page.wait_for_selector(f'body[data-page-ready="{page}"]')


async def _search(w: Watched, text: str) -> None:
    """Type `text` in the search box, submit, and wait for the results."""
    await w.page.evaluate("document.body.removeAttribute('data-search-ready')")
    await w.page.fill("#search-text", text)
    await w.page.click("#search-form button[type=submit]")
    await w.page.wait_for_selector("body[data-search-ready]")


async def _codes(w: Watched, selector: str) -> list[str]:
    found: list[str] = await w.page.eval_on_selector_all(
        selector, "rows => rows.map(r => r.dataset.code)")
    return found


async def _rows(w: Watched, block: str) -> list[str]:
    """The codes of a place page block's rows (#place-<block>), in order."""
    return await _codes(w, f"#place-{block} tbody tr")


async def _results(w: Watched) -> list[tuple[str, str]]:
    found = await w.page.eval_on_selector_all(
        "#search-results tbody tr", "rows => rows.map(r => [r.dataset.type, r.dataset.code])")
    return [(t, c) for t, c in found]


async def _same_search(w: Watched, base: str, text: str,
                       headers: dict[str, str] | None = None) -> dict[str, Any]:
    api = (await gql(base, SEARCH, {"t": text}, headers=headers))["search"]
    assert await _results(w) == [(n["__typename"], n["code"]) for n in api["nodes"]]
    assert await w.page.get_attribute("#search-total", "data-total") == \
        str(api["totalCount"])
    return api


async def _same_gaps(w: Watched, api: list[dict[str, Any]]) -> None:
    heads = await w.page.eval_on_selector_all(
        "#place-gaps h4", "hs => hs.map(h => [h.dataset.metric, h.dataset.total])")
    assert [tuple(h) for h in heads] == [(a["metric"], str(a["total"])) for a in api]
    for a in api:
        assert await _codes(w, f'#place-gaps tr[data-metric="{a["metric"]}"]') == \
            [g["code"] for g in a["gaps"]]


async def _compound(base: str) -> dict[str, Any]:
    """A compound with a property company and gaps, as the API describes it."""
    found = (await gql(base, COMPOUNDS))["compounds"]["nodes"]
    pick = next(c for c in found if c["propertyCompanies"] and c["gaps"])
    compound: dict[str, Any] = (await gql(base, COMPOUND, {"c": pick["code"]}))["compound"]
    return compound


async def test_admin_searches_a_compound_and_opens_its_place_pages(
        server: tuple[Any, str], browser: Any) -> None:
    app, base = server
    c = await _compound(base)
    w = await signed_in(browser, app, base)

    # the search page: a hint and no request for nothing typed, then part of the name
    await w.page.click('header nav a[data-page="search"]')
    await w.page.wait_for_selector('body[data-page-ready="search"]')
    assert await w.page.locator("#search-hint").is_visible()
    asked = len(w.requests)
    await _search(w, "")
    assert await w.page.locator("#search-hint").is_visible()
    await _search(w, "3")  # one digit: too short to search
    assert "至少" in await w.page.locator("#search-hint").inner_text()
    assert len(w.requests) == asked
    part = c["name"][:-2] if c["name"].endswith("小区") else c["name"][:2]
    await _search(w, part)
    assert w.page.url.endswith("#search/" + quote(part, safe=""))
    api = await _same_search(w, base, part)
    assert ("Compound", c["code"]) in [(n["__typename"], n["code"]) for n in api["nodes"]]
    await w.page.screenshot(path=OUT / "search-name.png", full_page=True)

    # paging: the next page is the API's page after the first, and back again
    many = "小区"  # every compound's name: more than a page in the demo district
    await _search(w, many)
    first = await _same_search(w, base, many)
    await w.page.evaluate("document.body.removeAttribute('data-search-ready')")
    await w.page.click("#search-next")
    await w.page.wait_for_selector("body[data-search-ready]")
    cursor = (await gql(base, """query($t: String!) { search(text: $t, first: 20) {
        pageInfo { endCursor } } }""", {"t": many}))["search"]["pageInfo"]["endCursor"]
    second = (await gql(base, """query($t: String!, $a: String) { search(text: $t,
        first: 20, after: $a) { nodes { __typename code } } }""",
                        {"t": many, "a": cursor}))["search"]["nodes"]
    assert await _results(w) == [(n["__typename"], n["code"]) for n in second]
    assert "第 21–" in await w.page.locator("#search-total").inner_text()
    await w.page.evaluate("document.body.removeAttribute('data-search-ready')")
    await w.page.click("#search-prev")
    await w.page.wait_for_selector("body[data-search-ready]")
    assert await _results(w) == [(n["__typename"], n["code"]) for n in first["nodes"]]
    assert await w.page.locator("#search-prev").is_disabled()

    # by code: the compound, and its buildings (codes starting with its code)
    await _search(w, c["code"])
    api = await _same_search(w, base, c["code"])
    assert api["nodes"][0]["code"] == c["code"]
    await w.page.evaluate("document.body.removeAttribute('data-search-ready')")
    await w.page.select_option("#search-type", "PLACE")  # the type filter searches again
    await w.page.wait_for_selector("body[data-search-ready]")
    await w.page.wait_for_function("location.hash.endsWith('/PLACE')")
    assert all(t in ("Region", "Grid", "Compound", "Building") for t, _ in await _results(w))
    await w.page.screenshot(path=OUT / "search-code.png", full_page=True)

    # the place page of the compound, from its search result
    await w.page.evaluate("document.body.removeAttribute('data-page-ready')")
    await w.page.click(f'#search-results tr[data-code="{c["code"]}"] a')
    await w.page.wait_for_selector('body[data-page-ready="place"]')
    assert (await w.page.locator("#place-title").inner_text()).startswith(c["name"])
    assert await _rows(w, "orgs") == [g["code"] for g in c["coveringPartyOrgs"]]
    secretaries = await w.page.eval_on_selector_all(
        "#place-orgs tbody tr", "rows => rows.map(r => r.dataset.secretary)")
    assert secretaries == [(g["secretary"] or {}).get("code", "") for g in c["coveringPartyOrgs"]]
    assert await _rows(w, "property") == [x["code"] for x in c["propertyCompanies"]]
    # 红色物业: not among the property-party-org audit's gaps
    not_red = {g["code"] for g in (await gql(base, """{ audit(metric: PROPERTY_PARTY_ORG) {
        gaps(first: 500) { nodes { code } } } }"""))["audit"]["gaps"]["nodes"]}
    red = await w.page.eval_on_selector_all(
        "#place-property tbody tr", "rows => rows.map(r => r.dataset.red)")
    assert red == [str(x["code"] not in not_red).lower() for x in c["propertyCompanies"]]
    assert await _rows(w, "committees") == [x["code"] for x in c["committees"]]
    assert await _rows(w, "cross") == [x["person"]["code"] for x in c["crossAppointments"]]
    assert await _rows(w, "buildings") == [b["code"] for b in c["buildings"]["nodes"]]
    await _same_gaps(w, c["gaps"])
    # the admin sees phone numbers in full (so the viewer's page below says something)
    phones = [g["secretary"]["phone"] for g in c["coveringPartyOrgs"]
              if g["secretary"] and g["secretary"]["phone"]]
    text = await w.page.locator("#place").inner_text()
    assert all(p in text for p in phones)
    await w.page.screenshot(path=OUT / "place-compound.png", full_page=True)

    # in English
    await w.page.click("#lang")
    await w.page.wait_for_selector("html[lang=en]")
    assert "Covering party organizations" in await w.page.locator("#place-orgs h3").inner_text()
    await w.page.screenshot(path=OUT / "place-compound-en.png", full_page=True)
    await w.page.click("#lang")
    await w.page.wait_for_selector("html[lang=zh-CN]")

    # up to its community by the breadcrumb
    community = c["community"]
    await w.page.evaluate("document.body.removeAttribute('data-page-ready')")
    await w.page.click(f'#place-where a[data-code="{community["code"]}"]')
    await w.page.wait_for_selector('body[data-page-ready="place"]')
    api_c = (await gql(base, """query($c: String!) { region(code: $c) { name
        coveringPartyOrgs { code } posts { holder { code } } grids(first: 100) { nodes { code } }
        gaps(first: 20) { metric total gaps { code } } }
        compounds(scope: $c, first: 100) { nodes { code } } }""",
                       {"c": community["code"]}))
    region = api_c["region"]
    assert (await w.page.locator("#place-title").inner_text()).startswith(region["name"])
    assert await _rows(w, "orgs") == [g["code"] for g in region["coveringPartyOrgs"]]
    assert await _rows(w, "posts") == [p["holder"]["code"] for p in region["posts"]]
    assert await _rows(w, "grids") == [g["code"] for g in region["grids"]["nodes"]]
    assert await _rows(w, "compounds") == [x["code"] for x in api_c["compounds"]["nodes"]]
    await _same_gaps(w, region["gaps"])
    await w.page.screenshot(path=OUT / "place-community.png", full_page=True)

    # a grid of it
    grid = c["grid"]
    await w.page.evaluate("document.body.removeAttribute('data-page-ready')")
    await w.page.click(f'#place-grids tr[data-code="{grid["code"]}"] a')
    await w.page.wait_for_selector('body[data-page-ready="place"]')
    api_g = (await gql(base, """query($c: String!) { grid(code: $c) { name
        coveringPartyOrgs { code } gridWorkers { holder { code } }
        buildings(first: 100) { nodes { code } } gaps(first: 20) { metric total gaps { code } } }
        compounds(scope: $c, first: 100) { nodes { code } } }""", {"c": grid["code"]}))
    assert (await w.page.locator("#place-title").inner_text()).startswith(api_g["grid"]["name"])
    assert await _rows(w, "orgs") == [g["code"] for g in api_g["grid"]["coveringPartyOrgs"]]
    assert await _rows(w, "posts") == [p["holder"]["code"] for p in api_g["grid"]["gridWorkers"]]
    assert await _rows(w, "compounds") == [x["code"] for x in api_g["compounds"]["nodes"]]
    assert await _rows(w, "buildings") == [b["code"] for b in api_g["grid"]["buildings"]["nodes"]]
    await _same_gaps(w, api_g["grid"]["gaps"])
    await w.page.screenshot(path=OUT / "place-grid.png", full_page=True)

    # a gap of a compound audit, as the audit page's gap rows link to it
    gaps = await gql(base, "{ " + " ".join(
        f"{m}: audit(metric: {m}) {{ gaps(first: 1) {{ nodes {{ code name }} }} }}"
        for m in COMPOUND_AUDITS) + " }")
    metric, gap = next((m, gaps[m]["gaps"]["nodes"][0]) for m in COMPOUND_AUDITS
                       if gaps[m]["gaps"]["nodes"])
    await _hash(w, f"place/{gap['code']}", "place")
    assert (await w.page.locator("#place-title").inner_text()).startswith(gap["name"])
    slug = metric.lower().replace("_", "-")
    assert gap["code"] in await _codes(w, f'#place-gaps tr[data-metric="{slug}"]')
    # and from the place page back to that audit, at the compound's grid
    await w.page.evaluate("document.body.removeAttribute('data-audit-ready')")
    await w.page.click(f'#place-gaps h4[data-metric="{slug}"] a')
    await w.page.wait_for_selector("body[data-audit-ready]")
    assert w.page.url.split("#")[1].startswith(f"audit/{slug}/{DISTRICT}/")
    await w.page.screenshot(path=OUT / "place-gap-audit.png", full_page=True)
    only_own_host(w, base)


async def test_street_auditor_finds_nothing_outside_the_street(
        server: tuple[Any, str], browser: Any) -> None:
    app, base = server
    district = (await gql(base, "query($c: String!) { region(code: $c) { name } }",
                          {"c": DISTRICT}))["region"]
    w = await signed_in(browser, app, base, roles=("auditor",), jurisdiction=STREET,
                        name="十字路街道审计")
    street = bearer("auditor", STREET)
    # the district (outside the street) by name and by code: nothing, and no place page
    await _hash(w, "search", "search")
    await _search(w, district["name"])
    api = await _same_search(w, base, district["name"], headers=street)
    assert api["totalCount"] == 0
    assert "没有找到" in await w.page.locator("#search-total").inner_text()
    await _hash(w, f"place/{DISTRICT}", "place")
    assert "不存在或不在管辖范围内" in await w.page.locator("#place-missing").inner_text()
    assert await w.page.locator("#place-body .block").count() == 0
    await w.page.screenshot(path=OUT / "place-outside-street.png", full_page=True)
    # the street's own page: its communities, and no way up to the district
    await _hash(w, f"place/{STREET}", "place")
    assert await w.page.locator("#place-where a[data-code]").count() == 0
    assert await w.page.locator("#place-children tbody tr").count() > 0
    # a bad query is shown as such (texts are at most 64 characters)
    await _hash(w, "search/" + "x" * 65, "search")
    assert "64" in await w.page.locator("#search-error").inner_text()
    assert await w.page.locator("#search-results").is_hidden()
    await w.page.screenshot(path=OUT / "search-bad-input.png", full_page=True)
    only_own_host(w, base)


async def test_community_auditor_finds_no_compound_of_another_community(
        server: tuple[Any, str], browser: Any) -> None:
    """The demo district has one street, so a compound of another street cannot be had;
    a community's auditor and a compound of the next community test the same bound."""
    app, base = server
    found = (await gql(base, "{ compounds(first: 100) { nodes { code name "
                             "community { code } } } }"))["compounds"]["nodes"]
    mine = found[0]["community"]["code"]
    other = next(c for c in found if c["community"]["code"] != mine)
    w = await signed_in(browser, app, base, roles=("auditor",), jurisdiction=mine,
                        name="社区审计")
    await _hash(w, "search", "search")
    await _search(w, other["name"])
    api = await _same_search(w, base, other["name"], headers=bearer("auditor", mine))
    assert other["code"] not in [n["code"] for n in api["nodes"]]
    assert await w.page.locator(f'#search-results tr[data-code="{other["code"]}"]').count() == 0
    await _search(w, other["code"])
    assert await w.page.get_attribute("#search-total", "data-total") == "0"
    await _hash(w, f"place/{other['code']}", "place")
    assert "不存在或不在管辖范围内" in await w.page.locator("#place-missing").inner_text()
    await w.page.screenshot(path=OUT / "place-outside-community.png", full_page=True)
    only_own_host(w, base)


async def test_viewer_sees_no_phone_number(server: tuple[Any, str], browser: Any) -> None:
    app, base = server
    c = await _compound(base)
    w = await signed_in(browser, app, base, roles=("viewer",), name="查看")
    for code in (c["code"], c["community"]["code"], c["grid"]["code"]):
        await _hash(w, f"place/{code}", "place")
        text = await w.page.locator("main").inner_text()
        assert await w.page.locator("#place-orgs").count() == 1
        assert not PHONE.search(text), PHONE.search(text)
        assert not MASKED.search(text)
    await w.page.screenshot(path=OUT / "place-viewer.png", full_page=True)
    await _hash(w, "search/" + quote(c["name"], safe=""), "search")
    assert not PHONE.search(await w.page.locator("main").inner_text())
    only_own_host(w, base)
