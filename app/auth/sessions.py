"""Browser sessions: a random id in an HttpOnly, SameSite=Strict cookie, mapped here to a
verified `Caller`; and one-time login tickets (`serve --demo` prints one, as Jupyter does).

Server-side on purpose (not a signed cookie): sign-out and expiry then really end a
session, and nothing about the caller travels in the cookie. Only a SHA-256 of each id and
ticket is kept, so a memory dump or a log of this map names no usable cookie. Sessions
live in the serving process: a restart signs everyone out (one process serves; several
workers would need a shared store).

A session ends `SESSION_IDLE` seconds after its last use, `SESSION_TTL` after sign-in, or
when the token it was made from expires, whichever comes first. A ticket is good once,
for `TICKET_TTL` seconds.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from resolvers.access import Caller

COOKIE = "orgcover_session"
#: Longest a session lives after sign-in (a working day).
SESSION_TTL = 8 * 3600
#: A session unused this long ends (an unattended browser).
SESSION_IDLE = 3600
#: A one-time login URL is good this long after it was printed.
TICKET_TTL = 15 * 60
#: Sessions kept at most; the least recently used go first.
MAX_SESSIONS = 10_000
MAX_TICKETS = 100


def _key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


@dataclass(slots=True)
class _Entry:
    caller: Caller
    expires: float  # absolute end
    last_used: float


class Sessions:
    """Sessions and one-time tickets of this process."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._sessions: OrderedDict[str, _Entry] = OrderedDict()
        self._tickets: OrderedDict[str, tuple[Caller, float]] = OrderedDict()

    def ticket(self, caller: Caller, ttl: int = TICKET_TTL) -> str:
        """A new one-time secret that signs `caller` in (put in `/login?token=`)."""
        secret = secrets.token_urlsafe(32)
        self._tickets[_key(secret)] = (caller, self._clock() + ttl)
        while len(self._tickets) > MAX_TICKETS:
            self._tickets.popitem(last=False)
        return secret

    def redeem(self, secret: str) -> Caller | None:
        """The ticket's caller, once: the ticket is gone afterwards (used or expired)."""
        found = self._tickets.pop(_key(secret), None)
        if found is None or self._clock() >= found[1]:
            return None
        return found[0]

    def open(self, caller: Caller, *, until: float | None = None) -> tuple[str, int]:
        """A new session id for `caller` and its cookie's Max-Age; `until` (a token's
        `exp`) caps the session."""
        now = self._clock()
        expires = now + SESSION_TTL if until is None else min(now + SESSION_TTL, until)
        sid = secrets.token_urlsafe(32)
        self._sessions[_key(sid)] = _Entry(caller, expires, now)
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return sid, max(0, int(expires - now))

    def caller(self, sid: str) -> Caller | None:
        """The session's caller, or None when there is none or it ended (then dropped)."""
        key = _key(sid)
        entry = self._sessions.get(key)
        if entry is None:
            return None
        now = self._clock()
        if now >= entry.expires or now - entry.last_used >= SESSION_IDLE:
            del self._sessions[key]
            return None
        entry.last_used = now
        self._sessions.move_to_end(key)
        return entry.caller

    def close(self, sid: str) -> None:
        self._sessions.pop(_key(sid), None)


def cookie_of(headers: dict[bytes, bytes]) -> str | None:
    """The session cookie's value from a raw Cookie header, if any."""
    raw = headers.get(b"cookie")
    if not raw:
        return None
    for part in raw.decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value:
            return value.strip()
    return None


def set_cookie(sid: str, max_age: int, *, secure: bool) -> str:
    """HttpOnly (no script reads it), SameSite=Strict (no cross-site request carries it),
    Secure when served over https, Path=/."""
    return (f"{COOKIE}={sid}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Strict"
            + ("; Secure" if secure else ""))


def clear_cookie(*, secure: bool) -> str:
    return (f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict"
            + ("; Secure" if secure else ""))
