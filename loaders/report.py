"""Problems found in a roster, each pinned to file, sheet, row and column."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, SupportsIndex

from graph.errors import OrgcoverError
from loaders.limits import quoted
from loaders.messages import render
from loaders.sheets import literal_text
from loaders.templates import TEMPLATES

#: Message parameters that quote a sender's input (cut to `limits.MAX_QUOTED` characters).
QUOTED_PARAMS = frozenset({"code", "path", "detail", "file", "part", "sheet"})
#: Distinct (severity, problem code, column) groups counted apart; beyond, a problem counts
#: under its code with no column (unknown columns are named by the sender's headers).
MAX_GROUPS = 1000


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

    def __post_init__(self) -> None:
        """Whatever the sender wrote is quoted at most `MAX_QUOTED` characters long."""
        for name in ("file", "sheet", "column", "value"):
            text = getattr(self, name)
            if isinstance(text, str) and len(text) > 100:
                object.__setattr__(self, name, quoted(text))
        if any(isinstance(self.params.get(k), str) for k in QUOTED_PARAMS):
            object.__setattr__(self, "params", {
                k: quoted(v) if k in QUOTED_PARAMS and isinstance(v, str) else v
                for k, v in self.params.items()})

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


class Problems(list[RosterProblem]):
    """A load's problems: every one counted by severity and by (severity, problem code,
    column); the first `limit` of each severity kept in full (None keeps all), so a
    roster of a million bad rows answers with a thousand and the counts."""

    def __init__(self, problems: Iterable[RosterProblem] = (), *,
                 limit: int | None = None) -> None:
        super().__init__()
        self.limit = limit
        self.totals: Counter[str] = Counter()
        self.groups: Counter[tuple[str, str, str | None]] = Counter()
        self.extend(problems)

    def append(self, problem: RosterProblem) -> None:
        self.totals[problem.severity] += 1
        group = (problem.severity, problem.key, problem.column)
        if group not in self.groups and len(self.groups) >= MAX_GROUPS:
            group = (problem.severity, problem.key, None)
        self.groups[group] += 1
        if self.limit is None or self.totals[problem.severity] <= self.limit:
            super().append(problem)

    def extend(self, problems: Iterable[RosterProblem]) -> None:
        for problem in problems:
            self.append(problem)

    def __iadd__(self, problems: Iterable[RosterProblem]) -> Problems:  # type: ignore[override,misc]
        self.extend(problems)
        return self

    def insert(self, index: SupportsIndex, problem: RosterProblem) -> None:
        raise TypeError("problems are appended")


@dataclass(slots=True)
class LoadReport:
    load_id: str
    problems: Problems = field(default_factory=Problems)
    counts: dict[str, TemplateCounts] = field(default_factory=dict)
    dry_run: bool = False
    #: This run completed an earlier load that was interrupted after validation.
    resumed: bool = False
    #: With --replace-scope: what the roster no longer names, per template (listed first).
    removed: dict[str, list[str]] = field(default_factory=dict)
    #: The committed load these very rosters made, with nothing loaded since: not checked
    #: or diffed again (`--recheck` does), everything counts as unchanged.
    unchanged_since: str | None = None
    #: The coverage snapshot recorded after this load, if one was.
    snapshot: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.problems, Problems):
            self.problems = Problems(self.problems)

    def keep_only(self, limit: int | None) -> None:
        """Keep at most `limit` problems of each severity in full and as many removals
        (every one is still counted); before anything is found."""
        self.problems = Problems(self.problems, limit=limit)

    @property
    def errors(self) -> list[RosterProblem]:
        """The errors kept in full (all of them unless the report keeps only some)."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[RosterProblem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def error_count(self) -> int:
        """Every error found, listed or not."""
        return self.problems.totals["error"]

    @property
    def warning_count(self) -> int:
        return self.problems.totals["warning"]

    def problem_counts(self) -> list[tuple[str, str, str | None, int]]:
        """(severity, problem code, column, how many) for every problem found."""
        return [(severity, key, column, n) for (severity, key, column), n in sorted(
            self.problems.groups.items(), key=lambda item: (item[0][0], item[0][1],
                                                            item[0][2] or ""))]

    def count(self, template: str) -> TemplateCounts:
        return self.counts.setdefault(template, TemplateCounts())

    @property
    def removed_count(self) -> int:
        return sum(c.removed for c in self.counts.values())

    def add_removed(self, template: str, items: list[str]) -> None:
        """What --replace-scope removes (or would remove), counted; listed as far as the
        report keeps problems (`keep_only`)."""
        self.count(template).removed += len(items)
        limit = self.problems.limit
        if limit is not None:
            items = items[:max(0, limit - sum(len(v) for v in self.removed.values()))]
        if items:
            self.removed.setdefault(template, []).extend(items)


class RosterInvalid(OrgcoverError):
    """Validation found errors; nothing was written."""

    code = "VALIDATION_FAILED"

    def __init__(self, report: LoadReport) -> None:
        super().__init__(f"{report.error_count} error(s) in the roster; nothing was written")
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
    if report.error_count:
        lines.append(f"{report.error_count}{tail}")
    return lines


def to_json(report: LoadReport, lang: str = "zh") -> dict[str, Any]:
    return {
        "load_id": report.load_id, "ok": not report.error_count, "dry_run": report.dry_run,
        "resumed": report.resumed, "unchanged_since": report.unchanged_since,
        "snapshot": report.snapshot,
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
        literal_text(sheet)  # the values are the rows' own text, typed by anyone
        workbook.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
