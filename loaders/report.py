"""Problems found in a roster, each pinned to file, sheet, row and column."""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.errors import OrgcoverError


@dataclass(frozen=True, slots=True)
class RosterProblem:
    file: str
    message: str
    sheet: str | None = None
    row: int | None = None  # as numbered in Excel: header = 1, first data row = 2
    column: str | None = None  # the header text the user sees
    value: str | None = None
    severity: str = "error"

    def where(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        value = f" [{self.value}]" if self.value not in (None, "") else ""
        return f"{self.where()}: {self.message}{value}"


@dataclass(slots=True)
class TemplateCounts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0


@dataclass(slots=True)
class LoadReport:
    load_id: str
    problems: list[RosterProblem] = field(default_factory=list)
    counts: dict[str, TemplateCounts] = field(default_factory=dict)
    dry_run: bool = False
    #: This run completed an earlier load that was interrupted after validation.
    resumed: bool = False

    @property
    def errors(self) -> list[RosterProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[RosterProblem]:
        return [p for p in self.problems if p.severity == "warning"]

    def count(self, template: str) -> TemplateCounts:
        return self.counts.setdefault(template, TemplateCounts())


class RosterInvalid(OrgcoverError):
    """Validation found errors; nothing was written."""

    code = "VALIDATION_FAILED"

    def __init__(self, report: LoadReport) -> None:
        super().__init__(f"{len(report.errors)} error(s) in the roster; nothing was written")
        self.report = report
