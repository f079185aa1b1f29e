"""Bearer JWTs → a verified `Caller`.

Two ways to trust a token, by setting: HS256 with a shared secret (one office, the demo),
or RS256/ES256 signed by the organization's identity provider (a PEM public key or its
JWKS, with issuer and audience checked). The algorithm family of the token picks the key,
so an RS256 public key can never be used as an HS256 secret (HS/RS confusion) and `none`
is never accepted.

Verifying costs an HMAC or a signature check plus a store lookup of the jurisdiction, so
verified tokens are cached until they expire: the frontend mix sends the same few tokens
hundreds of times a second (bench/RESULTS.md: auth's share of the mix).
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt

from app.auth.jwks import JwksCache
from graph.errors import ConfigError, Unauthenticated
from resolvers.access import ROLES, Caller

HMAC_ALGORITHMS = ("HS256",)
KEY_ALGORITHMS = ("RS256", "ES256")
#: Verified tokens kept (LRU); a token is a few hundred bytes.
CACHE_SIZE = 4096
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TTL = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

#: Does this place code exist? (the store, in the app)
PlaceCheck = Callable[[str], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class ClaimPaths:
    """Where the claims are: dotted paths for identity providers that nest them
    (`realm_access.roles` in Keycloak, `groups` elsewhere)."""

    sub: str = "sub"
    name: str = "name"
    roles: str = "roles"
    jurisdiction: str = "jurisdiction"


@dataclass(frozen=True, slots=True)
class AuthConfig:
    secret: str | None = None
    public_key: str | None = None
    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    leeway: int = 30
    claims: ClaimPaths = field(default_factory=ClaimPaths)
    #: identity-provider role → orgcover role; with a map, roles it does not name are
    #: ignored (providers put unrelated roles in the same claim)
    role_map: Mapping[str, str] | None = None
    #: Longest a token may still live, in seconds (a leaked token must not last for ever).
    max_lifetime: int = 31 * 86400

    def __post_init__(self) -> None:
        if not (self.secret or self.public_key or self.jwks_url):
            raise ConfigError("no key to verify tokens with", setting="ORGCOVER_AUTH_SECRET")
        if self.role_map:
            unknown = sorted(set(self.role_map.values()) - set(ROLES))
            if unknown:
                raise ConfigError(f"role map names unknown orgcover roles {unknown}; known: "
                                  f"{', '.join(ROLES)}", setting="ORGCOVER_AUTH_ROLE_MAP")


class TokenVerifier:
    """Verifies bearer tokens and caches the callers they name until they expire."""

    def __init__(self, config: AuthConfig, *, place_exists: PlaceCheck,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._place_exists = place_exists
        self._clock = clock
        self._cache: OrderedDict[str, tuple[Caller, float]] = OrderedDict()
        self._pem = _load_pem(config.public_key) if config.public_key else None
        self._jwks = JwksCache(config.jwks_url) if config.jwks_url else None

    async def verify_header(self, authorization: str | None) -> Caller:
        """The caller of an `Authorization: Bearer …` header value."""
        if not authorization:
            raise Unauthenticated("no token: send the header Authorization: Bearer <token>")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        return await self.verify(token.strip())

    async def verify(self, token: str) -> Caller:
        now = self._clock()
        hit = self._cache.get(token)
        if hit is not None:
            caller, expires = hit
            if now < expires + self.config.leeway:
                self._cache.move_to_end(token)
                return caller
            del self._cache[token]
        claims = await self.verified_claims(token)
        caller = await caller_of(claims, paths=self.config.claims,
                                 role_map=self.config.role_map, place_exists=self._place_exists)
        self._cache[token] = (caller, float(claims["exp"]))
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return caller

    async def verified_claims(self, token: str) -> dict[str, Any]:
        """The token's claims once its algorithm, signature, issuer, audience and times are
        checked; not yet mapped to a caller, not cached (OIDC checks its nonce first)."""
        claims = await self._decode(token)
        exp = claims["exp"]
        if isinstance(exp, bool) or not isinstance(exp, (int, float)):
            raise Unauthenticated("token claim 'exp' must be a number (seconds since 1970)")
        if exp - self._clock() > self.config.max_lifetime:
            raise Unauthenticated(f"token lives longer than {self.config.max_lifetime // 86400}"
                                  " days; ask for a shorter one (setting: "
                                  "ORGCOVER_AUTH_MAX_LIFETIME_DAYS)")
        return claims

    async def _decode(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("malformed token: not a JWT") from None
        alg = header.get("alg")
        key: Any
        if alg in HMAC_ALGORITHMS and self.config.secret:
            key = self.config.secret
        elif alg in KEY_ALGORITHMS and (self._pem is not None or self._jwks is not None):
            key = await self._public_key(header)
        else:
            accepted = [*(HMAC_ALGORITHMS if self.config.secret else ()),
                        *(KEY_ALGORITHMS if self._pem or self._jwks else ())]
            raise Unauthenticated(f"token algorithm {str(alg)[:20]!r} is not accepted "
                                  f"(accepted: {', '.join(accepted)})")
        try:
            return jwt.decode(
                token, key, algorithms=[alg], leeway=self.config.leeway,
                issuer=self.config.issuer, audience=self.config.audience,
                options={"require": ["exp"], "verify_aud": self.config.audience is not None})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("token not yet valid (nbf or iat in the future)") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("bad token signature") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated(f"wrong token issuer; expected {self.config.issuer!r}") \
                from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated(f"wrong token audience; expected {self.config.audience!r}") \
                from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"token has no {exc.claim!r} claim") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {str(exc)[:100]}") from None
        except (TypeError, ValueError):  # e.g. an ES256 token against an RSA key
            raise Unauthenticated(f"token algorithm {alg!r} does not fit the configured key")\
                from None

    async def _public_key(self, header: Mapping[str, Any]) -> Any:
        if self._jwks is not None:
            kid = header.get("kid")
            if not isinstance(kid, str) or not kid:
                if self._pem is not None:
                    return self._pem
                raise Unauthenticated("token has no key id (kid) and the identity provider's "
                                      "keys are named by kid")
            found = await self._jwks.key(kid)
            if found is None:
                raise Unauthenticated(f"unknown token key id {kid[:40]!r}")
            return found
        return self._pem


async def caller_of(claims: Mapping[str, Any], *, paths: ClaimPaths,
                    role_map: Mapping[str, str] | None, place_exists: PlaceCheck) -> Caller:
    """The caller named by verified claims: the one mapping of claims to rights, shared by
    bearer tokens and OIDC sign-in (app/auth/oidc.py), so both give the same `Caller`."""
    sub = _claim(claims, paths.sub)
    if not isinstance(sub, str) or not sub.strip() or _CONTROL.search(sub):
        raise Unauthenticated(f"token has no usable {paths.sub!r} claim")
    name = _claim(claims, paths.name)
    roles = _roles(_claim(claims, paths.roles), path=paths.roles, role_map=role_map)
    jurisdiction = _claim(claims, paths.jurisdiction)
    if not isinstance(jurisdiction, str) or not jurisdiction.strip():
        raise Unauthenticated(f"token has no {paths.jurisdiction!r} claim (a place code)")
    code = unicodedata.normalize("NFKC", jurisdiction).strip()
    if _CONTROL.search(code) or len(code) > 64 or not await place_exists(code):
        raise Unauthenticated(f"token jurisdiction {jurisdiction[:64]!r} is not a place code")
    return Caller.of_roles(sub=sub.strip()[:128],
                           name=(name if isinstance(name, str) else sub).strip()[:128],
                           roles=roles, jurisdiction=code)


def _roles(value: Any, *, path: str, role_map: Mapping[str, str] | None) -> tuple[str, ...]:
    given: Sequence[Any]
    if isinstance(value, str):
        given = [value]
    elif isinstance(value, list):
        given = value
    else:
        raise Unauthenticated(f"token has no {path!r} claim (a list of roles)")
    roles: list[str] = []
    for role in given:
        if not isinstance(role, str):
            raise Unauthenticated(f"token claim {path!r} holds a non-text role")
        if role_map:
            mapped = role_map.get(role)
            if mapped is not None and mapped not in roles:
                roles.append(mapped)
        elif role in ROLES:
            if role not in roles:
                roles.append(role)
        else:
            raise Unauthenticated(f"unknown role {role[:40]!r}; known: {', '.join(ROLES)}")
    if not roles:
        raise Unauthenticated(f"token claim {path!r} names no orgcover role")
    return tuple(roles)


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _load_pem(value: str) -> Any:
    """A PEM public key given inline or as a path to a file."""
    from pathlib import Path

    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    text = value
    if "-----BEGIN" not in value:
        try:
            text = Path(value).read_text(encoding="ascii")
        except OSError as exc:
            raise ConfigError(f"cannot read the public key file {value!r}: {exc.strerror}",
                              setting="ORGCOVER_AUTH_PUBLIC_KEY") from None
    try:
        return load_pem_public_key(text.encode())
    except ValueError:
        raise ConfigError("the public key is not a PEM public key",
                          setting="ORGCOVER_AUTH_PUBLIC_KEY") from None


def parse_ttl(text: str) -> int:
    """Seconds of `8h`, `30m`, `2d`, `3600`."""
    match = _TTL.match(text)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"not a duration: {text!r}; use e.g. 8h, 30m, 2d")
    return int(match.group(1)) * _UNITS[match.group(2)]


def mint(secret: str, *, sub: str, name: str, roles: Sequence[str], jurisdiction: str,
         ttl_seconds: int, issuer: str | None = None, audience: str | None = None,
         now: dt.datetime | None = None) -> str:
    """An HS256 token for a person (the `orgcover token` command, the demo)."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValueError(f"unknown role(s) {unknown}; known: {', '.join(ROLES)}")
    issued = now or dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": sub, "name": name, "roles": list(roles), "jurisdiction": jurisdiction,
        "iat": issued, "nbf": issued, "exp": issued + dt.timedelta(seconds=ttl_seconds),
    }
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")
