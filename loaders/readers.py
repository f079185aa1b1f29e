"""Roster readers: files, directories and workbooks → raw rows keyed by column key.

CSV files are UTF-8 (with or without BOM) or GBK/GB18030, detected by decoding the whole
file strictly (UTF-8 first); a file neither decodes as is an error naming it, and a GBK
file whose header matches no template column is reported rather than loaded as mojibake.
Workbooks (.xlsx) are read streaming and read-only, one sheet per template (sheet named in
Chinese or English), or a single sheet in a workbook named after its template. Rows are
streamed; header problems are reported once per file, never once per row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loaders.cells import CONTROL_CHARS
from loaders.report import RosterProblem
from loaders.templates import TEMPLATES, Template, template_for_name
from loaders.workbook import NOTE_MARK, is_notes_row

CHUNK = 1 << 20
ENCODINGS = ("utf-8-sig", "gb18030")
SUFFIXES = (".csv", ".xlsx")


@dataclass(slots=True)
class RawRow:
    template: Template
    file: str
    row: int
    cells: dict[str, Any]
    sheet: str | None = None


@dataclass(slots=True)
class RosterSource:
    """One readable table: a CSV file or one sheet of a workbook."""

    path: Path
    template: Template
    sheet: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # column key → header as written
    encoding: str | None = None

    @property
    def display(self) -> str:
        return self.path.name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _names() -> dict[str, str]:
    return {"names": "、".join(t.zh for t in TEMPLATES),
            "names_en": ", ".join(t.key for t in TEMPLATES)}


def discover(paths: list[Path]) -> tuple[list[RosterSource], list[RosterProblem]]:
    """Sources in template load order, from files, directories and workbooks."""
    files: list[Path] = []
    problems: list[RosterProblem] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir()
                                if p.suffix.lower() in SUFFIXES and not p.name.startswith("~$")))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(RosterProblem(str(path), "file_missing"))
    sources: list[RosterSource] = []
    for file in files:
        suffix = file.suffix.lower()
        if suffix == ".xlsx":
            sources.extend(_workbook_sources(file, problems))
            continue
        if suffix != ".csv":
            problems.append(RosterProblem(file.name, "bad_file_type"))
            continue
        template = template_for_name(file.stem)
        if template is None:
            problems.append(RosterProblem(file.name, "bad_file_name", _names()))
            continue
        sources.append(RosterSource(file, template))
    order = {t.key: i for i, t in enumerate(TEMPLATES)}
    sources.sort(key=lambda s: order[s.template.key])
    return sources, problems


def _workbook_sources(path: Path, problems: list[RosterProblem]) -> list[RosterSource]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        problems.append(RosterProblem(path.name, "workbook_unreadable", {"detail": str(exc)}))
        return []
    try:
        names = list(workbook.sheetnames)
    finally:
        workbook.close()
    by_stem = template_for_name(path.stem)
    if by_stem is not None and len(names) == 1:
        return [RosterSource(path, by_stem, sheet=names[0])]
    sources = []
    for name in names:
        template = template_for_name(name)
        if template is None:
            problems.append(RosterProblem(path.name, "unknown_sheet", _names(), sheet=name,
                                          severity="warning"))
            continue
        sources.append(RosterSource(path, template, sheet=name))
    if not sources:
        problems.append(RosterProblem(path.name, "no_sheets", _names()))
    return sources


def read_rows(source: RosterSource, problems: list[RosterProblem]) -> Iterator[RawRow]:
    """Rows of one source; file-level problems go to `problems` and end the source."""
    records = _xlsx_records(source) if source.sheet is not None else _csv_records(
        source, problems)
    if records is None:
        return
    try:
        first = next(records)
    except StopIteration:
        problems.append(RosterProblem(source.display, "empty_file", sheet=source.sheet))
        return
    header_row, header = first
    keys = _map_header(source, header, header_row, problems)
    if keys is None:
        return
    columns = [(index, key) for index, key in enumerate(keys) if key is not None]
    text_only = source.sheet is None  # CSV cells are strings: one check per row suffices
    for number, record in records:
        if text_only:
            joined = "\t".join(record)
            if not joined.strip() or (NOTE_MARK in joined and is_notes_row(record)):
                continue
            width = len(record)
            cells = {key: record[index] for index, key in columns if index < width}
            if not CONTROL_CHARS.search(joined):
                yield RawRow(source.template, source.display, number, cells, source.sheet)
                continue
        else:
            if not any(_filled(cell) for cell in record) or is_notes_row(record):
                continue
            cells = {k: _cell(v) for k, v in zip(keys, record, strict=False) if k is not None}
        for key, value in list(cells.items()):
            if isinstance(value, str) and CONTROL_CHARS.search(value):
                problems.append(RosterProblem(
                    source.display, "control_chars", sheet=source.sheet, row=number,
                    column=source.headers.get(key, key), value=CONTROL_CHARS.sub("?", value)))
                cells[key] = None  # never sent on: the load already has an error
        yield RawRow(source.template, source.display, number, cells, source.sheet)


def _map_header(source: RosterSource, header: list[Any], row: int,
                problems: list[RosterProblem]) -> list[str | None] | None:
    mapping = source.template.header_map()
    keys: list[str | None] = []
    unknown: list[str] = []
    for title in header:
        text = str(title).strip() if title is not None else ""
        key = mapping.get(text) or mapping.get(text.lower())
        keys.append(key)
        if key is None and text:
            unknown.append(text)
        elif key is not None:
            source.headers[key] = text
    if not source.headers:
        gbk = source.encoding == "gb18030"
        problems.append(RosterProblem(source.display, "header_unrecognized", {
            "template": source.template.zh, "template_en": source.template.key,
            "hint": "，或文件编码不是 UTF-8/GBK" if gbk else "",
            "hint_en": ", or the file is not UTF-8/GBK" if gbk else ""},
            sheet=source.sheet, row=row))
        return None
    for text in unknown:
        problems.append(RosterProblem(source.display, "unknown_column", sheet=source.sheet,
                                      row=row, column=text, severity="warning"))
    missing = [c.zh for c in source.template.columns if c.required and c.key not in keys]
    if missing:
        problems.append(RosterProblem(source.display, "missing_columns",
                                      {"columns": "、".join(missing)}, sheet=source.sheet, row=row))
        return None
    return keys


def detect_encoding(path: Path) -> str | None:
    """The first of UTF-8 / GB18030 that decodes the whole file strictly, else None."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(CHUNK), b""):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def _csv_records(source: RosterSource,
                 problems: list[RosterProblem]) -> Iterator[tuple[int, list[Any]]] | None:
    encoding = detect_encoding(source.path)
    if encoding is None:
        problems.append(RosterProblem(source.display, "bad_encoding"))
        return None
    source.encoding = encoding

    def records() -> Iterator[tuple[int, list[Any]]]:
        with source.path.open(encoding=encoding, newline="") as fh:
            yield from enumerate(csv.reader(fh), start=1)

    return records()


def _xlsx_records(source: RosterSource) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(source.path, read_only=True, data_only=True)
    try:
        sheet = workbook[source.sheet]
        start = sheet.min_row or 1
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=start):
            yield number, list(values)
    finally:
        workbook.close()


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _cell(value: Any) -> Any:
    """Excel numbers that are whole become ints (codes typed as numbers stay exact)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value
