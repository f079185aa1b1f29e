"""The identity provider's signing keys (JWKS), fetched and cached.

Keys are fetched on first use and again when they are older than `max_age`, or when a
token names a key id the cache lacks (the provider rotated its keys) — but at most once
per `min_refresh` seconds, so tokens with made-up key ids cannot make the service hammer
the provider. Fetching runs in a thread (urllib blocks) behind one lock: concurrent
requests wait for one fetch.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
from typing import Any

import jwt

from graph.errors import Unauthenticated

log = logging.getLogger("orgcover.auth")
#: Largest JWKS document read (a provider publishes a handful of keys).
MAX_BYTES = 1 << 20


class JwksCache:
    def __init__(self, url: str, *, max_age: float = 3600, min_refresh: float = 30,
                 timeout: float = 5) -> None:
        self.url = url
        self.max_age = max_age
        self.min_refresh = min_refresh
        self.timeout = timeout
        self._keys: dict[str, Any] = {}
        self._fetched = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> Any | None:
        """The public key named `kid`, refreshing once if it is unknown or stale."""
        now = time.monotonic()
        if kid in self._keys and now - self._fetched < self.max_age:
            return self._keys[kid]
        async with self._lock:
            now = time.monotonic()
            stale = now - self._fetched >= self.max_age
            if (kid not in self._keys or stale) and now - self._fetched >= self.min_refresh:
                await self._refresh()
            return self._keys.get(kid)

    async def _refresh(self) -> None:
        try:
            body = await asyncio.to_thread(self._fetch)
            keys = {k.key_id: k.key for k in jwt.PyJWKSet.from_dict(json.loads(body))
                    if k.key_id}
        except (OSError, ValueError, TypeError, AttributeError, jwt.PyJWTError) as exc:
            self._fetched = time.monotonic()  # do not retry at once on every request
            log.error("cannot fetch the identity provider's keys from %s: %s", self.url, exc)
            if not self._keys:
                raise Unauthenticated("the identity provider's keys cannot be fetched; "
                                      "try again later") from None
            return
        self._keys = keys
        self._fetched = time.monotonic()
        log.info("fetched %d signing keys from %s", len(keys), self.url)

    def _fetch(self) -> bytes:
        request = urllib.request.Request(self.url, headers={"accept": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            body: bytes = response.read(MAX_BYTES + 1)
        if len(body) > MAX_BYTES:
            raise ValueError("JWKS document larger than 1 MB")
        return body
