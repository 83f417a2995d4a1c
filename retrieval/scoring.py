"""Score moments from the similarities of their hits, not from their ranks in many lists.

Every hit, whichever list found it (a vector search or the full-text index), carries its cosine similarity
with the query in the index's text space. A moment's score starts from the best of those (plus a per-list
offset: classifier labels are weaker evidence), so the moment holding the single best-matching sentence or
slide leads, as in ranking each stored segment alone; agreement across lists cannot lift a weak match over a
strong one. Bonuses, with weights fitted on a train split (:mod:`index.search_config`), then add:

- ``bm25``: the best full-text (BM25) score inside the moment, over the best of its list, so rare words
  (a name, a number) count;
- ``phrase``: the share of the query's adjacent word pairs found adjacent in the moment's text (proximity);
- ``second``: how far the moment's best hit of a second list family (its slide beside its sentence) stands
  above that family's median, so two kinds of evidence agreeing on one moment count, but a family that
  merely matched adds nothing;
- ``family``: among look-alike moments of different videos (the same sentence but its numbers), the video
  whose words hold more of the query leads (:func:`reorder_families`); nothing outside the family moves;
- ``video``: the share of the query's words found anywhere in the moment's video (its title slide, its other
  sentences), each word weighted by how few candidate videos hold it, so "marketing team budget" prefers
  the budget sentence of the video whose title says marketing over the same sentence in the sales meeting;
- ``lex``: not a bonus but an order within each video (:func:`reorder_within_videos`): a video's moment
  scores go to its moments in the order of score + ``w_lex`` x the IDF-weighted share of the query's words a
  moment's texts hold together (a number the query spells out is one word, English function words none), so
  in a lecture the one sentence that says the query's rare word ("concrete") leads, not one of fifteen
  look-alike slide titles that all say "lighthouse"; the video's standing against other videos is unchanged;
- ``local``: also an order within each video: how far a moment's best hit stands above the median of its
  own video's hits of the same list family (:func:`local_deviation`), so in a lecture whose fifteen slide titles
  all say the query's topic word, the one sentence that stands out among the lecture's sentences leads;
- ``plain``: also an order within each video: a moment's best raw cosine (:func:`plain_similarity`), the plain
  recipe's own order, so calibration, which lifts a video's slides above its sentences when slides stand out
  among the library's slides, cannot bury the sentence the embedder ranks first among the video's rows;
- ``rerank``: for the top moments, the cosine of the query with the moment's whole text as one passage, so
  the model reads the query and the moment together. The passage vector is the normalised sum of the stored
  vectors of the moment's hits (no encoding at search time); a caller whose hits carry no vectors passes
  ``embed_passages`` and the moment's text is encoded instead.

Speech hits whose text is a Whisper decoding loop ("2-4-4-4-...", zlib compression ratio above
``max_compression``) are dropped first: they sit near any query and say nothing. Then each list family's
similarities are calibrated for the query (:func:`calibrate`: shifted by
their median, deviations stretched by their spread), and a speech hit can lose a little for being a Whisper
fragment (``w_fragment``) or for Whisper's doubt about it (``w_asr``: how far its mean token probability falls
below the median of the query's speech hits, so confidence differences among clearly heard sentences, which
say nothing about relevance, do not reorder them). Before all this, the searcher corrects some hits' similarities
(:mod:`retrieval.corrections`): speech hits that sit near any query at all (``w_hub``), speech whose transcript
and translation disagree (``w_agree``), label rows by their best sure label (``w_label_names``).

A moment's bounds are the spans of the hits that match about as well as its best one, not a window that
weaker neighbours widen.
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from videokb.index.search_config import SearchSettings
from videokb.retrieval.lexical import lexical, moment_lex, phrase_score, tokens, video_coverage
from videokb.retrieval.moments import Hit, Moment

# A hit within this much cosine of a moment's best hit is evidence of the same moment and sets its bounds.
EVIDENCE_MARGIN = 0.01
# Visual lists whose rows live in the text space (classifier labels embedded as text); other visual lists
# (regions, clips) are in an image space.
TEXT_SPACE_VISUAL = ("visual:label_vector", "visual:fts")


# The plain recipe's top hits (settings.plain_slots) are kept within this many results: recall@5 is the bar.
PLAIN_GUARD_RANK = 5

# A video needs this many vector hits of a list family for its own median there (retrieval.scoring.local_deviation)
LOCAL_MIN = 8

# A speech hit this short, in characters and in words, is a Whisper fragment ("day.", "Okay."), not a sentence.
FRAGMENT_CHARS = 12
FRAGMENT_WORDS = 3


def is_fragment(hit: Hit) -> bool:
    text = (hit.text or "").strip()
    return hit.modality == "speech" and len(text) < FRAGMENT_CHARS and len(tokens(text)) < FRAGMENT_WORDS


def compression_ratio(text: str) -> float:
    """Whisper's measure of a decoding loop: the text's length in bytes over its zlib-compressed length."""
    raw = text.encode()
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


def is_loop(hit: Hit, max_ratio: float) -> bool:
    """A speech hit whose text repeats itself beyond ``max_ratio`` ("2-4-4-4-4-..."): Whisper stuck in a loop on
    speech it could not read; its similarity to a query says nothing of what was said."""
    return hit.modality == "speech" and compression_ratio(hit.text or "") > max_ratio


def dense(hit: Hit, settings: SearchSettings) -> float:
    sim, median = hit.extra["similarity"], hit.extra.get("median", 0.0)
    # (sim - median) * stretch + median - baseline: with stretch 1 (no scaling), sim - baseline
    value = (sim - median) * hit.extra.get("stretch", 1.0) + median - hit.extra.get("baseline", 0.0)
    if settings.w_fragment and is_fragment(hit):
        value -= settings.w_fragment
    if settings.w_asr and hit.extra.get("avg_logprob") is not None:
        # doubt beyond the typical confidence of this query's speech hits (asr_median, set by score_moments)
        sure = math.exp(min(0.0, hit.extra["avg_logprob"]))
        value -= settings.w_asr * max(0.0, hit.extra.get("asr_median", 1.0) - sure)
    return value + settings.offsets.get(hit.source, 0.0)


def _space(hit: Hit) -> str:
    """The list family whose similarities share a scale: a modality's vector and full-text lists hold the
    same rows (one cosine each); labels, regions and clips are each their own."""
    if hit.modality in ("speech", "ocr"):
        return hit.modality
    return "labels" if hit.source in TEXT_SPACE_VISUAL else hit.source


def calibrate(hits: list[Hit], weight: float, scale: float = 0.0) -> None:
    """Shift each list family's similarities by ``weight`` x the median similarity of its vector list for this
    query (stored on each hit as ``baseline``, the median itself as ``median``): an embedder puts a query at a
    different typical cosine from sentences, slide words and label lists (multilingual-e5: ~0.78, ~0.76,
    ~0.75), so a label that stands out among labels can beat a sentence that is merely typical among
    sentences. ``scale`` > 0 also stretches each family's deviations from its median by (mean spread / its
    spread) ** scale (``stretch``; spread: the standard deviation of its vector list), since families differ in
    spread as well (short slide texts sit closer together than sentences)."""
    by_space: dict[str, list[float]] = defaultdict(list)
    for h in hits:
        if not h.source.endswith(":fts"):
            by_space[_space(h)].append(h.extra["similarity"])
    medians = {k: float(np.median(v)) for k, v in by_space.items()}
    spreads = {k: float(np.std(v)) for k, v in by_space.items() if len(v) >= 3 and np.std(v) > 1e-6}
    mean_spread = float(np.mean(list(spreads.values()))) if spreads else 0.0
    for h in hits:
        space = _space(h)
        h.extra["baseline"] = weight * medians.get(space, 0.0)
        h.extra["median"] = medians.get(space, 0.0)
        if scale and space in spreads:
            h.extra["stretch"] = (mean_spread / spreads[space]) ** scale


def local_deviation(hits: list[Hit], settings: SearchSettings) -> None:
    """Set each vector hit's ``local``: how far its similarity stands above the median of its own video's hits
    of its list family, stretched like its family (``stretch``), where the video has LOCAL_MIN such hits; else
    how far it stands above its family's median for the query (``median``)."""
    sims: dict[tuple[str, str], list[float]] = defaultdict(list)
    for h in hits:
        if not h.source.endswith(":fts"):
            sims[(h.video_id, _space(h))].append(h.extra["similarity"])
    medians = {k: float(np.median(v)) for k, v in sims.items() if len(v) >= LOCAL_MIN}
    for h in hits:
        median = medians.get((h.video_id, _space(h)), h.extra.get("median", 0.0))
        h.extra["local"] = (h.extra["similarity"] - median) * h.extra.get("stretch", 1.0)


def plain_similarity(m: Moment) -> float | None:
    """The moment's best raw cosine among its text-space hits (what the plain recipe ranks by, before any
    calibration); None for a moment of image-space hits only."""
    sims = [h.extra["similarity"] for h in m.hits if _space(h) in ("speech", "ocr", "labels")]
    return max(sims) if sims else None


# Two moments of different videos are look-alikes when the word sets of their best texts, numbers left out,
# share this much (Jaccard): "The team budget for this quarter is $40,000." / "... is 5000 dollars." 0.88;
# "the hazel nut latte costs $4" / "the honey cortado cost $4 and baby cents" 0.36.
FAMILY_JACCARD = 0.7
# Look-alikes are looked for among this many best moments, as many as are reranked (pairs are compared one by
# one: ~2 ms for 81 moments here, so a search at 1M segments, with a moment for most of its 100+ hits, would pay
# ~10 ms for all of them; ~0.3 ms for 20).
FAMILY_TOP = 20


def _family_words(m: Moment) -> frozenset[str] | None:
    text = next((h.text for h in m.hits if h.text and _space(h) in ("speech", "ocr")), None)
    if text is None:
        return None
    return frozenset(w for w in tokens(text) if not any(c.isdigit() for c in w)) or None


def families(moments: list[Moment]) -> list[list[Moment]]:
    """Groups of look-alike moments of different videos (:data:`FAMILY_JACCARD`), each in the given order;
    a moment is grouped with every moment it looks like, and with theirs."""
    words = [_family_words(m) for m in moments]
    parent = list(range(len(moments)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(words):
        if a is None:
            continue
        for j in range(i):
            b = words[j]
            if (b is not None and moments[i].video_id != moments[j].video_id
                    and len(a & b) >= FAMILY_JACCARD * len(a | b)):
                parent[root(i)] = root(j)
    groups: dict[int, list[Moment]] = defaultdict(list)
    for i, m in enumerate(moments):
        groups[root(i)].append(m)
    return [g for g in groups.values() if len({m.video_id for m in g}) > 1]


def reorder_families(moments: list[Moment], query: str, hits: list[Hit], weight: float,
                     coverage: dict[str, float] | None = None) -> None:
    """Hand each look-alike family's scores out again in the order of score + ``weight`` x the coverage of
    the moment's video (:func:`video_coverage` of ``query`` over ``hits``, made when a family is found): the
    set of scores, and so everyone's place against the family, is unchanged. Families are looked for among
    the FAMILY_TOP best moments."""
    for group in families(sorted(moments, key=lambda m: -m.score)[:FAMILY_TOP]):
        coverage = coverage if coverage is not None else video_coverage(query, hits)
        scores = sorted((m.score for m in group), reverse=True)
        # the family's texts differ only in a few words (a number, a name): those the query holds count too
        key = {id(m): m.score + weight * (coverage.get(m.video_id, 0.0) + moment_lex(m)) for m in group}
        for m, value in zip(sorted(group, key=lambda m: -key[id(m)]), scores):
            m.score = value


def reorder_within_videos(moments: list[Moment], weight: float, w_local: float = 0.0, w_plain: float = 0.0) -> None:
    """Within each video, hand the video's moment scores out again in the order of score + ``weight`` x the
    moment's ``lex`` (:func:`moment_lex`; + ``w_local`` x its best ``local``, + ``w_plain`` x its best raw
    cosine): which moment of a video leads is decided with the query's rare words too, while the video's
    standing against other videos (the set of its scores) is unchanged, so a word match never lifts one video
    over another (an English sentence that says "coffee" over the photo of an espresso)."""
    by_video: dict[str, list[Moment]] = defaultdict(list)
    for m in moments:
        by_video[m.video_id].append(m)
    for ms in by_video.values():
        if len(ms) < 2:
            continue
        scores = sorted((m.score for m in ms), reverse=True)
        lex = {id(m): moment_lex(m) for m in ms}
        local = {id(m): max((h.extra.get("local", 0.0) for h in m.hits), default=0.0) for m in ms}
        plain = {id(m): plain_similarity(m) for m in ms} if w_plain else {}
        # a moment of image vectors only has no cosine of the text space: it counts as the video's weakest
        floor = min((v for v in plain.values() if v is not None), default=0.0)
        key = {id(m): m.score + weight * lex[id(m)] + w_local * local[id(m)]
               + w_plain * (floor if plain.get(id(m)) is None else plain[id(m)]) for m in ms}
        for m, value in zip(sorted(ms, key=lambda m: -key[id(m)]), scores):
            m.score = value


def moment_text(m: Moment) -> str:
    seen: list[str] = []
    for h in m.hits:
        for text in (h.text, h.extra.get("text_en")):
            if text and text not in seen:
                seen.append(text)
    return " ".join(seen)


def second_evidence(m: Moment, settings: SearchSettings) -> float:
    """How far the moment's best hit of another list family than its best hit's stands above that family's
    median similarity for the query (0 when none does): the slide and the sentence of one moment agreeing."""
    best = max(m.hits, key=lambda h: dense(h, settings))
    others = [h.extra["similarity"] - h.extra.get("median", 0.0) for h in m.hits
              if _space(h) != _space(best) and not is_fragment(h) and "median" in h.extra]
    return max(0.0, max(others, default=0.0))


def moment_vector(m: Moment, single_only: bool = False) -> np.ndarray | None:
    """The normalised sum of the distinct text-space vectors the moment's hits carry (their stored row vectors
    and, for translated speech, the translation's); None when a text hit carries none or no hit is text.
    ``single_only``: only for a moment of one text, whose stored vector is exactly that text's passage vector
    (None otherwise)."""
    vecs: dict[tuple, np.ndarray] = {}
    for h in m.hits:
        for key, name in (("text", "vector"), ("text_en", "vector_en")):
            text = h.text if key == "text" else h.extra.get("text_en")
            if not text or (h.modality == "visual" and h.source not in TEXT_SPACE_VISUAL):
                continue
            if h.extra.get(name) is None:
                return None
            vecs.setdefault((h.modality, h.start_s, text), np.asarray(h.extra[name], dtype=np.float32))
    if not vecs or (single_only and {text for _, _, text in vecs} != {moment_text(m)}):
        return None
    v = np.sum(list(vecs.values()), axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _joins(hit: Hit, m: Moment, min_overlap: float, max_len_s: float) -> bool:
    overlap = min(m.end_s, hit.end_s) - max(m.start_s, hit.start_s)
    shorter = min(m.end_s - m.start_s, hit.end_s - hit.start_s)
    return m.video_id == hit.video_id and overlap > 0 and overlap >= min_overlap * shorter \
        and max(m.end_s, hit.end_s) - min(m.start_s, hit.start_s) <= max_len_s


def group(hits: list[Hit], settings: SearchSettings, max_len_s: float) -> list[Moment]:
    """Hits of a video that overlap in time form a moment (best hit first; a moment is never stretched past
    ``max_len_s``; with ``settings.min_overlap`` the overlap must cover that share of the shorter span)."""
    moments: list[Moment] = []
    # A hit joins only a moment of its own video: looking among those alone (in the order they were made) finds
    # the same home as scanning every moment, without a scan of all moments per hit (hits x moments: 5,000
    # calls of _joins per search at 1M segments, where most of the 100 hits are moments of their own).
    of_video: dict[str, list[Moment]] = defaultdict(list)
    for hit in sorted(hits, key=lambda h: -dense(h, settings)):
        home = next((m for m in of_video[hit.video_id] if _joins(hit, m, settings.min_overlap, max_len_s)), None)
        if home is None:
            moments.append(Moment(hit.video_id, hit.start_s, hit.end_s, 0.0, [hit]))
            of_video[hit.video_id].append(moments[-1])
        else:
            home.hits.append(hit)
            home.start_s, home.end_s = min(home.start_s, hit.start_s), max(home.end_s, hit.end_s)
    return moments


def score_moments(query: str, hits: list[Hit], settings: SearchSettings, max_len_s: float,
                  embed_passages: Callable[[list[str]], np.ndarray] | None, query_vector: np.ndarray | None,
                  rerank_encode: bool = False) -> list[Moment]:
    """Moments for the hits, best first, each with ``score`` and ``extra``-style features on its hits."""
    if settings.max_compression:
        hits = [h for h in hits if not is_loop(h, settings.max_compression)]
    if settings.w_calibrate or settings.w_scale or settings.w_second:
        calibrate(hits, settings.w_calibrate, settings.w_scale)
    if settings.w_lex:
        lexical(query, hits)
    if settings.w_asr:
        confidence = [math.exp(min(0.0, h.extra["avg_logprob"])) for h in hits
                      if h.modality == "speech" and h.extra.get("avg_logprob") is not None]
        median = float(np.median(confidence)) if confidence else 1.0
        for h in hits:
            h.extra["asr_median"] = median
    best_fts: dict[str, float] = {}
    for h in hits:
        if h.source.endswith(":fts"):
            best_fts[h.source] = max(best_fts.get(h.source, 0.0), h.raw_score)
    moments = group(hits, settings, max_len_s)
    coverage = video_coverage(query, hits) if settings.w_video else None
    for m in moments:
        top = max(dense(h, settings) for h in m.hits)
        evidence = [h for h in m.hits if dense(h, settings) >= top - EVIDENCE_MARGIN]
        m.start_s, m.end_s = min(h.start_s for h in evidence), max(h.end_s for h in evidence)
        m.score = top
        # each bonus computed only where it weighs (the phrase share tokenises the moment's whole text)
        if settings.w_bm25:
            m.score += settings.w_bm25 * max((h.raw_score / best_fts[h.source] for h in m.hits
                                              if h.source in best_fts), default=0.0)
        if settings.w_phrase:
            m.score += settings.w_phrase * phrase_score(query, moment_text(m))
        if settings.w_video:
            m.score += settings.w_video * coverage.get(m.video_id, 0.0)
        if settings.w_second:
            m.score += settings.w_second * second_evidence(m, settings)
        for h in m.hits:
            h.fused = dense(h, settings)
        m.hits.sort(key=lambda h: -h.fused)
    if settings.w_lex or settings.w_local or settings.w_plain:
        if settings.w_local:
            local_deviation(hits, settings)
        reorder_within_videos(moments, settings.w_lex, settings.w_local, settings.w_plain)
    if settings.w_family:
        reorder_families(moments, query, hits, settings.w_family, coverage)
    moments.sort(key=lambda m: -m.score)
    if settings.w_rerank and query_vector is not None and moments:
        head, tail = moments[: settings.rerank_top], moments[settings.rerank_top:]
        # Encoding reads a moment's texts together; a moment of one text needs no encoding either way.
        vecs = [moment_vector(m, single_only=rerank_encode) for m in head]
        todo = [i for i, v in enumerate(vecs) if v is None]  # image-only moments, hits read without vectors
        if todo:
            if embed_passages is None:
                raise ValueError("rerank needs the hits' stored vectors or a passage encoder")
            for i, v in zip(todo, embed_passages([moment_text(head[i]) for i in todo])):
                vecs[i] = v
        sims = np.stack(vecs) @ query_vector
        for m, s in zip(head, sims):
            m.score += settings.w_rerank * float(s)
        head.sort(key=lambda m: -m.score)
        moments = head + tail
    if settings.label_slots:
        moments = cap_label_only(moments, settings.label_slots)
    if settings.plain_slots:
        moments = keep_plain(moments, hits, settings)
    return moments


def is_label_only(m: Moment) -> bool:
    """A moment whose every hit is a classifier label list's (no sentence, no on-screen text, no image vector)."""
    return all(h.source in TEXT_SPACE_VISUAL for h in m.hits)


def cap_label_only(moments: list[Moment], slots: int) -> list[Moment]:
    """Moments reordered so that at most ``slots`` label-only moments are among the first PLAIN_GUARD_RANK: the
    first ``slots`` keep their places, further ones move to just after those PLAIN_GUARD_RANK places, in their
    order; every other moment keeps fusion's order. ImageNet label lists sit near any query, so a photo album's
    photos otherwise fill the places of the sentence or slide that says what was asked."""
    head: list[Moment] = []
    moved: list[Moment] = []
    rest = iter(moments)
    for m in rest:
        if is_label_only(m) and sum(map(is_label_only, head)) >= slots:
            moved.append(m)
        else:
            head.append(m)
        if len(head) == PLAIN_GUARD_RANK:
            break
    return head + moved + list(rest)


def plain_top(hits: list[Hit], n: int) -> list[Hit]:
    """The plain recipe's first ``n`` hits: speech segments and OCR spans (each row once, whichever list found
    it) ranked alone by their cosine with the query."""
    out: list[Hit] = []
    seen: set[tuple] = set()
    for h in sorted((h for h in hits if h.modality in ("speech", "ocr")), key=lambda h: -h.extra["similarity"]):
        key = (h.video_id, h.modality, h.start_s, h.end_s, h.text)
        if key not in seen:
            seen.add(key)
            out.append(h)
            if len(out) == n:
                break
    return out


def keep_plain(moments: list[Moment], hits: list[Hit], settings: SearchSettings) -> list[Moment]:
    """Moments reordered so that each of the plain recipe's top ``settings.plain_slots`` hits is shown within
    the first PLAIN_GUARD_RANK: fusion's order is kept while places remain, the last places go to the plain
    hits' moments fusion ranked lower. A plain hit whose moment's bounds (set by a stronger hit) leave it out
    is shown as a moment of its own, so the place it takes holds it."""
    where = {id(h): m for m in moments for h in m.hits}
    need: list[Moment] = []
    for h in plain_top(hits, settings.plain_slots):
        key = (h.video_id, h.modality, h.start_s, h.end_s, h.text)
        # the row as grouped: a full-text hit of the same row may be the one a moment holds
        twin = next((x for x in hits if id(x) in where and (x.video_id, x.modality, x.start_s, x.end_s, x.text) == key
                     and h.start_s < where[id(x)].end_s and h.end_s > where[id(x)].start_s), None)
        home = where[id(twin)] if twin is not None else None
        if home is None:
            h.fused = dense(h, settings)
            home = Moment(h.video_id, h.start_s, h.end_s, h.fused, [h])
        if all(home is not m for m in need):
            need.append(home)
    head: list[Moment] = []
    fused = iter(moments)
    while len(head) < PLAIN_GUARD_RANK:
        missing = [m for m in need if all(m is not x for x in head)]
        if not missing:
            break
        if PLAIN_GUARD_RANK - len(head) <= len(missing):
            head.append(missing[0])
            continue
        m = next(fused, None)
        if m is None:
            head += missing
            break
        if all(m is not x for x in head):
            head.append(m)
    return head + [m for m in moments if all(m is not x for x in head)]
