"""How current the data is: the load an answer reflects, and whether a load is unfinished
(its journal says `started`: the figures may then be half old, half new)."""

from __future__ import annotations

from dataclasses import dataclass

from graph.repo import history
from graph.store import GraphStore


@dataclass(frozen=True, slots=True)
class DataStatus:
    #: When the last committed load finished (ISO 8601); None before any load.
    as_of: str | None
    load_id: str | None
    #: A load started and has not committed (running now, or interrupted).
    unfinished: bool
    #: The latest snapshot and whether it reflects the last committed load.
    snapshot: str | None
    snapshot_current: bool

    def warning(self) -> str | None:
        if not self.unfinished:
            return None
        return ("有导入尚未完成（或被中断），数据可能新旧混杂 / a load is unfinished: the "
                "figures may be half old, half new")


async def data_status(store: GraphStore) -> DataStatus:
    """One read."""
    state = await history.current_state(store)
    latest = state.snapshot
    return DataStatus(state.finished_at, state.load_id, state.unfinished,
                      latest.code if latest else None,
                      latest is not None and latest.load_id == state.load_id)
