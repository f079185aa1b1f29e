"""Roster readers: files, directories and workbooks → raw rows keyed by column key.

CSV files are UTF-8 (with or without BOM) or GBK/GB18030, detected by decoding the whole
file strictly (UTF-8 first); a file neither decodes as is an error naming it, and a GBK
file whose header matches no template column is reported rather than loaded as mojibake.
Workbooks (.xlsx) are read streaming and read-only, one sheet per template (sheet named in
Chinese or English), or a single sheet in a workbook named after its template; before
openpyxl opens one, loaders/xlsx.py checks every part of the zip against the limits.
Rows are streamed; header problems are reported once per file, never once per row.

What a file may hold (loaders/limits.py, README "Rosters"): `max_rows_per_file` rows after
the header (all sheets of a workbook together), `MAX_COLUMNS` header columns, CSV lines of
`MAX_LINE_CHARS` characters and fields of the csv module's 131,072. Past a limit, or on a
file that cannot be parsed further, the file gets one problem naming it and the row, and
the rest of it is not read (nothing raises out of here for a sender's file).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn

from loaders import xlsx
from loaders.cells import CONTROL_CHARS
from loaders.limits import MAX_COLUMNS, MAX_LINE_CHARS, LoadLimits
from loaders.report import RosterProblem
from loaders.templates import TEMPLATES, Template, template_for_name
from loaders.workbook import NOTE_MARK, is_notes_row

log = logging.getLogger(__name__)

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


class RowBudget:
    """Rows read per file (every sheet of a workbook counts against its file)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used: dict[Path, int] = {}

    def take(self, path: Path) -> bool:
        """Count one more row of `path`; False once past the limit."""
        used = self.used[path] = self.used.get(path, 0) + 1
        return used <= self.limit


class ReadStop(Exception):
    """A file cannot be read further: the problem to report, at `row` if known."""

    def __init__(self, key: str, params: dict[str, Any] | None = None, *,
                 row: int | None = None) -> None:
        super().__init__(key)
        self.key = key
        self.params = params or {}
        self.row = row


def discover(paths: list[Path], limits: LoadLimits | None = None
             ) -> tuple[list[RosterSource], list[RosterProblem]]:
    """Sources in template load order, from files, directories and workbooks."""
    limits = limits or LoadLimits()
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
            sources.extend(_workbook_sources(file, problems, limits))
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


def _workbook_sources(path: Path, problems: list[RosterProblem],
                      limits: LoadLimits) -> list[RosterSource]:
    try:
        names = xlsx.inspect(path, limits)
    except xlsx.WorkbookRefused as refused:
        problems.append(RosterProblem(path.name, refused.key, refused.params,
                                      sheet=refused.sheet))
        return []
    except OSError as exc:
        problems.append(RosterProblem(path.name, "workbook_unreadable",
                                      {"detail": exc.strerror or str(exc)}))
        return []
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


def read_rows(source: RosterSource, problems: list[RosterProblem], *,
              budget: RowBudget | None = None) -> Generator[RawRow, None, None]:
    """Rows of one source; file-level problems go to `problems` and end the source."""
    raw = _xlsx_records(source) if source.sheet is not None else _csv_records(source,
                                                                                problems)
    if raw is None:
        return
    records = _Stopping(source, problems, raw)
    try:
        first = next(records)
    except StopIteration:
        if not records.stopped:
            problems.append(RosterProblem(source.display, "empty_file", sheet=source.sheet))
        return
    header_row, header = first
    if sum(1 for title in header if _filled(title)) > MAX_COLUMNS:
        problems.append(RosterProblem(source.display, "too_many_columns",
                                      {"limit": f"{MAX_COLUMNS:,}"}, sheet=source.sheet,
                                      row=header_row))
        return
    keys = _map_header(source, header, header_row, problems)
    if keys is None:
        return
    columns = [(index, key) for index, key in enumerate(keys) if key is not None]
    text_only = source.sheet is None  # CSV cells are strings: one check per row suffices
    for number, record in records:
        if budget is not None and not budget.take(source.path):
            problems.append(RosterProblem(
                source.display, "too_many_rows", {"limit": f"{budget.limit:,}"},
                sheet=source.sheet, row=number))
            return
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


class _Stopping:
    """`records` until they end or the file cannot be read further: then one problem
    naming the file (and row), `stopped`, and no more records."""

    def __init__(self, source: RosterSource, problems: list[RosterProblem],
                 records: Iterator[tuple[int, list[Any]]]) -> None:
        self.source = source
        self.problems = problems
        self.records = records
        self.stopped = False
        self.last = 0

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        return self

    def __next__(self) -> tuple[int, list[Any]]:
        if self.stopped:
            raise StopIteration
        source = self.source
        try:
            number, record = next(self.records)
        except ReadStop as stop:
            self._stop(RosterProblem(source.display, stop.key, stop.params,
                                     sheet=source.sheet, row=stop.row))
        except StopIteration:
            raise
        except Exception as exc:  # openpyxl on a malformed part: many kinds of error
            if source.sheet is None:
                raise
            log.warning("workbook %s, sheet %s unreadable after row %d: %r",
                        source.display, source.sheet, self.last, exc)
            self._stop(RosterProblem(source.display, "workbook_unreadable",
                                     {"detail": str(exc) or type(exc).__name__},
                                     sheet=source.sheet,
                                     row=self.last + 1 if self.last else None))
        self.last = number
        return number, record

    def _stop(self, problem: RosterProblem) -> NoReturn:
        self.stopped = True
        self.problems.append(problem)
        raise StopIteration


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
        number = 0
        with source.path.open(encoding=encoding, newline="") as fh:
            reader = csv.reader(_lines(fh, lambda: number + 1))
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    limit = csv.field_size_limit()
                    if "field larger than field limit" in str(exc):
                        raise ReadStop("field_too_long", {"limit": f"{limit:,}"},
                                       row=number + 1) from None
                    raise ReadStop("csv_malformed", {"detail": str(exc)},
                                   row=number + 1) from None
                number += 1
                yield number, record

    return records()


def _lines(fh: IO[str], row: Any) -> Iterator[str]:
    """The file's lines, none longer than `MAX_LINE_CHARS` (a CSV without line breaks would
    otherwise be read whole into one record)."""
    while True:
        line = fh.readline(MAX_LINE_CHARS)
        if not line:
            return
        if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise ReadStop("line_too_long", {"limit": f"{MAX_LINE_CHARS:,}"}, row=row())
        yield line


def _pruning_iterparse(source: Any, events: Any = None, parser: Any = None
                       ) -> Iterator[tuple[str, Any]]:
    """openpyxl's `iterparse`, but each row is dropped from the tree once the reader has
    taken it. openpyxl clears a read row yet leaves it in its parent, so a sheet's rows
    all stayed in memory as empty elements: a million-row sheet kept 860k objects
    (+500 MB) that every full pass of the garbage collector walked, each pass holding the
    service up to 0.6 s. Only `end` events reach openpyxl, as before."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.worksheet._reader import ROW_TAG

    open_elements: list[Any] = []
    for event, element in iterparse(source, events=("start", "end")):
        if event == "start":
            open_elements.append(element)
            continue
        open_elements.pop()
        yield event, element
        if open_elements and element.tag == ROW_TAG:
            open_elements[-1].remove(element)


def _xlsx_records(source: RosterSource) -> Iterator[tuple[int, list[Any]]]:
    """The header row, then every row after it cut to the header's width (a sheet may
    claim 16,384 columns for every row). Only called for workbooks `xlsx.inspect` passed."""
    from openpyxl import load_workbook
    from openpyxl.worksheet import _reader

    _reader.iterparse = _pruning_iterparse
    workbook = load_workbook(source.path, read_only=True, data_only=True, keep_links=False)
    try:
        sheet = workbook[source.sheet]
        start = sheet.min_row or 1
        header = next(sheet.iter_rows(min_row=start, max_row=start, values_only=True), ())
        width = max((i + 1 for i, title in enumerate(header) if _filled(title)), default=0)
        if width > MAX_COLUMNS:
            raise ReadStop("too_many_columns", {"limit": f"{MAX_COLUMNS:,}"}, row=start)
        yield start, list(header[:width])
        for number, values in enumerate(sheet.iter_rows(
                min_row=start + 1, max_col=max(width, 1), values_only=True), start=start + 1):
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
