import sys
from collections import Counter
from pathlib import Path

import pytest

# bench/ is a folder of scripts beside the package, not installed: import it from the checkout, then take the
# checkout off the path again (its top-level index/, ingest/ folders must not shadow the installed package).
_ROOT = str(Path(__file__).resolve().parents[1])
sys.path.insert(0, _ROOT)
import bench.devset_fresh  # noqa: E402,F401 - loaded now: build_specs("fresh") imports it later
from bench.devset import build_specs  # noqa: E402

sys.path.remove(_ROOT)


def test_the_fresh_library_has_the_same_categories_and_no_query_of_the_old_one():
    old_videos, old_queries = build_specs()
    videos, queries = build_specs("fresh")
    count = lambda qs: Counter((q.category, q.split) for q in qs)  # noqa: E731
    assert count(queries) == count(old_queries)
    assert {q.text for q in queries}.isdisjoint({q.text for q in old_queries})
    old_lines = {s.narration for v in old_videos for s in v.scenes}
    new_lines = [s.narration for v in videos for s in v.scenes]
    # Only the news opener is shared: every fact is said in other words
    assert [n for n in new_lines if n in old_lines] == ["Good evening and welcome to the community news."] * 3
    for q in queries:  # each query names a scene of a video of its own library
        (video,) = [v for v in videos if v.filename == q.video]
        assert 0 <= q.scene < len(video.scenes)


def test_an_unknown_variant_names_the_choices():
    with pytest.raises(ValueError, match="fresh"):
        build_specs("stale")


def test_train_only_english_queries_never_share_a_fact_with_a_dev_query():
    for variant in ("", "fresh"):
        _, queries = build_specs(variant)
        more = [q for q in queries if q.template == "crosslingual_more"]
        assert len(more) == 16 and {q.split for q in more} == {"train"}
        dev = {(q.video, q.scene) for q in queries if q.split == "dev" and q.category == "crosslingual"}
        assert not {(q.video, q.scene) for q in more} & dev
        # the split of every other query is the one drawn before they were added
        assert sum(q.split == "dev" for q in queries) == 83
