"""The per-request context every resolver reads through `info.context`."""

from __future__ import annotations

import datetime as dt

from strawberry.fastapi import BaseContext

from graph.store import GraphStore
from loaders.pii import IdProtector
from resolvers.dataloaders import Loaders


class Context(BaseContext):
    """Store, DataLoaders, the caller's jurisdiction and the request id.

    `jurisdiction` is the place code the caller may see (None: everything). The security
    issue binds it to the caller's token; every resolver already narrows to it.
    """

    def __init__(
        self, store: GraphStore, *, request_id: str = "-", jurisdiction: str | None = None,
        today: dt.date | None = None, protector: IdProtector | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.protector = protector or IdProtector(None)
        self.request_id = request_id
        self.jurisdiction = jurisdiction
        self.today = (today or dt.date.today()).isoformat()
        self.loaders = Loaders(store)
