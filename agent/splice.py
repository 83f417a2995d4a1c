"""Prompts made of text and projected visual tokens, as the LM's ``inputs_embeds``; training targets; decoding.

A prompt is a list of segments: text (tokenized and embedded by the LM's own embedding table) or a
``VisualSegment`` (stored vectors of one token kind, passed through the projector bank). The embeddings are
concatenated in order, so each window's visual tokens sit between its header (with its times, as text) and
its text lines. Nothing is decoded from the video here: the vectors come from the index.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from videokb.agent.plan import NO_SPACES

logger = logging.getLogger(__name__)

IGNORE = -100  # label of the positions the loss skips (the prompt)


@dataclass
class VisualSegment:
    kind: str  # a projector kind: "clip" | "region" | "frame"
    vectors: np.ndarray  # (n, in_dim)


Segment = str | VisualSegment


def _text_ids(tok: Any, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"]


def embed_segments(lm: Any, tok: Any, bank: Any, segments: list[Segment], target: str | None = None) -> tuple[Any, Any, int]:
    """(inputs_embeds (1, L, H), labels (1, L) or None, prompt length L0) for ``segments`` then ``target``.

    The prompt starts with the tokenizer's BOS token when it has one; the target ends with EOS, and only
    the target's positions carry labels.
    """
    import torch

    embed = lm.get_input_embeddings()
    device = embed.weight.device
    dtype = embed.weight.dtype
    parts: list[torch.Tensor] = []
    if tok.bos_token_id is not None:
        parts.append(embed(torch.tensor([tok.bos_token_id], device=device)))
    for seg in segments:
        if isinstance(seg, str):
            ids = _text_ids(tok, seg)
            if ids:
                parts.append(embed(torch.tensor(ids, device=device)))
        elif len(seg.vectors):
            vec = torch.as_tensor(np.asarray(seg.vectors, dtype=np.float32), device=device)
            parts.append(bank(seg.kind, vec).to(dtype))
    prompt = torch.cat(parts, 0)
    n_prompt = prompt.shape[0]
    if target is None:
        return prompt[None], None, n_prompt
    ids = _text_ids(tok, " " + target.strip()) + ([tok.eos_token_id] if tok.eos_token_id is not None else [])
    target_ids = torch.tensor(ids, device=device)
    embeds = torch.cat([prompt, embed(target_ids)], 0)[None]
    labels = torch.cat([torch.full((n_prompt,), IGNORE, device=device), target_ids])[None]
    return embeds, labels, n_prompt


def target_loss(lm: Any, tok: Any, bank: Any, segments: list[Segment], target: str) -> Any:
    """Mean cross-entropy of ``target``'s tokens given the prompt (the generative objective)."""
    import torch.nn.functional as F

    embeds, labels, n_prompt = embed_segments(lm, tok, bank, segments, target)
    n_target = embeds.shape[1] - n_prompt
    # Logits only where they predict a target token: the vocabulary projection is most of a small LM's cost
    # (Gemma-3-270M: 262k x 640), and the prompt's positions carry no label.
    logits = lm(inputs_embeds=embeds, logits_to_keep=n_target + 1).logits[0, :-1]
    return F.cross_entropy(logits.float(), labels[0, n_prompt:])


def batch_loss(lm: Any, tok: Any, bank: Any, batch: list[tuple[list[Segment], str]]) -> Any:
    """Mean cross-entropy over every target token of ``batch`` ((segments, target) pairs) in one padded
    forward pass: far fewer, larger matrix products than one pass per example on a CPU."""
    import torch
    import torch.nn.functional as F

    rows = [embed_segments(lm, tok, bank, segs, target) for segs, target in batch]
    width = max(e.shape[1] for e, _, _ in rows)
    dim = rows[0][0].shape[2]
    embeds = rows[0][0].new_zeros((len(rows), width, dim))
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long, device=embeds.device)
    mask = torch.zeros((len(rows), width), dtype=torch.long, device=embeds.device)
    for i, (e, lab, _) in enumerate(rows):  # right padding: every row's positions start at 0
        embeds[i, :e.shape[1]] = e[0]
        labels[i, :e.shape[1]] = lab[0]
        mask[i, :e.shape[1]] = 1
    base = lm.get_base_model() if hasattr(lm, "get_base_model") else lm  # LoRA layers live inside it
    hidden = base.model(inputs_embeds=embeds, attention_mask=mask).last_hidden_state
    keep = labels[:, 1:] != IGNORE  # position t predicts token t + 1
    logits = base.lm_head(hidden[:, :-1][keep]).float()
    cap = getattr(base.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return F.cross_entropy(logits, labels[:, 1:][keep])


# Copy decoding looks for the best token that keeps the answer a span among the model's top tokens only
# (as the gemma-270m answerer does on llama.cpp).
COPY_TOP_TOKENS = 40


def is_span(text: str, sources: list[str], anchored: tuple[str, ...] = ()) -> bool:
    """``text`` (stripped, case aside) is a span of one of ``sources`` (casefolded) that starts at a word, or
    the start of one of ``anchored`` (casefolded): "not found in the archive" from its start only, since "in
    the" is no answer."""
    needle = text.lstrip().casefold()
    if not needle or any(a.startswith(needle) for a in anchored):
        return True
    for source in sources:
        i = source.find(needle)
        while i >= 0:
            if starts_word(source, i):
                return True
            i = source.find(needle, i + 1)
    return False


def starts_word(source: str, i: int) -> bool:
    """A word (or a number) starts at ``source[i]``: after a space or punctuation, next to a character of a
    script written without spaces ("8" in "每杯8元"), or where digits meet letters."""
    if i == 0 or not source[i - 1].isalnum():
        return True
    prev, cur = source[i - 1], source[i]
    if cur.isdigit() and prev.isalpha() and i >= 2 and source[i - 2].isdigit():
        return False  # "9h00", "1h30": the minutes of a time are no number of their own
    return bool(NO_SPACES.match(prev) or NO_SPACES.match(cur)) or prev.isdigit() != cur.isdigit()


def can_end(text: str, sources: list[str]) -> bool:
    """Whether a copied span may end after ``text``: it is written, and not cut inside a word or number in every
    place of ``sources`` (casefolded) it copies ("to show the other" of "... to show the others where ...":
    Gemma ended there, and the check found no window that says it); a script written without spaces ends
    anywhere."""
    needle = text.strip().casefold()
    if not needle:
        return False
    for source in sources:
        i = source.find(needle)
        while i >= 0:
            j = i + len(needle)
            if starts_word(source, i) and (j >= len(source) or not source[j].isalnum() or NO_SPACES.match(source[j])
                                           or NO_SPACES.match(source[j - 1])):
                return True
            i = source.find(needle, i + 1)
    return not any(needle in source for source in sources)  # not a span of them (an anchored answer): as before


def whole_words(text: str, sources: list[str]) -> str:
    """``text`` with its last word completed as the first source that copies it goes on (case as the source
    writes it) where the copy stopped inside a word in every place (:func:`can_end`); else ``text``."""
    if can_end(text, [s.casefold() for s in sources]):
        return text
    needle = text.strip().casefold()
    for source in sources:
        folded = source.casefold()
        i = folded.find(needle)
        while i >= 0:
            if starts_word(folded, i):
                j = k = i + len(needle)
                while k < len(source) and source[k].isalnum() and not NO_SPACES.match(source[k]):
                    k += 1
                return text.rstrip() + source[j:k]
            i = folded.find(needle, i + 1)
    return text


# Any line break ends a copied span, as "\n" does: Gemma's tokenizer has pieces that are U+2028 alone.
_LINE_BREAK = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def copy_step(done: str, piece: str, sources: list[str], anchored: tuple[str, ...] = (),
              space_first: bool = True) -> str:
    """What copy decoding does with the candidate ``piece`` after the answer so far, ``done``: "take" it (the
    answer stays a span, :func:`is_span`), "end" the answer (a line break once something is written), or
    "skip" it. A piece that writes nothing, or whitespace after whitespace, is skipped: it keeps any answer a
    span, so taking it would loop on blanks. ``space_first=False`` skips a first piece that is only
    whitespace (see :func:`blank_start`)."""
    if _LINE_BREAK.search(piece):
        return "end" if can_end(done, sources) else "skip"
    if not piece or piece.isspace() and (done[-1:].isspace() or not done and not space_first):
        return "skip"
    return "take" if is_span(done + piece, sources, anchored) else "skip"


def blank_start(pieces: list[str]) -> bool:
    """Copy decoding took a first piece that was only whitespace and wrote nothing after it: decode again with
    ``space_first=False``. Gemma writes a lone space before a number's digits; where the evidence has none
    of the digits it wants, nothing copies after that space ("How do many birds navigate?" over the slide
    "Navigation" and its sentence came out blank, and the answer "not found")."""
    return bool(pieces) and pieces[0].isspace() and not "".join(pieces).strip()


def _copy_token(tok: Any, ids: list[int], logits: Any, sources: list[str],
                anchored: tuple[str, ...] = (), space_first: bool = True) -> int | None:
    """The most likely of the top COPY_TOP_TOKENS tokens that keeps the answer a span of ``sources``
    (:func:`copy_step`); None where the answer ends (the model prefers EOS or a line break once it has
    written something, or no candidate copies)."""
    import torch

    done = tok.decode(ids, skip_special_tokens=True)
    special = set(tok.all_special_ids)
    for token in torch.topk(logits, min(COPY_TOP_TOKENS, logits.shape[-1])).indices.tolist():
        if token == tok.eos_token_id:
            if can_end(done, sources):
                return None  # the model ends its span here
            continue
        if token in special:
            continue
        text = tok.decode(ids + [token], skip_special_tokens=True)
        piece = text[len(done):] if text.startswith(done) else tok.decode([token], skip_special_tokens=True)
        step = copy_step(done, piece, sources, anchored, space_first)
        if step == "end":
            return None
        if step == "take":
            return token
    return None


def greedy_stream(lm: Any, tok: Any, embeds: Any, max_new_tokens: int, stop: tuple[str, ...] = ("\n",),
                  sources: list[str] | None = None, anchored: tuple[str, ...] = ()) -> Iterator[str]:
    """Greedy continuation of ``embeds`` (1, L, H) in text pieces, up to EOS or a stop string (not yielded).

    With ``sources`` it copies: each step takes the most likely token that keeps the answer a span of one
    of them or the start of one of ``anchored`` (:func:`copy_step`), and the answer ends where none does; a
    copy that wrote only a first blank is made again without it (:func:`blank_start`)."""
    pieces = []
    for piece in _greedy(lm, tok, embeds, max_new_tokens, stop, sources, anchored):
        pieces.append(piece)
        yield piece
    if sources is not None and blank_start(pieces):
        yield from _greedy(lm, tok, embeds, max_new_tokens, stop, sources, anchored, space_first=False)


def _greedy(lm: Any, tok: Any, embeds: Any, max_new_tokens: int, stop: tuple[str, ...],
            sources: list[str] | None, anchored: tuple[str, ...], space_first: bool = True) -> Iterator[str]:
    import torch

    copy_from = [s.casefold() for s in sources if s.strip()] if sources else None
    anchored = tuple(a.casefold() for a in anchored)

    embed = lm.get_input_embeddings()
    base = lm.get_base_model() if hasattr(lm, "get_base_model") else lm  # under a peft wrapper
    # transformers 5.24 renamed past_key_values to cache (the old name warns, and goes in 5.40).
    cache_arg = "cache" if "cache" in inspect.signature(type(base).forward).parameters else "past_key_values"
    ids: list[int] = []
    emitted = ""
    past = None
    step_input = embeds
    with torch.no_grad():
        for _ in range(max_new_tokens):
            # Logits of the last position only: over the whole prompt, the vocabulary projection (Gemma-3-270M:
            # 262k x 640 per position) cost 5 s of a 5.4 s first token here.
            out = lm(inputs_embeds=step_input, use_cache=True, logits_to_keep=1, **{cache_arg: past})
            past = getattr(out, cache_arg)
            if copy_from is not None:
                chosen = _copy_token(tok, ids, out.logits[0, -1], copy_from, anchored, space_first)
                if chosen is None:
                    break
                nxt = chosen
            else:
                nxt = int(out.logits[0, -1].argmax())
            if nxt == tok.eos_token_id:
                break
            ids.append(nxt)
            text = tok.decode(ids, skip_special_tokens=True)
            cut = min((text.find(s) for s in stop if s in text), default=-1)
            if cut >= 0:
                if text[:cut].strip() and text[:cut] != emitted:
                    yield text[len(emitted):cut] if text[:cut].startswith(emitted) else text[:cut]
                return
            if text.startswith(emitted) and len(text) > len(emitted):
                piece, emitted = text[len(emitted):], text
                yield piece
            step_input = embed(torch.tensor([[nxt]], device=embeds.device))


def mmss(t: float) -> str:
    t = max(0, int(t))
    return f"{t // 60:02d}:{t % 60:02d}"


__all__ = ["COPY_TOP_TOKENS", "IGNORE", "Segment", "batch_loss", "VisualSegment", "blank_start", "copy_step",
           "embed_segments", "greedy_stream", "is_span", "mmss", "target_loss"]


@dataclass
class WindowInput:
    """One evidence window as the projector answerer reads it: header, clip tokens, region vectors, then text
    lines."""

    header: str  # '[1] "talk.mp4" 00:10-00:25'
    clips: list  # agent.visual_tokens.ClipTokens, in time order
    lines: list[str]  # "speech 00:11: ...", "screen 00:10: ..."; empty for a visual-only prompt
    regions: list = field(default_factory=list)  # agent.visual_tokens.RegionTokens, per keyframe in time order


INSTRUCTION = "Answer the question with a short phrase from the evidence windows."


def build_segments(question: str, windows: list[WindowInput]) -> list[Segment]:
    """The prompt: instruction, then per window its header, each clip's time as text followed by its
    projected tokens, each keyframe's time followed by its projected region vectors, and the window's text
    lines; then the question and ``Answer:``."""
    segs: list[Segment] = [f"{INSTRUCTION}\n\n"]
    for w in windows:
        segs.append(w.header + "\n")
        for c in w.clips:
            segs.append(f"clip {mmss(c.start_s)}-{mmss(c.end_s)}:")
            segs.append(VisualSegment("clip", c.vectors))
            segs.append("\n")
        for r in w.regions:
            segs.append(f"regions {mmss(r.t_s)}:")
            segs.append(VisualSegment("region", r.vectors))
            segs.append("\n")
        segs.extend(line + "\n" for line in w.lines)
        segs.append("\n")
    segs.append(f"Question: {' '.join(question.split())}\nAnswer:")
    return segs


__all__ += ["INSTRUCTION", "WindowInput", "build_segments"]
