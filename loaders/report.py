"""Problems found in a roster, each pinned to file, sheet, row and column."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.errors import OrgcoverError
from loaders.messages import render
from loaders.templates import TEMPLATES


@dataclass(frozen=True, slots=True)
class RosterProblem:
    """One problem: where it is (file, sheet, Excel row, column header), the offending value
    and a message (a key of loaders/messages.py with its parameters)."""

    file: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    sheet: str | None = None
    row: int | None = None  # as numbered in Excel: header = 1, first data row = 2
    column: str | None = None  # the header text the user sees
    value: str | None = None
    severity: str = "error"

    @property
    def message(self) -> str:
        return render(self.key, self.params)

    def text(self, lang: str = "zh") -> str:
        return render(self.key, self.params, lang)

    def where(self, lang: str = "zh") -> str:
        if lang == "en":
            parts = [self.file]
            if self.sheet:
                parts.append(f"sheet {self.sheet}")
            if self.row is not None:
                parts.append(f"row {self.row}")
            if self.column:
                parts.append(f"column {self.column}")
            return ", ".join(parts)
        where = self.file
        if self.sheet:
            where += f"，工作表“{self.sheet}”"
        if self.row is not None:
            where += f"，第 {self.row} 行"
        if self.column:
            where += f"，“{self.column}”列"
        return where

    def render(self, lang: str = "zh") -> str:
        value = f" [{self.value}]" if self.value not in (None, "") else ""
        return f"{self.where(lang)}: {self.text(lang)}{value}"

    def __str__(self) -> str:
        return self.render()


@dataclass(slots=True)
class TemplateCounts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    removed: int = 0


@dataclass(slots=True)
class LoadReport:
    load_id: str
    problems: list[RosterProblem] = field(default_factory=list)
    counts: dict[str, TemplateCounts] = field(default_factory=dict)
    dry_run: bool = False
    #: This run completed an earlier load that was interrupted after validation.
    resumed: bool = False
    #: With --replace-scope: what the roster no longer names, per template (listed first).
    removed: dict[str, list[str]] = field(default_factory=dict)
    #: The committed load these very rosters made, with nothing loaded since: not checked
    #: or diffed again (`--recheck` does), everything counts as unchanged.
    unchanged_since: str | None = None

    @property
    def errors(self) -> list[RosterProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[RosterProblem]:
        return [p for p in self.problems if p.severity == "warning"]

    def count(self, template: str) -> TemplateCounts:
        return self.counts.setdefault(template, TemplateCounts())

    def add_removed(self, template: str, items: list[str]) -> None:
        """What --replace-scope removes (or would remove), listed and counted."""
        self.removed.setdefault(template, []).extend(items)
        self.count(template).removed += len(items)


class RosterInvalid(OrgcoverError):
    """Validation found errors; nothing was written."""

    code = "VALIDATION_FAILED"

    def __init__(self, report: LoadReport) -> None:
        super().__init__(f"{len(report.errors)} error(s) in the roster; nothing was written")
        self.report = report


_ZH_NAMES = {t.key: t.zh for t in TEMPLATES}

SUMMARY_WORDS = {
    "zh": ("行数", "新建", "更新", "未变", "错误", " 个错误，未写入任何数据。", "错误", "警告",
           "删除", "将删除"),
    "en": ("rows", "created", "updated", "unchanged", "errors",
           " error(s); nothing was written.", "error", "warning", "removed", "would remove"),
}
UNCHANGED_NOTE = {
    "zh": "名册与已提交的载入 {load} 完全相同，此后图谱未再载入：未重新校验，无需写入"
          "（要重新校验请加 --recheck）。",
    "en": "the rosters are identical to committed load {load} and nothing was loaded since: "
          "not checked again, nothing to write (--recheck checks them anyway).",
}
ERROR_HEADERS = {
    "zh": ("文件", "工作表", "行号", "列", "值", "问题", "级别"),
    "en": ("file", "sheet", "row", "column", "value", "problem", "severity"),
}


def format_text(report: LoadReport, lang: str = "zh") -> list[str]:
    """The report as a person reads it: problems first, then a line per template."""
    (rows, created, updated, unchanged, errors, tail, error, warning, removed,
     would_remove) = SUMMARY_WORDS[lang]
    verb = would_remove if report.dry_run else removed
    lines = [f"{verb} {template}: {item}" for template, items in report.removed.items()
             for item in items]
    if report.unchanged_since:
        lines.append(UNCHANGED_NOTE[lang].format(load=report.unchanged_since))
    lines += [f"{error if p.severity == 'error' else warning}: {p.render(lang)}"
              for p in report.problems]
    for template, c in report.counts.items():
        tail_removed = f"  {removed} {c.removed:>6}" if report.removed else ""
        title = _ZH_NAMES.get(template, template) if lang == "zh" else template
        width = 14 - sum(1 for ch in title if ord(ch) > 0x2E80)  # CJK takes two columns
        lines.append(f"{title:{width}} {rows} {c.rows:>8}  {created} {c.created:>8}  "
                     f"{updated} {c.updated:>8}  {unchanged} {c.unchanged:>8}  "
                     f"{errors} {c.errors:>6}{tail_removed}")
    if report.errors:
        lines.append(f"{len(report.errors)}{tail}")
    return lines


def to_json(report: LoadReport, lang: str = "zh") -> dict[str, Any]:
    return {
        "load_id": report.load_id, "ok": not report.errors, "dry_run": report.dry_run,
        "resumed": report.resumed, "unchanged_since": report.unchanged_since,
        "counts": {k: {"rows": c.rows, "created": c.created, "updated": c.updated,
                       "unchanged": c.unchanged, "errors": c.errors, "removed": c.removed}
                   for k, c in report.counts.items()},
        "removed": report.removed,
        "problems": [{"severity": p.severity, "file": p.file, "sheet": p.sheet, "row": p.row,
                      "column": p.column, "value": p.value, "code": p.key,
                      "message": p.text(lang)} for p in report.problems],
    }


def write_problems(report: LoadReport, path: Path, lang: str = "zh") -> None:
    """Every problem as a table (CSV or XLSX by suffix) the sender can work through."""
    header = ERROR_HEADERS[lang]
    rows = [(p.file, p.sheet or "", p.row or "", p.column or "", p.value or "", p.text(lang),
             p.severity) for p in report.problems]
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "问题" if lang == "zh" else "problems"
        sheet.append(header)
        for row in rows:
            sheet.append(list(row))
        workbook.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
