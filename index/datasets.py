"""Lance datasets opened once per store and moved forward only when a write made a new version: what readers
that search again and again (a ``Searcher``, the server's per-request searchers) use instead of opening a
table for every read.

Opening a dataset takes ~0.5 ms, but a fresh handle also starts with empty caches: its first full-text search
reads the inverted index again and its first vector search reloads the index's partitions (on the dev library
a full-text search took 13 ms on a fresh handle, 3 ms on a kept one; a vector search 30 vs 18 ms). A kept
handle checks for a newer version with ``latest_version`` (~0.04 ms) and checks it out keeping its caches, so
a search still sees every commit made before it started. What is derived from a small table (the live
attempts from the videos) is kept per table version.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from videokb.index import schema as S

if TYPE_CHECKING:
    from lance import LanceDataset

    from videokb.index.store import Store

__all__ = ["OpenDatasets", "open_datasets"]

T = TypeVar("T")


class OpenDatasets:
    """The tables of one store as Lance datasets, each at the version :meth:`refresh` last found."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._names: frozenset[str] = frozenset()
        self._open: dict[str, LanceDataset] = {}
        self._derived: dict[tuple[str, str], tuple[int, Any]] = {}
        self.refresh()

    def refresh(self) -> None:
        """Find the tables, and move each open dataset to its latest version (once per search)."""
        with self._lock:
            names = frozenset(self.store.table_names())
            for name in list(self._open):
                ds = self._open[name]
                if name not in names:
                    del self._open[name]
                elif (latest := ds.latest_version) != ds.version:
                    self._open[name] = ds.checkout_version(latest)  # a new handle sharing the caches
            self._names = names

    def get(self, name: str) -> LanceDataset | None:
        """Table ``name`` at the version the last refresh found, None if there was no such table."""
        if name not in self._names:
            return None
        ds = self._open.get(name)
        if ds is None:
            with self._lock:
                if (ds := self._open.get(name)) is None:
                    ds = self._open[name] = self.store.dataset(name)
        return ds

    def names(self) -> list[str]:
        return sorted(self._names)

    def specs(self, name: str) -> dict[str, S.EmbedderSpec]:
        """The embedders the table records (parsed once per table version)."""
        return self.derive(name, "specs", lambda ds: S.embedder_specs(ds.schema)) or {}

    def derive(self, name: str, what: str, compute: Callable[[LanceDataset], T]) -> T | None:
        """``compute(dataset)`` (a read of a small table, e.g. the live attempts), once per table version;
        None if there is no such table. Callers must not mutate what it returns."""
        ds = self.get(name)
        if ds is None:
            return None
        key = (name, what)
        version, value = self._derived.get(key, (None, None))
        if version != ds.version:
            value = compute(ds)
            self._derived[key] = (ds.version, value)
        return value


_BY_STORE: weakref.WeakKeyDictionary[Store, OpenDatasets] = weakref.WeakKeyDictionary()
_BY_STORE_LOCK = threading.Lock()


def open_datasets(store: Store) -> OpenDatasets:
    """The store's open datasets, shared by every reader of that ``Store`` object (refreshed, not reopened)."""
    with _BY_STORE_LOCK:
        found = _BY_STORE.get(store)
        if found is None:
            found = _BY_STORE[store] = OpenDatasets(store)
    return found
