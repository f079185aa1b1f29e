"""The OIDC sign-in's binding cookie (app/auth/oidc.py): the sign-in under way lives in
it, sealed with this process's key, so no number of anonymous starts cancels anyone's;
a forged, foreign, expired or replayed one signs in no one. And where the redirect URL
and the cookie's Secure flag come from (app/settings.py `require_oidc_redirect`)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from app.auth import oidc
from app.auth.oidc import PENDING_TTL, OidcClient, OidcConfig, SignInFailed
from app.dashboard_oidc import BINDING_COOKIE
from app.main import create_app
from graph.errors import ConfigError
from graph.store import GraphStore
from tests import test_oidc
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.test_oidc import _assert_refused, _back_from_provider, _set_cookies, oidc_settings

# test_oidc's fixtures (the provider, orgcover on uvicorn), used here under the same names
provider = test_oidc.provider
idp = test_oidc.idp
orgcover = test_oidc.orgcover


def _sealed(c: httpx.AsyncClient) -> str:
    return str(c.cookies[BINDING_COOKIE])


async def _with_binding(c: httpx.AsyncClient, url: str, binding: str) -> httpx.Response:
    """`url` with exactly this binding cookie (the browser's own jar emptied first)."""
    c.cookies.clear()
    return await c.get(url, headers={"cookie": f"{BINDING_COOKIE}={binding}"})


async def test_anonymous_starts_do_not_cancel_a_sign_in_under_way(idp: Provider,
                                                                  orgcover: str) -> None:
    async with httpx.AsyncClient() as user, httpx.AsyncClient() as anyone:
        callback = await _back_from_provider(user, orgcover)
        for _ in range(11):  # 1,100 starts, 100 at a time
            starts = await asyncio.gather(*(anyone.get(f"{orgcover}/login/oidc")
                                            for _ in range(100)))
            assert {s.status_code for s in starts} == {302}
        done = await user.get(callback)
        assert done.status_code == 303, done.text


async def test_a_tampered_binding_cookie_signs_in_no_one(idp: Provider, orgcover: str) -> None:
    async with httpx.AsyncClient() as c:
        callback = await _back_from_provider(c, orgcover)
        sealed = _sealed(c)
        i = len(sealed) // 2
        tampered = sealed[:i] + ("A" if sealed[i] != "A" else "B") + sealed[i + 1:]
        await _assert_refused(c, orgcover, await _with_binding(c, callback, tampered), 400,
                              "unknown")
        await _assert_refused(c, orgcover, await _with_binding(c, callback, "garbage"), 400,
                              "unknown")
        # the real cookie still works: a forged one burns nothing
        assert (await _with_binding(c, callback, sealed)).status_code == 303


async def test_a_binding_cookie_of_another_process_signs_in_no_one(
        idp: Provider, orgcover: str, tiny_store: GraphStore, tmp_path: Path) -> None:
    """Another key (a restart, or another server): its cookie is not one of ours."""
    other = create_app(oidc_settings(tmp_path, idp.discovery_url), store=tiny_store)
    async with other.router.lifespan_context(other), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=other), base_url="http://127.0.0.1") as elsewhere:
        start = await elsewhere.get("/login/oidc")
        assert start.status_code == 302
    sealed = _set_cookies(start)[BINDING_COOKIE].split(";")[0].split("=", 1)[1]
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    callback = f"{orgcover}/login/oidc/callback?" + urlencode({"state": state, "code": "x"})
    async with httpx.AsyncClient() as c:
        await _assert_refused(c, orgcover, await _with_binding(c, callback, sealed), 400,
                              "unknown")
    assert idp.refusals == []  # refused before any code went to the provider


async def test_a_replayed_callback_signs_in_no_one(idp: Provider, orgcover: str) -> None:
    """The callback URL and its binding cookie, sent again after the sign-in."""
    async with httpx.AsyncClient() as c:
        callback = await _back_from_provider(c, orgcover)
        sealed = _sealed(c)
        assert (await c.get(callback)).status_code == 303
        await _assert_refused(c, orgcover, await _with_binding(c, callback, sealed), 400,
                              "used already")
    assert idp.refusals == []


def _client(provider: Provider, clock: list[float]) -> OidcClient:
    async def no_place(code: str) -> bool:
        return False
    return OidcClient(OidcConfig(discovery_url=provider.discovery_url, client_id=CLIENT_ID,
                                 client_secret=CLIENT_SECRET),
                      place_exists=no_place, clock=lambda: clock[0])


async def _refusal(client: OidcClient, state: str, binding: str) -> SignInFailed:
    with pytest.raises(SignInFailed) as refused:
        await client.finish(params={"state": state}, binding=binding)  # no code
    return refused.value


async def test_an_expired_binding_cookie_signs_in_no_one(idp: Provider) -> None:
    clock = [time.time()]
    client = _client(idp, clock)
    started = await client.begin(base_url="http://127.0.0.1:9")
    state = parse_qs(urlsplit(started.url).query)["state"][0]
    clock[0] += PENDING_TTL  # the browser still sends it (its Max-Age lags): refused
    refused = await _refusal(client, state, started.binding)
    assert (refused.status, refused.reason) == (400, "expired")
    assert f"took longer than {PENDING_TTL // 60} minutes" in refused.message


async def test_used_states_are_remembered_boundedly(idp: Provider,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """At most MAX_USED: evicting the oldest only reopens a replay the provider's
    single-use code refuses anyway."""
    monkeypatch.setattr(oidc, "MAX_USED", 2)
    client = _client(idp, [time.time()])
    sign_ins = [await client.begin(base_url="http://127.0.0.1:9") for _ in range(3)]
    states = [parse_qs(urlsplit(s.url).query)["state"][0] for s in sign_ins]
    for state, started in zip(states[:2], sign_ins[:2], strict=True):
        assert (await _refusal(client, state, started.binding)).reason == "no-code"
        assert (await _refusal(client, state, started.binding)).reason == "replayed"
    assert (await _refusal(client, states[2], sign_ins[2].binding)).reason == "no-code"
    assert (await _refusal(client, states[0], sign_ins[0].binding)).reason == "no-code"
    assert (await _refusal(client, states[2], sign_ins[2].binding)).reason == "replayed"


async def test_beyond_loopback_the_redirect_url_must_be_set(
        idp: Provider, tiny_store: GraphStore, tmp_path: Path) -> None:
    """Otherwise the redirect URI would be whatever Host the request names."""
    with pytest.raises(ConfigError, match="needs ORGCOVER_OIDC_REDIRECT_URL") as refused:
        create_app(oidc_settings(tmp_path, idp.discovery_url, host="0.0.0.0"),
                   store=tiny_store)
    assert refused.value.setting == "ORGCOVER_OIDC_REDIRECT_URL"
    for fine in ({"allowed_hosts": "orgcover.example"},
                 {"oidc_redirect_url": "https://orgcover.example/login/oidc/callback"}):
        create_app(oidc_settings(tmp_path, idp.discovery_url, host="0.0.0.0", **fine),
                   store=tiny_store)
    create_app(oidc_settings(tmp_path, idp.discovery_url, host="::1"), store=tiny_store)


@pytest.mark.parametrize(("redirect_url", "secure"), [
    ("https://orgcover.example/login/oidc/callback", True),
    ("http://127.0.0.1:8000/login/oidc/callback", False),
])
async def test_the_binding_cookie_is_secure_as_the_redirect_url_is(
        idp: Provider, tiny_store: GraphStore, tmp_path: Path, redirect_url: str,
        secure: bool) -> None:
    app = create_app(oidc_settings(tmp_path, idp.discovery_url, oidc_redirect_url=redirect_url),
                     store=tiny_store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
        start = await c.get("/login/oidc")  # over http: the redirect URL decides
        assert start.status_code == 302
        query = parse_qs(urlsplit(start.headers["location"]).query)
        assert query["redirect_uri"] == [redirect_url]
        assert ("; Secure" in _set_cookies(start)[BINDING_COOKIE]) is secure
        refused = await c.get("/login/oidc/callback?state=x")
        assert ("; Secure" in _set_cookies(refused)[BINDING_COOKIE]) is secure
