"""HiCo through ingest, the clips table, MaxSim search and query-guided selection (real encoders, real LanceDB)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from videokb.cli import cli
from videokb.index import schema as S
from videokb.index.embedders import get_embedder
from videokb.index.store import Store
from videokb.ingest import IngestConfig, ingest
from videokb.ingest.hico import HicoOptions
from videokb.ingest.models import ModelConfig
from videokb.retrieval.clips import clip_hits, query_tokens, select_tokens
from videokb.retrieval.search import search
from videokb.sample_hico import Shot, make_video, query_crop


@pytest.fixture(scope="module")
def shots_video(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hico-videos")
    truth = make_video(folder / "shots.mp4", [Shot("pan", "chelsea", 4), Shot("still", "rocket", 25),
                                              Shot("pan", "coffee", 4)])
    return folder, truth


def config(visual: str = "efficientnet-lite0", hico: HicoOptions | None = None, **models) -> IngestConfig:
    return IngestConfig(models=ModelConfig(device="cpu", visual=visual, ocr=False, asr=False, **models),
                        hico=hico or HicoOptions())


def live_rows(store: Store, name: str) -> list[dict]:
    live = store.live_attempts()
    return [r for r in store.dataset(name).to_table().to_pylist() if live.get(r["video_id"]) == r["ingest_id"]]


def overlaps(hit, shot) -> bool:
    return hit.start_s < shot.end_s and hit.end_s > shot.start_s


def test_clip_rows_search_selection_and_reingest(shots_video, tmp_path):
    folder, truth = shots_video
    store = Store(tmp_path / "db")
    report = ingest([folder], store, config(), progress=False)
    (outcome,) = report.by_status("ingested")
    assert store.clips_tables() == ["clips_efficientnet_lite0"]
    name = "clips_efficientnet_lite0"
    ds = store.dataset(name)
    assert S.hico_settings(ds.schema) == HicoOptions().settings()
    assert store.specs(name)["tokens"] == get_embedder("efficientnet-lite0", "efficientnet-lite0", "cpu").spec()
    rows = sorted(live_rows(store, name), key=lambda r: r["clip_idx"])
    assert outcome.counts["clips"] == len(rows) and outcome.counts["clip_tokens"] == sum(r["n_tokens"] for r in rows)
    # The entries tile the video in time order; every token's box and span are valid and inside its clip.
    assert rows[0]["start_s"] == 0 and rows[-1]["end_s"] == pytest.approx(33, abs=0.2)
    for a, b in zip(rows, rows[1:]):
        assert a["end_s"] == pytest.approx(b["start_s"])
    for r in rows:
        assert 1 <= r["n_tokens"] <= 16 == json.loads(r["settings"])["tokens_per_clip"]
        assert len(r["tokens"]) == len(r["token_bbox_xyxy"]) == len(r["token_sizes"]) == r["n_tokens"]
        assert sum(r["token_sizes"]) == r["n_patches"]
        for (x0, y0, x1, y1), t0, t1 in zip(r["token_bbox_xyxy"], r["token_start_s"], r["token_end_s"]):
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
            assert r["start_s"] <= t0 < t1 <= r["end_s"] + 1e-9
    # The 25 s still shot (a keyframe every 10 s, so three clips) is one entry after stage 2.
    still = truth[1]
    inside = [r for r in rows if r["start_s"] >= still.start_s - 0.5 and r["end_s"] <= still.end_s + 0.5]
    assert len(inside) == 1 and inside[0]["n_merged"] >= 3

    # MaxSim over the clip tokens finds the clip holding each photo's object, from a crop of it.
    emb = get_embedder("efficientnet-lite0", "efficientnet-lite0", "cpu")
    for shot in truth:
        hits = clip_hits(store, name, query_tokens(emb, image=query_crop(shot.shot.subject)), 3)
        assert overlaps(hits[0], shot), (shot, hits[:3])
        assert -1 <= hits[0].raw_score <= 1 and hits[0].raw_score > hits[-1].raw_score
    # ...and it is one more list in the fused search.
    (top, *_) = search(store, image=query_crop("rocket"))
    assert overlaps(top, still) and f"visual:{name}" in {h.source for h in top.hits}

    # Query-guided selection: the K tokens of a window most like the query, in time order, inside the window.
    q = query_tokens(emb, image=query_crop("rocket"))
    chosen = select_tokens(store, name, outcome.video_id, still.start_s, still.end_s, q, k=5)
    assert len(chosen) == 5 and [c.start_s for c in chosen] == sorted(c.start_s for c in chosen)
    assert all(c.start_s < still.end_s and c.end_s > still.start_s for c in chosen)
    everything = select_tokens(store, name, outcome.video_id, still.start_s, still.end_s, q, k=1000)
    assert sorted(c.score for c in chosen) == sorted(c.score for c in everything)[-5:]
    assert all(np.isclose(np.linalg.norm(c.vector), 1, atol=1e-4) for c in chosen)

    # `videokb videos` shows tokens per minute.
    res = CliRunner().invoke(cli, ["videos", "--db", str(store.uri), "--json"])
    assert res.exit_code == 0, res.output
    (video,) = [json.loads(line) for line in res.output.splitlines()]
    assert video["clip_tokens_per_min"] == pytest.approx(sum(r["n_tokens"] for r in rows) / (33 / 60), rel=0.02)
    assert "tok/min=" in CliRunner().invoke(cli, ["videos", "--db", str(store.uri)]).output
    res = CliRunner().invoke(cli, ["sql", f"SELECT sum(n_tokens) AS n FROM {name}", "--db", str(store.uri), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["n"] == sum(r["n_tokens"] for r in rows), res.output

    # Re-ingest with other settings: the video is redone and its clip rows replaced.
    other = HicoOptions(tokens_per_clip=4, clip_merge_similarity=None)
    report2 = ingest([folder], store, config(hico=other), progress=False)
    assert [o.status for o in report2.outcomes] == ["ingested"]
    rows2 = store.dataset(name).to_table().to_pylist()
    assert {r["ingest_id"] for r in rows2} == {store.live_attempts()[outcome.video_id]} != {rows[0]["ingest_id"]}
    assert all(json.loads(r["settings"]) == other.settings() and r["n_tokens"] <= 4 for r in rows2)
    assert len(rows2) > len(rows)  # no stage 2: the still shot's clips stay apart
    assert S.hico_settings(store.dataset(name).schema) == other.settings()
    # The same settings again: nothing to redo.
    assert [o.status for o in ingest([folder], store, config(hico=other), progress=False).outcomes] == ["skipped"]


def test_hico_off_writes_no_clips(shots_video, tmp_path):
    folder, _ = shots_video
    store = Store(tmp_path / "db")
    ingest([folder], store, config(hico=HicoOptions(enabled=False)), progress=False)
    assert store.clips_tables() == [] and store.regions_tables() == ["regions_efficientnet_lite0"]


def test_siglip2_clip_tokens_answer_text_and_image_queries(shots_video, tiny_siglip2, tmp_path):
    folder, truth = shots_video
    store = Store(tmp_path / "db")
    ingest([folder], store, config("siglip2", siglip2_model=str(tiny_siglip2)), progress=False)
    (name,) = store.clips_tables()
    assert name.startswith("clips_siglip2")
    assert all(1 <= r["n_tokens"] <= 16 for r in live_rows(store, name))
    # A text-aligned space: text queries search the clip tokens too (as one more fused list).
    sources = {h.source for m in search(store, "a rocket on the launch pad") for h in m.hits}
    assert f"visual:{name}" in sources
    sources = {h.source for m in search(store, image=query_crop("rocket")) for h in m.hits}
    assert f"visual:{name}" in sources
