"""The LanceDB side of the index: create tables from :mod:`index.schema`, write a video's rows, delete them.

Every row carries the ``ingest_id`` of the attempt that wrote it. A video becomes visible to search when
its ``videos`` row, written last, names that attempt; rows of any other attempt are invisible (search and
the DuckDB views join on both keys) and are deleted once the new attempt is committed, so a re-ingest that
fails half-way leaves the previous version searchable.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import pyarrow as pa

from videokb.index import schema as S
from videokb.index.failpoints import hit
from videokb.index.schema import EmbedderSpec
from videokb.index.search_config import SearchSettings, default_settings, search_settings, with_search_settings

logger = logging.getLogger(__name__)

# Full-text indexed columns: each text, and the English of speech or on-screen text in another language
# (Whisper's translation, a Chinese slide's gloss) where the table has that column, so that English words find
# those rows at any size of library, not only when their own vector ranks them among a list's first rows.
_FTS_COLUMNS = {S.SEGMENTS: ("text", "text_en"), S.OCR_SPANS: ("text", "text_en"), S.KEYFRAMES: ("labels",)}
# Of those, the columns indexed only once a row holds one (search asks them only where indexed); a table's own
# text is indexed as soon as it has rows, as search always asks it.
_FTS_WHEN_HELD = frozenset({"text_en"})

# Lance caches every table version's manifest, and version k of a table lists its k fragments, so with its
# default size the cache grew with the square of the appends: 500 appends of 16 rows took it to 139 MB,
# and an hour of video (each batch of keyframes an append to two or three tables) grew an ingest's peak RSS
# by hundreds of MB. Bounded here; only the latest version is ever read, so the entries it drops are old ones.
METADATA_CACHE_BYTES = 64 << 20


class IndexMismatchError(RuntimeError):
    """A table was built with another embedder than the one asked to write or read it."""


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _committed(folder: Path) -> bool:
    """A table folder whose first version is committed. A writer creating a table makes the folder (and
    writes its data) before the first manifest: a reader that took the bare folder for a table would fail to
    open it ("Dataset at path ... was not found"); until then the table does not exist yet."""
    try:
        with os.scandir(folder / "_versions") as entries:
            return any(e.name.endswith(".manifest") for e in entries)
    except (FileNotFoundError, NotADirectoryError):
        return False


class Store:
    def __init__(self, uri: str | Path, metadata_cache_bytes: int = METADATA_CACHE_BYTES) -> None:
        self.uri = str(uri)
        self.metadata_cache_bytes = metadata_cache_bytes
        if "://" not in self.uri:
            Path(self.uri).mkdir(parents=True, exist_ok=True)
        self._db = None

    @property
    def db(self):
        """The LanceDB connection, made on first use: reads go through :meth:`dataset` and need no lancedb
        (its import takes ~2 s, most of it its REST namespace client, a fresh `videokb ask`'s biggest wait)."""
        if self._db is None:
            import lancedb

            # Every handle checks for newer versions before reading: writers and readers in one process (or
            # another one) see each other's commits, not the snapshot a handle was opened on.
            self.session = lancedb.Session(metadata_cache_size_bytes=self.metadata_cache_bytes)
            self._db = lancedb.connect(self.uri, read_consistency_interval=timedelta(0), session=self.session)
        return self._db

    # -- tables -------------------------------------------------------------------------------------
    def _local(self) -> bool:
        return "://" not in self.uri

    def table_names(self) -> list[str]:
        if self._local():  # LanceDB keeps a local table as the dataset folder <name>.lance
            return sorted(p.name[: -len(".lance")] for p in Path(self.uri).glob("*.lance") if _committed(p))
        return list(self.db.list_tables().tables)

    def table(self, name: str):
        return self.db.open_table(name) if name in self.table_names() else None

    def dataset(self, name: str):
        """Table ``name`` as a Lance dataset at its latest version, for reading; None if there is none."""
        if name not in self.table_names():
            return None
        if self._local():
            import lance

            return lance.dataset(str(Path(self.uri) / f"{name}.lance"))
        return self.db.open_table(name).to_lance()

    def regions_tables(self) -> list[str]:
        return sorted(n for n in self.table_names() if n.startswith(S.REGIONS_PREFIX))

    def clips_tables(self) -> list[str]:
        return sorted(n for n in self.table_names() if n.startswith(S.CLIPS_PREFIX))

    def ensure_clips_table(self, name: str, schema: pa.Schema, specs: dict[str, EmbedderSpec], settings: str):
        """The clips table, its metadata naming the compression ``settings`` (JSON) of this write."""
        table = self.ensure_table(name, S.with_hico(schema, settings), specs)
        if S.hico_settings(table.schema) != json.loads(settings):
            logger.info("%s: compression settings now %s", name, settings)
            hit("store.update_schema_metadata")
            table.to_lance().update_schema_metadata({S.HICO_KEY.decode(): settings})
        return table

    def clip_tokens(self) -> dict[str, int]:
        """video_id -> clip tokens of its live rows, over every clips table."""
        live = self.live_attempts()
        out: dict[str, int] = {}
        for name in self.clips_tables():
            t = self.dataset(name).to_table(columns=["video_id", "ingest_id", "n_tokens"])
            for v, i, n in zip(*(t.column(c).to_pylist() for c in ("video_id", "ingest_id", "n_tokens"))):
                if live.get(v) == i:
                    out[v] = out.get(v, 0) + n
        return out

    def ensure_table(self, name: str, schema: pa.Schema, specs: dict[str, EmbedderSpec] | None = None):
        """Open ``name``, creating it from ``schema`` if missing; refuse if it was built by other embedders."""
        specs = specs or {}
        table = self.table(name)
        if table is None:
            schema = S.with_embedders(schema, specs)
            if name == S.SEGMENTS:  # the search settings of the text space travel with its vectors
                schema = with_search_settings(schema, default_settings(specs.get("vector")))
            try:
                hit("store.create_table")
                return self.db.create_table(name, schema=schema)
            except ValueError:
                # Another writer (a worker process, a Ray actor) created it first: check theirs instead, once
                # its first version is committed (the folder comes first).
                folder = Path(self.uri) / f"{name}.lance"
                deadline = time.monotonic() + 30
                while (table := self.table(name)) is None and self._local() and folder.is_dir() \
                        and time.monotonic() < deadline:
                    time.sleep(0.05)
                if table is None:
                    raise
        have = S.embedder_specs(table.schema)
        for col, spec in specs.items():
            if col in have and have[col] != spec:
                raise IndexMismatchError(
                    f"table {name!r} column {col!r} holds vectors of {have[col].name} {have[col].model_id} "
                    f"({have[col].dim}-d), not {spec.name} {spec.model_id} ({spec.dim}-d); use the same text "
                    f"model as the index, or a new --db"
                )
        return table

    def specs(self, name: str) -> dict[str, EmbedderSpec]:
        ds = self.dataset(name)
        return S.embedder_specs(ds.schema) if ds is not None else {}

    def search_settings(self) -> SearchSettings:
        """The search settings recorded with the text vectors (defaults for their embedder in an index made
        before settings were recorded)."""
        ds = self.dataset(S.SEGMENTS) or self.dataset(S.OCR_SPANS)
        if ds is None:
            return default_settings(None)
        recorded = search_settings(ds.schema)
        if recorded is None:
            logger.info("the index at %s records no search settings: using the defaults for its text model",
                        self.uri)
            return default_settings(S.embedder_specs(ds.schema).get("vector"))
        return recorded

    def add(self, table, rows: list[dict] | pa.Table) -> None:
        if isinstance(rows, list):
            if not rows:
                return
            rows = pa.Table.from_pylist(rows, schema=table.schema)
        if rows.num_rows:
            hit("store.add")
            table.add(rows)

    # -- videos -------------------------------------------------------------------------------------
    def videos(self) -> pa.Table:
        ds = self.dataset(S.VIDEOS)
        return ds.to_table() if ds is not None else S.videos_schema().empty_table()

    def find_video(self, *, video_id: str | None = None, video_path: str | None = None) -> dict | None:
        table = self.table(S.VIDEOS)
        if table is None:
            return None
        where = f"video_id = {_quote(video_id)}" if video_id else f"video_path = {_quote(str(video_path))}"
        rows = table.search().where(where).limit(1).to_list()
        return rows[0] if rows else None

    def videos_at(self, video_path: str) -> list[dict]:
        """Every ``videos`` row that names ``video_path`` (two only while a changed file's new version commits)."""
        table = self.table(S.VIDEOS)
        if table is None:
            return []
        return table.search().where(f"video_path = {_quote(str(video_path))}").to_list()

    def commit_video(self, row: dict) -> None:
        """Make a video's attempt ``row["ingest_id"]`` live, then drop the rows of its earlier attempts."""
        table = self.ensure_table(S.VIDEOS, S.videos_schema())
        hit("store.commit_video")
        (
            table.merge_insert("video_id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute(pa.Table.from_pylist([row], schema=table.schema))
        )
        self.drop_stale(row["video_id"], row["ingest_id"])

    def drop_stale(self, video_id: str, live_ingest_id: str) -> None:
        """Delete a video's rows written by any attempt other than its live one."""
        stale = f"video_id = {_quote(video_id)} AND ingest_id != {_quote(live_ingest_id)}"
        for name in self.table_names():
            if name != S.VIDEOS:
                hit("store.drop_stale")
                self.db.open_table(name).delete(stale)

    def discard_attempt(self, video_id: str, ingest_id: str, tables: list[str] | None = None) -> None:
        """Delete the rows an unfinished attempt wrote (they were never visible), in ``tables`` or all."""
        where = f"video_id = {_quote(video_id)} AND ingest_id = {_quote(ingest_id)}"
        for name in self.table_names():
            if name != S.VIDEOS and (tables is None or name in tables):
                hit("store.discard_attempt")
                self.db.open_table(name).delete(where)

    def sweep(self, keep: dict[str, str]) -> int:
        """Delete rows of attempts that are neither live nor in ``keep`` (ingest_id -> video_id): what a
        killed run left behind. Returns the number of attempts removed."""
        live = self.live_attempts()
        wanted = {(v, i) for v, i in live.items()} | {(v, i) for i, v in keep.items()}
        removed: set[tuple[str, str]] = set()
        for name in self.table_names():
            if name == S.VIDEOS:
                continue
            table = self.db.open_table(name)
            pairs = table.to_lance().to_table(columns=["video_id", "ingest_id"]).group_by(
                ["video_id", "ingest_id"]).aggregate([])
            orphans = {p for p in zip(pairs["video_id"].to_pylist(), pairs["ingest_id"].to_pylist())} - wanted
            if orphans:
                hit("store.sweep")
                table.delete("ingest_id IN (" + ", ".join(_quote(i) for _, i in orphans) + ")")
                removed |= orphans
        return len(removed)

    def live_attempts(self) -> dict[str, str]:
        """video_id -> the ingest_id whose rows are live."""
        t = self.videos()
        return dict(zip(t.column("video_id").to_pylist(), t.column("ingest_id").to_pylist()))

    def update_video_path(self, video_id: str, path: str, size: int, mtime_ns: int) -> None:
        table = self.table(S.VIDEOS)
        hit("store.update_video_path")
        table.update(
            where=f"video_id = {_quote(video_id)}",
            values={"video_path": path, "file_size": size, "file_mtime_ns": mtime_ns},
        )

    def delete_video(self, video_id: str, *, keep_video_row: bool = False) -> None:
        """Remove a video's rows from every table (its ``videos`` row first, so it vanishes from search)."""
        where = f"video_id = {_quote(video_id)}"
        if not keep_video_row and (t := self.table(S.VIDEOS)) is not None:
            hit("store.delete_video")
            t.delete(where)
        for name in self.table_names():
            if name != S.VIDEOS:
                hit("store.delete_video_rows")
                self.db.open_table(name).delete(where)

    # -- indexes ------------------------------------------------------------------------------------
    @staticmethod
    def fts_columns(name: str, columns: Iterable[str] | None = None) -> tuple[str, ...]:
        """The columns of table ``name`` that get a full-text index: those of ``columns`` (the table's), or all
        it may have."""
        wanted = _FTS_COLUMNS.get(name, ())
        return wanted if columns is None else tuple(c for c in wanted if c in set(columns))

    @staticmethod
    def fts_rows(table, column: str) -> int:
        """The rows a new full-text index on ``column`` of ``table`` would be built for (0: not yet)."""
        return table.count_rows(f"{column} IS NOT NULL") if column in _FTS_WHEN_HELD else table.count_rows()
