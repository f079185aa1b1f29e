"""Sign-in through the organization's identity provider: OpenID Connect's authorization-
code flow with PKCE (RFC 7636, S256), orgcover being a confidential client.

`begin` makes a state, a nonce and a PKCE verifier and keeps nothing: they go, with the
redirect URI and an expiry `PENDING_TTL` seconds ahead, into the browser's binding cookie,
encrypted and authenticated (Fernet) with a key made at random when this process starts.
Anyone may start sign-ins, so a store of sign-ins under way could be filled to push real
users' out; a cookie cannot. `finish` takes the provider's answer: the cookie must be one
this process made, unexpired, and its state the `state` parameter (so a code sent to
someone else's browser, login CSRF, signs nobody in, and a forged cookie is refused);
the code is exchanged at the token endpoint with the verifier and the client's secret,
and the ID token is verified against the provider's JWKS by app/auth/tokens.py's verifier:
issuer = the discovery document's, audience = our client id, RS256/ES256 only (never
`none` or HS*), exp/nbf with the usual leeway; then its nonce must be the one we sent.

A state is good once: the SHA-256 of each one used is kept until its cookie expires, at
most `MAX_USED` of them. Flooding that record (start and finish many sign-ins of one's
own) evicts the oldest, which only lets a callback be replayed by someone holding both its
URL and its browser's cookie — and the provider's single-use code refuses it all the same.

The claims come from the ID token, not the access token: the ID token is the one made for
us (our audience, our nonce) and always a JWT, while an access token is for resource
servers and may be opaque. They are mapped by `caller_of` with the settings bearer tokens
use (claim paths, role map), so signing in here gives the caller a bearer token with the
same claims would. An ID token without the roles or jurisdiction claims signs nobody in
(configure the provider to put them in the ID token); the session ends no later than the
ID token's `exp`.

The discovery document is fetched with httpx (timeout, size limit), cached for an hour and
kept when a refresh fails. Nothing secret is logged: no code, token, state or claim.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, urlencode, urlsplit

import httpx
from cryptography.fernet import Fernet, InvalidToken
from pydantic import BaseModel, ConfigDict, ValidationError

from app.auth.tokens import AuthConfig, ClaimPaths, PlaceCheck, TokenVerifier, caller_of
from app.settings import DISCOVERY_SUFFIX, check_url
from graph.errors import ConfigError, OrgcoverError, Unauthenticated
from resolvers.access import Caller

log = logging.getLogger("orgcover.auth")

#: Seconds between sending the browser to the provider and its coming back.
PENDING_TTL = 600
#: Used states remembered at most (to refuse replays); the oldest go first.
MAX_USED = 10_000
#: Seconds the discovery document is kept; after a failed fetch, seconds before the next.
DISCOVERY_MAX_AGE = 3600
RETRY_AFTER = 10
#: Largest answer read from the provider (discovery, token endpoint).
MAX_BYTES = 1 << 20
CALLBACK_PATH = "/login/oidc/callback"
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class SignInFailed(OrgcoverError):
    """An OIDC sign-in that opens no session; the message is shown on the sign-in page
    (it names no token or code, but may quote a claim: unknown role 'x'). `status` is the
    page's HTTP status; `reason` a fixed short code, the only part that is logged."""

    code = "SIGN_IN_FAILED"

    def __init__(self, message: str, *, reason: str, status: int = 401,
                 detail: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.detail = detail  # the provider's own words: shown, never logged

    @property
    def shown(self) -> str:
        return f"{self.message}: {self.detail}" if self.detail else self.message


@dataclass(frozen=True, slots=True)
class OidcConfig:
    discovery_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: str = "openid profile"
    #: None: this server's CALLBACK_PATH under the base URL the request names
    redirect_url: str | None = None
    leeway: int = 30
    claims: ClaimPaths = field(default_factory=ClaimPaths)
    role_map: Mapping[str, str] | None = None
    max_lifetime: int = 31 * 86400
    timeout: float = 5.0


class _Discovery(BaseModel):
    """The parts of the provider's `.well-known/openid-configuration` used here."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    # OpenID Connect Discovery §3: absent means client_secret_basic
    token_endpoint_auth_methods_supported: tuple[str, ...] = ("client_secret_basic",)
    code_challenge_methods_supported: tuple[str, ...] | None = None


class _TokenAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id_token: str


@dataclass(frozen=True, slots=True)
class _Pending:
    """One sign-in under way, as its binding cookie carries it."""

    state: str
    nonce: str
    verifier: str
    redirect_uri: str
    expires: float


@dataclass(frozen=True, slots=True)
class Started:
    """Where to send the browser, and the binding cookie's value (the sealed _Pending)."""

    url: str
    binding: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    caller: Caller
    expires: float  # the ID token's exp: the session ends no later


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 §4.2, S256: BASE64URL(SHA256(ASCII(verifier))) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


_UNKNOWN = (f"this sign-in is unknown, was used already or took longer than "
            f"{PENDING_TTL // 60} minutes: start again")


class OidcClient:
    """The authorization-code flow against one provider, and the states used lately."""

    def __init__(self, config: OidcConfig, *, place_exists: PlaceCheck,
                 clock: Callable[[], float] = time.time) -> None:
        if not config.discovery_url.endswith(DISCOVERY_SUFFIX):
            # the issuer is compared with the URL the document was found under
            raise ConfigError(f"the discovery URL must end with {DISCOVERY_SUFFIX}",
                              setting="ORGCOVER_OIDC_DISCOVERY_URL")
        self.config = config
        self._place_exists = place_exists
        self._clock = clock
        self._sealer = Fernet(Fernet.generate_key())  # this process's: a restart forgets
        self._used: OrderedDict[str, float] = OrderedDict()  # SHA-256 of state → expiry
        self._discovery: _Discovery | None = None
        self._verifier: TokenVerifier | None = None
        self._fetched = float("-inf")
        self._failed = float("-inf")
        self._problem = ""  # why the last discovery failed (shown until one succeeds)
        self._lock = asyncio.Lock()

    def redirect_uri(self, base_url: str) -> str:
        return self.config.redirect_url or base_url.rstrip("/") + CALLBACK_PATH

    def secure_cookie(self, request_scheme: str) -> bool:
        """The binding cookie's Secure flag: the configured redirect URL's scheme, else
        the request's (then served on loopback or behind a Host allow-list)."""
        scheme = urlsplit(self.config.redirect_url).scheme if self.config.redirect_url \
            else request_scheme
        return scheme == "https"

    async def begin(self, *, base_url: str) -> Started:
        """A new sign-in: the provider's authorization URL and the browser's binding."""
        discovery = await self._discover()
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters, RFC 7636 allows 43–128
        redirect_uri = self.redirect_uri(base_url)
        sealed = self._sealer.encrypt(json.dumps({
            "s": state, "n": nonce, "v": verifier, "r": redirect_uri,
            "e": self._clock() + PENDING_TTL}).encode()).decode("ascii")
        query = urlencode({
            "response_type": "code", "client_id": self.config.client_id,
            "redirect_uri": redirect_uri, "scope": self.config.scopes, "state": state,
            "nonce": nonce, "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256"})
        endpoint = discovery.authorization_endpoint
        return Started(f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", sealed)

    async def finish(self, *, params: Mapping[str, str], binding: str | None) -> SignedIn:
        """The provider's answer at the callback (its query parameters) and the browser's
        binding cookie → the caller. A state this browser started is used up whatever
        happens next."""
        state = params.get("state") or ""
        pending = self._unseal(binding)
        ours = pending is not None and bool(state) and secrets.compare_digest(
            state.encode("utf-8", "replace"), pending.state.encode())
        fresh = pending is not None and self._clock() < pending.expires
        used = bool(state) and self._was_used(state)
        if pending is not None and ours and fresh and not used:
            self._use(state, pending.expires)
        error = params.get("error")
        if error is not None:
            reason = error if _ERROR_CODE.fullmatch(error) else "invalid"
            # the provider's own words only in answer to this browser's sign-in: a crafted
            # link must not put text of its choosing on our page
            raise SignInFailed(f"the identity provider did not sign you in ({reason})",
                               reason="provider-said-no",
                               detail=(params.get("error_description") or "")[:200]
                               if ours and fresh and not used else "")
        if not state:
            raise SignInFailed(_UNKNOWN, reason="no-state", status=400)
        if used:
            raise SignInFailed(_UNKNOWN, reason="replayed", status=400)
        if binding is None:
            raise SignInFailed("this browser did not start this sign-in (its sign-in cookie "
                               "is missing; are cookies blocked?): start again",
                               reason="no-cookie", status=400)
        if pending is None:  # forged, or made before a restart (another key)
            raise SignInFailed(_UNKNOWN, reason="bad-cookie", status=400)
        if not ours:
            raise SignInFailed("this sign-in was started in another browser or tab: start "
                               "again", reason="other-browser", status=400)
        if not fresh:
            raise SignInFailed(_UNKNOWN, reason="expired", status=400)
        code = params.get("code")
        if not code:
            raise SignInFailed("the identity provider's answer has no code", reason="no-code",
                               status=400)
        id_token = await self._exchange(code, pending)
        return await self._verify(id_token, pending)

    def _unseal(self, binding: str | None) -> _Pending | None:
        """The sign-in a binding cookie carries; None unless this process sealed it."""
        if not binding:
            return None
        try:
            fields = json.loads(self._sealer.decrypt(binding.encode("ascii")))
            return _Pending(state=str(fields["s"]), nonce=str(fields["n"]),
                            verifier=str(fields["v"]), redirect_uri=str(fields["r"]),
                            expires=float(fields["e"]))
        except (InvalidToken, UnicodeError, ValueError, KeyError, TypeError):
            return None

    def _was_used(self, state: str) -> bool:
        now = self._clock()
        while self._used and next(iter(self._used.values())) <= now:
            self._used.popitem(last=False)  # roughly in expiry order: close enough
        expires = self._used.get(_hash(state))
        return expires is not None and expires > now

    def _use(self, state: str, expires: float) -> None:
        self._used[_hash(state)] = expires
        while len(self._used) > MAX_USED:
            self._used.popitem(last=False)

    async def _exchange(self, code: str, pending: _Pending) -> str:
        """The code (with the PKCE verifier and the client's credentials) → the ID token."""
        discovery = await self._discover()
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": pending.redirect_uri, "code_verifier": pending.verifier}
        headers = {"accept": "application/json"}
        methods = discovery.token_endpoint_auth_methods_supported
        if "client_secret_basic" in methods:
            # RFC 6749 §2.3.1: each part form-encoded before base64
            pair = (f"{quote_plus(self.config.client_id)}:"
                    f"{quote_plus(self.config.client_secret)}")
            headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        elif "client_secret_post" in methods:
            form |= {"client_id": self.config.client_id,
                     "client_secret": self.config.client_secret}
        else:
            raise SignInFailed("the identity provider accepts neither client_secret_basic "
                               f"nor client_secret_post (it offers {list(methods)[:5]})",
                               reason="no-auth-method", status=502)
        try:
            status, body = await self._request("POST", discovery.token_endpoint,
                                               data=form, headers=headers)
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("OIDC token endpoint unreachable: %s", type(exc).__name__)
            raise SignInFailed("the identity provider cannot be reached; try again later",
                               reason="token-endpoint-unreachable", status=503) from None
        if status != 200:
            reason = _error_of(body)
            log.info("OIDC token endpoint refused the code: HTTP %d %s", status, reason)
            raise SignInFailed(f"the identity provider refused the sign-in code ({reason}): "
                               "start again", reason="code-refused")
        try:
            return _TokenAnswer.model_validate_json(body).id_token
        except ValidationError:
            raise SignInFailed("the identity provider's token answer holds no ID token "
                               "(is openid among ORGCOVER_OIDC_SCOPES?)", reason="no-id-token",
                               status=502) from None

    async def _verify(self, id_token: str, pending: _Pending) -> SignedIn:
        await self._discover()
        verifier = self._verifier  # made with the discovery document
        if verifier is None:
            raise SignInFailed("the identity provider's keys are not known yet",
                               reason="no-keys", status=503)
        try:
            claims = await verifier.verified_claims(id_token)
        except Unauthenticated as exc:
            raise SignInFailed(f"the identity provider's ID token is refused: {exc.message}",
                               reason="id-token-refused") from None
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not secrets.compare_digest(
                nonce.encode("utf-8", "replace"), pending.nonce.encode()):
            raise SignInFailed("the identity provider's ID token is refused: its nonce is not "
                               "the one this sign-in sent (a replayed token?)", reason="nonce")
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and \
                claims.get("azp") != self.config.client_id:
            raise SignInFailed("the identity provider's ID token is refused: it names several "
                               "audiences and we are not its authorized party (azp)", reason="azp")
        try:
            caller = await caller_of(claims, paths=self.config.claims,
                                     role_map=self.config.role_map,
                                     place_exists=self._place_exists)
        except Unauthenticated as exc:
            raise SignInFailed(f"you are signed in at the identity provider, but it gives no "
                               f"rights here: {exc.message}", reason="no-rights",
                               status=403) from None
        return SignedIn(caller, float(claims["exp"]))

    async def _discover(self) -> _Discovery:
        """The discovery document, fetched at most once an hour (and, after a failure,
        once every RETRY_AFTER seconds: a click cannot make us hammer the provider)."""
        now = time.monotonic()
        if self._discovery is not None and now - self._fetched < DISCOVERY_MAX_AGE:
            return self._discovery
        async with self._lock:
            now = time.monotonic()
            fresh = self._discovery is not None and now - self._fetched < DISCOVERY_MAX_AGE
            if not fresh and now - self._failed >= RETRY_AFTER:
                try:
                    self._adopt(await self._fetch_discovery())
                except SignInFailed as exc:
                    self._failed = time.monotonic()
                    self._problem = exc.message
                    log.error("OIDC discovery from %s failed: %s", self.config.discovery_url,
                              exc.message)
            if self._discovery is None:
                raise SignInFailed("the identity provider cannot be used now (its discovery "
                                   f"document: {self._problem}); try again later",
                                   reason="discovery", status=503)
            return self._discovery

    async def _fetch_discovery(self) -> _Discovery:
        try:
            status, body = await self._request("GET", self.config.discovery_url,
                                               headers={"accept": "application/json"})
        except (httpx.HTTPError, ValueError) as exc:
            raise SignInFailed(f"unreachable ({type(exc).__name__})", reason="discovery",
                               status=503) from None
        if status != 200:
            raise SignInFailed(f"HTTP {status}", reason="discovery", status=503)
        try:
            found = _Discovery.model_validate_json(body)
        except ValidationError as exc:
            raise SignInFailed(f"not a discovery document ({exc.error_count()} problems)",
                               reason="discovery", status=503) from None
        try:
            for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
                check_url(getattr(found, name), setting=f"discovery {name}")
        except ValueError as exc:
            raise SignInFailed(str(exc), reason="discovery", status=503) from None
        found_under = self.config.discovery_url.removesuffix(DISCOVERY_SUFFIX)
        if found_under.rstrip("/") != found.issuer.rstrip("/"):
            # OpenID Connect Discovery §4.3: the issuer is the URL it was found under
            raise SignInFailed(f"its issuer {found.issuer[:200]!r} is not the URL it was "
                               "found under", reason="discovery", status=503)
        methods = found.code_challenge_methods_supported
        if methods is not None and "S256" not in methods:
            raise SignInFailed("it does not offer PKCE with S256", reason="discovery",
                               status=503)
        return found

    def _adopt(self, found: _Discovery) -> None:
        if self._discovery is None or (found.issuer, found.jwks_uri) != (
                self._discovery.issuer, self._discovery.jwks_uri):
            self._verifier = TokenVerifier(AuthConfig(
                jwks_url=found.jwks_uri, issuer=found.issuer, audience=self.config.client_id,
                leeway=self.config.leeway, claims=self.config.claims,
                role_map=self.config.role_map, max_lifetime=self.config.max_lifetime),
                place_exists=self._place_exists, clock=self._clock)
        self._discovery = found
        self._fetched = time.monotonic()
        log.info("OIDC discovery from %s: issuer %s", self.config.discovery_url, found.issuer)

    async def _request(self, method: str, url: str, **kwargs: Any) -> tuple[int, bytes]:
        """One request, no redirects followed, the answer read up to MAX_BYTES."""
        async with httpx.AsyncClient(timeout=self.config.timeout,
                                     follow_redirects=False) as client, \
                client.stream(method, url, **kwargs) as response:
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise ValueError(f"answer of {urlsplit(url).path} larger than 1 MB")
            return response.status_code, body


def _error_of(body: bytes) -> str:
    """The OAuth `error` code of a token endpoint's refusal (RFC 6749 §5.2), if it is one."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return "no error code"
    return error if isinstance(error, str) and _ERROR_CODE.fullmatch(error) else "no error code"
