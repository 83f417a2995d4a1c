"""Before / after a slide: find the slide the question names, then read what comes next (or before) it.

- **Finding the slide** (:func:`find_slide`): the on-screen lines a search finds for the named topic, each
  scored by how many of the topic's words it holds (singular or plural, and a word OCR misread by a letter or
  two: "Glacier" ~ "Glaclers") and then by how few other words it has, so "the slide titled Glaciers" is the
  slide "Glaciers", not "Melting glaciers". A slide named by a paraphrase ("the slide about how fast glaciers
  move") holds only some of those words on several slides; then each candidate's title and the speech said
  under it are compared in meaning with the topic. Speech is searched only when no slide holds a topic word.
- **What is said next** (:func:`paragraphs`, :func:`own_paragraph`): the speech joined into what is said in
  one go (split at a pause or a slide change; Whisper starts a segment a little before the slide it belongs
  to); the slide's own words are those begun on it, or the ones just before that say its whole title (a
  keyframe can miss a slide change on one background, so a slide's text may be read late); what is said
  after (before) is the next (previous) of these. A slide shown in silence has none of its own: what is
  said after it is what is said next. The answer is headed by the slide on screen as those words end.
- **What is shown next** (:func:`neighbours`): the video's timeline cut into the spans each slide is on
  screen and the gaps between them (a photo, a pause); the next (previous) span with text on screen. A
  narrower question ("what price is given after ...") is asked of the next span alone.
"""

from __future__ import annotations

import difflib
import logging

from videokb.agent.cite import NOT_FOUND, Citation, checked_answer
from videokb.agent.evidence import Window, mmss
from videokb.agent.plan import Plan, content_words, fold, singular
from videokb.agent.run import Outcome, Run
from videokb.retrieval import Hit, Moment

logger = logging.getLogger(__name__)

ANCHOR_K = 6  # moments searched for the slide named
SAME_SCREEN_GAP_S = 0.5  # keyframes this close with the same text are one slide on screen
SPILL_S = 1.0  # a segment this close before a slide change may be the new slide's (Whisper starts early)
PAUSE_S = 0.5  # a pause this long ends what is said in one go
MAX_STEPS = 3  # spans without text on screen stepped over to reach the slide shown next
OCR_MISREAD_RATIO = 0.8  # difflib ratio at which a word of 5+ letters is the same word misread

Span = tuple[float, float, frozenset[str]]  # (start, end, on-screen lines; empty for a gap)


def _stems(text: str) -> list[str]:
    return [singular(w.strip(".")) for w in content_words(text) if w.strip(".")]


def _same_word(a: str, b: str) -> bool:
    return a == b or (len(a) >= 5 and len(b) >= 5 and a[0] == b[0]
                      and difflib.SequenceMatcher(None, a, b).ratio() >= OCR_MISREAD_RATIO)


def topic_names(topic: str) -> list[str]:
    """The names in the topic as the question writes it: its capitalised words but a first one that opens a
    sentence-case title ("Mount Fuji": mount, fuji; "The Arctic tern": arctic; "Glacier speed": none)."""
    words = [w.strip(".,'\"“”") for w in topic.split()]
    out = []
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w[:1].isupper() and (i > 0 or nxt[:1].isupper()) and _stems(w):
            out.extend(_stems(w))
    return out


def names_held(topic: str, line: str) -> bool:
    """Whether ``line`` holds every name of the topic (a letter or two misread by OCR allowed): a slide
    "Mount Etna" shares a word with "Mount Fuji" but is not that slide."""
    have = set(_stems(line))
    return all(any(_same_word(n, h) for h in have) for n in topic_names(topic))


def title_match(topic: str, line: str) -> tuple[float, float]:
    """(share of the topic's words the line holds, share of the line's words that are the topic's)."""
    want, have = set(_stems(topic)), set(_stems(line))
    if not want or not have:
        return 0.0, 0.0
    held = {w for w in want if any(_same_word(w, h) for h in have)}
    own = {h for h in have if any(_same_word(w, h) for w in want)}
    return len(held) / len(want), len(own) / len(have)


def find_slide(run: Run, plan: Plan) -> Moment | None:
    """The moment of the slide (or words) the question points at, with its own time span (not its whole
    moment's: a moment may run into the next slide)."""
    if plan.slide_at:
        return slide_at(run, plan)
    topic = plan.after_topic or ""
    # The videos the question names first, then the whole archive: a word of the topic may name a video by
    # chance ("the slide about the bridge in San Francisco" names bridge_bakery.mp4, not bridges_talk.mp4).
    scopes = [plan.video_ids, None] if plan.video_ids else [None]
    for modalities, videos in [(m, v) for m in (("ocr",), ("ocr", "speech")) for v in scopes]:
        moments = run.tools.search(topic, videos=videos, k=ANCHOR_K, modalities=modalities)
        hits = [(title_match(topic, h.text or ""), h.fused, m, h)
                for m in moments for h in m.hits if h.modality in modalities]
        hits = [x for x in hits if x[0][0] > 0 and names_held(topic, x[3].text or "")]
        if not hits:
            continue
        hits.sort(key=lambda x: (x[0], x[1]), reverse=True)
        best = hits[0]
        if best[0][0] < 1.0 and modalities == ("ocr",) and run.verifier is not None:
            # Every slide of those videos competes: a slide named by what it is about may share no word
            # with its title ("the slide about the highest waterfall": "Angel Falls", said "... the highest
            # waterfall on Earth", beside the slide "Waterfalls").
            best = _closest_in_meaning(run, topic, hits + _slides(run, {x[2].video_id for x in hits})) or best
        _, _, m, h = best
        return Moment(m.video_id, h.start_s, h.end_s, m.score, [h], m.video_path)
    return None


def slide_at(run: Run, plan: Plan) -> Moment | None:
    """The first or last slide (``plan.slide_at``) of the one video the question names ("the last slide of
    the canals talk"): the first or last span of its timeline with text on screen. None where the question
    names no video, or several: their first slides are not one."""
    if not plan.video_ids or len(plan.video_ids) != 1:
        return None
    vid = plan.video_ids[0]
    info = run.tools.video(vid)
    shown = [(s, e, lines) for s, e, lines in _spans(run, vid, info.duration_s) if lines]
    if not shown:
        return None
    s, e, _ = shown[0] if plan.slide_at == "first" else shown[-1]
    _, rows = run.tools.sql("SELECT text FROM events WHERE video_id = ? AND kind = 'ocr' AND start_s >= ? AND "
                            "start_s < ? ORDER BY start_s, text", [vid, s, e])
    text = " | ".join(dict.fromkeys(t for (t,) in rows))
    run.tools._record("timeline", {"video": info.name}, f"the {plan.slide_at} slide: {text!r} at {mmss(s)}")
    return Moment(vid, s, e, 1.0, [Hit(vid, s, e, "ocr", "timeline", text, 1.0, 1.0)], info.video_path)


def _slides(run: Run, video_ids: set[str]) -> list[tuple]:
    """Every slide of the videos, as find_slide's candidates (no title words held)."""
    out = []
    for vid in sorted(video_ids):
        info = run.tools.video(vid)
        for s, e, lines in _spans(run, vid, info.duration_s):
            if lines:
                text = " | ".join(sorted(lines))
                hit = Hit(vid, s, e, "ocr", "timeline", text, 0.0, 0.0)
                out.append(((0.0, 0.0), 0.0, Moment(vid, s, e, 0.0, [hit], info.video_path), hit))
    return out


def _closest_in_meaning(run: Run, topic: str, hits: list) -> tuple | None:
    """Among slides holding only some of the topic's words, the one whose title and the speech under it are
    closest in meaning to the topic ("how fast glaciers move": "Glacier speed: ... slide forward about forty
    meters in a single day")."""
    seen, texts, keep = set(), [], []
    timelines: dict[str, tuple[list[Span], list]] = {}
    for x in hits:
        h, vid = x[3], x[2].video_id
        key = (vid, fold(h.text or ""))
        if key in seen:
            continue
        seen.add(key)
        if vid not in timelines:
            spans = _spans(run, vid, run.tools.video(vid).duration_s)
            timelines[vid] = spans, _paragraphs(run, vid, spans)
        spans, paras = timelines[vid]
        span = _span_at(spans, h.start_s + 0.01)
        t0, t1 = (span[0], span[1]) if span else (h.start_s, h.end_s)
        # The slide's own words (:func:`own_paragraph`): a keyframe may show the slide seconds after its words
        # began ("Angel Falls" read from 10 s, "Angel Falls in Venezuela drops ..." said from 5 s).
        own = own_paragraph(paras, t0, t1, h.text or "")
        texts.append(f"{h.text}: {paras[own][2] if own is not None else ''}")
        keep.append(x)
    if len(keep) < 2:
        return None
    sims = run.verifier.similarities(topic, texts)
    return keep[max(range(len(keep)), key=lambda i: sims[i])]


def _spans(run: Run, video_id: str, duration_s: float) -> list[Span]:
    """The video's timeline as the spans each slide is on screen and the gaps between them, in order.
    Slides that share a background are often one camera shot; their text is not."""
    _, rows = run.tools.sql(
        "SELECT start_s, max(end_s), list(text ORDER BY text) FROM events WHERE video_id = ? AND kind = 'ocr' "
        "GROUP BY start_s ORDER BY start_s", [video_id])
    return screen_spans(rows, duration_s)


def screen_spans(rows: list[tuple[float, float, list[str]]], duration_s: float) -> list[Span]:
    """:func:`_spans` from the OCR rows (start, end, the lines read there), in order of start."""
    screens: list[Span] = []
    for start, end, texts in rows:
        lines = frozenset(fold(t) for t in texts)
        if screens and screens[-1][2] == lines and start <= screens[-1][1] + SAME_SCREEN_GAP_S:
            screens[-1] = (screens[-1][0], max(screens[-1][1], end), lines)
        else:
            screens.append((start, end, lines))
    out: list[Span] = []
    at = 0.0
    for start, end, lines in screens:
        if start > at + SAME_SCREEN_GAP_S:
            out.append((at, start, frozenset()))
        out.append((max(start, at), end, lines))
        at = max(at, end)
    if duration_s > at + SAME_SCREEN_GAP_S:
        out.append((at, duration_s, frozenset()))
    return out


def _span_at(spans: list[Span], t: float) -> Span | None:
    return next((s for s in spans if s[0] <= t < s[1]), None)


def neighbours(run: Run, anchor: Moment, direction: str) -> list[tuple[float, float, bool]]:
    """The spans after (before) the anchor's, nearest first: (start, end, has on-screen text). By slides on
    screen, also when the anchor was found in the speech (a title OCR misread past matching: the slide
    shown as the topic is said); by camera shots in a video with no text on screen (one shot often holds
    several slides on one background, so shots come last)."""
    by_screen = anchor.hits and anchor.hits[0].modality == "ocr"
    # the frame its text was read from, or the middle of what was said (Whisper starts segments early)
    seen_at = anchor.start_s + 0.01 if by_screen else (anchor.start_s + anchor.end_s) / 2
    spans = [(s, e, bool(lines)) for s, e, lines in
             _spans(run, anchor.video_id, run.tools.video(anchor.video_id).duration_s)]
    if not any(shows for _, _, shows in spans):
        _, shots = run.tools.sql(
            "SELECT start_s, end_s FROM events WHERE kind = 'shot' AND video_id = ? ORDER BY start_s",
            [anchor.video_id])
        spans = [(s, e, False) for s, e in shots]
    at = next((i for i, (s, e, _) in enumerate(spans) if s <= seen_at < e), None)
    if at is None:
        return [(anchor.end_s, anchor.end_s + 15.0, False)] if direction == "after" else [
            (max(0.0, anchor.start_s - 15.0), anchor.start_s, False)]
    return spans[at + 1:] if direction == "after" else spans[:at][::-1]


def paragraphs(segments: list[tuple[float, float, str]], cuts: list[float]) -> list[tuple[float, float, str]]:
    """Speech segments joined into what is said in one go: a new one starts after a pause of ``PAUSE_S`` or
    at a slide change (a segment that starts up to ``SPILL_S`` before the change is the new slide's: Whisper
    starts segments early)."""
    out: list[tuple[float, float, str]] = []
    for s, e, text in segments:
        if out and s - out[-1][1] < PAUSE_S and not any(
                out[-1][1] <= c + SPILL_S and s >= c - SPILL_S for c in cuts):
            out[-1] = (out[-1][0], e, f"{out[-1][2]} {text}")
        else:
            out.append((s, e, text))
    return out


def own_paragraph(paras: list[tuple[float, float, str]], a0: float, a1: float, title: str) -> int | None:
    """Which of ``paras`` is said under the slide ``title`` on screen from a0 to a1; None for a slide shown in
    silence. The first begun on it, unless the one begun before runs into it and says the whole title: a
    keyframe can miss a slide change on one background (the text "Jupiter" read until 15.2 s, "Neptune" from
    then, while "Neptune has 16 known moons" is said from 11 s to 15.6 s). Words said later that repeat a
    short title ("Canals", then "A canal lock lifts a boat ...") are not the slide's."""
    on = [i for i, (s, _, _) in enumerate(paras) if a0 - SPILL_S <= s < a1 - SPILL_S]
    earlier = [i for i, (s, _, _) in enumerate(paras) if s < a0 - SPILL_S]
    if earlier:
        i = earlier[-1]
        if paras[i][1] > a0 and title_match(title, paras[i][2])[0] >= 1.0 and not (
                on and title_match(title, paras[on[0]][2])[0] >= 1.0):
            return i
    return on[0] if on else None


def _paragraphs(run: Run, video_id: str, spans: list[Span]) -> list[tuple[float, float, str]]:
    """What is said in the video, in one go each (:func:`paragraphs`), cut at its slide changes ``spans``."""
    _, segments = run.tools.sql("SELECT start_s, end_s, text FROM segments WHERE video_id = ? AND text IS NOT "
                                "NULL ORDER BY start_s", [video_id])
    return paragraphs([tuple(r) for r in segments], [s for s, _, _ in spans if s > 0])


def _said_next(run: Run, anchor: Moment, direction: str) -> tuple[float, float] | None:
    """The time of what is said right after (before) the slide or words of ``anchor``, in one go."""
    duration = run.tools.video(anchor.video_id).duration_s
    spans = _spans(run, anchor.video_id, duration)
    paras = _paragraphs(run, anchor.video_id, spans)
    if anchor.hits and anchor.hits[0].modality == "ocr":
        span = _span_at(spans, anchor.start_s + 0.01) or (anchor.start_s, anchor.end_s, frozenset())
        a0, a1 = span[0], span[1]
        own = own_paragraph(paras, a0, a1, anchor.hits[0].text or "")
    else:
        mid = (anchor.start_s + anchor.end_s) / 2
        own = next((i for i, (s, e, _) in enumerate(paras) if s <= mid < e), None)
        a0 = a1 = mid
    if own is not None:
        j = own + 1 if direction == "after" else own - 1
    elif direction == "after":
        j = next((i for i, (s, _, _) in enumerate(paras) if s >= a0 - SPILL_S), len(paras))
    else:
        j = max((i for i, (s, _, _) in enumerate(paras) if s < a0 - SPILL_S), default=-1)
    return (paras[j][0], paras[j][1]) if 0 <= j < len(paras) else None


def _heading(window: Window, anchor_title: str) -> str | None:
    """The slide on screen as the words end (a keyframe may show a new slide late): it spells what speech
    recognition may garble ("Krubera Cave" on the slide, "Croober a cave in Georgia ..." in the speech).
    Not the slide named itself."""
    shown = [ln for ln in window.lines if ln.kind == "screen" and ln.t_s <= window.end_s]
    if not shown or fold(shown[-1].text) == fold(anchor_title):
        return None
    return shown[-1].text


def adjacent(run: Run, plan: Plan) -> Outcome:
    direction = plan.direction or "after"
    anchor = find_slide(run, plan)
    if anchor is None:
        return Outcome(NOT_FOUND, False, [], [])
    if direction == "on":
        return _on_slide(run, plan, anchor)
    spans = neighbours(run, anchor, direction)[:MAX_STEPS]
    name = run.tools.video(anchor.video_id).name
    if not spans:
        # The slide was found and its video holds nothing after (before) it: that is the answer; a lookup
        # would read what is said on the slide itself and give it as what follows.
        run.tools._record("timeline", {"video": name}, f"nothing {direction} {mmss(anchor.start_s)}")
        return Outcome(NOT_FOUND, False, [], [], final=True)
    if plan.reads == "shown":
        for t0, t1, shows_text in spans:
            if shows_text:
                window = run.tools.read(anchor.video_id, t0, t1, score=anchor.score)
                screen = [ln.text for ln in window.lines if ln.kind == "screen" and ln.began_s is None]
                if screen:
                    return _cited(run, window, " | ".join(screen), direction)
        return Outcome(NOT_FOUND, False, [], [])
    if plan.what_next:
        said_at = _said_next(run, anchor, direction)
        if said_at is None:
            run.tools._record("timeline", {"video": name}, f"nothing said {direction} {mmss(anchor.start_s)}")
            return Outcome(NOT_FOUND, False, [], [], final=True)
        window = run.tools.read(anchor.video_id, *said_at, score=anchor.score)
        said = " ".join(ln.text for ln in window.lines if ln.kind == "speech").strip()
        title = _heading(window, anchor.hits[0].text or "" if anchor.hits else "")
        if title and fold(title) not in fold(said):
            said = f"{title}: {said}"
        return _cited(run, window, said, direction)
    t0, t1, _ = spans[0]
    window = run.tools.read(anchor.video_id, t0, t1, score=anchor.score)
    window.number = 1
    if not window.lines:
        return Outcome(NOT_FOUND, False, [], [window])
    draft = run.generate(plan.value_question or plan.question, [window])
    _, citations = run.verifier.check(plan.value_question or plan.question, draft, [window])
    answer, found, dropped = checked_answer(draft, citations)
    return Outcome(answer, found, citations, [window], draft, dropped)


def _on_slide(run: Run, plan: Plan, anchor: Moment) -> Outcome:
    """The slide itself: its text ("what is shown on the last slide?"), or what is said while it is shown,
    in one go (:func:`own_paragraph`)."""
    if plan.reads == "shown":
        window = run.tools.read(anchor.video_id, anchor.start_s, anchor.end_s, score=anchor.score)
        screen = [ln.text for ln in window.lines if ln.kind == "screen" and ln.began_s is None]
        return _cited(run, window, " | ".join(screen), "on") if screen else Outcome(NOT_FOUND, False, [], [])
    duration = run.tools.video(anchor.video_id).duration_s
    paras = _paragraphs(run, anchor.video_id, _spans(run, anchor.video_id, duration))
    own = own_paragraph(paras, anchor.start_s, anchor.end_s, anchor.hits[0].text or "")
    if own is None:
        run.tools._record("timeline", {"video": run.tools.video(anchor.video_id).name},
                          f"nothing said on the slide at {mmss(anchor.start_s)}")
        return Outcome(NOT_FOUND, False, [], [])
    window = run.tools.read(anchor.video_id, paras[own][0], paras[own][1], score=anchor.score)
    said = " ".join(ln.text for ln in window.lines if ln.kind == "speech").strip()
    return _cited(run, window, said, "on")


def _cited(run: Run, window: Window, said: str, direction: str) -> Outcome:
    window.number = 1
    ok, why = run.verifier.supports(said, window)
    cite = Citation(1, window, said, ok, f"the window {direction} the anchor; {why}")
    answer, found, dropped = checked_answer(said + " [1]", [cite])
    return Outcome(answer, found, [cite], [window], said, dropped)


def adjacent_window(run: Run, plan: Plan) -> Window | None:
    """The window a before/after question reads first (for :func:`videokb.agent.ask.retrieve`)."""
    anchor = find_slide(run, plan)
    if anchor is not None and plan.direction == "on":
        window = run.tools.read(anchor.video_id, anchor.start_s, anchor.end_s)
        window.number = 1
        return window
    spans = neighbours(run, anchor, plan.direction or "after") if anchor else []
    if not spans:
        return None
    window = run.tools.read(anchor.video_id, spans[0][0], spans[0][1])
    window.number = 1
    return window


__all__ = ["adjacent", "adjacent_window", "find_slide", "neighbours", "screen_spans", "title_match"]
