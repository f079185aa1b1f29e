"""A small but real OpenID Connect provider for the tests, served by uvicorn on loopback:
discovery, `/authorize` (no login form: it signs the configured person in at once, or
answers `error=access_denied`), `/token` (checks the code, the client's credentials by the
advertised method, the redirect URI and the PKCE verifier against the challenge) and
`/jwks` with a freshly generated RSA key. Tests change what the next ID token says through
`claims` / `overrides` / `alg`."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote_plus, urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from tests.auth import DISTRICT

CLIENT_ID = "orgcover-web"
CLIENT_SECRET = "provider-issued secret/with+odd:chars"  # form-encoding matters
PERSON = {"sub": "idp-u-4711", "name": "王审计", "roles": ["auditor"],
          "jurisdiction": DISTRICT}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Provider:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.base = ""
        self.reset()
        self.app = self._routes()

    def reset(self) -> None:
        self.auth_method = "client_secret_basic"
        self.claims: dict[str, Any] = dict(PERSON)
        #: merged into the next ID tokens; a value None removes the claim
        self.overrides: dict[str, Any] = {}
        self.alg = "RS256"
        self.deny = False
        self.codes: dict[str, dict[str, str]] = {}
        self.issued: list[str] = []  # codes and ID tokens handed out (none may be logged)
        self.refusals: list[str] = []

    @property
    def discovery_url(self) -> str:
        return f"{self.base}/.well-known/openid-configuration"

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.base, "aud": CLIENT_ID, "iat": now, "nbf": now,
                                  "exp": now + 300, "nonce": nonce, **self.claims}
        for name, value in self.overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        if self.alg == "HS256":  # OIDC allows HS256 keyed by the client secret; we do not
            return jwt.encode(claims, CLIENT_SECRET, algorithm="HS256")
        if self.alg == "none":
            return jwt.encode(claims, None, algorithm="none")
        return jwt.encode(claims, self.key, algorithm=self.alg, headers={"kid": self.kid})

    def _routes(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {"issuer": self.base, "authorization_endpoint": f"{self.base}/authorize",
                    "token_endpoint": f"{self.base}/token", "jwks_uri": f"{self.base}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": [self.auth_method],
                    "code_challenge_methods_supported": ["S256"]}

        @app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

        @app.get("/authorize")
        async def authorize(request: Request) -> Response:
            q = request.query_params
            problems = [name for name, ok in (
                ("response_type", q.get("response_type") == "code"),
                ("client_id", q.get("client_id") == CLIENT_ID),
                ("scope", "openid" in q.get("scope", "").split()),
                ("code_challenge_method", q.get("code_challenge_method") == "S256"),
                ("code_challenge", len(q.get("code_challenge", "")) == 43),
                ("redirect_uri", q.get("redirect_uri", "").startswith("http://127.0.0.1:")),
                ("state", bool(q.get("state"))), ("nonce", bool(q.get("nonce")))) if not ok]
            if problems:
                return JSONResponse({"error": "invalid_request", "bad": problems}, 400)
            back = {"state": q["state"]}
            if self.deny:
                back |= {"error": "access_denied",
                         "error_description": "The user <b>refused</b> consent"}
            else:
                code = secrets.token_urlsafe(24)
                self.codes[code] = {"challenge": q["code_challenge"], "nonce": q["nonce"],
                                    "redirect_uri": q["redirect_uri"]}
                self.issued.append(code)
                back["code"] = code
            return RedirectResponse(f"{q['redirect_uri']}?{urlencode(back)}", 302)

        @app.post("/token")
        async def token(request: Request) -> Response:
            form = {k: str(v) for k, v in (await request.form()).items()}
            if self._client(request, form) != (CLIENT_ID, CLIENT_SECRET):
                return self._refuse("invalid_client", 401)
            grant = self.codes.pop(form.get("code", ""), None)  # a code is good once
            if form.get("grant_type") != "authorization_code" or grant is None:
                return self._refuse("invalid_grant")
            if form.get("redirect_uri") != grant["redirect_uri"]:
                return self._refuse("invalid_grant")
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
                return self._refuse("invalid_grant")  # PKCE: not the verifier's challenge
            id_token = self.id_token(grant["nonce"])
            self.issued.append(id_token)
            return JSONResponse({"access_token": secrets.token_urlsafe(16),
                                 "token_type": "Bearer", "expires_in": 300,
                                 "id_token": id_token},
                                headers={"cache-control": "no-store"})

        return app

    def _client(self, request: Request, form: dict[str, str]) -> tuple[str, str] | None:
        if self.auth_method == "client_secret_post":
            return form.get("client_id", ""), form.get("client_secret", "")
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme != "Basic":
            return None
        user, _, password = base64.b64decode(value).decode().partition(":")
        return unquote_plus(user), unquote_plus(password)

    def _refuse(self, error: str, status: int = 400) -> Response:
        self.refusals.append(error)
        return JSONResponse({"error": error}, status)


@asynccontextmanager
async def served(app: Any, port: int | None = None, **options: Any) -> AsyncIterator[str]:
    """A real uvicorn serving `app` on loopback, in this event loop: its base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           lifespan="on", **options))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
