import pytest

from videokb.ingest.errors import BadVideoError
from videokb.ingest.keyframes import DecodeStats, KeyframeOptions, iter_keyframes
from videokb.ingest.probe import probe


def test_keyframes_land_on_scene_cuts_with_exact_times(corpus):
    video = corpus[0]
    stats = DecodeStats()
    kfs = list(iter_keyframes(video.path, stats=stats))
    info = probe(video.path)
    assert kfs[0].t_s == 0 and kfs[0].reason == "shot"
    for scene in video.scenes:  # every scene starts with a keyframe within 0.25 s (analysis runs at 5 fps)
        assert any(0 <= kf.t_s - scene.start_s < 0.25 for kf in kfs), scene
    for kf in kfs:  # constant 25 fps: the time is exactly the frame's
        assert kf.t_s == pytest.approx(kf.frame_idx / info.fps, abs=1e-6)
        assert kf.image.size == (info.width, info.height)
    assert len(kfs) < info.duration_s  # fewer than uniform 1 fps
    assert stats.frames_decoded == round(info.duration_s * info.fps)


def test_skipping_non_reference_frames_keeps_the_same_keyframes(corpus):
    every, skipping = DecodeStats(), DecodeStats()
    full = list(iter_keyframes(corpus[0].path, KeyframeOptions(), every))
    fast = list(iter_keyframes(corpus[0].path, KeyframeOptions(skip_nonref=True), skipping))
    info = probe(corpus[0].path)
    assert every.frames_decoded == round(info.duration_s * info.fps)
    assert skipping.frames_decoded < 0.75 * every.frames_decoded  # the corpus is H.264 with B-frames
    assert [k.reason for k in fast] == [k.reason for k in full]
    for a, b in zip(fast, full):  # within one analysis step (5 fps), each at its own frame's exact time
        assert abs(a.t_s - b.t_s) <= 0.2 + 1e-6
        assert a.t_s == pytest.approx(a.frame_idx / info.fps, abs=1e-6)


def test_a_static_picture_still_gets_a_keyframe_every_max_gap(corpus):
    kfs = list(iter_keyframes(corpus[0].path, KeyframeOptions(max_gap_s=2.0)))
    gaps = [b.t_s - a.t_s for a, b in zip(kfs, kfs[1:])]
    assert max(gaps) <= 2.0 + 0.2 + 1e-6  # one analysis step (5 fps) past the limit at most
    assert "gap" in {kf.reason for kf in kfs}


def test_options_are_validated():
    with pytest.raises(ValueError):
        KeyframeOptions(min_gap_s=5, max_gap_s=1)


def test_probe_names_the_file_and_reason(bad_files, tmp_path):
    with pytest.raises(BadVideoError, match="notes.txt: not a readable video"):
        probe(bad_files["not_a_video"])
    with pytest.raises(BadVideoError, match="broken.mp4: not a readable video"):
        probe(bad_files["truncated"])
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(BadVideoError, match="empty file"):
        probe(empty)


def test_keyframes_are_converted_no_larger_than_max_side(corpus):
    kfs = list(iter_keyframes(corpus[0].path, KeyframeOptions(max_side=320, decode_threads=1)))
    assert kfs and all(kf.image.size == (320, 180) for kf in kfs)  # 854x480 scaled in the conversion
