"""Validated rows on disk between the checking pass and the writing pass.

Holding every validated row of a city roster in memory broke the 1.5 GB bound of
rosters.md; a row here is a small tuple of plain values, pickled a batch at a time into an
anonymous temporary file (TMPDIR decides where). The file has no name from the start, so
a load that is killed leaves nothing behind: names and phone numbers of a roster never
linger in a temporary directory. ID-card numbers never get here at all: person rows carry
only the keyed hash and the masked form.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from graph.repo.load import BATCH_SIZE

#: Records pickled together. One `pickle.dump` or `load` is a single C call that holds the
#: GIL throughout: 5,000 person rows took 7–9 ms, during which the event loop could not
#: run (a load's pass 1 runs in a worker thread beside it); 1,000 take 1–2 ms.
CHUNK = 1000


class Spill:
    """Append-only records of one template, read back in batches in the order written."""

    def __init__(self, name: str) -> None:
        self.name = name
        # open for the life of the load; `discard` closes it
        self._file: IO[bytes] = tempfile.TemporaryFile(  # noqa: SIM115
            prefix=f"orgcover-load-{name}-")
        self._pending: list[Any] = []
        self._appending = True
        self.count = 0

    def append(self, record: Any) -> None:
        self._pending.append(record)
        self.count += 1
        if len(self._pending) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            pickle.dump(self._pending, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._pending = []

    def close(self) -> None:
        """Flush what is pending and stop appending (reading back closes it too)."""
        if self._appending:
            self._flush()
            self._file.flush()
            self._appending = False

    def contents(self) -> bytes:
        """Every byte on disk (what a test checks holds no ID-card number)."""
        self.close()
        self._file.seek(0)
        return self._file.read()

    def batches(self) -> Iterator[list[Any]]:
        """The records in order, `BATCH_SIZE` at a time."""
        self.close()
        self._file.seek(0)
        batch: list[Any] = []
        while True:
            try:
                batch.extend(pickle.load(self._file))
            except EOFError:
                if batch:
                    yield batch
                return
            if len(batch) >= BATCH_SIZE:
                yield batch
                batch = []

    def discard(self) -> None:
        self._file.close()


class Spills:
    """The spills of one load, one per template, gone after `close` (or the process)."""

    def __init__(self) -> None:
        self.spills: dict[str, Spill] = {}

    def spill(self, template: str) -> Spill:
        if template not in self.spills:
            self.spills[template] = Spill(template)
        return self.spills[template]

    def close(self) -> None:
        for spill in self.spills.values():
            spill.discard()
