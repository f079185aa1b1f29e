"""Dashboard sign-in through the real app: one-time tickets, token sign-in, the session
cookie's attributes and lifetime, the CSRF rule for cookie requests, sign-out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from app.auth.sessions import COOKIE, SESSION_IDLE, SESSION_TTL, TICKET_TTL, Sessions
from app.main import create_app
from graph.store import GraphStore
from resolvers.access import Caller
from tests.auth import DISTRICT, bearer, settings, token
from tests.test_web import _references

BASE = "http://127.0.0.1"
CSRF = {"x-orgcover-csrf": "1"}
ME = {"query": "{ me { sub name roles jurisdictionCode jurisdictionName } }"}
ADMIN = Caller.of_roles(sub="demo-admin", name="管理员", roles=("admin",),
                        jurisdiction=DISTRICT)


@pytest.fixture
async def served(tiny_store: GraphStore, tmp_path: Path) -> AsyncIterator[FastAPI]:
    app = create_app(settings(tmp_path, graphiql=True), store=tiny_store)
    async with app.router.lifespan_context(app):
        yield app


def _client(app: FastAPI, base: str = BASE) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base)


def _cookie_header(response: httpx.Response) -> str:
    return response.headers["set-cookie"]


async def test_one_time_link_signs_in_once(served: FastAPI,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ticket = served.state.sessions.ticket(ADMIN)
    async with _client(served) as c:
        first = await c.get(f"/login?token={ticket}")
        assert first.status_code == 303
        assert first.headers["location"] == "/"
        cookie = _cookie_header(first)
        assert cookie.startswith(f"{COOKIE}=")
        attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
        assert {"httponly", "samesite", "path", "max-age"} <= attributes
        assert "SameSite=Strict" in cookie
        assert "secure" not in attributes
        assert first.headers["cache-control"] == "no-store"
        me = await c.post("/graphql", json=ME, headers=CSRF)
        assert me.status_code == 200, me.text
        assert me.json()["data"]["me"] == {
            "sub": "demo-admin", "name": "管理员", "roles": ["admin"],
            "jurisdictionCode": DISTRICT, "jurisdictionName": "莒南县"}
        page = await c.get("/")
        assert 'id="cards"' in page.text  # the dashboard, not the sign-in page
        c.cookies.clear()
        again = await c.get(f"/login?token={ticket}")
    assert again.status_code == 401
    assert again.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert COOKIE not in again.headers.get("set-cookie", "")
    sid = cookie.split(";")[0].split("=", 1)[1]
    server_logs = "\n".join(r.getMessage() for r in caplog.records
                            if not r.name.startswith("httpx"))  # this test's own client
    assert ticket not in server_logs
    assert sid not in server_logs


async def test_cookie_over_https_is_secure(served: FastAPI) -> None:
    ticket = served.state.sessions.ticket(ADMIN)
    async with _client(served, "https://127.0.0.1") as c:
        response = await c.get(f"/login?token={ticket}")
    assert "; Secure" in _cookie_header(response)


async def test_cookie_requests_need_the_csrf_header(served: FastAPI) -> None:
    async with _client(served) as c:
        signed = await c.post("/login", json={"token": token("viewer")}, headers=CSRF)
        assert signed.status_code == 200, signed.text
        for request in (c.post("/graphql", json=ME), c.get("/graphql?query={me{name}}")):
            refused = await request
            assert refused.status_code == 400
            assert refused.json()["errors"][0]["extensions"]["code"] == \
                "CSRF_PREFLIGHT_REQUIRED"
        for header in ("x-orgcover-csrf", "apollo-require-preflight",
                       "x-apollo-operation-name"):
            ok = await c.post("/graphql", json=ME, headers={header: "1"})
            assert ok.status_code == 200
            assert ok.json()["data"]["me"]["roles"] == ["viewer"]
        # a bearer token still works beside a cookie, and wins
        other = await c.post("/graphql", json=ME,
                             headers=bearer("auditor", sub="someone-else"))
        assert other.json()["data"]["me"]["sub"] == "someone-else"


async def test_sign_in_refuses_bad_tokens_and_bodies(served: FastAPI) -> None:
    async with _client(served) as c:
        forged = await c.post("/login", data={"token": token()})  # a cross-site form
        assert forged.status_code == 400
        assert forged.json()["errors"][0]["extensions"]["code"] == "CSRF_PREFLIGHT_REQUIRED"
        form = await c.post("/login", data={"token": token()}, headers=CSRF)
        assert form.status_code == 400
        assert form.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        for body in ({}, {"token": 5}, {"token": ""}, []):
            bad = await c.post("/login", json=body, headers=CSRF)
            assert bad.status_code == 400, body
        for wrong in ("not-a-jwt", token(secret="another-secret-0123456789-abcdefghijklmn"),
                      token(ttl=-3600), token(jurisdiction="999999")):
            refused = await c.post("/login", json={"token": wrong}, headers=CSRF)
            assert refused.status_code == 401, wrong
            assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert "set-cookie" not in refused.headers
        c.cookies.set(COOKIE, "made-up")
        unknown = await c.post("/graphql", json=ME, headers=CSRF)
        assert unknown.status_code == 401


async def test_signing_in_again_ends_the_earlier_session(served: FastAPI) -> None:
    async with _client(served) as c:
        await c.post("/login", json={"token": token("viewer")}, headers=CSRF)
        first = c.cookies[COOKIE]
        await c.post("/login", json={"token": token("auditor")}, headers=CSRF)
        assert c.cookies[COOKIE] != first
        assert (await c.post("/graphql", json=ME, headers=CSRF)).json()["data"]["me"][
            "roles"] == ["auditor"]
        c.cookies.clear()
        c.cookies.set(COOKIE, first)
        assert (await c.post("/graphql", json=ME, headers=CSRF)).status_code == 401


async def test_session_ends_no_later_than_its_token(served: FastAPI) -> None:
    async with _client(served) as c:
        short = await c.post("/login", json={"token": token(ttl=120)}, headers=CSRF)
    max_age = int(_cookie_header(short).split("Max-Age=")[1].split(";")[0])
    assert 0 < max_age <= 120


async def test_sign_out_ends_the_session(served: FastAPI) -> None:
    async with _client(served) as c:
        await c.post("/login", json={"token": token()}, headers=CSRF)
        sid = c.cookies[COOKIE]
        not_forged = await c.post("/logout")
        assert not_forged.status_code == 400  # no CSRF header: still signed in
        assert (await c.post("/graphql", json=ME, headers=CSRF)).status_code == 200
        out = await c.post("/logout", headers=CSRF)
        assert out.status_code == 200
        assert "Max-Age=0" in _cookie_header(out)
        assert COOKIE not in c.cookies
        c.cookies.set(COOKIE, sid)  # replayed after sign-out
        gone = await c.post("/graphql", json=ME, headers=CSRF)
        assert gone.status_code == 401
        assert gone.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert 'id="login"' in (await c.get("/")).text


async def test_pages_load_only_this_hosts_files_and_no_inline_script(
        served: FastAPI) -> None:
    async with _client(served) as c:
        signin = await c.get("/")
        await c.post("/login", json={"token": token()}, headers=CSRF)
        dashboard = await c.get("/")
        assert 'id="login"' in signin.text
        assert 'id="cards"' in dashboard.text
        for page in (signin, dashboard):
            csp = page.headers["content-security-policy"]
            assert "script-src 'self';" in csp
            assert "connect-src 'self'" in csp
            refs = _references(page.text)
            assert refs.inline_scripts == 0
            for _, url, _ in refs.urls:
                if url.startswith("data:") or url == "/graphql":
                    continue
                absolute = urljoin(BASE + "/", url)
                assert urlsplit(absolute).netloc == urlsplit(BASE).netloc, url
                assert (await c.get(absolute)).status_code == 200, url
        assert (await c.get("/dashboard/%2e%2e%2fpyproject.toml")).status_code == 404
        assert (await c.get("/dashboard/nothing.js")).status_code == 404


def test_tickets_and_sessions_expire() -> None:
    now = [1000.0]
    sessions = Sessions(clock=lambda: now[0])
    late = sessions.ticket(ADMIN)
    now[0] += TICKET_TTL
    assert sessions.redeem(late) is None
    sid, max_age = sessions.open(ADMIN)
    assert max_age == SESSION_TTL
    now[0] += SESSION_IDLE - 1
    assert sessions.caller(sid) == ADMIN  # in use: the idle timer restarts
    now[0] += SESSION_IDLE
    assert sessions.caller(sid) is None  # idle too long
    busy, _ = sessions.open(ADMIN)
    for _ in range(SESSION_TTL // (SESSION_IDLE - 1)):
        now[0] += SESSION_IDLE - 1
        sessions.caller(busy)
    now[0] += SESSION_IDLE - 1
    assert sessions.caller(busy) is None  # a working day at most
