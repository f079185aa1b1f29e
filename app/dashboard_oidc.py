"""`GET /login/oidc` and its callback: the browser's side of the OIDC sign-in
(app/auth/oidc.py).

`/login/oidc` sends the browser to the provider with a 302 and sets the binding cookie:
the sign-in's state, nonce and PKCE verifier sealed by the client, HttpOnly,
`SameSite=Lax` — the provider sends the browser back with a cross-site top-level GET,
which a Strict cookie would not ride on — `Path=/login/oidc`, ten minutes, `Secure` when
the redirect URL is https (`OidcClient.secure_cookie`). The callback uses it up (and
clears it) and, signed in, sets the session cookie through the same `open_session` as the
other sign-ins (still `SameSite=Strict`), then 303 to `/`. Every failure is the sign-in
page with the reason; the log gets only the reason's fixed code (the page's text may quote
the provider's claims, which are personal data). The guard lets both paths through without
a token like `/login` (app/middleware.py SESSION_PATHS).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response

from app.auth.oidc import CALLBACK_PATH, PENDING_TTL, OidcClient, SignInFailed
from app.web import SECURITY_HEADERS
from graph.errors import OrgcoverError
from resolvers.access import Caller

log = logging.getLogger("orgcover.web")

START_PATH = "/login/oidc"
BINDING_COOKIE = "orgcover_oidc"
NO_STORE = {"cache-control": "no-store", **SECURITY_HEADERS}
#: A new session for the caller, ending no later than the given time → its Set-Cookie.
OpenSession = Callable[[Request, Caller, float | None], str]
#: The sign-in page showing why signing in failed, with this HTTP status.
FailedPage = Callable[[str, int], Response]


def binding_cookie(value: str, max_age: int, *, secure: bool) -> str:
    return (f"{BINDING_COOKIE}={value}; Max-Age={max_age}; Path={START_PATH}; HttpOnly; "
            "SameSite=Lax" + ("; Secure" if secure else ""))


def mount_oidc(app: FastAPI, *, client: OidcClient, open_session: OpenSession,
               failed: FailedPage) -> None:
    def refused(request: Request, message: str, status: int) -> Response:
        response = failed(message, status)
        response.headers.append("set-cookie", binding_cookie(
            "", 0, secure=client.secure_cookie(request.url.scheme)))
        return response

    @app.get(START_PATH, include_in_schema=False)
    async def oidc_start(request: Request) -> Response:
        """To the provider's authorization endpoint, with state, nonce and PKCE."""
        try:
            started = await client.begin(base_url=str(request.base_url))
        except SignInFailed as exc:
            return refused(request, exc.shown, exc.status)
        response = Response(status_code=302, headers={"location": started.url, **NO_STORE})
        response.headers.append("set-cookie", binding_cookie(
            started.binding, PENDING_TTL, secure=client.secure_cookie(request.url.scheme)))
        return response

    @app.get(CALLBACK_PATH, include_in_schema=False)
    async def oidc_callback(request: Request) -> Response:
        """The provider's answer → a session and `/`, or the sign-in page saying why not."""
        try:
            signed = await client.finish(params=dict(request.query_params),
                                         binding=request.cookies.get(BINDING_COOKIE))
        except SignInFailed as exc:
            log.info("OIDC sign-in failed: %s (HTTP %d)", exc.reason, exc.status)
            return refused(request, exc.shown, exc.status)
        except OrgcoverError as exc:  # the store could not say whether the place exists
            log.warning("OIDC sign-in not verified: %s", exc.code)
            return refused(request, "the sign-in cannot be verified now; try again later", 503)
        response = Response(status_code=303, headers={"location": "/", **NO_STORE})
        response.headers.append("set-cookie", open_session(request, signed.caller,
                                                           signed.expires))
        response.headers.append("set-cookie", binding_cookie(
            "", 0, secure=client.secure_cookie(request.url.scheme)))
        return response
