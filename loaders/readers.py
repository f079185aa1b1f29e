"""Roster readers: files and directories → raw rows keyed by column key.

This issue reads CSV in UTF-8 (with or without BOM). The readers stream rows; header
problems are reported once per file, never once per row.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from loaders.report import RosterProblem
from loaders.templates import TEMPLATES, Template, template_for_name


@dataclass(slots=True)
class RawRow:
    template: Template
    file: str
    row: int
    cells: dict[str, str]
    sheet: str | None = None


@dataclass(slots=True)
class RosterSource:
    """One readable table: a CSV file (or, next issue, a workbook sheet)."""

    path: Path
    template: Template
    sheet: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # column key → header as written

    @property
    def display(self) -> str:
        return self.path.name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def discover(paths: list[Path]) -> tuple[list[RosterSource], list[RosterProblem]]:
    """Sources in template load order, from files and directories."""
    files: list[Path] = []
    problems: list[RosterProblem] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv"))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(RosterProblem(str(path), "文件不存在"))
    sources: list[RosterSource] = []
    for file in files:
        if file.suffix.lower() != ".csv":
            problems.append(RosterProblem(file.name, "不支持的文件类型，应为 .csv"))
            continue
        template = template_for_name(file.stem)
        if template is None:
            names = "、".join(f"{t.zh}.csv/{t.key}.csv" for t in TEMPLATES)
            problems.append(RosterProblem(file.name, f"无法识别的名册文件名，应为 {names}"))
            continue
        sources.append(RosterSource(file, template))
    order = {t.key: i for i, t in enumerate(TEMPLATES)}
    sources.sort(key=lambda s: order[s.template.key])
    return sources, problems


def read_csv(source: RosterSource, problems: list[RosterProblem]) -> Iterator[RawRow]:
    """Rows of one CSV; header errors go to `problems` and end the file."""
    try:
        text = source.path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(RosterProblem(
            source.display, f"文件不是 UTF-8 编码，无法读取（第 {exc.start} 字节）"))
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        problems.append(RosterProblem(source.display, "文件为空，缺少表头"))
        return
    mapping = source.template.header_map()
    keys: list[str | None] = []
    for title in header:
        key = mapping.get(title.strip())
        keys.append(key)
        if key is None and title.strip():
            problems.append(RosterProblem(source.display, "未知的列，已忽略", row=1,
                                          column=title.strip(), severity="warning"))
        elif key is not None:
            source.headers[key] = title.strip()
    missing = [c.zh for c in source.template.columns if c.required and c.key not in keys]
    if missing:
        problems.append(RosterProblem(
            source.display, f"缺少必填列: {'、'.join(missing)}", row=1))
        return
    for number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = {k: v for k, v in zip(keys, record, strict=False) if k is not None}
        yield RawRow(source.template, source.display, number, cells, source.sheet)
