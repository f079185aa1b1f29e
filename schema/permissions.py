"""The permission layer: each protected field and mutation names the right it needs.

Rights come from resolvers/access.py; the caller is the request's verified identity
(`info.context.caller`). Use `guarded(...)` for a field: it adds the permission extension
and says the right in the schema description, so the SDL documents who may ask what. A
missing right is `FORBIDDEN` naming the right, except on personal fields declared
`silent`, which read null for callers without it: the same frontend query then works for
every role, showing what each may see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.extensions.field_extension import (
    AsyncExtensionResolver,
    FieldExtension,
    SyncExtensionResolver,
)
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from resolvers.access import ROLES, Right


def _holders(right: Right) -> str:
    return ", ".join(name for name, role in ROLES.items() if right in role.rights)


class Needs(BasePermission):
    """The caller holds `right` (when `argument` is given: only if that argument is set)."""

    def __init__(self, right: Right, *, argument: str | None = None) -> None:
        self.right = right
        self.argument = argument
        what = f"argument {argument}" if argument else "this field"
        self.message = f"{what} needs the right '{right}' (roles: {_holders(right)})"
        self.error_extensions = {"code": "FORBIDDEN", "right": str(right)}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if self.argument is not None and kwargs.get(self.argument) in (None, False):
            return True
        return bool(info.context.caller.can(self.right))


def needs(right: Right, *, argument: str | None = None,
          silent: bool = False) -> list[FieldExtension]:
    """Field extensions requiring `right`; `silent`: null instead of FORBIDDEN."""
    return [PermissionExtension(permissions=[Needs(right, argument=argument)],
                                use_directives=False, fail_silently=silent)]


def requires(text: str, right: Right) -> str:
    """A description that names the right its field needs."""
    return f"{text} Needs right `{right}`."


class MaskedUnless(FieldExtension):
    """Shows the value in full to callers with `right`, masked to everyone else who may
    see the field at all (put it after the field's permission)."""

    def __init__(self, right: Right, mask: Callable[[str], str]) -> None:
        super().__init__()
        self.right = right
        self.mask = mask

    def _shown(self, value: Any, info: Info) -> Any:
        if value is None or info.context.caller.can(self.right):
            return value
        return self.mask(str(value))

    def resolve(self, next_: SyncExtensionResolver, source: Any, info: Info,
                **kwargs: Any) -> Any:
        return self._shown(next_(source, info, **kwargs), info)

    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: Info,
                            **kwargs: Any) -> Any:
        value = next_(source, info, **kwargs)
        if isinstance(value, Awaitable):
            value = await value
        return self._shown(value, info)


def mask_phone(phone: str) -> str:
    """`13812345678` → `138****5678` (any length: the middle is starred)."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def guarded(right: Right, description: str, **kwargs: Any) -> Any:
    """`strawberry.field` that needs `right`, with the right named in its description."""
    return strawberry.field(description=requires(description, right), extensions=needs(right),
                            **kwargs)
