"""Keyset pagination: cursors bound to the list they came from, page size capped."""

from __future__ import annotations

import base64
import binascii

from graph.errors import BadInput

DEFAULT_PAGE = 50
#: Largest page any list field returns (README documents it).
MAX_PAGE = 500
_VERSION = "v1"


def encode_cursor(list_id: str, code: str) -> str:
    raw = f"{_VERSION}|{list_id}|{code}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(list_id: str, cursor: str | None) -> str | None:
    """The code after which the page starts; BadInput for forged or foreign cursors."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        version, owner, code = base64.urlsafe_b64decode(padded).decode().split("|", 2)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadInput(f"cursor {cursor[:100]!r} is not a cursor this API issued") from None
    if version != _VERSION or not code:
        raise BadInput(f"cursor {cursor[:100]!r} is not a cursor this API issued")
    if owner != list_id:
        raise BadInput(f"cursor {cursor[:100]!r} belongs to another list ({owner[:100]}), "
                       f"not {list_id[:100]}")
    return code


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise BadInput(f"first must be between 0 and {MAX_PAGE}, got {first}")
    return first


#: Separates the two parts of a pair cursor (codes never hold control characters).
PAIR_SEP = "\t"


def encode_pair(list_id: str, first: str, second: str) -> str:
    return encode_cursor(list_id, f"{first}{PAIR_SEP}{second}")


def decode_pair(list_id: str, cursor: str | None) -> tuple[str, str] | None:
    """The two keys a pair cursor (sort key and code) starts after; BadInput otherwise."""
    start = decode_cursor(list_id, cursor)
    if start is None:
        return None
    first, sep, second = start.partition(PAIR_SEP)
    if not sep:
        raise BadInput(f"cursor {str(cursor)[:100]!r} is not a cursor this API issued")
    return first, second
