"""Validated rows on disk between the checking pass and the writing pass.

Holding every validated row of a city roster in memory broke the 1.5 GB bound of
rosters.md; a row here is a small tuple of plain values, pickled a batch at a time into a
temporary file that is gone when the load ends. ID-card numbers never get here: person
rows carry only the keyed hash and the masked form.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from graph.repo.load import BATCH_SIZE


class Spill:
    """Append-only records of one template, read back in batches in the order written."""

    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / f"{name}.pickle"
        self._out: IO[bytes] | None = self.path.open("wb")
        self._pending: list[Any] = []
        self.count = 0

    def append(self, record: Any) -> None:
        self._pending.append(record)
        self.count += 1
        if len(self._pending) >= BATCH_SIZE:
            self._flush()

    def _flush(self) -> None:
        if self._pending and self._out is not None:
            pickle.dump(self._pending, self._out, protocol=pickle.HIGHEST_PROTOCOL)
            self._pending = []

    def close(self) -> None:
        """Flush what is pending and stop appending (reading back closes it too)."""
        if self._out is not None:
            self._flush()
            self._out.close()
            self._out = None

    def batches(self) -> Iterator[list[Any]]:
        self.close()
        with self.path.open("rb") as fh:
            while True:
                try:
                    yield pickle.load(fh)
                except EOFError:
                    return


class SpillFolder:
    """One temporary directory per load (TMPDIR decides where), removed by `close`."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="orgcover-load-")
        self.spills: dict[str, Spill] = {}

    def spill(self, template: str) -> Spill:
        if template not in self.spills:
            self.spills[template] = Spill(Path(self._dir.name), template)
        return self.spills[template]

    def close(self) -> None:
        for spill in self.spills.values():
            spill.close()
        self._dir.cleanup()
