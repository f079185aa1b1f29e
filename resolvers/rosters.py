"""Roster loads over GraphQL: uploaded files → temporary directory → the same loader as the CLI.

Uploads hold ID-card numbers in clear. On Linux their bytes go to anonymous temporary files
(no name on disk, gone with the process) and the directory the loader reads holds only
symlinks to them (`/proc/self/fd/N`), so a worker killed mid-load leaves no roster behind.
Elsewhere the files are written into the temporary directory, removed after the load.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import IO, Any

from graph.errors import BadInput
from loaders.pipeline import load_rosters
from loaders.readers import SUFFIXES
from loaders.report import LoadReport, RosterInvalid
from resolvers.context import Context

CHUNK = 1 << 20
#: Where this process's open files can be opened again by path (Linux).
OPEN_FILES = Path("/proc/self/fd")
ANONYMOUS = OPEN_FILES.is_dir()


def _upload_file(folder: Path, name: str) -> IO[bytes]:
    """Where one upload's bytes go: an anonymous file (Linux) or a file in `folder`."""
    if ANONYMOUS:
        return tempfile.TemporaryFile()
    return (folder / name).open("wb")


def _name_upload(folder: Path, name: str, out: IO[bytes]) -> None:
    """Give an anonymous upload its roster file name in `folder` (a symlink, no data)."""
    if ANONYMOUS:
        (folder / name).symlink_to(OPEN_FILES / str(out.fileno()))


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
    with (tempfile.TemporaryDirectory(prefix="orgcover-upload-") as tmp,
          contextlib.ExitStack() as opened):
        folder = Path(tmp)
        names: set[str] = set()
        for index, upload in enumerate(files):
            name = _safe_name(getattr(upload, "filename", None), index)
            if name in names:
                raise BadInput(f"two uploads are named {name}")
            names.add(name)
            out = opened.enter_context(_upload_file(folder, name))
            while chunk := await upload.read(CHUNK):
                out.write(chunk)
            out.flush()
            _name_upload(folder, name, out)
        try:
            report = await load_rosters(ctx.store, [folder], protector=ctx.protector,
                                        dry_run=dry_run, replace_scope=replace_scope,
                                        recheck=recheck, who=ctx.caller.sub,
                                        jurisdiction=ctx.caller.jurisdiction)
        except RosterInvalid as exc:
            return exc.report, False
        finally:
            if ctx.bounds is not None:
                ctx.bounds.forget()  # a load may have added a top place
    return report, True
