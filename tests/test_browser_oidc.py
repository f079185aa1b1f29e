"""The identity provider's button in a real browser (chromium, tests/browser.py): the
sign-in page → the provider (tests/oidc_provider.py) → back → the dashboard."""

from __future__ import annotations

from typing import Any

from tests import test_oidc
from tests.browser import OUT, skip_without_chromium, watched
from tests.oidc_provider import PERSON, Provider

skip_without_chromium()

# test_oidc's fixtures (the provider, orgcover on uvicorn), used here under the same names
provider = test_oidc.provider
idp = test_oidc.idp
orgcover = test_oidc.orgcover


async def test_the_provider_button_signs_in_to_the_dashboard(browser: Any, idp: Provider,
                                                             orgcover: str) -> None:
    w = await watched(browser)
    await w.page.goto(orgcover + "/")
    await w.page.wait_for_selector("#login")
    await w.page.screenshot(path=OUT / "oidc-sign-in-page.png")
    await w.page.click("#oidc")
    await w.page.wait_for_url(orgcover + "/**")
    await w.page.wait_for_function(
        "name => document.getElementById('user').textContent === name", arg=PERSON["name"])
    assert await w.page.locator("#jurisdiction").inner_text() == "莒南县"
    await w.page.wait_for_selector(".card")
    await w.page.screenshot(path=OUT / "oidc-signed-in.png", full_page=True)

    cookies = {c["name"]: c for c in await w.page.context.cookies()}
    assert cookies["orgcover_session"]["httpOnly"]
    assert cookies["orgcover_session"]["sameSite"] == "Strict"
    assert "orgcover_oidc" not in cookies  # the binding is used up and cleared
    # the only requests elsewhere: the provider's authorization endpoint (a navigation)
    elsewhere = {u.split("?")[0] for u in w.requests if not u.startswith(orgcover + "/")}
    assert elsewhere == {f"{idp.base}/authorize"}
    assert w.errors == []
