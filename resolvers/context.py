"""The per-request context every resolver reads through `info.context`."""

from __future__ import annotations

import datetime as dt

from strawberry.fastapi import BaseContext

from graph.store import GraphStore
from loaders.pii import IdProtector
from resolvers.access import Caller
from resolvers.bounds import ReadBounds
from resolvers.dataloaders import Loaders


class Context(BaseContext):
    """Store, DataLoaders, the verified caller and the request id.

    The caller is required: there is no default identity, so a context built without one
    cannot silently have every right. `jurisdiction` (the caller's place code; None only
    for the operator) bounds every scope the resolvers compute.
    """

    def __init__(
        self, store: GraphStore, *, caller: Caller, request_id: str = "-",
        today: dt.date | None = None, protector: IdProtector | None = None,
        whole_store: bool = False, bounds: ReadBounds | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.caller = caller
        self.protector = protector or IdProtector(None)
        self.request_id = request_id
        self.bounds = bounds
        #: What reads are bounded by: the caller's jurisdiction, or nothing when it is the
        #: store's only top place (`ReadBounds`). Loads stay bound by the caller's own.
        self.jurisdiction = None if whole_store else caller.jurisdiction
        self.today = (today or dt.date.today()).isoformat()
        self.loaders = Loaders(store)

    def read_through(self, store: GraphStore) -> None:
        """Read through `store` from now on, with loaders of its own (app/offloop.py: a
        query completing on another event loop reaches the store through a bridge)."""
        self.store = store
        self.loaders = Loaders(store)
