"""Sign-in through an identity provider (OIDC authorization code + PKCE), end to end: a
real uvicorn serving orgcover, a real test provider (tests/oidc_provider.py) on loopback,
and httpx as the browser, following redirects by hand. Every failure shows the sign-in
page with its reason and opens no session."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
import typer
from pydantic import ValidationError

from app.auth.oidc import PENDING_TTL, OidcClient, OidcConfig, pkce_challenge
from app.auth.sessions import COOKIE
from app.cli_common import load_settings
from app.dashboard_oidc import BINDING_COOKIE
from app.main import create_app
from app.serving import uvicorn_options
from app.settings import Settings
from graph.errors import ConfigError
from graph.store import GraphStore
from tests.auth import DISTRICT, settings
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, PERSON, Provider, free_port, served
from tests.test_web import _references

CSRF = {"x-orgcover-csrf": "1"}
ME = {"query": "{ me { sub name roles jurisdictionCode jurisdictionName } }"}


@pytest.fixture(scope="module")
async def provider() -> AsyncIterator[Provider]:
    idp = Provider()
    async with served(idp.app) as base:
        idp.base = base
        yield idp


@pytest.fixture
async def idp(provider: Provider) -> Provider:
    """The provider, as configured by default again (tests change what it answers)."""
    provider.reset()
    return provider


def oidc_settings(folder: Path, discovery_url: str, **overrides: Any) -> Settings:
    return settings(folder, oidc_discovery_url=discovery_url, oidc_client_id=CLIENT_ID,
                    oidc_client_secret=CLIENT_SECRET, **overrides)


@pytest.fixture(scope="module")
async def orgcover(provider: Provider, tiny_store: GraphStore,
                   tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A real uvicorn serving orgcover with the provider configured: its base URL."""
    config = oidc_settings(tmp_path_factory.mktemp("oidc"), provider.discovery_url)
    async with served(create_app(config, store=tiny_store), **uvicorn_options(config)) as base:
        yield base


async def _no_place(code: str) -> bool:
    return False


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


async def _to_provider(c: httpx.AsyncClient, base: str) -> str:
    """`/login/oidc` → the provider's authorization URL."""
    start = await c.get(f"{base}/login/oidc")
    assert start.status_code == 302, start.text
    return start.headers["location"]


async def _back_from_provider(c: httpx.AsyncClient, base: str) -> str:
    """Through the provider: the callback URL it sends the browser to."""
    answer = await c.get(await _to_provider(c, base))
    assert answer.status_code == 302, answer.text
    callback = answer.headers["location"]
    assert callback.startswith(f"{base}/login/oidc/callback?")
    return callback


async def _sign_in(c: httpx.AsyncClient, base: str) -> httpx.Response:
    return await c.get(await _back_from_provider(c, base))


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


async def _assert_refused(c: httpx.AsyncClient, base: str, response: httpx.Response,
                          status: int, reason: str) -> None:
    """The sign-in page with the reason, no session cookie, the binding cookie cleared,
    and /graphql does not know this browser."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = html.unescape(response.text)
    assert "Sign-in with the identity provider failed" in page
    assert reason in page, page
    assert 'href="/login/oidc"' in page  # start again
    assert "Traceback" not in page
    cookies = _set_cookies(response)
    assert COOKIE not in cookies
    assert "Max-Age=0" in cookies[BINDING_COOKIE]
    assert COOKIE not in c.cookies
    me = await c.post(f"{base}/graphql", json=ME, headers=CSRF)
    assert me.status_code == 401


async def test_sign_in_opens_a_session_with_the_providers_claims(
        idp: Provider, orgcover: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient() as c:
        login = await c.get(f"{orgcover}/login")
        assert login.status_code == 200
        assert 'href="/login/oidc"' in login.text
        assert "通过统一身份认证登录" in login.text
        assert _references(login.text).inline_scripts == 0

        start = await c.get(f"{orgcover}/login/oidc")  # anonymous, no CSRF header
        assert start.status_code == 302
        assert start.headers["cache-control"] == "no-store"
        binding = _set_cookies(start)[BINDING_COOKIE]
        for attribute in ("HttpOnly", "SameSite=Lax", "Path=/login/oidc",
                          f"Max-Age={PENDING_TTL}"):
            assert attribute in binding
        assert "Secure" not in binding  # plain http on loopback, no redirect URL set
        url = urlsplit(start.headers["location"])
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"{idp.base}/authorize"
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        assert query["response_type"] == "code"
        assert query["client_id"] == CLIENT_ID
        assert query["redirect_uri"] == f"{orgcover}/login/oidc/callback"
        assert query["scope"] == "openid profile"
        assert query["code_challenge_method"] == "S256"
        assert min(len(query["state"]), len(query["nonce"])) >= 43  # 256 random bits
        assert query["state"] != query["nonce"]

        sealed = binding.split(";")[0].split("=", 1)[1]
        for secret in (query["state"], query["nonce"]):  # in the cookie, but encrypted
            assert secret not in sealed
        callback = (await c.get(start.headers["location"])).headers["location"]
        before = time.time()
        done = await c.get(callback)
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/"
        cookies = _set_cookies(done)
        session = cookies[COOKIE]
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/"):
            assert attribute in session
        assert "Secure" not in session  # plain http on loopback
        max_age = int(session.split("Max-Age=")[1].split(";")[0])
        assert 280 <= max_age <= 300 + 1  # no later than the ID token's exp (now + 300)
        assert "Max-Age=0" in cookies[BINDING_COOKIE]
        assert time.time() - before < 5

        me = await c.post(f"{orgcover}/graphql", json=ME, headers=CSRF)
        assert me.status_code == 200, me.text
        assert me.json()["data"]["me"] == {
            "sub": PERSON["sub"], "name": PERSON["name"], "roles": ["auditor"],
            "jurisdictionCode": DISTRICT, "jurisdictionName": "莒南县"}
        without_header = await c.post(f"{orgcover}/graphql", json=ME)
        assert without_header.status_code == 400  # the cookie still needs the CSRF header
        page = await c.get(f"{orgcover}/")
        assert 'id="cards"' in page.text

        again = await c.get(callback)  # the same answer twice: the state is used up
    assert again.status_code == 400
    assert "used already" in html.unescape(again.text)

    secrets_seen = [*idp.issued, query["state"], query["nonce"],
                    binding.split(";")[0].split("=", 1)[1],
                    session.split(";")[0].split("=", 1)[1], CLIENT_SECRET]
    # the app's own logs (uvicorn's access lines are off in `serve`; httpx's are the
    # test's own client)
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if r.name.startswith("orgcover"))
    for secret in secrets_seen:
        assert secret not in logged
    assert PERSON["sub"] not in logged
    assert PERSON["name"] not in logged


async def test_client_secret_post_when_the_provider_offers_only_that(
        idp: Provider, tiny_store: GraphStore, tmp_path: Path) -> None:
    idp.auth_method = "client_secret_post"  # read from discovery: a server of its own
    config = oidc_settings(tmp_path, idp.discovery_url)
    async with served(create_app(config, store=tiny_store)) as base, \
            httpx.AsyncClient() as c:
        assert (await _sign_in(c, base)).status_code == 303
        me = await c.post(f"{base}/graphql", json=ME, headers=CSRF)
        assert me.json()["data"]["me"]["sub"] == PERSON["sub"]
    assert idp.refusals == []


async def test_a_reused_state_signs_in_no_one(idp: Provider, orgcover: str) -> None:
    async with httpx.AsyncClient() as c:
        callback = await _back_from_provider(c, orgcover)
        assert (await c.get(callback)).status_code == 303
        c.cookies.clear()
        start = await c.get(f"{orgcover}/login/oidc")  # a fresh binding cookie
        assert start.status_code == 302
        await _assert_refused(c, orgcover, await c.get(callback), 400, "used already")


async def test_a_wrong_state_signs_in_no_one(idp: Provider, orgcover: str) -> None:
    async with httpx.AsyncClient() as c:
        callback = await _back_from_provider(c, orgcover)
        forged = _with_query(callback, state="made-up-state-" + "x" * 30)
        await _assert_refused(c, orgcover, await c.get(forged), 400, "another browser or tab")
        no_state = _with_query(callback)
        no_state = no_state.replace("state=", "other=")
        await _assert_refused(c, orgcover, await c.get(no_state), 400, "unknown")


async def test_a_callback_in_another_browser_signs_in_no_one(idp: Provider,
                                                             orgcover: str) -> None:
    """Login CSRF: an attacker's own callback URL, opened by someone else's browser."""
    async with httpx.AsyncClient() as attacker, httpx.AsyncClient() as victim:
        callback = await _back_from_provider(attacker, orgcover)
        await _assert_refused(victim, orgcover, await victim.get(callback), 400,
                              "cookie is missing")
    async with httpx.AsyncClient() as attacker, httpx.AsyncClient() as victim:
        callback = await _back_from_provider(attacker, orgcover)
        await _to_provider(victim, orgcover)  # the victim has a sign-in of its own under way
        await _assert_refused(victim, orgcover, await victim.get(callback), 400,
                              "another browser or tab")


async def test_a_code_with_the_wrong_pkce_verifier_is_refused_by_the_provider(
        idp: Provider, orgcover: str) -> None:
    """A code stolen from one sign-in and injected into another: the verifier sent is the
    second sign-in's, which is not the code's challenge."""
    async with httpx.AsyncClient() as victim, httpx.AsyncClient() as attacker:
        stolen = parse_qs(urlsplit(await _back_from_provider(victim, orgcover)).query)["code"][0]
        own = await _back_from_provider(attacker, orgcover)
        response = await attacker.get(_with_query(own, code=stolen))
        await _assert_refused(attacker, orgcover, response, 401,
                              "refused the sign-in code (invalid_grant)")
    assert idp.refusals == ["invalid_grant"]


def _expired() -> dict[str, Any]:
    now = int(time.time())
    return {"iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}


@pytest.mark.parametrize(("change", "status", "reason"), [
    ({"nonce": "not-the-nonce-we-sent"}, 401, "its nonce is not the one this sign-in sent"),
    ({"nonce": None}, 401, "its nonce is not the one"),
    ({"aud": "another-client"}, 401, "wrong token audience"),
    ({"aud": [CLIENT_ID, "another-client"]}, 401, "authorized party (azp)"),
    ({"iss": "https://impostor.example"}, 401, "wrong token issuer"),
    (_expired(), 401, "token expired"),
    ({"nbf": int(time.time()) + 3600}, 401, "not yet valid"),
    ({"jurisdiction": None}, 403, "token has no 'jurisdiction' claim"),
    ({"jurisdiction": "999999"}, 403, "is not a place code"),
    ({"roles": None}, 403, "token has no 'roles' claim"),
    ({"roles": ["superuser"]}, 403, "unknown role 'superuser'"),
    ({"sub": None}, 403, "no usable 'sub' claim"),
], ids=["bad-nonce", "no-nonce", "wrong-audience", "extra-audience-no-azp", "wrong-issuer",
        "expired", "not-yet-valid", "no-jurisdiction", "unknown-place", "no-roles",
        "unknown-role", "no-sub"])
async def test_an_id_token_that_does_not_hold_signs_in_no_one(
        idp: Provider, orgcover: str, change: dict[str, Any], status: int,
        reason: str) -> None:
    idp.overrides = change
    async with httpx.AsyncClient() as c:
        await _assert_refused(c, orgcover, await _sign_in(c, orgcover), status, reason)


@pytest.mark.parametrize(("change", "shown"), [
    ({"roles": ["zq-secret-role-4711"]}, "unknown role 'zq-secret-role-4711'"),
    ({"jurisdiction": "987123"}, "token jurisdiction '987123' is not a place code"),
], ids=["role", "jurisdiction"])
async def test_claim_values_are_shown_but_never_logged(
        idp: Provider, orgcover: str, caplog: pytest.LogCaptureFixture, change: dict[str, Any],
        shown: str) -> None:
    """The page may quote the provider's claims to the person signing in; the log gets the
    reason's fixed code only (claims are personal data)."""
    caplog.set_level(logging.DEBUG)
    idp.overrides = change
    async with httpx.AsyncClient() as c:
        await _assert_refused(c, orgcover, await _sign_in(c, orgcover), 403, shown)
    value = str(next(iter(change.values()))).strip("[]'")
    logged = [f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    assert any("OIDC sign-in failed: no-rights (HTTP 403)" in line for line in logged)
    assert [line for line in logged if value in line] == []


@pytest.mark.parametrize("alg", ["HS256", "none"])
async def test_id_tokens_not_signed_with_the_providers_key_are_refused(
        idp: Provider, orgcover: str, alg: str) -> None:
    idp.alg = alg
    async with httpx.AsyncClient() as c:
        await _assert_refused(c, orgcover, await _sign_in(c, orgcover), 401,
                              f"token algorithm '{alg}' is not accepted")


async def test_the_provider_saying_no_signs_in_no_one(idp: Provider, orgcover: str,
                                                      caplog: pytest.LogCaptureFixture
                                                      ) -> None:
    idp.deny = True
    async with httpx.AsyncClient() as c:
        response = await _sign_in(c, orgcover)
        await _assert_refused(c, orgcover, response, 401,
                              "did not sign you in (access_denied): The user <b>refused</b>")
    assert "<b>refused</b>" not in response.text  # shown as text, never as markup
    assert "refused</b>" not in "\n".join(r.getMessage() for r in caplog.records
                                           if r.name.startswith("orgcover"))
    async with httpx.AsyncClient() as c:
        callback = await _back_from_provider(c, orgcover)
        odd = _with_query(callback, error="<script>alert(1)</script>")
        await _assert_refused(c, orgcover, await c.get(odd), 401, "(invalid)")
    async with httpx.AsyncClient() as c:  # a crafted link: no text of its choosing shown
        crafted = await c.get(f"{orgcover}/login/oidc/callback?" + urlencode({
            "error": "access_denied", "error_description": "call 12345 to unlock"}))
        await _assert_refused(c, orgcover, crafted, 401, "(access_denied)")
        assert "12345" not in crafted.text


async def test_an_unreachable_provider_is_a_clear_page(tiny_store: GraphStore,
                                                       tmp_path: Path) -> None:
    config = oidc_settings(tmp_path, f"http://127.0.0.1:{free_port()}/.well-known/"
                                     "openid-configuration")
    async with served(create_app(config, store=tiny_store)) as base, \
            httpx.AsyncClient() as c:
        start = await c.get(f"{base}/login/oidc")
        assert start.status_code == 503
        assert "(its discovery document: unreachable (ConnectError)); try again later" in \
            start.text
        assert 'href="/login/oidc"' in start.text
        assert COOKIE not in _set_cookies(start)
        plain = await c.get(f"{base}/login")  # the token sign-in still works
        assert plain.status_code == 200


async def test_a_discovery_document_naming_another_issuer_is_not_used(
        idp: Provider, tiny_store: GraphStore, tmp_path: Path) -> None:
    """OpenID Connect Discovery §4.3: the issuer is the URL the document was found under."""
    elsewhere = idp.discovery_url.replace("127.0.0.1", "localhost")
    app = create_app(oidc_settings(tmp_path, elsewhere), store=tiny_store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
        start = await c.get("/login/oidc")
    assert start.status_code == 503
    assert "is not the URL it was found under" in html.unescape(start.text)


async def test_the_oidc_paths_keep_the_host_allow_list(idp: Provider, orgcover: str) -> None:
    async with httpx.AsyncClient() as c:
        for path in ("/login/oidc", "/login/oidc/callback?code=x&state=y"):
            refused = await c.get(f"{orgcover}{path}", headers={"host": "evil.example"})
            assert refused.status_code == 400
            assert refused.json()["errors"][0]["extensions"]["code"] == "HOST_NOT_ALLOWED"
        post = await c.post(f"{orgcover}/login/oidc")
        assert post.status_code in (400, 405)  # GET only; a POST also needs the header


def test_pkce_challenge_is_rfc_7636s_example() -> None:
    # RFC 7636 appendix B
    assert pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_oidc_settings_are_all_or_nothing_and_https(tmp_path: Path) -> None:
    good = {"oidc_discovery_url": "https://idp.example/.well-known/openid-configuration",
            "oidc_client_id": "orgcover", "oidc_client_secret": "s"}
    assert settings(tmp_path, **good).oidc_client_id == "orgcover"
    assert settings(tmp_path).oidc_discovery_url is None
    for missing, name in (("oidc_client_id", "ORGCOVER_OIDC_CLIENT_ID"),
                          ("oidc_client_secret", "ORGCOVER_OIDC_CLIENT_SECRET"),
                          ("oidc_discovery_url", "ORGCOVER_OIDC_DISCOVERY_URL")):
        with pytest.raises(ValidationError, match=f"{name} must be set"):
            settings(tmp_path, **{k: v for k, v in good.items() if k != missing})
    with pytest.raises(ValidationError, match="ORGCOVER_OIDC_DISCOVERY_URL must use https"):
        settings(tmp_path, **good | {"oidc_discovery_url": "http://idp.example/.well-known/"
                                                           "openid-configuration"})
    with pytest.raises(ValidationError, match="ORGCOVER_OIDC_REDIRECT_URL must use https"):
        settings(tmp_path, **good, oidc_redirect_url="http://orgcover.example/cb")
    with pytest.raises(ValidationError, match="absolute https URL"):
        settings(tmp_path, **good | {"oidc_discovery_url": "idp.example"})
    with pytest.raises(ValidationError, match="must include openid"):
        settings(tmp_path, **good, oidc_scopes="profile email")
    for loopback in ("http://localhost:8080", "http://127.0.0.1/x", "http://[::1]:9/x"):
        url = loopback + "/.well-known/openid-configuration"
        assert settings(tmp_path, **good | {"oidc_discovery_url": url})
    # the issuer is what precedes the suffix: without it, it could not be checked
    for elsewhere in ("https://idp.example/realms/gov", "https://idp.example/.well-known/"
                      "openid-configuration?x=1", "https://idp.example/.well-known/jwks"):
        with pytest.raises(ValidationError, match=r"ORGCOVER_OIDC_DISCOVERY_URL must end with "
                                                  r"/\.well-known/openid-configuration"):
            settings(tmp_path, **good | {"oidc_discovery_url": elsewhere})
    with pytest.raises(ConfigError, match=r"must end with /\.well-known/openid-configuration") \
            as refused:  # nor when the client is made without Settings
        OidcClient(OidcConfig(discovery_url="https://idp.example/realms/gov",
                              client_id="c", client_secret="s"), place_exists=_no_place)
    assert refused.value.setting == "ORGCOVER_OIDC_DISCOVERY_URL"
    secret = settings(tmp_path, **good).oidc_client_secret
    assert "s" not in repr(secret).replace("SecretStr", "")


async def test_without_a_provider_there_is_no_button_and_no_route(
        tiny_store: GraphStore, tmp_path: Path) -> None:
    app = create_app(settings(tmp_path), store=tiny_store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
        page = await c.get("/login")
        assert "/login/oidc" not in page.text
        assert (await c.get("/login/oidc")).status_code == 404


def test_the_cli_names_the_missing_oidc_setting(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit):
        load_settings(oidc_discovery_url="https://idp.example/.well-known/"
                                         "openid-configuration")
    assert capsys.readouterr().err.startswith(
        "orgcover: error: ORGCOVER_OIDC_CLIENT_ID must be set: OIDC sign-in needs")
