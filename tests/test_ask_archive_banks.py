"""The generated archives for `bench/ask_quality.py` (videokb/sample_archive.py): the fresh variant shares no
video, sentence, slide or question with the tuned one, and adding the always-train talks left the tuned
archive's questions and split as they were."""

import re

import pytest

from videokb.sample_archive import build_archive
from videokb.sample_archive_banks import BANK0
from videokb.sample_archive_shapes import SHAPES0


def _sentences(archive):
    """Every narration and slide line but the lecture's "Part 7" headers (the lectures share that form)."""
    return {s.narration for v in archive.specs for s in v.scenes if s.narration} | {
        line for v in archive.specs for s in v.scenes for line in (s.slide_text or "").split("\n")
        if line and not re.fullmatch(r"Part \d+", line)}


@pytest.mark.parametrize("a,b", [(0, 1), (0, 2), (1, 2)])
def test_the_fresh_variants_share_no_video_sentence_or_question(a, b):
    tuned = build_archive(a, cafes=6, meetings=5, lecture_scenes=45, variant=a)
    fresh = build_archive(b, cafes=6, meetings=5, lecture_scenes=45, variant=b)
    assert not {v.filename for v in tuned.specs} & {v.filename for v in fresh.specs}
    assert not _sentences(tuned) & _sentences(fresh)
    assert not {c.question for c in tuned.cases} & {c.question for c in fresh.cases}
    # every kind has dev questions in the fresh archive too
    assert {c.kind for c in fresh.cases if c.split == "dev"} == {c.kind for c in tuned.cases if c.split == "dev"}


def test_train_talks_are_train_only_and_change_no_other_question():
    with_talks = build_archive(0, cafes=6, meetings=5, lecture_scenes=45)
    without = build_archive(0, cafes=6, meetings=5, lecture_scenes=45, train_talks=False)
    assert with_talks.cases[: len(without.cases)] == without.cases
    extra = with_talks.cases[len(without.cases):]
    assert extra and {c.split for c in extra} == {"train"}
    assert {c.videos[0] for c in extra if c.videos} == {f"{name}.mp4" for name in {**BANK0.train_talks, **SHAPES0.talks}}
