"""Layout shared by the workbooks people open: column widths fitted to what they hold."""

from __future__ import annotations

import unicodedata
from typing import Any

#: Widest a fitted column gets (longer text wraps); narrowest.
MAX_WIDTH = 60
MIN_WIDTH = 6


def display_width(value: Any) -> int:
    """Width of a value in a spreadsheet cell, in character widths: CJK characters and
    full-width forms take two (a Chinese name is twice as wide as its character count)."""
    if value is None:
        return 0
    text = value if isinstance(value, str) else str(value)
    longest = 0
    for line in text.splitlines() or [""]:
        longest = max(longest, sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1
                                   for ch in line))
    return longest


def fit_widths(sheet: Any, *, from_row: int = 1, extra: dict[int, int] | None = None) -> None:
    """Set each column's width to its widest cell from `from_row` down (the title block
    above spans several columns and must not widen the first one); `extra` gives columns
    a least width (by index, 1-based), e.g. for a dropdown's longest choice."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = dict(extra or {})
    for row in sheet.iter_rows(min_row=from_row):
        for cell in row:
            if cell.value is not None:
                widths[cell.column] = max(widths.get(cell.column, 0), display_width(
                    f"{cell.value:.1%}" if isinstance(cell.value, float) else cell.value))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = \
            max(MIN_WIDTH, min(MAX_WIDTH, width + 2))


#: What a spreadsheet takes for the start of a formula in a cell typed by hand.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def literal_text(sheet: Any, *, from_row: int = 1) -> None:
    """Keep every string from `from_row` on a string: openpyxl stores a value beginning
    with `=` as a formula, so a roster name like `=HYPERLINK("http://…?"&B7,"查看")` would
    become a live formula in an export an auditor opens (and sends on). Only the cell's
    type changes; the text is the same."""
    for row in sheet.iter_rows(min_row=from_row):
        for cell in row:
            value = cell.value
            if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
