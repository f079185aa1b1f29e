"""Write small hand-built rosters for tests (template key → rows in column order)."""

from __future__ import annotations

import csv
from pathlib import Path

from loaders.templates import TEMPLATES


def write_rosters(out: Path, tables: dict[str, list[list[object]]],
                  *, encoding: str = "utf-8-sig") -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for template in TEMPLATES:
        rows = tables.get(template.key)
        if rows is None:
            continue
        with (out / f"{template.zh}.csv").open("w", encoding=encoding, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(template.zh_headers)
            writer.writerows(rows)
    return out
