"""The pipeline on real media with real (bundled or tiny) models; speech is off here (see the slow tests)."""

import shutil
import subprocess

import pytest

from videokb.index import schema as S
from videokb.index.store import Store
from videokb.ingest import IngestConfig, ingest
from videokb.ingest.keyframes import iter_keyframes
from videokb.ingest.models import ModelConfig
from videokb.retrieval import SearchOptions, search


def config(shared_cache, **models) -> IngestConfig:
    models = {"visual": "efficientnet-lite0", "asr": False, "device": "cpu", "cache_dir": shared_cache, **models}
    return IngestConfig(models=ModelConfig(**models))


def row_counts(store: Store) -> dict[str, int]:
    return {name: store.db.open_table(name).count_rows() for name in store.table_names()}


def outcome(report, name):
    (o,) = [o for o in report.outcomes if o.path.name == name]
    return o


def test_reingesting_a_folder_adds_nothing_and_bad_files_are_reported(video_dir, bad_files, shared_cache, tmp_path):
    for p in bad_files.values():
        shutil.copy(p, video_dir / p.name)
    store = Store(tmp_path / "db")
    first = ingest([video_dir], store, config(shared_cache), progress=False)
    assert [o.status for o in first.by_status("ingested")] == ["ingested"] * 2
    broken = outcome(first, "broken.mp4")
    assert broken.status == "failed" and "not a readable video" in broken.reason and "moov atom" in broken.reason
    notes = outcome(first, "notes.txt")
    assert (notes.status, notes.reason) == ("ignored", "not a video file extension (.txt)")
    counts = row_counts(store)
    assert counts[S.VIDEOS] == 2 and counts[S.KEYFRAMES] > 0 and counts[S.OCR_SPANS] > 0

    second = ingest([video_dir], store, config(shared_cache), progress=False)
    assert {o.path.name: o.status for o in second.outcomes if o.path.suffix == ".mp4"} == {
        "bakery_tour.mp4": "skipped", "city_council_meeting.mp4": "skipped", "broken.mp4": "failed"}
    assert row_counts(store) == counts

    # A bad file named on its own fails with its reason and leaves the index as it was.
    third = ingest([bad_files["truncated"]], store, config(shared_cache), progress=False)
    assert third.outcomes[0].status == "failed" and "broken.mp4" in str(third.outcomes[0].path)
    assert row_counts(store) == counts


def test_a_changed_file_replaces_only_its_own_rows(video_dir, corpus, shared_cache, tmp_path):
    store = Store(tmp_path / "db")
    ingest([video_dir], store, config(shared_cache), progress=False)
    before = {r["video_path"]: r for r in store.videos().to_pylist()}
    changed = video_dir / "bakery_tour.mp4"
    shutil.copy(corpus[2].path, changed)  # new content under the old name

    report = ingest([video_dir], store, config(shared_cache), progress=False)
    assert outcome(report, "bakery_tour.mp4").status == "ingested"
    assert outcome(report, "city_council_meeting.mp4").status == "skipped"
    after = {r["video_path"]: r for r in store.videos().to_pylist()}
    old_id, new_id = before[str(changed)]["video_id"], after[str(changed)]["video_id"]
    assert old_id != new_id
    kept = str(video_dir / "city_council_meeting.mp4")
    assert after[kept]["ingest_id"] == before[kept]["ingest_id"]  # untouched
    for name in store.table_names():
        assert store.db.open_table(name).count_rows(f"video_id = '{old_id}'") == 0, name
    moments = search(store, "launch window opens", options=SearchOptions(modalities=("ocr",)))
    assert moments[0].video_id == new_id


def test_on_screen_text_is_found_at_its_time(video_dir, corpus, shared_cache, tmp_path):
    store = Store(tmp_path / "db")
    ingest([video_dir], store, config(shared_cache), progress=False)
    scene = corpus[0].scenes[2]  # "Gluten free options" is shown, never spoken
    (top, *_) = search(store, "gluten free options")
    assert top.video_path.endswith("bakery_tour.mp4") and "ocr" in top.modalities
    assert top.start_s < scene.end_s and top.end_s > scene.start_s


def test_siglip2_path_text_tower_and_query_by_image(video_dir, corpus, tiny_siglip2, shared_cache, tmp_path):
    store = Store(tmp_path / "db")
    report = ingest([video_dir], store, config(shared_cache, visual="siglip2", siglip2_model=str(tiny_siglip2),
                                               ocr=False), progress=False)
    assert report.models["visual"] == f"SigLIP2 {tiny_siglip2}"
    (table,) = store.regions_tables()
    assert table.startswith("regions_siglip2") and store.specs(table)["vector"].dim == 32
    assert store.db.open_table(S.KEYFRAMES).count_rows("labels IS NOT NULL") == 0  # no classifier labels

    # The keyframe's own picture finds its own moment first (exact vector match, even with random weights).
    kf = list(iter_keyframes(corpus[1].path))[2]
    (top, *_) = search(store, image=kf.image)
    assert top.video_path.endswith(corpus[1].path.name) and top.start_s == pytest.approx(kf.t_s)
    moments = search(store, "a photographer", options=SearchOptions(modalities=("visual",)))
    assert moments and all(m.modalities == ["visual"] for m in moments)


def test_reingest_with_another_visual_model_moves_the_video_to_its_space(video_dir, tiny_siglip2, shared_cache,
                                                                          tmp_path):
    store = Store(tmp_path / "db")
    ingest([video_dir], store, config(shared_cache, ocr=False), progress=False)
    counts = row_counts(store)
    report = ingest([video_dir], store, config(shared_cache, ocr=False, visual="siglip2",
                                               siglip2_model=str(tiny_siglip2)), progress=False)
    assert [o.status for o in report.outcomes] == ["ingested", "ingested"]
    after = row_counts(store)
    assert after["regions_efficientnet_lite0"] == 0
    siglip_table = [t for t in store.regions_tables() if t.startswith("regions_siglip2")][0]
    # The same keyframes, each with its frame and 13 grid regions, now in the SigLIP2 space.
    assert after[siglip_table] == counts["regions_efficientnet_lite0"] == 14 * counts[S.KEYFRAMES]
    assert after[S.VIDEOS] == 2 and after[S.KEYFRAMES] == counts[S.KEYFRAMES]


def test_a_cut_off_video_fails_and_leaves_no_rows(corpus, shared_cache, tmp_path):
    # moov atom first (faststart), then cut in half: it opens, and its frames stop half-way.
    fast = tmp_path / "fast.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(corpus[0].path), "-c", "copy",
                    "-movflags", "+faststart", str(fast)], check=True)
    cut = tmp_path / "cut.mp4"
    data = fast.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    store = Store(tmp_path / "db")
    (o,) = ingest([cut], store, config(shared_cache, ocr=False), progress=False).outcomes
    # Frame-threaded decoding ends quietly at the cut, a single decoder thread reports the damage: both fail.
    assert o.status == "failed"
    assert o.reason.startswith(("truncated or corrupt: video ends at", "truncated or corrupt: video stops decoding"))
    assert all(store.db.open_table(n).count_rows() == 0 for n in store.table_names())
