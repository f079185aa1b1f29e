"""Load rosters: check every row and reference in one streaming pass, then write — or nothing.

The phases live in their own modules, each a reason of its own to change:
- loaders/check.py, pass 1: read, validate, index codes, check references, `UNDER` cycles
  and `--replace-scope`; rows spill to disk, memory holds the code index only;
- loaders/jurisdiction.py, part of pass 1 for a load bound to a jurisdiction: whether every
  row stays inside it (the spilled rows are read once more);
- loaders/write.py, pass 2: diff the spilled rows against the graph batch by batch, write
  what changed, the journal, the removals of `--replace-scope`.
This module is the orchestration around them (the store's load lock, the shortcut for
rosters already loaded unchanged, then check, then write) and what the CLI, GraphQL and
tests import. One load at a time per store (loaders/lock.py): a second gets
`LOAD_IN_PROGRESS` at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from graph.errors import OrgcoverError
from graph.repo import load as repo
from graph.repo import snapshots
from graph.store import GraphStore
from loaders import cells
from loaders.check import Progress, RosterCheck
from loaders.limits import LoadLimits
from loaders.lock import LoadLock
from loaders.pii import IdProtector
from loaders.readers import discover
from loaders.report import LoadReport, RosterInvalid
from loaders.write import RosterWrite

__all__ = ["LOADER_VERSION", "Progress", "RosterInvalid", "RosterLoader", "load_rosters"]

log = logging.getLogger(__name__)

#: Part of every load's fingerprint: bump it when validation or write rules change, so
#: rosters loaded under older rules are checked again rather than taken as unchanged.
LOADER_VERSION = "2026-11-26"


class RosterLoader(RosterCheck):
    """One load: pass 1 (`validate`, inherited), then pass 2 (`write`)."""

    def __init__(self, store: GraphStore, *, protector: IdProtector, who: str = "cli",
                 progress: Progress | None = None, replace_scope: str | None = None,
                 jurisdiction: str | None = None, limits: LoadLimits | None = None,
                 lock: LoadLock | None = None) -> None:
        super().__init__(store, protector=protector, progress=progress,
                         replace_scope=replace_scope, jurisdiction=jurisdiction,
                         limits=limits, lock=lock)
        self.who = who
        self.jurisdiction = jurisdiction

    # -- before anything: the very rosters of the last committed load? ----------------------

    def fingerprint(self, files: Sequence[tuple[str, str]]) -> str:
        """What makes two loads the same: files and their digests, options, PII key, rules —
        and the jurisdiction they were checked against, if any (a load under none is not
        evidence that the rows lie inside one)."""
        canonical = json.dumps([LOADER_VERSION, sorted(f"{n}:{d}" for n, d in files),
                                self.replace_scope, self.protector.key_id(),
                                *([self.jurisdiction] if self.jurisdiction else [])])
        return hashlib.sha256(canonical.encode()).hexdigest()

    async def unchanged_since(self, paths: Sequence[Path]) -> str | None:
        """The id of the committed load these rosters already made, when the graph is as it
        left it: no load committed after it and none is unfinished (loads are the only
        writers). The report then counts every row as unchanged, without a second pass."""
        sources, problems = await self.off_loop(discover, list(paths), self.limits)
        if problems or not sources:
            return None  # the full path reports them
        files = [(source.display, await self.digest(source.path)) for source in sources]
        latest = await repo.latest_committed_load(self.store)
        if latest is None or latest.fingerprint != self.fingerprint(files):
            return None
        if await repo.unfinished_loads(self.store):
            return None
        for template, counts in latest.counts.items():
            mine = self.report.count(template)
            mine.rows = counts.get("rows", 0)
            mine.unchanged = sum(counts.get(k, 0) for k in ("created", "updated", "unchanged"))
        self.report.unchanged_since = latest.load_id
        return latest.load_id

    async def write(self, *, dry_run: bool) -> None:
        """Pass 2, once `validate` found nothing wrong."""
        await RosterWrite(self, who=self.who, fingerprint=self.fingerprint(self.files),
                          jurisdiction=self.jurisdiction).write(dry_run=dry_run)


def _changed(report: LoadReport) -> bool:
    return any(c.created or c.updated or c.removed for c in report.counts.values())


async def load_rosters(
    store: GraphStore,
    paths: Sequence[Path],
    *,
    protector: IdProtector,
    dry_run: bool = False,
    who: str = "cli",
    progress: Progress | None = None,
    replace_scope: str | None = None,
    recheck: bool = False,
    jurisdiction: str | None = None,
    limits: LoadLimits | None = None,
    snapshot: bool = False,
) -> LoadReport:
    """Validate everything, then write; raise RosterInvalid (nothing written) on any error.

    With `replace_scope` the rosters are the whole truth inside that place: nodes of the
    loaded templates, posts and relations there that they no longer name are removed.
    Rosters identical to the last committed load (same files, options, PII key and loader
    rules, nothing loaded since) are reported unchanged at once unless `recheck` is set.
    With `jurisdiction` (a place code; None is an operator with full rights) a row that would
    create or change anything outside that place is an error, and `replace_scope` must lie
    at or below it (loaders/jurisdiction.py has the rules).
    `limits` bound what the files may hold and how many problems the report keeps
    (default: every problem; loaders/limits.py). Another load running on the store →
    `LoadInProgress`, at once.
    With `snapshot`, a committed load that changed something records a coverage snapshot
    before it gives the lock back (so no other load can come between).
    """
    async with LoadLock(store, who=who) as lock:
        loader = RosterLoader(store, protector=protector, who=who, progress=progress,
                              replace_scope=cells.normalize_code(replace_scope)
                              if replace_scope else None,
                              jurisdiction=cells.normalize_code(jurisdiction)
                              if jurisdiction else None, limits=limits, lock=lock)
        try:
            if not recheck and await loader.unchanged_since(paths):
                loader.report.dry_run = dry_run
                log.info("load: rosters unchanged since %s", loader.report.unchanged_since)
                return loader.report
            await loader.validate(paths)  # every row, then every reference: one pass
            if loader.report.error_count:
                raise RosterInvalid(loader.report)
            if loader.needs_secret:
                protector.require()  # a missing PII secret surfaces before any write
            await loader.write(dry_run=dry_run)
            if snapshot and not dry_run and _changed(loader.report):
                try:
                    taken = await snapshots.record(store, taken_by=who,
                                                   load_id=loader.report.load_id)
                    loader.report.snapshot = taken.code
                except OrgcoverError as exc:  # the load stands; the next one records one
                    log.warning("load %s: no snapshot recorded: %s", loader.report.load_id,
                                type(exc).__name__)
        finally:
            loader.close()
            await loader.release()
    log.info("load %s %s", loader.report.load_id, "checked (dry run)" if dry_run else "committed")
    if not dry_run and _changed(loader.report):
        store.plan_ahead(after_load=True)
    return loader.report
