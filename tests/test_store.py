import pyarrow as pa
import pytest

from videokb.index import schema as S
from videokb.index.events import connect_events
from videokb.index.store import IndexMismatchError, Store

SPEC = S.EmbedderSpec("sentence-transformers", "m", 2)


def seg(video_id, ingest_id, text, start=0.0):
    return {"video_id": video_id, "ingest_id": ingest_id, "segment_idx": 0, "start_s": start, "end_s": start + 1,
            "text": text, "language": "en", "words": [], "avg_logprob": 0.0, "no_speech_prob": 0.0,
            "vector": [1.0, 0.0]}


def video(video_id, ingest_id, path="/v.mp4"):
    return {"video_id": video_id, "ingest_id": ingest_id, "video_path": path, "duration_s": 1.0, "models": "{}"}


def texts(store):
    return sorted(r[0] for r in connect_events(store).sql("SELECT text FROM events WHERE kind='speech'").fetchall())


def test_rows_are_invisible_until_their_attempt_is_committed(tmp_path):
    store = Store(tmp_path / "db")
    segs = store.ensure_table(S.SEGMENTS, S.segments_schema(2), {"vector": SPEC})
    store.add(segs, [seg("v", "a1", "first version")])
    assert texts(store) == []
    store.commit_video(video("v", "a1"))
    assert texts(store) == ["first version"]

    # A re-ingest writes beside the live rows; until it commits, search sees the first version only.
    store.add(segs, [seg("v", "a2", "second version")])
    assert texts(store) == ["first version"]
    store.commit_video(video("v", "a2"))
    assert texts(store) == ["second version"]
    assert segs.count_rows() == 1  # the first attempt's rows are gone

    # A failed attempt is discarded and leaves the live version alone.
    store.add(segs, [seg("v", "a3", "broken")])
    store.discard_attempt("v", "a3")
    assert texts(store) == ["second version"] and segs.count_rows() == 1


def test_delete_video_removes_every_row(tmp_path):
    store = Store(tmp_path / "db")
    segs = store.ensure_table(S.SEGMENTS, S.segments_schema(2), {"vector": SPEC})
    store.add(segs, [seg("v", "a", "x"), seg("w", "b", "y")])
    store.commit_video(video("v", "a"))
    store.commit_video(video("w", "b", "/w.mp4"))
    store.delete_video("v")
    assert texts(store) == ["y"] and store.live_attempts() == {"w": "b"}


def test_a_table_refuses_vectors_of_another_embedder(tmp_path):
    store = Store(tmp_path / "db")
    store.ensure_table(S.SEGMENTS, S.segments_schema(2), {"vector": SPEC})
    other = S.EmbedderSpec("sentence-transformers", "other-model", 2)
    with pytest.raises(IndexMismatchError, match="other-model"):
        store.ensure_table(S.SEGMENTS, S.segments_schema(2), {"vector": other})
    assert store.specs(S.SEGMENTS) == {"vector": SPEC}  # recorded in the table's metadata


def test_events_and_views_read_an_empty_index(tmp_path):
    con = connect_events(Store(tmp_path / "db"))
    assert con.sql("SELECT count(*) FROM events").fetchall() == [(0,)]
    assert "vector" not in con.sql("SELECT * FROM segments").columns
    assert isinstance(con.sql("SELECT * FROM videos").arrow(), (pa.Table, pa.RecordBatchReader))
