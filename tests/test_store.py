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


def test_lance_metadata_cache_stays_within_its_bound_over_many_appends(tmp_path):
    # Lance caches each table version's manifest, and version k lists k fragments: unbounded, the cache grows
    # with the square of the appends (what made a 1-hour ingest's memory grow).
    sizes = {}
    for bound in (2 << 20, 1 << 30):
        store = Store(tmp_path / f"db-{bound}", metadata_cache_bytes=bound)
        segs = store.ensure_table(S.SEGMENTS, S.segments_schema(2), {"vector": SPEC})
        for i in range(150):
            store.add(segs, [seg("v", "a", f"line {i}", start=float(i))])
        assert segs.count_rows() == 150
        sizes[bound] = store.session.size_bytes
    assert sizes[2 << 20] <= 2 << 20
    assert sizes[1 << 30] > 2 << 20  # the same appends, under a loose bound, do grow it past the tight one


def test_a_table_being_created_is_not_a_table_until_its_first_version_commits(tmp_path):
    """A writer creating a table makes its folder (and data files) before the first manifest. A reader in
    between (a search while an ingest starts) must see no table, not fail opening one that is "not found"."""
    store = Store(tmp_path / "db")
    half = tmp_path / "db" / f"{S.VIDEOS}.lance"
    (half / "data").mkdir(parents=True)  # what a crash or a reader sees before the first commit
    assert store.table_names() == [] and store.dataset(S.VIDEOS) is None and store.find_video(video_id="v") is None
    assert store.videos().num_rows == 0
    store.commit_video(video("v", "a1"))  # a writer still creates it over the bare folder
    assert store.table_names() == [S.VIDEOS] and store.find_video(video_id="v")["ingest_id"] == "a1"


def test_a_videos_table_from_before_the_language_check_still_takes_and_reads_videos(tmp_path):
    store = Store(tmp_path / "db")
    old = S.videos_schema()
    store.db.create_table(S.VIDEOS, schema=old.remove(old.get_field_index("language_check")))
    store.commit_video({**video("v", "a"), "language": "de", "language_check": '{"chosen": "de"}'})
    rows = connect_events(store).sql("SELECT video_id, language FROM videos").fetchall()
    assert rows == [("v", "de")]  # the check is dropped: the old table has no column for it
    store.commit_video({**video("w", "b", "/w.mp4"), "language_check": None})
    assert store.videos().num_rows == 2

    new = Store(tmp_path / "db2")
    new.commit_video({**video("v", "a"), "language": "de", "language_check": '{"chosen": "de"}'})
    assert new.videos().column("language_check").to_pylist() == ['{"chosen": "de"}']
