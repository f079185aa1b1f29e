"""Roster loads over GraphQL: uploaded files → temporary directory → the same loader as the CLI.

Uploads hold ID-card numbers in clear. On Linux their bytes go to anonymous temporary files
(no name on disk, gone with the process) and the directory the loader reads holds only
symlinks to them (`/proc/self/fd/N`), so a worker killed mid-load leaves no roster behind.
Elsewhere the files are written into the temporary directory, removed after the load.
The multipart parser has already spooled each upload to such an anonymous file: the link
points at it (no second copy), and every upload is closed — its file gone — when the
request ends, whatever happened.

Limits (README "Rosters"): at most `max_upload_files` files and `max_upload_bytes` bytes
in all (counted before anything is loaded; the body itself is bounded by app/body.py),
file names without control characters; what the files may hold is the loader's
(loaders/limits.py), and the answer lists at most `max_problems_listed` problems in full.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import IO, Any

from graph.errors import BadInput
from loaders.limits import LoadLimits, quoted
from loaders.pipeline import load_rosters
from loaders.readers import SUFFIXES
from loaders.report import LoadReport, RosterInvalid
from resolvers.access import Caller, Right
from resolvers.context import Context

CHUNK = 1 << 20
#: Longest upload file name (a file system allows 255 bytes).
MAX_NAME = 120
#: The settings' defaults, for a context without the app's settings (schema tests).
MAX_UPLOAD_FILES = 20
MAX_UPLOAD_BYTES = 200 << 20
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
    if name is not None and any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise BadInput(f"the name of upload {index + 1} holds control characters (such as "
                       "NUL): name the file after its template, e.g. 小区.csv")
    base = PurePath(name or "").name.strip()
    if not base or base.startswith(".") or PurePath(base).suffix.lower() not in SUFFIXES \
            or len(base) > MAX_NAME:
        raise BadInput(f"upload {index + 1} ({quoted(repr(name))}) must be a .csv or .xlsx "
                       "roster file named after its template, e.g. 小区.csv")
    return base


def _settings(ctx: Context) -> Any:
    """The app's settings, when the request came through it."""
    request = getattr(ctx, "request", None)
    app = getattr(request, "app", None)
    return getattr(getattr(app, "state", None), "settings", None)


def _spooled_fd(upload: Any) -> int | None:
    """The descriptor of the anonymous file the multipart parser spooled `upload` to (its
    in-memory part written out first), or None for an upload of another kind."""
    spooled = getattr(upload, "file", None)
    if not ANONYMOUS or not isinstance(spooled, tempfile.SpooledTemporaryFile):
        return None
    try:
        spooled.flush()
        return spooled.fileno()  # rolls an in-memory upload over to an anonymous file
    except (OSError, ValueError):
        return None


async def _close(upload: Any) -> None:
    close = getattr(upload, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):
            result = close()
            if inspect.isawaitable(result):
                await result


async def load_uploads(
    ctx: Context, *, files: Sequence[Any], dry_run: bool, replace_scope: str | None,
    recheck: bool = False,
) -> tuple[LoadReport, bool]:
    """(report, ok): ok is False when validation failed and nothing was written."""
    try:
        return await _load(ctx, files=files, dry_run=dry_run, replace_scope=replace_scope,
                           recheck=recheck)
    finally:
        for upload in files:  # the spooled files go now, not when the request is collected
            await _close(upload)


async def _load(
    ctx: Context, *, files: Sequence[Any], dry_run: bool, replace_scope: str | None,
    recheck: bool,
) -> tuple[LoadReport, bool]:
    settings = _settings(ctx)
    max_files = settings.max_upload_files if settings else MAX_UPLOAD_FILES
    max_bytes = settings.max_upload_bytes if settings else MAX_UPLOAD_BYTES
    limits = LoadLimits.from_settings(settings, listed=True) if settings else LoadLimits(
        max_problems_listed=1000)
    if not files:
        raise BadInput("no files uploaded")
    if len(files) > max_files:
        raise BadInput(f"{len(files)} files uploaded; at most {max_files:,} per load "
                       "(setting: ORGCOVER_MAX_UPLOAD_FILES)")
    with (tempfile.TemporaryDirectory(prefix="orgcover-upload-") as tmp,
          contextlib.ExitStack() as opened):
        folder = Path(tmp)
        names: set[str] = set()
        size = 0
        for index, upload in enumerate(files):
            name = _safe_name(getattr(upload, "filename", None), index)
            if name in names:
                raise BadInput(f"two uploads are named {quoted(name)}")
            names.add(name)
            fd = _spooled_fd(upload)
            if fd is not None:
                size += os.fstat(fd).st_size
                _too_big(size, max_bytes)
                (folder / name).symlink_to(OPEN_FILES / str(fd))
                continue
            out = opened.enter_context(_upload_file(folder, name))
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                _too_big(size, max_bytes)
                out.write(chunk)
            out.flush()
            _name_upload(folder, name, out)
        try:
            report = await load_rosters(ctx.store, [folder], protector=ctx.protector,
                                        dry_run=dry_run, replace_scope=replace_scope,
                                        recheck=recheck, who=ctx.caller.sub,
                                        jurisdiction=ctx.caller.jurisdiction,
                                        limits=limits, snapshot=bool(
                                            settings and settings.snapshot_after_load))
        except RosterInvalid as exc:
            return conceal_people_counts(exc.report, ctx.caller), False
        finally:
            if ctx.bounds is not None:
                ctx.bounds.forget()  # a load may have added a top place
    return conceal_people_counts(report, ctx.caller), True


def _too_big(size: int, limit: int) -> None:
    if size > limit:
        raise BadInput(f"the uploaded files hold more than {limit:,} bytes in all "
                       "(setting: ORGCOVER_MAX_UPLOAD_BYTES)")


def conceal_people_counts(report: LoadReport, caller: Caller) -> LoadReport:
    """For a caller who may not see ID numbers or phones: people rows that already exist
    all count as updated. Otherwise "unchanged" against "updated" in a dry run would
    confirm a guessed phone or ID number of someone (the row's fingerprint matched)."""
    if caller.can(Right.PII_MASKED):
        return report
    people = report.counts.get("people")
    if people is not None:
        people.updated += people.unchanged
        people.unchanged = 0
    return report
