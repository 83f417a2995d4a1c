"""Keyframes follow content, not pixels: on stills under zoom, pan, shake and exposure drift every true
content change gets a keyframe and the camera's motion alone gets none; OCR reads only new text."""

from __future__ import annotations

import json

import pytest

from videokb.index import schema as S
from videokb.index.store import Store
from videokb.ingest import IngestConfig, ingest
from videokb.ingest.keyframes import DecodeStats, iter_keyframes
from videokb.ingest.models import ModelConfig
from videokb.sample import SceneSpec
from videokb.sample_motion import MOTIONS, make_moving_video

SCENES = [
    SceneSpec("", slide_text="Sourdough loaf $4.50\nOpen daily 6 AM"),
    SceneSpec("", photo="coins"),
    SceneSpec("", slide_text="Park budget $2.3M\nApproved 7-2"),
    SceneSpec("", photo="chelsea"),
    SceneSpec("", slide_text="Launch window opens\nJune 3, 9:15 AM"),
    SceneSpec("", photo="rocket"),
]
# The same slide, then the same with a line added where a blank one was: the other lines do not move.
ADDED_LINE = [SceneSpec("", slide_text="Blueberry muffins $3\nClosed Mondays\n "),
              SceneSpec("", slide_text="Blueberry muffins $3\nClosed Mondays\nGluten free options")]


@pytest.fixture(scope="module", params=MOTIONS)
def moving(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("motion") / f"{request.param}.mp4"
    return make_moving_video(path, SCENES, motion=request.param, scene_s=5.0, size=(640, 360), fps=10,
                             narrate=False, seed=1)


def test_every_true_segment_gets_a_keyframe_and_motion_alone_none(moving):
    stats = DecodeStats()
    kfs = list(iter_keyframes(moving.path, stats=stats))
    for scene in moving.scenes:  # segment recall 1.0
        assert any(scene.start_s <= kf.t_s < scene.end_s for kf in kfs), (scene, [k.t_s for k in kfs])
    per_min = len(kfs) / (moving.duration_s / 60)
    assert per_min <= 60 / 3, [(k.t_s, k.reason) for k in kfs]  # at most a third of uniform 1 fps
    assert len(kfs) == len(moving.scenes), [(k.t_s, k.reason, round(k.change, 1)) for k in kfs]


def test_a_line_added_to_an_unchanged_slide_is_read_and_the_rest_is_not_read_again(tmp_path, shared_cache):
    video = make_moving_video(tmp_path / "lib" / "added.mp4", ADDED_LINE, motion="zoom", scene_s=6.0,
                              size=(960, 540), fps=10, narrate=False)
    cfg = IngestConfig(models=ModelConfig(visual="none", asr=False, device="cpu", cache_dir=shared_cache))
    report = ingest([video.path], Store(tmp_path / "db"), cfg, progress=False)
    (o,) = report.outcomes
    assert o.status == "ingested", o.reason
    spans = Store(tmp_path / "db").dataset(S.OCR_SPANS).to_table().to_pylist()
    texts = {s["text"]: s for s in spans}
    added = video.scenes[1].start_s
    assert "Gluten free options" in texts, texts.keys()
    assert texts["Gluten free options"]["start_s"] >= added - 0.5
    # The unchanged lines are one span each across both scenes, read once and then carried over.
    for line in ("Blueberry muffins $3", "Closed Mondays"):
        assert texts[line]["start_s"] < added < texts[line]["end_s"], texts[line]
        assert texts[line]["n_keyframes"] >= 2
    assert o.counts["ocr_recognized"] == 3 and o.counts["ocr_reused"] >= 2, o.counts
    for stage in ("decode", "keyframes", "ocr_det", "ocr_rec", "embed", "write"):
        assert stage in o.stage_seconds, o.stage_seconds
    # ...and recorded with the video, for `videokb videos --json`
    (row,) = Store(tmp_path / "db").videos().to_pylist()
    assert json.loads(row["stage_seconds"]).keys() == {k for k in o.stage_seconds}
    assert json.loads(row["counts"])["ocr_recognized"] == 3


def test_a_held_photo_without_text_is_detected_once(tmp_path, shared_cache):
    held = [SceneSpec("", photo="astronaut")]
    video = make_moving_video(tmp_path / "lib" / "face.mp4", held, motion="shake", scene_s=25.0,
                              size=(640, 360), fps=10, narrate=False)
    cfg = IngestConfig(models=ModelConfig(visual="none", asr=False, device="cpu", cache_dir=shared_cache))
    (o,) = ingest([video.path], Store(tmp_path / "db"), cfg, progress=False).outcomes
    assert o.status == "ingested", o.reason
    assert o.counts["keyframes"] >= 3 and o.counts["ocr_det_skipped"] == o.counts["keyframes"] - 1, o.counts


def test_a_held_slide_is_detected_once_and_its_repeats_skip_detection(tmp_path, shared_cache):
    """Keyframes that only repeat the last one (the max gap ran out, nothing differs after alignment) take its
    text without running the detector; the text's span still covers the whole slide."""
    held = [SceneSpec("", slide_text="Harbor cafe menu\nEspresso $2")]
    video = make_moving_video(tmp_path / "lib" / "held.mp4", held, motion="shake", scene_s=25.0,
                              size=(640, 360), fps=10, narrate=False)
    cfg = IngestConfig(models=ModelConfig(visual="none", asr=False, device="cpu", cache_dir=shared_cache))
    (o,) = ingest([video.path], Store(tmp_path / "db"), cfg, progress=False).outcomes
    assert o.status == "ingested", o.reason
    assert o.counts["keyframes"] >= 3 and o.counts["ocr_det_skipped"] == o.counts["keyframes"] - 1, o.counts
    assert o.counts["ocr_recognized"] == 2, o.counts
    spans = {s["text"]: s for s in Store(tmp_path / "db").dataset(S.OCR_SPANS).to_table().to_pylist()}
    for line in ("Harbor cafe menu", "Espresso $2"):
        assert spans[line]["start_s"] == 0 and spans[line]["end_s"] >= video.duration_s - 0.5, spans.keys()


def test_a_frame_that_does_not_align_is_fitted_once_from_each_start(monkeypatch):
    """A failed alignment is retried from no motion only when it did not start there: after a reset (or a
    still frame) the retry would be the same fit again, and on cut-heavy footage that doubled the cost."""
    import cv2
    import numpy as np

    from videokb.ingest import motion

    rng = np.random.default_rng(0)
    # Two unrelated smooth pictures (blurred noise, stretched to the grey range).
    a, b = (motion.ContentTracker.prepare(cv2.normalize(cv2.GaussianBlur(rng.uniform(0, 255, (90, 160)), (0, 0), 4),
                                                        None, 0, 255, cv2.NORM_MINMAX)) for _ in range(2))
    starts = []
    real = cv2.findTransformECC

    def counted(frame, ref, warp, *args):
        starts.append(warp.copy())
        return real(frame, ref, warp, *args)

    monkeypatch.setattr(motion.cv2, "findTransformECC", counted)
    tracker = motion.ContentTracker()
    tracker.reset(a)
    assert not tracker.compare(b).aligned  # unrelated noise: no camera motion explains it
    assert len(starts) == 1 and np.array_equal(starts[0], np.eye(2, 3)), starts
    shifted = np.roll(a, 1, axis=1)  # a pan: aligns, and leaves a warm start that is not the identity
    assert tracker.compare(shifted).aligned
    starts.clear()
    assert not tracker.compare(b).aligned
    assert len(starts) == 2 and not np.array_equal(starts[0], starts[1]), starts
