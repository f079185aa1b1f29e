"""Workbooks are zip files: look inside before openpyxl parses anything.

A 75 KB workbook whose sheet (or shared-strings table) expands to gigabytes held a worker
for half a minute and a gigabyte of memory. Before openpyxl sees a workbook, `inspect`
opens the zip itself and, for every part:

1. checks the declared uncompressed size against its limit — a sheet (streamed by
   openpyxl's read-only mode) `max_xlsx_uncompressed_bytes`, the shared-strings table
   (read whole into memory) `max_xlsx_shared_strings_bytes`, any other part openpyxl may
   read whole (styles, theme, the workbook, relationships …) `MAX_XLSX_OTHER_PART` — and
   all parts together against `max_xlsx_uncompressed_bytes`;
2. checks the compression ratio (declared size over compressed size) of every part above
   `XLSX_RATIO_FLOOR` against `max_xlsx_ratio`;
3. decompresses every part's raw bytes once, counting and discarding, and stops as soon as
   a part yields more than it declared (a part may lie about its size: zipfile would
   trust the declaration, a forged one hides a bomb). Memory stays a buffer's worth.

Only then are the sheet names read (the workbook part and its relationships, both small
by then), and only worksheets count as sheets. Anything wrong is `WorkbookRefused` with a
problem naming the file and, where it is one, the sheet — and the workbook is not read.
"""

from __future__ import annotations

import posixpath
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from loaders.limits import (
    MAX_XLSX_OTHER_PART,
    MAX_XLSX_PARTS,
    XLSX_RATIO_FLOOR,
    LoadLimits,
    quoted,
)

#: Raw bytes read at a time, and the most a decompression step may produce.
CHUNK = 1 << 16
OUT = 1 << 20
#: zip local file header: signature … file name length, extra field length.
LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
LOCAL_SIGNATURE = b"PK\x03\x04"
STORED, DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
WORKSHEET_TYPE = "/worksheet"
OFFICE_DOCUMENT = "/officeDocument"


@dataclass(slots=True)
class WorkbookRefused(Exception):
    """Why a workbook is not read: a message key of loaders/messages.py, its parameters,
    and the sheet concerned, if any."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    sheet: str | None = None

    def __str__(self) -> str:
        return f"{self.key} {self.params}"


@dataclass(frozen=True, slots=True)
class _Part:
    """How one part is judged: its limit, the setting that sets it, what to call it."""

    limit: int
    setting: str | None
    what: str
    what_en: str


def inspect(path: Path, limits: LoadLimits) -> list[str]:
    """The names of the workbook's worksheets, in order, once every part passed."""
    with path.open("rb") as fh:
        _count_parts(fh)
        try:
            archive = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
            raise WorkbookRefused("workbook_unreadable", {"detail": str(exc)}) from None
        with archive:
            infos = archive.infolist()
            sheets = _SheetNames(archive, fh, limits)
            total = 0
            for info in infos:
                _judge(info, limits, sheets)
                total += info.file_size
                if total > limits.max_xlsx_uncompressed_bytes:
                    raise WorkbookRefused("xlsx_part_too_large", {
                        "what": "全部部件", "what_en": "parts together", "size": f"{total:,}",
                        "limit": f"{limits.max_xlsx_uncompressed_bytes:,}",
                        "setting": "ORGCOVER_MAX_XLSX_UNCOMPRESSED_BYTES"})
            for info in infos:
                if _actual_size(fh, info, info.file_size) > info.file_size:
                    part = _part_of(info.filename, limits, sheets)
                    raise WorkbookRefused("xlsx_size_mismatch", {
                        "what": part.what, "what_en": part.what_en,
                        "size": f"{info.file_size:,}"}, sheet=sheets.of(info.filename))
            return sheets.names()


def _count_parts(fh: IO[bytes]) -> None:
    """Refuse a zip with too many entries before zipfile builds an object for each."""
    try:
        end = zipfile._EndRecData(fh)  # type: ignore[attr-defined]
    except OSError:
        end = None
    if end is None:
        raise WorkbookRefused("workbook_unreadable", {"detail": "not a zip file"})
    count = int(end[4])  # _ECD_ENTRIES_TOTAL
    if count > MAX_XLSX_PARTS:
        raise WorkbookRefused("xlsx_too_many_parts", {"count": f"{count:,}",
                                                      "limit": f"{MAX_XLSX_PARTS:,}"})


def _part_of(name: str, limits: LoadLimits, sheets: _SheetNames) -> _Part:
    lower = name.lower()
    if lower.startswith("xl/worksheets/") and lower.endswith(".xml"):
        sheet = sheets.of(name)
        shown = quoted(name)
        what = f"工作表“{sheet}”（{shown}）" if sheet else f"工作表 {shown}"
        what_en = f"sheet {sheet} ({shown})" if sheet else f"sheet {shown}"
        return _Part(limits.max_xlsx_uncompressed_bytes,
                     "ORGCOVER_MAX_XLSX_UNCOMPRESSED_BYTES", what, what_en)
    if lower.endswith("sharedstrings.xml"):
        return _Part(limits.max_xlsx_shared_strings_bytes,
                     "ORGCOVER_MAX_XLSX_SHARED_STRINGS_BYTES",
                     f"共享字符串表（{quoted(name)}）", f"shared-strings table ({quoted(name)})")
    if lower.endswith((".xml", ".rels", ".vml")):
        return _Part(MAX_XLSX_OTHER_PART, None, f"部件 {quoted(name)}", f"part {quoted(name)}")
    return _Part(limits.max_xlsx_uncompressed_bytes, "ORGCOVER_MAX_XLSX_UNCOMPRESSED_BYTES",
                 f"部件 {quoted(name)}", f"part {quoted(name)}")


def _judge(info: zipfile.ZipInfo, limits: LoadLimits, sheets: _SheetNames) -> _Part:
    """A part's declared size and ratio against its limits; its encoding."""
    if info.flag_bits & 0x1:
        raise WorkbookRefused("workbook_unreadable", {"detail": "the workbook is encrypted"})
    if info.compress_type not in (STORED, DEFLATED):
        raise WorkbookRefused("workbook_unreadable", {
            "detail": f"unsupported compression {info.compress_type} in {info.filename}"})
    part = _part_of(info.filename, limits, sheets)
    if info.file_size > part.limit:
        raise WorkbookRefused("xlsx_part_too_large", {
            "what": part.what, "what_en": part.what_en, "size": f"{info.file_size:,}",
            "limit": f"{part.limit:,}", "setting": part.setting or "—"},
            sheet=sheets.of(info.filename))
    if info.file_size > XLSX_RATIO_FLOOR:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_xlsx_ratio:
            raise WorkbookRefused("xlsx_ratio", {
                "what": part.what, "what_en": part.what_en, "ratio": f"{ratio:,.0f}",
                "limit": f"{limits.max_xlsx_ratio:,}"}, sheet=sheets.of(info.filename))
    return part


def _actual_size(fh: IO[bytes], info: zipfile.ZipInfo, limit: int) -> int:
    """How many bytes the part's data really decompresses to, counted up to `limit` + 1
    (then stopped): never more than `OUT` bytes held at once."""
    fh.seek(info.header_offset)
    header = fh.read(LOCAL_HEADER.size)
    if len(header) != LOCAL_HEADER.size or header[:4] != LOCAL_SIGNATURE:
        raise WorkbookRefused("workbook_unreadable", {
            "detail": f"bad local header for {info.filename}"})
    fields = LOCAL_HEADER.unpack(header)
    fh.seek(info.header_offset + LOCAL_HEADER.size + fields[-2] + fields[-1])
    remaining = info.compress_size
    if info.compress_type == STORED:
        return remaining
    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    total = 0
    try:
        while remaining > 0 and not inflate.eof:
            chunk = fh.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            data = inflate.decompress(chunk, OUT)
            total += len(data)
            while inflate.unconsumed_tail and total <= limit:
                data = inflate.decompress(inflate.unconsumed_tail, OUT)
                total += len(data)
            if total > limit:
                return total
        total += len(inflate.flush())
    except zlib.error as exc:
        raise WorkbookRefused("workbook_unreadable", {
            "detail": f"{info.filename}: {exc}"}) from None
    return total


class _SheetNames:
    """Sheet names of the workbook, read (once, on demand) from its workbook part and the
    part's relationships — after checking those two parts' sizes like any other."""

    def __init__(self, archive: zipfile.ZipFile, fh: IO[bytes], limits: LoadLimits) -> None:
        self.archive = archive
        self.fh = fh
        self.limits = limits
        self._by_part: dict[str, str] = {}
        self._names: list[str] = []
        self._state: str | WorkbookRefused = "unread"  # "reading", "read" or the refusal

    def _ensure(self) -> None:
        if self._state == "unread":
            self._state = "reading"
            try:
                self._read()
            except WorkbookRefused as refused:
                self._state = refused
            else:
                self._state = "read"

    def of(self, part: str) -> str | None:
        """The sheet stored in `part`, if it is one (None when that cannot be told)."""
        self._ensure()
        name = self._by_part.get(part) if self._state == "read" else None
        return None if name is None else quoted(name)

    def names(self) -> list[str]:
        self._ensure()
        if isinstance(self._state, WorkbookRefused):
            raise self._state
        return list(self._names)

    def _xml(self, name: str) -> ElementTree.Element | None:
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            return None
        _judge(info, self.limits, self)
        if _actual_size(self.fh, info, info.file_size) > info.file_size:
            raise WorkbookRefused("xlsx_size_mismatch", {
                "what": f"部件 {quoted(name)}", "what_en": f"part {quoted(name)}",
                "size": f"{info.file_size:,}"})
        try:
            return ElementTree.fromstring(self.archive.read(info))
        except (ElementTree.ParseError, zipfile.BadZipFile, ValueError) as exc:
            raise WorkbookRefused("workbook_unreadable", {
                "detail": f"{name}: {exc}"}) from None

    def _read(self) -> None:
        workbook = "xl/workbook.xml"
        root_rels = self._xml("_rels/.rels")
        if root_rels is not None:
            for rel in _elements(root_rels, "Relationship"):
                if rel.get("Type", "").endswith(OFFICE_DOCUMENT):
                    workbook = _resolve("", rel.get("Target", ""))
                    break
        book = self._xml(workbook)
        if book is None:
            raise WorkbookRefused("workbook_unreadable", {"detail": "no workbook part"})
        folder, base = posixpath.split(workbook)
        rels = self._xml(posixpath.join(folder, "_rels", base + ".rels"))
        targets: dict[str, tuple[str, str]] = {}
        if rels is not None:
            for rel in _elements(rels, "Relationship"):
                targets[rel.get("Id", "")] = (rel.get("Type", ""),
                                              _resolve(folder, rel.get("Target", "")))
        for sheet in _elements(book, "sheet"):
            name = sheet.get("name")
            rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
            kind, target = targets.get(rid or "", ("", ""))
            if name is None or not kind.endswith(WORKSHEET_TYPE):
                continue  # chart sheets and dialog sheets hold no rows
            self._names.append(name)
            self._by_part[target] = name


def _elements(root: ElementTree.Element, local: str) -> list[ElementTree.Element]:
    """Elements named `local` in any namespace (transitional or strict OOXML)."""
    return [e for e in root.iter()
            if isinstance(e.tag, str) and (e.tag == local or e.tag.endswith("}" + local))]


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))
