"""The blank roster workbook a street fills in: nine sheets, Chinese headers, a notes row."""

from __future__ import annotations

from pathlib import Path

from loaders.templates import TEMPLATES

#: Cells of the notes row start with this mark; readers skip a row made only of such cells.
NOTE_MARK = "※"


def note_text(required: bool, note: str) -> str:
    parts = ["必填" if required else "选填"]
    if note:
        parts.append(note)
    return NOTE_MARK + "；".join(parts)


def is_notes_row(values: list[object]) -> bool:
    filled = [str(v).strip() for v in values if v is not None and str(v).strip()]
    return bool(filled) and all(v.startswith(NOTE_MARK) for v in filled)


def write_template_workbook(path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    grey = Font(color="808080", italic=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for template in TEMPLATES:
        sheet = workbook.create_sheet(template.zh)
        sheet.append(template.zh_headers)
        sheet.append([note_text(c.required, c.note) for c in template.columns])
        for index, column in enumerate(template.columns, start=1):
            head = sheet.cell(row=1, column=index)
            head.font = bold
            if column.required:
                head.fill = required_fill
            sheet.cell(row=2, column=index).font = grey
            letter = head.column_letter
            sheet.column_dimensions[letter].width = max(14, len(column.zh) * 2 + 4)
        sheet.freeze_panes = "A3"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
