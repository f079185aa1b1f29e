"""The service's exception hierarchy: one root, a code per expected failure.

`code` is what GraphQL clients see in `extensions.code` and what the CLI maps to an exit
status; `setting` names the configuration to change when the fix is a setting.
"""

from __future__ import annotations


class OrgcoverError(Exception):
    """Root of every expected failure in orgcover."""

    code: str = "INTERNAL"

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.setting = setting

    def __str__(self) -> str:
        if self.setting:
            return f"{self.message} (setting: {self.setting})"
        return self.message


class ConfigError(OrgcoverError):
    """A setting is missing, malformed or points at something unusable."""

    code = "CONFIG"


class StoreUnavailable(OrgcoverError):
    """The graph database cannot be reached or did not become ready."""

    code = "STORE_UNAVAILABLE"


class StoreLocked(ConfigError):
    """Another orgcover process already runs the embedded store on this data directory."""

    code = "STORE_LOCKED"


class QueryFailed(OrgcoverError):
    """The database rejected a statement (a bug on our side, or a backend incompatibility)."""

    code = "INTERNAL"


class NotFound(OrgcoverError):
    """An argument names a node that does not exist."""

    code = "NOT_FOUND"


class BadInput(OrgcoverError):
    """An argument is malformed or does not fit (unknown metric, level not below scope …)."""

    code = "BAD_USER_INPUT"


class Unauthenticated(OrgcoverError):
    """No valid token: missing, malformed, badly signed, expired, or naming an unknown role
    or a jurisdiction that is not a place (HTTP 401)."""

    code = "UNAUTHENTICATED"


class Forbidden(OrgcoverError):
    """A valid caller without the right a field or mutation needs."""

    code = "FORBIDDEN"


class Timeout(OrgcoverError):
    """The request (or a statement of it) ran past its deadline."""

    code = "TIMEOUT"


class LoadInProgress(OrgcoverError):
    """Another roster load holds the store's load lock (one load at a time per store)."""

    code = "LOAD_IN_PROGRESS"
