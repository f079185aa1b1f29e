"""What one load may cost: rows per file, workbook sizes, problems kept for the answer.

The values come from the settings (`ORGCOVER_MAX_ROWS_PER_FILE`, `…_MAX_XLSX_*`,
`…_MAX_PROBLEMS_LISTED`; README "Rosters"); the defaults here are the settings' defaults,
for callers without settings (tests, scripts). The CLI keeps every problem (its
`--errors-out` writes them all); GraphQL keeps the first `max_problems_listed` of each
severity and counts the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Longest piece of any input value a message quotes (cells, codes, names, sheet names).
MAX_QUOTED = 100
#: Columns a header row may have (a template has at most twelve; the rest are unknown
#: columns, each a warning): beyond it the file is refused, not read.
MAX_COLUMNS = 500
#: Characters one CSV line may have (twelve fields at the csv module's 131,072 each).
MAX_LINE_CHARS = 2 << 20
#: Workbook parts openpyxl reads whole into memory (styles, theme, the workbook, their
#: relationships …) are at most this big uncompressed; sheets are streamed and bounded by
#: `max_xlsx_uncompressed_bytes`, the shared strings by their own setting.
MAX_XLSX_OTHER_PART = 16 << 20
#: Members a workbook may have.
MAX_XLSX_PARTS = 10_000
#: A part smaller than this is not judged by its compression ratio (it cannot expand to
#: anything harmful whatever the ratio; tiny XML parts compress well).
XLSX_RATIO_FLOOR = 1 << 20


@dataclass(frozen=True, slots=True)
class LoadLimits:
    #: About twice a district's largest roster (the synthetic district's people: 268,907
    #: rows); a million-row sheet took 2 minutes and +600 MB to check (bench-abuse 4b).
    max_rows_per_file: int = 500_000
    #: Problems of each severity kept (and answered) in full; None keeps every one.
    max_problems_listed: int | None = None
    max_xlsx_uncompressed_bytes: int = 1 << 30
    max_xlsx_ratio: int = 200
    max_xlsx_shared_strings_bytes: int = 64 << 20

    @classmethod
    def from_settings(cls, settings: Any, *, listed: bool) -> LoadLimits:
        """From `app.settings.Settings`; `listed`: keep only `max_problems_listed`."""
        return cls(
            max_rows_per_file=settings.max_rows_per_file,
            max_problems_listed=settings.max_problems_listed if listed else None,
            max_xlsx_uncompressed_bytes=settings.max_xlsx_uncompressed_bytes,
            max_xlsx_ratio=settings.max_xlsx_ratio,
            max_xlsx_shared_strings_bytes=settings.max_xlsx_shared_strings_bytes,
        )


def quoted(text: str, limit: int = MAX_QUOTED) -> str:
    """`text`, cut to `limit` characters (the cut marked with …)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"
