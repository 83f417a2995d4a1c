import hashlib
import json
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import pytest

# bench/ is a folder of scripts beside the package, not installed: import it from the checkout, then take the
# checkout off the path again (its top-level index/, ingest/ folders must not shadow the installed package).
_ROOT = str(Path(__file__).resolve().parents[1])
sys.path.insert(0, _ROOT)
import bench.devset_fresh  # noqa: E402,F401 - loaded now: build_specs("fresh") imports it later
import bench.devset_tune  # noqa: E402,F401 - loaded now: build_specs("tune") imports it later
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


# Digests of every query (text, category, video, scene, target, template, split) of the two reported libraries,
# taken before the tune library was added: adding a variant must not move a query or its split.
SPLIT_DIGESTS = {"": "9138f7a983baedfdaa34f57b6d728367c13792516d75fa59bc84a31e3d57b4a9",
                 "fresh": "e43893c833a120b0ed68d574b1163def9f5d4587fd58bcdc5093cc5968fbbb44"}


@pytest.mark.parametrize("variant", ["", "fresh"])
def test_the_reported_libraries_queries_and_splits_did_not_move(variant):
    _, queries = build_specs(variant)
    digest = hashlib.sha256(json.dumps([asdict(q) for q in queries]).encode()).hexdigest()
    assert digest == SPLIT_DIGESTS[variant]


def test_the_tune_library_is_all_train_with_every_category_and_no_query_or_fact_of_the_others():
    videos, queries = build_specs("tune")
    assert {q.split for q in queries} == {"train"}
    assert {q.category for q in queries} == {"family", "ocr", "paraphrase", "long", "crosslingual", "native", "photo"}
    # more English queries over foreign speech than either other library's train split holds
    assert sum(q.category == "crosslingual" for q in queries) == 48
    others = [build_specs(v) for v in ("", "fresh")]
    assert {q.text for q in queries}.isdisjoint({q.text for _, qs in others for q in qs})
    old_lines = {s.narration for vs, _ in others for v in vs for s in v.scenes}
    shared = [s.narration for v in videos for s in v.scenes if s.narration in old_lines]
    assert shared == ["Good evening and welcome to the community news."] * 3
    for q in queries:
        (video,) = [v for v in videos if v.filename == q.video]
        assert 0 <= q.scene < len(video.scenes)
