"""Mutations: roster loads from uploaded files, with expected failures as a union member."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from loaders.report import LoadReport
from resolvers import rosters as r
from resolvers.access import Right
from resolvers.context import Context
from schema.permissions import needs, requires


@strawberry.enum(description="Language of roster problem messages.")
class ReportLanguage(Enum):
    ZH = "zh"
    EN = "en"


@strawberry.type(description="Counts for one roster template (名册).")
class TemplateCount:
    template: str = strawberry.field(description="Template key, e.g. compounds (小区).")
    rows: int = strawberry.field(description="Rows read.")
    created: int = strawberry.field(description="Nodes or relationships created (新建).")
    updated: int = strawberry.field(description="Changed (更新).")
    unchanged: int = strawberry.field(description="Already as the roster says (未变).")
    errors: int = strawberry.field(description="Problems found (错误).")
    removed: int = strawberry.field(description="Removed by replaceScope (删除).")


@strawberry.type(description="A problem in an uploaded roster, where it is and what is wrong.")
class RosterProblem:
    severity: str = strawberry.field(description="error or warning.")
    file: str = strawberry.field(description="File name as uploaded.")
    sheet: str | None = strawberry.field(description="Worksheet of an .xlsx file.")
    row: int | None = strawberry.field(description="Row number as Excel shows it (header = 1).")
    column: str | None = strawberry.field(description="Column header as written.")
    value: str | None = strawberry.field(description="The offending value (never an ID number).")
    code: str = strawberry.field(description="Stable problem code, e.g. ref_missing.")
    message: str = strawberry.field(description="Plain-language message.")


@strawberry.type(description="The rosters were valid and are loaded (or checked, in a dry run).")
class LoadResult:
    load_id: str = strawberry.field(description="Journal id of the load (:Load node).")
    dry_run: bool = strawberry.field(description="Validated only; nothing written.")
    resumed: bool = strawberry.field(description="Completed an earlier interrupted load.")
    counts: list[TemplateCount] = strawberry.field(description="Per template.")
    warnings: list[RosterProblem] = strawberry.field(description="Ignored columns, sheets.")
    removed: list[str] = strawberry.field(description="What replaceScope removed.")
    unchanged_since: str | None = strawberry.field(
        default=None,
        description="Id of the committed load these very rosters made, with nothing loaded "
                    "since: not checked again and counted unchanged (recheck: true checks).")


@strawberry.type(description="The rosters have errors; nothing was written.")
class ValidationFailed:
    message: str = strawberry.field(description="Summary.")
    errors: list[RosterProblem] = strawberry.field(description="Every error, in one pass.")
    warnings: list[RosterProblem] = strawberry.field(description="Warnings.")
    counts: list[TemplateCount] = strawberry.field(description="Per template.")


LoadRostersResult = Annotated[LoadResult | ValidationFailed,
                              strawberry.union("LoadRostersResult")]


def _problems(report: LoadReport, severity: str, lang: str) -> list[RosterProblem]:
    return [RosterProblem(severity=p.severity, file=p.file, sheet=p.sheet, row=p.row,
                          column=p.column, value=p.value, code=p.key, message=p.text(lang))
            for p in report.problems if p.severity == severity]


def _counts(report: LoadReport) -> list[TemplateCount]:
    return [TemplateCount(template=k, rows=c.rows, created=c.created, updated=c.updated,
                          unchanged=c.unchanged, errors=c.errors, removed=c.removed)
            for k, c in report.counts.items()]


@strawberry.type(description="Changes to the graph.")
class Mutation:
    @strawberry.mutation(
        description=requires(
            "Validate uploaded rosters (CSV or XLSX, 名册) and load them; nothing is written "
            "when any row is wrong, or when a row would create or change anything outside "
            "the caller's jurisdiction (超出管辖范围). replaceScope needs right "
            "`load:replace`.", Right.LOAD),
        extensions=[*needs(Right.LOAD), *needs(Right.LOAD_REPLACE, argument="replace_scope")])
    async def load_rosters(
        self, info: Info[Context, None],
        files: Annotated[list[Upload], strawberry.argument(
            description="Roster files named after their templates (小区.csv, 名册.xlsx …).")],
        dry_run: bool = False,
        replace_scope: Annotated[str | None, strawberry.argument(
            description="Place code inside which the rosters are the whole truth; at or "
                        "below the caller's jurisdiction. Needs right `load:replace`.")]
        = None,
        lang: ReportLanguage = ReportLanguage.ZH,
        recheck: Annotated[bool, strawberry.argument(
            description="Check every row even when the files equal the last committed "
                        "load's.")] = False,
    ) -> LoadRostersResult:
        language = lang.value
        report, ok = await r.load_uploads(info.context, files=files, dry_run=dry_run,
                                          replace_scope=replace_scope, recheck=recheck)
        if ok:
            return LoadResult(
                load_id=report.load_id, dry_run=report.dry_run, resumed=report.resumed,
                counts=_counts(report), warnings=_problems(report, "warning", language),
                removed=[f"{k}: {item}" for k, items in report.removed.items()
                         for item in items],
                unchanged_since=report.unchanged_since)
        errors = _problems(report, "error", language)
        return ValidationFailed(
            message=(f"{len(errors)} 个错误，未写入任何数据。" if language == "zh"
                     else f"{len(errors)} error(s); nothing was written."),
            errors=errors, warnings=_problems(report, "warning", language),
            counts=_counts(report))
