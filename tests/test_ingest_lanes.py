"""Videos overlap across the two lanes of one process: a video's visual stage runs while the video before it
is still being transcribed, and each video is still committed whole, in order."""

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from videokb.index import schema as S
from videokb.index.store import Store
from videokb.ingest import IngestConfig, ingest, pipeline
from videokb.ingest.journal import Journal, journal_path
from videokb.ingest.models import ModelConfig


def test_a_silent_video_runs_its_visual_stage_while_the_video_before_it_is_transcribed(corpus, shared_cache,
                                                                                      tmp_path, monkeypatch):
    talk = tmp_path / "a_talk.mp4"
    shutil.copy(corpus[0].path, talk)
    silent = tmp_path / "b_silent.mp4"  # no audio stream: it never needs the speech lane
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(corpus[1].path), "-an", "-c", "copy",
                    str(silent)], check=True)
    store = Store(tmp_path / "db")
    visual_done_before_speech: dict[str, list[str]] = {}
    spare_when_pictures_done: dict[str, bool] = {}
    spare_at_start: dict[str, bool] = {}
    real_build = pipeline.build_models

    def build_models(cfg):
        models = real_build(cfg)
        transcribe = models.asr.transcribe

        def transcribe_once_the_next_videos_pictures_are_done(path: Path, **kwargs):
            # The real transcription, begun only when the silent video's visual stage is checkpointed: run one
            # video after the other, that stage would wait for this one and never come (the wait gives up).
            spare_at_start[path.name] = kwargs["spare"]()  # the video's own visual stage has just begun
            j = Journal(journal_path(store.uri))
            try:
                for _ in range(1200):
                    if j.query("SELECT 1 FROM stages WHERE stage = 'visual' AND path = ?", (str(silent),)):
                        break
                    time.sleep(0.1)
                rows = j.query("SELECT path FROM stages WHERE stage = 'visual'")
                visual_done_before_speech[path.name] = sorted(Path(r["path"]).name for r in rows)
            finally:
                j.close()
            # Both visual stages done, the visual lane is idle: speech may take its threads (ingest.asr.SpareThreads).
            spare = kwargs["spare"]
            for _ in range(100):
                if spare():
                    break
                time.sleep(0.05)
            spare_when_pictures_done[path.name] = spare()
            return transcribe(path, **kwargs)

        models.asr.transcribe = transcribe_once_the_next_videos_pictures_are_done
        return models

    monkeypatch.setattr(pipeline, "build_models", build_models)
    config = IngestConfig(models=ModelConfig(visual="efficientnet-lite0", device="cpu", cache_dir=shared_cache))
    report = ingest([talk, silent], store, config, progress=False)

    assert [(o.path.name, o.status) for o in report.outcomes] == [("a_talk.mp4", "ingested"),
                                                                    ("b_silent.mp4", "ingested")]
    assert visual_done_before_speech == {"a_talk.mp4": ["a_talk.mp4", "b_silent.mp4"]}
    assert spare_at_start == {"a_talk.mp4": False} and spare_when_pictures_done == {"a_talk.mp4": True}
    # Each video whole: its keyframes as counted, its speech (or none), no row outside a live attempt.
    videos = {Path(r["video_path"]).name: r for r in store.videos().to_pylist()}
    assert videos["a_talk.mp4"]["has_audio"] and not videos["b_silent.mp4"]["has_audio"]
    live = set(store.live_attempts().items())
    keyframes = store.db.open_table(S.KEYFRAMES).to_arrow()
    segments = store.db.open_table(S.SEGMENTS).to_arrow()
    for name, row in videos.items():
        assert keyframes.column("video_id").to_pylist().count(row["video_id"]) == row["n_keyframes"] > 0
        n_segments = segments.column("video_id").to_pylist().count(row["video_id"])
        assert (n_segments > 0) == (name == "a_talk.mp4")
    for name in store.table_names():
        t = store.db.open_table(name).to_arrow()
        assert set(zip(t.column("video_id").to_pylist(), t.column("ingest_id").to_pylist())) <= live, name


def test_the_visual_lane_takes_speechs_threads_only_while_speech_is_idle(corpus, shared_cache, tmp_path):
    silent = tmp_path / "silent.mp4"  # no audio: the speech lane stays idle all through its visual stage
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(corpus[1].path), "-an", "-c", "copy",
                    str(silent)], check=True)
    models = ModelConfig(visual="efficientnet-lite0", device="cpu", cache_dir=shared_cache)
    rows = {}
    for wide in (True, False):
        store = Store(tmp_path / f"db-{wide}")
        report = ingest([silent], store, IngestConfig(models=models, visual_spare_threads=wide), progress=False)
        assert [o.status for o in report.outcomes] == ["ingested"]
        counts = report.outcomes[0].counts
        assert (counts["batches_wide"] > 0) if wide else (counts["batches_wide"] == 0)
        kf = store.db.open_table(S.KEYFRAMES).to_arrow().sort_by("t_s")
        rows[wide] = (kf.column("t_s").to_pylist(), kf.column("reason").to_pylist(),
                      np.stack(kf.column("label_vector").to_numpy(zero_copy_only=False)))
    # More threads, the same keyframes and (up to float rounding) the same label vectors.
    assert rows[True][:2] == rows[False][:2]
    np.testing.assert_allclose(rows[True][2], rows[False][2], atol=2e-3)
