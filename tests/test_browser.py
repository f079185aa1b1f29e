"""The dashboard in a real browser: Debian's chromium (by its path, no browser download)
driven by Playwright, against a real uvicorn serving the app on the demo district's
history (tiny scale). Screenshots of each page go to tests/out/."""

from __future__ import annotations

from typing import Any

import httpx

from resolvers.access import Caller
from tests.auth import DISTRICT, bearer, token
from tests.browser import OUT, STREET, Watched, only_own_host, skip_without_chromium, watched

skip_without_chromium()

OVERVIEW = {"query": "{ overview { metric title titleEn eligible covered gaps rate } "
                     "me { jurisdictionName } }"}


async def _api(base: str, headers: dict[str, str]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base) as c:
        response = await c.post("/graphql", json=OVERVIEW, headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _cards(page: Any) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for card in await page.locator(".card").all():
        found[await card.get_attribute("data-metric")] = {
            "title": await card.locator("h2").inner_text(),
            "data-rate": await card.get_attribute("data-rate") or "",
            "rate": await card.locator(".rate").inner_text(),
            "counts": await card.locator(".counts").inner_text(),
            "change": await card.locator(".change").inner_text(),
        }
    return found


def _same_figures(cards: dict[str, dict[str, str]], api: dict[str, Any], *,
                  english: bool = False) -> None:
    assert sorted(cards) == sorted(a["metric"] for a in api["overview"])
    for a in api["overview"]:
        card = cards[a["metric"]]
        assert card["title"] == (a["titleEn"] if english else a["title"])
        # the exact figure, and it shown to a tenth of a percent (JS rounds half-way
        # cases of binary floats its own way: 0.8125 → 81.3%)
        if a["rate"] is None:
            assert card["rate"] == "—"
            assert card["data-rate"] == ""
        else:
            assert float(card["data-rate"]) == a["rate"], a["metric"]
            assert card["rate"].endswith("%")
            assert abs(float(card["rate"][:-1]) - a["rate"] * 100) <= 0.05 + 1e-9
        assert f"{a['covered']} / {a['eligible']}" in card["counts"], a["metric"]
        assert str(a["gaps"]) in card["counts"]


AUDIT = ("query($m: AuditMetric!, $s: String, $g: GroupLevel) { audit(metric: $m, "
         "scope: $s, groupBy: $g) { rate covered eligible groups { code name rate covered "
         "eligible } gaps(first: 20) { totalCount nodes { code } } } }")


async def _audit(base: str, scope: str | None, group_by: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base) as c:
        response = await c.post("/graphql", headers=bearer("admin"), json={
            "query": AUDIT, "variables": {"m": "BUILDING_CHIEF", "s": scope, "g": group_by}})
    assert response.status_code == 200, response.text
    audit: dict[str, Any] = response.json()["data"]["audit"]
    return audit


async def _groups_shown(page: Any) -> list[tuple[str, str, str, str]]:
    """The group table's rows, read in one step (a re-render cannot slip in between)."""
    rows = await page.eval_on_selector_all("#groups tbody tr", """rows => rows.map(r => {
        const c = [...r.querySelectorAll('td')].map(td => td.innerText);
        return [r.dataset.code || '', c[0], c[2], c[3]]; })""")
    return [tuple(r) for r in rows]


async def _shown(page: Any, crumbs: str, groups: int) -> None:
    """Wait until the page shows this place with this many groups: `data-audit-ready`
    stays set from the page before, so it alone does not say the new one is drawn."""
    await page.wait_for_function(
        """([crumbs, groups]) => document.querySelector('#crumbs').innerText === crumbs
            && document.querySelectorAll('#groups tbody tr').length === groups""",
        arg=[crumbs, groups])


async def _drill(w: Watched, base: str, api: dict[str, Any]) -> None:
    await w.page.click('.card[data-metric="building-chief"] h2 a')
    await w.page.wait_for_selector("body[data-audit-ready]")
    district = await _audit(base, None, "STREET")
    assert await _groups_shown(w.page) == [
        (g["code"], g["name"], str(g["covered"]), str(g["eligible"]))
        for g in district["groups"]]
    assert await w.page.locator("#bars svg").count() == 1
    assert not await w.page.locator("#cards").is_visible()
    assert (await w.page.locator("#gap-total").inner_text()).startswith(
        str(district["gaps"]["totalCount"]))
    assert await w.page.locator("#gaps tbody tr").count() == len(district["gaps"]["nodes"])
    await w.page.screenshot(path=OUT / "audit-district.png", full_page=True)

    street = district["groups"][0]
    communities = await _audit(base, street["code"], "COMMUNITY")
    await w.page.click(f'#groups tr[data-code="{street["code"]}"] a')
    await w.page.wait_for_selector("body[data-audit-ready]")
    await _shown(w.page, f"总览 › 莒南县 › {street['name']}", len(communities["groups"]))
    assert await _groups_shown(w.page) == [
        (g["code"], g["name"], str(g["covered"]), str(g["eligible"]))
        for g in communities["groups"]]
    crumbs = await w.page.locator("#crumbs").inner_text()
    assert crumbs == f"总览 › 莒南县 › {street['name']}"
    await w.page.screenshot(path=OUT / "audit-street.png", full_page=True)

    await w.page.click("#crumbs a >> text=莒南县")  # up again
    await w.page.wait_for_selector("body[data-audit-ready]")
    await _shown(w.page, "总览 › 莒南县", len(district["groups"]))
    assert len(await _groups_shown(w.page)) == len(district["groups"])
    await w.page.click("#crumbs a >> text=总览")
    await w.page.wait_for_selector("#cards:not([hidden])")
    assert not await w.page.locator("#audit").is_visible()


async def test_admin_signs_in_with_the_link_sees_the_api_figures_and_signs_out(
        server: tuple[Any, str], browser: Any) -> None:
    app, base = server
    caller = Caller.of_roles(sub="demo-admin", name="莒南县管理员", roles=("admin",),
                             jurisdiction=DISTRICT)
    link = f"{base}/login?token={app.state.sessions.ticket(caller)}"
    w = await watched(browser)
    await w.page.goto(link)
    await w.page.wait_for_selector("body[data-ready]")
    assert w.page.url == base + "/"  # the ticket left the address bar
    api = await _api(base, bearer("admin"))
    assert await w.page.locator("#jurisdiction").inner_text() == \
        api["me"]["jurisdictionName"] == "莒南县"
    cards = await _cards(w.page)
    _same_figures(cards, api)
    # the demo's history: each card shows its change since the previous snapshot
    assert all("较上期" in c["change"] for c in cards.values())
    assert await w.page.locator(".card .spark svg").count() == len(cards)
    cookie = next(c for c in await w.page.context.cookies() if c["name"] == "orgcover_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert await w.page.evaluate("document.cookie") == ""  # no script reads the session
    await w.page.screenshot(path=OUT / "dashboard-zh.png", full_page=True)

    await w.page.click("#lang")
    await w.page.wait_for_selector("html[lang=en]")
    _same_figures(await _cards(w.page), api, english=True)
    assert await w.page.locator("h1").inner_text() == "Coverage overview"
    await w.page.screenshot(path=OUT / "dashboard-en.png", full_page=True)
    await w.page.click("#lang")  # back to Chinese for the next pages

    again = await w.page.goto(link)  # the link is good once
    assert again is not None
    assert again.status == 401
    w.errors = [e for e in w.errors if "/login?token=" not in e]  # that 401 was wanted

    # one audit: the district's streets as bars, down to a street's communities, and up
    await w.page.goto(base + "/")
    await w.page.wait_for_selector("body[data-ready]")
    await _drill(w, base, api)

    # GraphiQL, served from this host, queries with the same session
    await w.page.goto(base + "/graphql")
    await w.page.click(".graphiql-execute-button")
    result = w.page.locator(".result-window")
    await result.get_by_text('"compound-party-org"').first.wait_for()
    await w.page.screenshot(path=OUT / "graphiql.png")

    await w.page.goto(base + "/")
    await w.page.wait_for_selector("body[data-ready]")
    await w.page.click("#logout")
    await w.page.wait_for_url(base + "/login")
    await w.page.wait_for_selector("#login")
    await w.page.screenshot(path=OUT / "signed-out.png", full_page=True)
    async with httpx.AsyncClient(base_url=base) as c:
        c.cookies.set(cookie["name"], cookie["value"])  # the old cookie, replayed
        replay = await c.post("/graphql", json=OVERVIEW, headers={"x-orgcover-csrf": "1"})
    assert replay.status_code == 401
    only_own_host(w, base)


async def test_street_auditor_signs_in_with_a_token_and_sees_only_that_street(
        server: tuple[Any, str], browser: Any) -> None:
    _, base = server
    street_token = token("auditor", STREET, sub="street-auditor")
    w = await watched(browser)
    await w.page.goto(base + "/")
    await w.page.wait_for_selector("#login")
    await w.page.screenshot(path=OUT / "sign-in.png", full_page=True)
    await w.page.fill("#token", "not a token")
    await w.page.click("#login button[type=submit]")
    await w.page.wait_for_selector("#error:not([hidden])")
    assert "malformed token" in await w.page.locator("#error").inner_text()
    await w.page.fill("#token", street_token)
    await w.page.click("#login button[type=submit]")
    await w.page.wait_for_selector("body[data-ready]")
    street = await _api(base, {"authorization": f"Bearer {street_token}"})
    district = await _api(base, bearer("admin"))
    assert await w.page.locator("#jurisdiction").inner_text() == \
        street["me"]["jurisdictionName"] == "十字路街道"
    _same_figures(await _cards(w.page), street)
    totals = {a["metric"]: a["eligible"] for a in district["overview"]}
    assert sum(a["eligible"] for a in street["overview"]) < sum(totals.values())
    await w.page.screenshot(path=OUT / "dashboard-street.png", full_page=True)
    w.errors = [e for e in w.errors if "401" not in e]  # the refused "not a token"
    only_own_host(w, base)
