"""Cell-level parsing and checks shared by the row models (design/rosters.md, cell rules)."""

from __future__ import annotations

import datetime as dt
import operator
import re
import unicodedata

from loaders.messages import CellError

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
#: Any whitespace: codes may not contain it.
SPACE_RE = re.compile(r"\s")
_DATE_RES = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
#: Control characters no cell or argument may carry (tab, CR and LF are allowed): a NUL
#: truncates the query text the FalkorDB client sends.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "有"})
FALSE_WORDS = frozenset({"否", "n", "no", "false", "0", "无"})


def clean(value: object) -> str | None:
    """Trim a cell; empty cells become None."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def normalize_code(value: str) -> str:
    """NFKC (full-width digits and letters become ASCII), trimmed."""
    if value.isascii():  # NFKC leaves ASCII as it is
        return value.strip()
    return unicodedata.normalize("NFKC", value).strip()


def parse_date(value: object) -> str:
    """ISO date string from the roster formats or an Excel date cell; ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for pattern in _DATE_RES:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day).isoformat()
            except ValueError:
                raise CellError("no_such_date") from None
    raise CellError("bad_date")


def parse_bool(value: object) -> bool:
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError("not_bool")


def parse_int(value: object) -> int:
    """Integers, also from Excel floats like 12.0; a non-integral value is an error."""
    if isinstance(value, bool):
        raise CellError("not_int")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError("not_int")
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    try:
        number = float(text)
    except ValueError:
        raise CellError("not_int") from None
    if not number.is_integer():
        raise CellError("not_int")
    return int(number)


def id_check_char(first17: str) -> str:
    """GB 11643 mod 11-2 check character for the first 17 digits."""
    total = sum(map(operator.mul, map(int, first17), ID_WEIGHTS))
    return ID_CHECK[total % 11]


def valid_id_number(value: str) -> bool:
    if len(value) != 18 or not value[:17].isdigit():
        return False
    return value[17].upper() == id_check_char(value[:17])


def uscc_check_char(first17: str) -> str:
    """GB 32100 mod 31 check character for the first 17 characters."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def looks_like_uscc(value: str) -> bool:
    """18 characters from the USCC alphabet with a digit-led registration part."""
    return len(value) == 18 and all(c in USCC_ALPHABET for c in value) and value[2:8].isdigit()


def valid_uscc(value: str) -> bool:
    return looks_like_uscc(value) and value[17] == uscc_check_char(value[:17])


def valid_mobile(value: str) -> bool:
    return bool(MOBILE_RE.match(value))


def mask_id_number(value: str) -> str:
    """`3713**********123X`: first four and last four kept."""
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def split_codes(value: str) -> list[str]:
    """Codes separated by ; ； 、 or , (design/rosters.md, party_orgs.covers)."""
    return [normalize_code(p) for p in re.split(r"[;；、,，]", value) if p.strip()]
