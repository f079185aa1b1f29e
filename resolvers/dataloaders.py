"""Per-request DataLoaders: all items of one selection level in one store round trip.

Loaders are keyed by everything that shapes the statement (edge, scope, page), and each
one batches the codes of every parent asking for it. They live on the request context
and die with it, so nothing is cached across requests.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from graph.domain import Label
from graph.queries.navigation import Edge
from graph.records import CrossAppointmentRecord, NodeRecord, Page, PlaceGaps, PostRecord
from graph.repo import audits as audit_repo
from graph.repo import linkage as link_repo
from graph.repo import nodes as repo
from graph.store import GraphStore

V = TypeVar("V")


class Loaders:
    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._loaders: dict[tuple[Any, ...], DataLoader[str, Any]] = {}
        self._hops: dict[tuple[Any, ...], DataLoader[tuple[str, str], Page]] = {}

    def _get(
        self, key: tuple[Any, ...],
        fetch: Callable[[Sequence[str]], Coroutine[Any, Any, dict[str, V]]], default: V,
    ) -> DataLoader[str, V]:
        loader = self._loaders.get(key)
        if loader is None:
            async def batch(codes: list[str]) -> list[V]:
                found = await fetch(codes)
                return [found.get(code, default) for code in codes]

            loader = DataLoader(load_fn=batch)
            self._loaders[key] = loader
        return loader

    def node(self, label: Label, scope: str | None) -> DataLoader[str, NodeRecord | None]:
        async def fetch(codes: Sequence[str]) -> dict[str, NodeRecord | None]:
            return dict(await repo.nodes_by_code(self.store, label=label, codes=codes,
                                                 scope=scope))
        return self._get(("node", label, scope), fetch, None)

    def phones(self) -> DataLoader[str, str | None]:
        """Phone numbers of people already in scope (asked only with a PII right)."""
        async def fetch(codes: Sequence[str]) -> dict[str, str | None]:
            return dict(await repo.phones_by_code(self.store, codes=codes))
        return self._get(("phones",), fetch, None)

    def page(self, edge: Edge, scope: str | None, after: str | None,
             first: int) -> DataLoader[str, Page]:
        async def fetch(codes: Sequence[str]) -> dict[str, Page]:
            return await repo.neighbour_pages(self.store, edge=edge, codes=codes, scope=scope,
                                              after=after, first=first)
        return self._get(("page", edge.name, scope, after, first), fetch, Page([], 0, False))

    def hops(self, src: Label, scope: str | None, limit: int
             ) -> DataLoader[tuple[str, str], Page]:
        """Whole neighbour lists of (edge name, code) keys along every edge from `src`:
        one statement for all the edges one selection level asks."""
        key = (src, scope, limit)
        loader = self._hops.get(key)
        if loader is None:
            async def batch(keys: list[tuple[str, str]]) -> list[Page]:
                found = await repo.hops(self.store, src=src, keys=keys, scope=scope,
                                        limit=limit)
                return [found[k] for k in keys]

            loader = DataLoader(load_fn=batch)
            self._hops[key] = loader
        return loader

    def posts_of(self, scope: str | None) -> DataLoader[str, list[PostRecord]]:
        async def fetch(codes: Sequence[str]) -> dict[str, list[PostRecord]]:
            return await repo.posts_of_people(self.store, codes=codes, scope=scope)
        return self._get(("posts_of", scope), fetch, [])

    def posts_on(self, label: Label, scope: str | None) -> DataLoader[str, list[PostRecord]]:
        async def fetch(codes: Sequence[str]) -> dict[str, list[PostRecord]]:
            return await repo.posts_on_targets(self.store, label=label, codes=codes, scope=scope)
        return self._get(("posts_on", label, scope), fetch, [])

    def enclosing(self, scope: str | None) -> DataLoader[str, list[NodeRecord]]:
        """Regions each place lies in, nearest first."""
        async def fetch(codes: Sequence[str]) -> dict[str, list[NodeRecord]]:
            return await link_repo.enclosing_regions(self.store, codes=codes, scope=scope)
        return self._get(("enclosing", scope), fetch, [])

    def cross_appointments(self, by: str, scope: str | None,
                           today: str) -> DataLoader[str, list[CrossAppointmentRecord]]:
        """Cross-appointments per compound (`by` compound) or per person."""
        async def fetch(codes: Sequence[str]) -> dict[str, list[CrossAppointmentRecord]]:
            return await link_repo.cross_appointments_of(self.store, by=by, codes=codes,
                                                         scope=scope, today=today)
        return self._get(("cross", by, scope, today), fetch, [])

    def place_gaps(self, place: Label, limit: int,
                   today: str) -> DataLoader[str, list[PlaceGaps]]:
        """Every audit's gaps inside each place of one label (the place is already in
        scope, and so is everything inside it)."""
        async def fetch(codes: Sequence[str]) -> dict[str, list[PlaceGaps]]:
            return await audit_repo.gaps_of_places(self.store, place=place, codes=codes,
                                                   limit=limit, today=today)
        return self._get(("place_gaps", place, limit, today), fetch, [])
