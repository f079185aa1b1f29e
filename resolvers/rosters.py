"""Roster loads over GraphQL: uploaded files → temporary directory → the same loader as the CLI."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any

from graph.errors import BadInput
from loaders.pipeline import load_rosters
from loaders.readers import SUFFIXES
from loaders.report import LoadReport, RosterInvalid
from resolvers.context import Context

CHUNK = 1 << 20


def _safe_name(name: str | None, index: int) -> str:
    base = PurePath(name or "").name.strip()
    if not base or base.startswith(".") or PurePath(base).suffix.lower() not in SUFFIXES:
        raise BadInput(f"upload {index + 1} ({name!r}) must be a .csv or .xlsx roster file "
                       "named after its template, e.g. 小区.csv")
    return base


async def load_uploads(
    ctx: Context, *, files: Sequence[Any], dry_run: bool, replace_scope: str | None,
    recheck: bool = False,
) -> tuple[LoadReport, bool]:
    """(report, ok): ok is False when validation failed and nothing was written."""
    if not files:
        raise BadInput("no files uploaded")
    with tempfile.TemporaryDirectory(prefix="orgcover-upload-") as tmp:
        folder = Path(tmp)
        names: set[str] = set()
        for index, upload in enumerate(files):
            name = _safe_name(getattr(upload, "filename", None), index)
            if name in names:
                raise BadInput(f"two uploads are named {name}")
            names.add(name)
            with (folder / name).open("wb") as out:
                while chunk := await upload.read(CHUNK):
                    out.write(chunk)
        try:
            report = await load_rosters(ctx.store, [folder], protector=ctx.protector,
                                        dry_run=dry_run, replace_scope=replace_scope,
                                        recheck=recheck,
                                        who=f"graphql:{ctx.request_id}")
        except RosterInvalid as exc:
            return exc.report, False
    return report, True
