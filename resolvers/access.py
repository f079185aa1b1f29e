"""Who is asking: rights, the roles that bundle them, and the verified caller of a request.

design/security.md is the contract. A role is a named bundle of rights and a token may
carry several; every protected field and mutation names the one right it needs
(schema/permissions.py), so adding a role never touches the schema. The caller's
jurisdiction (a place code) bounds every request: resolvers/nodes.py `effective_scope`
narrows every scope to it.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from enum import StrEnum


class Right(StrEnum):
    """One thing a caller may see or do. Values appear in errors and schema descriptions."""

    READ = "read"  # places, party orgs, organizations, audits, linkage, people by name
    PII_MASKED = "pii:masked"  # masked ID-card number and masked phone
    PII_PHONE = "pii:phone"  # full phone numbers
    PII_RESIDENCE = "pii:residence"  # residence below compound level (the building)
    EXPORT = "export"  # audit exports (csv, xlsx)
    LOAD = "load"  # roster loads: create, update, dry run
    LOAD_REPLACE = "load:replace"  # replaceScope: remove what the rosters no longer name
    RECORDS = "records"  # the access log and the load journal
    SNAPSHOT = "snapshot"  # take a coverage snapshot on demand
    NOTICE = "notice"  # rectification notices (整改通知): issue them, read them and ledgers
    SELF = "self"  # who the caller is (`me`): every role, so a loader's dashboard can start


_VIEWER = frozenset({Right.READ, Right.SELF})
_AUDITOR = _VIEWER | {Right.PII_MASKED, Right.EXPORT, Right.SNAPSHOT, Right.NOTICE}
_OFFICER = _AUDITOR | {Right.PII_PHONE, Right.PII_RESIDENCE}
_LOADER = frozenset({Right.LOAD, Right.SELF})
_ADMIN = frozenset(Right)


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    zh: str
    rights: frozenset[Right]
    summary: str


#: The roles of design/security.md. Decision where it is silent: the building a person
#: lives in (residence below compound) is for officers (专干, who visit) and admins.
ROLES: dict[str, Role] = {r.name: r for r in (
    Role("viewer", "查看", _VIEWER,
         "places, party orgs, organizations, audits and gaps, linkage; people by name, "
         "posts and memberships (no phone, no ID mask, residence at compound level)"),
    Role("auditor", "组织部审计", _AUDITOR,
         "viewer + masked ID-card numbers and masked phones + exports, snapshots, "
         "rectification notices"),
    Role("officer", "专干", _OFFICER,
         "auditor + full phone numbers and the building a person lives in"),
    Role("loader", "数据录入", _LOADER,
         "roster loads inside the jurisdiction (create, update, dry run); no replaceScope"),
    Role("admin", "管理员", _ADMIN,
         "every right: replaceScope, the access log and the load journal"),
)}


@dataclass(frozen=True, slots=True)
class Caller:
    """A verified identity: subject, display name, roles, their rights, jurisdiction.

    `jurisdiction` None means no bound: only the operator (the CLI on the server's own
    machine without --token) has it; a token always names a place.
    """

    sub: str
    name: str
    roles: tuple[str, ...]
    rights: frozenset[Right]
    jurisdiction: str | None

    def can(self, right: Right) -> bool:
        return right in self.rights

    @classmethod
    def of_roles(cls, *, sub: str, name: str, roles: tuple[str, ...],
                 jurisdiction: str | None) -> Caller:
        """A caller with the union of its roles' rights (roles must be known)."""
        rights: frozenset[Right] = frozenset().union(*(ROLES[r].rights for r in roles))
        return cls(sub=sub, name=name, roles=roles, rights=rights, jurisdiction=jurisdiction)


#: The CLI on the server's own machine: every right, no jurisdiction bound.
OPERATOR = Caller(sub="operator", name="operator", roles=("admin",), rights=frozenset(Right),
                  jurisdiction=None)


#: No one: no right, and a jurisdiction no place has. The context of a request the guard
#: let through without a token (the static GraphiQL page) is bound to it, so nothing can
#: be read through it even if something downstream asked.
NOBODY = Caller(sub="-", name="-", roles=(), rights=frozenset(), jurisdiction="\x00none")

#: Codes of the people put into the answer of the request being served (the access log
#: counts them); None outside a logged request. DataLoader tasks share the set.
people_seen: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "people_seen", default=None)


def saw_person(code: str) -> None:
    seen = people_seen.get()
    if seen is not None:
        seen.add(code)
