"""DuckDB over the LanceDB tables: plain views for SQL and one ``events`` view of everything timed.

DuckDB scans each Lance dataset as an Arrow source (no extension to download). Only the live rows of
committed videos show up (see :mod:`index.store`). Vector and thumbnail columns are left out of the views.
"""

from __future__ import annotations

import logging

import duckdb

from videokb.index import schema as S
from videokb.index.store import Store

logger = logging.getLogger(__name__)

_HIDDEN = {"vector", "label_vector", "image_jpeg", "tokens"}

EVENTS_SQL = """
CREATE VIEW events AS
SELECT video_id, 'speech' AS kind, start_s, end_s, text, NULL::FLOAT[] AS bbox_xyxy FROM segments
UNION ALL
SELECT video_id, 'ocr', start_s, end_s, text, bbox_xyxy FROM ocr_spans
UNION ALL
SELECT video_id, 'visual', start_s, end_s, labels, NULL FROM keyframes WHERE labels IS NOT NULL
UNION ALL
SELECT video_id, 'shot', min(start_s), max(end_s), NULL, NULL FROM keyframes GROUP BY video_id, shot_idx
"""

_EMPTY = {
    S.SEGMENTS: S.segments_schema(1),
    S.OCR_SPANS: S.ocr_spans_schema(1),
    S.KEYFRAMES: S.keyframes_schema(1),
    S.VIDEOS: S.videos_schema(),
}


def connect_events(store: Store) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with views ``videos``, ``keyframes``, ``segments``, ``ocr_spans``, ``regions_*``
    and ``events(video_id, kind, start_s, end_s, text, bbox_xyxy)``."""
    con = duckdb.connect()
    datasets = _agreeing_versions(store)
    names = set(datasets)
    columns: dict[str, list[str]] = {}
    for name in sorted(names | set(_EMPTY)):
        if name in names:
            ds = datasets[name]
            con.register(f"_raw_{name}", ds)
            schema = ds.schema
        else:  # a table not written yet reads as empty, so queries over it still run
            con.register(f"_raw_{name}", _EMPTY[name].empty_table())
            schema = _EMPTY[name]
        columns[name] = [f.name for f in schema if f.name not in _HIDDEN]
    for name, cols in columns.items():
        col_sql = ", ".join(f't."{c}"' for c in cols)
        live = (
            ""
            if name == S.VIDEOS
            else f" WHERE EXISTS (SELECT 1 FROM _raw_{S.VIDEOS} v "
            "WHERE v.video_id = t.video_id AND v.ingest_id = t.ingest_id)"
        )
        con.execute(f'CREATE VIEW "{name}" AS SELECT {col_sql} FROM "_raw_{name}" t{live}')
    con.execute(EVENTS_SQL)
    return con


def _agreeing_versions(store: Store, tries: int = 50) -> dict:
    """Every table at a version that agrees with the ``videos`` one: ``videos`` first, then the others, and all
    again if ``videos`` moved meanwhile. Opened one after the other without this, a video committed (or
    removed) in between showed up in ``videos`` without its rows (found by tests/test_concurrency_history.py).
    A video's rows are written before its ``videos`` row and deleted after it, so while ``videos`` stands
    still the later snapshots of the other tables hold every row of every video it lists."""
    import time

    for _ in range(tries):
        videos = store.dataset(S.VIDEOS)
        others = {name: store.dataset(name) for name in store.table_names() if name != S.VIDEOS}
        now = store.dataset(S.VIDEOS)
        if (videos is None) == (now is None) and (videos is None or videos.version == now.version):
            datasets = {name: ds for name, ds in others.items() if ds is not None}
            return {**datasets, S.VIDEOS: videos} if videos is not None else datasets
        time.sleep(0.05)
    raise RuntimeError(f"the index at {store.uri} kept changing while it was opened ({tries} tries); try again")
