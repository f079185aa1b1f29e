"""The dashboard at `/` and sign-in: pages, their files, `/login` and `/logout`.

The pages are shells: every figure comes from `/graphql`, asked by the page's script like
any frontend (with the session cookie and the `x-orgcover-csrf` header), so the dashboard
sees exactly what the caller's token would. ECharts is the npm package pinned in
package.json, served from node_modules like GraphiQL's files (app/web.py): no request
leaves the host, and the Content-Security-Policy allows scripts from this host only (no
inline script).

Sign-in makes a session (app/auth/sessions.py) from either a one-time ticket (the URL
`serve --demo` prints) or a bearer token verified exactly as the Authorization header is;
or, with an identity provider configured, through its sign-in (app/dashboard_oidc.py).
"""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path
from typing import Any

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.auth.oidc import OidcClient
from app.auth.sessions import Sessions, clear_cookie, cookie_of, set_cookie
from app.auth.tokens import TokenVerifier
from app.dashboard_oidc import START_PATH, mount_oidc
from app.pages import LANG_BUTTON, PAGE_SCRIPTS, dashboard_page, page, t
from app.web import (
    CSS,
    DASHBOARD_PREFIX,
    JS,
    SECURITY_HEADERS,
    Asset,
    asset_file,
    asset_response,
)
from graph.errors import OrgcoverError, Unauthenticated
from resolvers.access import Caller

log = logging.getLogger("orgcover.web")

#: Scripts and styles from this host only; ECharts sets inline styles on its tooltip
#: and chart containers (styles, not scripts).
DASHBOARD_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                 "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                 "form-action 'none'; frame-ancestors 'none'")
ECHARTS = Asset("echarts.min.js", "echarts/dist/echarts.min.js", JS, None)
FILES = (ECHARTS, Asset("dashboard.css", "static/dashboard.css", CSS, None),
         *(Asset(name, f"static/{name}", JS, None)
           for name in ("i18n.js", "login.js", "core.js", *PAGE_SCRIPTS)))
NO_STORE = {"cache-control": "no-store", **SECURITY_HEADERS}
#: Longest token text /login reads.
MAX_TOKEN = 8192


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]},
                        status_code=status, headers=NO_STORE)


DASHBOARD_PAGE = dashboard_page()
LOGIN_PAGE = page("orgcover 登录", f"""    <header>
      {t("h1", "登录", "Sign in")}
      <nav>{LANG_BUTTON}</nav>
    </header>
    <main class="narrow">
      {t("p", "粘贴访问令牌（JWT）登录。演示：make run 启动时打印一次性登录链接和令牌；"
          "orgcover token --demo 可另行生成。",
          "Paste an access token (JWT) to sign in. Demo: make run prints a one-time "
          "login link and tokens; orgcover token --demo mints more.")}
      <form id="login">
        {t("label", "令牌", "Token", ' for="token"')}
        <textarea id="token" name="token" rows="5" autocomplete="off"
          spellcheck="false"></textarea>
        {t("button", "登录", "Sign in", ' type="submit"')}
      </form>
      <p id="error" role="alert" hidden></p>
      {t("p", "接口：POST /graphql，请求头 Authorization: Bearer &lt;令牌&gt;。",
          "API: POST /graphql with the header Authorization: Bearer &lt;token&gt;.")}
    </main>""", ("i18n.js", "login.js"))
#: With an identity provider configured (app/dashboard_oidc.py): its button above the form.
_FORM = '      <form id="login">'
_OIDC_BUTTON = "      <p>" + t("a", "通过统一身份认证登录", "Sign in with the identity provider",
                               f' id="oidc" class="button" href="{START_PATH}"') + "</p>\n"
_ERROR = '<p id="error" role="alert" hidden></p>'


def render_login(*, oidc: bool, error: str | None = None) -> str:
    """The sign-in page, with the provider's button when there is one, and why signing in
    through it failed (server-rendered text: the CSP allows no inline script)."""
    shown = LOGIN_PAGE.replace(_FORM, _OIDC_BUTTON + _FORM) if oidc else LOGIN_PAGE
    if error is None:
        return shown
    prefix = t("span", "统一身份认证登录失败：", "Sign-in with the identity provider failed: ")
    return shown.replace(_ERROR, f'<p id="error" role="alert">{prefix}{html.escape(error)}</p>')


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status,
                        headers={"content-security-policy": DASHBOARD_CSP, **NO_STORE})


def mount_dashboard(app: FastAPI, *, sessions: Sessions, verifier: TokenVerifier,
                    node_modules: Path, oidc: OidcClient | None = None) -> None:
    """`/` (the dashboard when signed in, the sign-in page otherwise), `/login`,
    `/logout`, the dashboard's files, and with `oidc` `/login/oidc` and its callback."""
    files = {a.name: a for a in FILES}
    sign_in_page = render_login(oidc=oidc is not None)
    if not asset_file(ECHARTS, node_modules).is_file():
        log.warning("ECharts missing under %s: run `npm ci` (the dashboard shows figures "
                    "without charts)", node_modules)

    def session_id(request: Request) -> str | None:
        return cookie_of({b"cookie": request.headers.get("cookie", "").encode("latin-1")})

    def signed_in(request: Request) -> bool:
        sid = session_id(request)
        return sid is not None and sessions.caller(sid) is not None

    def replace_session(request: Request, caller: Caller, until: float | None = None
                        ) -> str:
        """A fresh session id on every sign-in (the one the browser had is ended)."""
        old = session_id(request)
        if old is not None:
            sessions.close(old)
        sid, max_age = sessions.open(caller, until=until)
        return set_cookie(sid, max_age, secure=_secure(request))

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def root(request: Request) -> HTMLResponse:
        return _html(DASHBOARD_PAGE if signed_in(request) else sign_in_page)

    @app.api_route("/favicon.ico", methods=["GET", "HEAD"], include_in_schema=False)
    async def favicon() -> Response:
        """None (browsers ask for it on pages without an icon link, e.g. JSON errors)."""
        return Response(status_code=204, headers={"cache-control": "max-age=86400"})

    @app.get("/login", include_in_schema=False)
    async def login_page(request: Request, token: str | None = None) -> Response:
        """The sign-in page; with `?token=` a one-time ticket: a session, then `/`."""
        if token is None:
            return _html(sign_in_page)
        caller = sessions.redeem(token)
        if caller is None:
            return _error(401, Unauthenticated.code, "this login link was used already or "
                          "has expired: sign in with a token at /login")
        return Response(status_code=303, headers={
            "location": "/", "set-cookie": replace_session(request, caller), **NO_STORE})

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        """`{"token": "<JWT>"}` → a session for the token's caller, ending no later than
        the token does."""
        token = await _token_of(request)
        if token is None:
            return _error(400, "BAD_USER_INPUT",
                          'send a JSON body {"token": "<JWT>"} (content-type application/json)')
        try:
            caller = await verifier.verify(token)
        except Unauthenticated as exc:
            return _error(401, exc.code, exc.message)
        except OrgcoverError as exc:
            log.warning("token not verified: %s", exc)
            return _error(503, "STORE_UNAVAILABLE", "the token cannot be verified now")
        exp = jwt.decode(token, options={"verify_signature": False})["exp"]
        return JSONResponse({"signedIn": True, "name": caller.name}, headers={
            "set-cookie": replace_session(request, caller, float(exp)), **NO_STORE})

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        """Ends the session (the guard required the CSRF header) and clears the cookie."""
        sid = session_id(request)
        if sid is not None:
            sessions.close(sid)
        return JSONResponse({"signedOut": True}, headers={
            "set-cookie": clear_cookie(secure=_secure(request)), **NO_STORE})

    @app.api_route(DASHBOARD_PREFIX + "{name}", methods=["GET", "HEAD"],
                   include_in_schema=False)
    async def dashboard_file(name: str) -> Response:
        return asset_response(files.get(name), node_modules, "no-cache")

    if oidc is not None:
        mount_oidc(app, client=oidc, open_session=replace_session, failed=lambda error, status:
                   _html(render_login(oidc=True, error=error), status))


async def _token_of(request: Request) -> str | None:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    try:
        body: Any = json.loads(await request.body())
    except ValueError:
        return None
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token.strip() or len(token) > MAX_TOKEN:
        return None
    return token.strip()
