"""Run the plan that fits the question's shape, with the archive tools and the answering model.

- lookup: search (and the question's rare words word for word, :mod:`agent.lexical`), widen to windows, the
  model answers, every citation checked (not found when none holds).
- compare / superlative: map then reduce in code. One search and one short extraction per candidate video
  (the small model copies the value's span from that video's windows only), each value checked against its
  window; then Python sorts the values. Never one generation over mixed windows.
- count: one search per candidate video and a check that its best window states the topic; Python counts,
  and each counted video is cited.
- before / after: find the slide or part named, then read the shot that follows (or precedes) it with
  ``timeline``/``read``; "what is said after X" is answered with that window's own words.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace

from videokb.agent.adjacent import adjacent
from videokb.agent.cite import NOT_FOUND, Citation, as_digits, checked_answer, shown_reading
from videokb.agent.cite import names as question_names
from videokb.agent.evidence import Window, in_another_script
from videokb.agent.focus import (focused, in_place_clause, on_target, place_focused, place_phrases, repeats_question,
                                 term, terms, typed_focus)
from videokb.agent.kinds import asked, asks_where, time_phrases
from videokb.agent.lexical import rare_moments
from videokb.agent.phrases import doer_phrases, object_phrases, subject_phrases
from videokb.agent.plan import Plan, content_words, fold, plural
from videokb.agent.run import Outcome, Run
from videokb.agent.tools import ArchiveTools
from videokb.retrieval import Moment

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 8  # videos a compare or count reads, best first
# A number from another language's window, in no clause sharing the question's words, stands only when the
# question names that video (the swimming pool does not open at the Berlin bakery's 7). Measured in the
# README (ask quality): what it costs cross-language questions and what it saves not-in-archive ones.
FOREIGN_NUMBER_NEEDS_NAME = True
_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\b", re.I)
_VALUE = re.compile(r"-?\d+(?:\.\d+)?")
_AMOUNT_TEXT = re.compile(r"[$€£¥]?\s?\d[\d,]*(?:\.\d+)?")


def _edge_ranges(plan: Plan, tools: ArchiveTools, edge_s: float) -> dict[str, tuple[float, float]] | None:
    if plan.when is None:
        return None
    out = {}
    for v in tools._all_videos().values():
        span = max(edge_s, v.duration_s / 4)
        out[v.video_id] = (0.0, min(v.duration_s, span)) if plan.when == "start" else (
            max(0.0, v.duration_s - span), v.duration_s)
    return out


def _moments(run: Run, plan: Plan, queries: list[str], k: int | None = None) -> list[Moment]:
    """Moments for ``queries`` over the whole archive; those of a video the question names come first."""
    found: list[Moment] = []
    for q in queries:
        found.extend(run.tools.search(q, k=k))
    found.sort(key=lambda m: -m.score)
    if plan.video_ids:
        named = [m for q in queries[:1] for m in run.tools.search(q, videos=plan.video_ids, k=k)]
        # A named video the search finds nothing in (its words in another language, say) is read from its
        # start: the user pointed at it.
        for vid in plan.video_ids:
            if not any(m.video_id == vid for m in named):
                info = run.tools.video(vid)
                named.append(Moment(vid, 0.0, min(info.duration_s, 20.0), 0.0, [], info.video_path))
        found = sorted(named, key=lambda m: -m.score) + [m for m in found if m.video_id not in plan.video_ids]
    return found


# "In which country is X?": the noun after "which" names the kind of answer, not what the question is about
# (a clause about "six countries of central Africa" does not speak of Angel Falls).
_ANSWER_KIND = re.compile(r"^\W*(?:(?:in|off|on|at|from|near|to|into) )?(?:which|what) (?P<kind>country|countries|city|"
                          r"cities|state|states|town|region|province|continent|place|part|year|month|day|date|time)\b",
                          re.I)


def _keywords(run: Run, question: str) -> set[str]:
    """The question's content words, as it writes them, that are not just the name of a video ("at River
    Cafe") nor the kind of answer asked for ("in which country"); words are told apart by their
    :func:`agent.focus.term`."""
    names = set().union(*(terms(v.name.rsplit(".", 1)[0].replace("_", " ")) for v in run.tools._all_videos().values()))
    return {w for w in _question_words(question) if term(w) not in names | answer_kind(question) | terms("cost price")}


def answer_kind(question: str) -> set[str]:
    """The terms of the noun that names the kind of answer ("in which country": country), if any."""
    return terms(m.group("kind")) if (m := _ANSWER_KIND.match(question)) else set()


def _question_words(question: str) -> set[str]:
    return {w.strip(".") for w in content_words(question) if w.strip(".")}


def lookup_windows(run: Run, plan: Plan) -> list[Window]:
    """The evidence windows of a lookup: the searches' moments (a named video's first), and the moments that
    hold a rare question word the windows lack (agent.lexical)."""
    moments, ranges = _moments(run, plan, plan.queries), _edge_ranges(plan, run.tools, run.edge_s)
    windows = run.windows(moments, ranges)
    # A question word that few moments hold and the windows lack ("argon", in a lecture whose parts all
    # say "the discovery of ... was reported"): the moments that hold it word for word are read first.
    if rare := rare_moments(run.tools, _keywords(run, plan.question), " ".join(w.text() for w in windows)):
        # The video the question names stays first: a common verb of the question ("make") held by a few
        # moments of other videos must not push it out of the windows.
        ordered = rare + moments
        ordered = [m for m in ordered if m.video_id in (plan.video_ids or ())] + \
            [m for m in ordered if m.video_id not in (plan.video_ids or ())]
        windows = run.windows(ordered, ranges)
    return windows


def lookup(run: Run, plan: Plan) -> Outcome:
    windows = lookup_windows(run, plan)
    if not windows:
        return Outcome(NOT_FOUND, False, [], [])
    named = set(plan.video_ids or [])
    own = [w for w in windows if w.video_id in named]
    if own and len(own) < len(windows):
        # The videos the question names are read first, on their own: a small model copies a look-alike
        # value from another video's window ("$3.30" from a cafe for the Berlin bakery's apple cake). They
        # never decide alone: when they do not answer, every window is read.
        out = _answer(run, plan, own, named)
        if out.found:
            return out
        run.tools._record("check", {"videos": sorted(run.tools.video(v).name for v in named)},
                          "the named video(s) do not answer; reading every window")
    return _answer(run, plan, windows, named)


def _answer(run: Run, plan: Plan, windows: list[Window], named: set[str]) -> Outcome:
    """The model answers from ``windows``; every citation checked; asked again on the clauses that share the
    question's words when its span is unsupported or off target."""
    foreign = {w.video_id for w in windows if not _english(run, w)}
    windows = typed_focus(windows, plan.question, foreign, run.verifier.similarities) if foreign else windows
    given = windows
    draft = run.generate(plan.question, windows, stream=True)
    _, citations = run.verifier.check(plan.question, draft, windows, named)
    keywords = _keywords(run, plan.question)
    where = asks_where(plan.question)

    measure = asked(plan.question)
    q_words = _question_words(plan.question)

    def aimed(c: Citation, windows: list[Window]) -> bool:
        # A measure or a count needs a number ("how wide is the Gulf Stream?" is not answered by its name);
        # "where" asks for a place that is not just the question's words, from the clause that speaks of
        # the question most (agent.kinds).
        if measure is not None and measure.number and not re.search(r"\d", as_digits(c.sentence)):
            return False
        if where and _english(run, c.window) and not in_place_clause(c.sentence, windows, keywords, q_words):
            return False
        if repeats_question(c.sentence, q_words, c.window.heard if c.window else None):
            return False
        # The question's names the clause must hold (not those of a video it names: "at Maple Bakery").
        return on_target(c.sentence, windows, keywords, {n for n in question_names(plan.question) if term(n) in {term(k) for k in keywords}},
                         context=given)

    def doer(span: str) -> Outcome | None:
        # "What rules a colony of honeybees?" / "What covered most of northern Europe?" / "What does a boring
        # machine grind through?": the evidence names the doer in the passive ("... colony ruled by a single
        # queen") or before the verb ("sheets of ice covered most of northern Europe"), or the object after it
        # ("grinds through granite"), and the model copied nothing that holds, or the question's own words
        # ("ice", "a boring machine"); that phrase is the answer, checked like any span.
        # Word order is read in English sentences only; another language's window beside them (a German
        # bookshop ranked 4th for "boring machine") is left out of the reading, not a reason to read nothing.
        if not (english := [w for w in given if _english(run, w)]):
            return None
        for voice, phrases in (("passive", doer_phrases(plan.question, english)),
                               ("active", subject_phrases(plan.question, english)),
                               ("object", object_phrases(plan.question, english))):
            for phrase in phrases:
                _, cites = run.verifier.check(plan.question, phrase, given, named)
                if any(c.supported and aimed(c, given) for c in cites):
                    run.tools._record("check", {"span": span}, f"the {'object' if voice == 'object' else 'doer'} said"
                                      f"{'' if voice == 'object' else ' in the ' + voice}: {phrase!r}")
                    answer, found, dropped = checked_answer(phrase, cites)
                    return Outcome(answer, found, cites, given, phrase, dropped)
        return None

    good = [c for c in citations if c.supported]
    off_target = good and c_attributed_only(citations) and not any(aimed(c, windows) for c in good)
    if (off_target or not good) and (said_otherwise := run.verifier.synonyms(keywords, windows)):
        # A question word no window holds may be said otherwise there ("completed": "it was finished in
        # 1810"): the windows' words that say the same count as the question's (looked up only when the
        # answer does not stand without them: each word is embedded once).
        keywords |= said_otherwise
        off_target = good and c_attributed_only(citations) and not any(aimed(c, windows) for c in good)
    if off_target or not good:
        # A span that is no number is read again from the sentences that speak of the question most only;
        # a "where" question from the clauses holding a place that speak of it most.
        span = good[0].sentence if good else draft
        narrowed = place_focused(windows, keywords, q_words) if where and all(_english(run, w) for w in windows) else \
            focused(windows, keywords, sentences=not re.search(r"\d", as_digits(span)))
        if off_target and not narrowed and all(_english(run, c.window) or (
                FOREIGN_NUMBER_NEEDS_NAME and c.window.video_id not in named) for c in good):
            # "How much does a bagel cost at Harbor Cafe?": a price, but no clause of any window speaks of
            # a bagel. Another language's lines cannot share the question's words: there the question
            # must name the video ("at the Berlin bakery") for its number to stand.
            run.tools._record("check", {"span": good[0].sentence, "words": sorted(keywords)},
                              "no clause of the windows holds a word of the question: not found")
            return Outcome(NOT_FOUND, False, [], windows, draft, len(good))
        if narrowed and [w.evidence_text() for w in narrowed] != [w.evidence_text() for w in windows]:
            run.tools._record("check", {"span": good[0].sentence if good else draft},
                              ("not in a clause that shares a word with the question" if good else "unsupported")
                              + "; asking again on the clauses that share the question's words")
            draft = run.generate(plan.question, narrowed)
            _, citations = run.verifier.check(plan.question, draft, narrowed, named)
            windows = narrowed
            again = [c for c in citations if c.supported]
            if again and c_attributed_only(citations) and not any(aimed(c, windows) for c in again):
                # The small model copies the question's own words ("the Golden Gate Bridge" from "The Golden
                # Gate Bridge in San Francisco is ..."; "office move" from "The office move to the new building
                # starts in June"): the one place phrase of the clauses that answer "where", or the one time
                # phrase of those that speak of a "when" question, is the answer, checked like any span.
                when = measure is not None and "date" in measure.measures and not measure.number
                kind, phrases = ("place", place_phrases(windows, keywords, q_words)) if where else (
                    "time", list(dict.fromkeys(t for w in windows if _english(run, w) for ln in w.lines
                                               for t in time_phrases(ln.text)))) if when else ("", [])
                if len(phrases) == 1:
                    _, cites = run.verifier.check(plan.question, phrases[0], windows, named)
                    if any(c.supported and aimed(c, windows) for c in cites):
                        run.tools._record("check", {"span": again[0].sentence},
                                          f"the question's own words; the {kind} said there: {phrases[0]!r}")
                        answer, found, dropped = checked_answer(phrases[0], cites)
                        return Outcome(answer, found, cites, windows, phrases[0], dropped)
                if out := doer(again[0].sentence):
                    return out
                run.tools._record("check", {"span": again[0].sentence}, "off the question again: not found")
                return Outcome(NOT_FOUND, False, [], windows, draft, len(again))
    if not any(c.supported for c in citations) and (out := doer(draft)):
        return out
    draft, citations = _shown_instead(run, plan, draft, citations, windows, keywords, named)
    answer, found, dropped = checked_answer(draft, citations)
    return Outcome(answer, found, citations, windows, draft, dropped)


def _shown_instead(run: Run, plan: Plan, draft: str, citations: list[Citation], windows: list[Window],
                   keywords: set[str], named: set[str]) -> tuple[str, list[Citation]]:
    """The answer with the slide's number where its window's speech said it otherwise (agent.cite.shown_reading),
    checked again; unchanged where nothing disagrees."""
    for c in citations:
        if c.supported and c.window is not None and (shown := shown_reading(c.sentence, c.window, keywords)):
            said = _AMOUNT_TEXT.search(c.sentence)
            span = c.sentence.replace(said.group(0), shown, 1) if said else shown
            run.tools._record("check", {"span": c.sentence, "shown": shown},
                              f"the speech says {said.group(0) if said else c.sentence!r}, the slide shown with it "
                              f"{shown!r}: the slide's reading is the answer")
            redraft = draft.replace(c.sentence, span, 1) if c.sentence in draft else f"{span} [{c.number}]"
            _, again = run.verifier.check(plan.question, redraft, windows, named)
            if any(x.supported for x in again):
                return redraft, again
    return draft, citations


def _english(run: Run, window: Window) -> bool:
    if in_another_script(window):
        return False
    return (window.language or run.tools.video(window.video_id).evidence_language or "en") == "en"


def c_attributed_only(citations: list[Citation]) -> bool:
    """The model gave a bare span (Gemma does): the span check applies. Sentences with their own markers
    are checked as sentences."""
    return all(c.attributed for c in citations)


# -- map then reduce -----------------------------------------------------------------------------------
def _members(run: Run, plan: Plan) -> list[str] | None:
    """The videos of the group the question asks about ("the meetings"): those whose name or words say the
    group's noun, when at least two do; None (every video) otherwise. The name alone never decides: a video
    whose speech or screen says "meeting" belongs too."""
    if not plan.group:
        return None
    word = fold(plan.group)
    # The whole word (and its plural), in the file name as in the words: "cafeteria" is not a cafe.
    whole = rf"\b{re.escape(word)}(s|es)?\b"
    by_name = {v.video_id for v in run.tools._all_videos().values()
               if re.search(whole, fold(v.name).replace("_", " "))}
    _, rows = run.tools.sql(
        "SELECT DISTINCT video_id FROM events WHERE kind IN ('speech', 'ocr') "
        "AND regexp_matches(strip_accents(lower(text)), ?)", [whole])
    members = by_name | {r[0] for r in rows}
    return sorted(members) if len(members) >= 2 else None


def _value(span: str) -> float | None:
    text = as_digits(span, threshold=0)
    if t := _TIME.search(text):
        hours = int(t.group(1)) % 12 + (12 if t.group(3).lower() == "p" else 0)
        return hours * 60 + int(t.group(2) or 0)
    if n := _VALUE.search(text.replace(",", "")):
        return float(n.group())
    return None


def _candidates(run: Run, plan: Plan, query: str) -> list[str]:
    members = _members(run, plan)
    ranked = run.tools.search(query, videos=members, k=4 * MAX_CANDIDATES)
    return list(dict.fromkeys(m.video_id for m in ranked))[:MAX_CANDIDATES]


def _renumber(citations: list[Citation]) -> list[Window]:
    windows: list[Window] = []
    for c in citations:
        if c.window not in windows:
            windows.append(c.window)
        c.window.number = c.number = windows.index(c.window) + 1
    return windows


def shown_values(windows: list[Window]) -> list[Window]:
    """Copies of the windows with only their screen lines that hold a number; empty when none does."""
    out = []
    for w in windows:
        lines = [ln for ln in w.lines if ln.kind == "screen" and re.search(r"\d", ln.text)]
        if lines:
            out.append(replace(w, lines=lines, keyframes=list(w.keyframes)))
    return out


def compare(run: Run, plan: Plan) -> Outcome:
    if plan.group and _members(run, plan) is None:
        # "Which bird has the longest migration?": fewer than two videos are about birds, so the superlative
        # is a fact inside one video; the lookup plan answers it.
        run.tools._record("compare", {"group": plan.group}, f"fewer than two videos hold {plan.group!r}")
        return Outcome(NOT_FOUND, False, [], [])
    values: list[tuple[float, Citation]] = []
    keywords = _keywords(run, plan.value_question)
    for video_id in _candidates(run, plan, plan.topic or plan.question):
        windows = run.windows(run.tools.search(plan.value_question, videos=[video_id], k=3))
        # The small model reads one value best from the clauses that name the thing compared; a video with
        # none (a menu without muffins) has no value to give, and another item's price must not stand in.
        narrowed = focused(windows, keywords)
        if not narrowed and keywords and all(_english(run, w) for w in windows):
            run.tools._record("extract", {"video": run.tools.video(video_id).name},
                              f"no clause names {', '.join(sorted(keywords))}")
            continue
        # Where the thing's slide gives its value, the value is read from the slide alone: OCR reads a
        # rendered slide exactly, Whisper garbles spoken numbers (slide "Rose $9.70", speech "a rose cost
        # $1.70"), and a wrong value here changes the winner.
        windows = (shown_values(narrowed) if narrowed else []) or narrowed or windows
        if not windows:
            continue
        draft = run.generate(plan.value_question, windows)
        _, cites = run.verifier.check(plan.value_question, draft, windows)
        good = [c for c in cites if c.supported]
        value = _value(good[0].sentence) if good else None
        run.tools._record("extract", {"video": run.tools.video(video_id).name},
                          f"{good[0].sentence!r} = {value}" if good and value is not None else "no checked value")
        if value is not None:
            values.append((value, good[0]))
    if len(values) < 2:  # nothing to compare: a superlative inside one video ("which bird flies farthest?")
        run.tools._record("compare", {}, f"{len(values)} checked value(s): nothing to compare")
        return Outcome(NOT_FOUND, False, [], [])
    values.sort(key=lambda x: x[0], reverse=plan.direction == "max")
    citations = [c for _, c in values]
    windows = _renumber(citations)
    best = citations[0]
    others = "; ".join(f"{run.tools.video(c.window.video_id).name}: {c.sentence} [{c.number}]" for c in citations[1:])
    answer = f"{run.tools.video(best.window.video_id).name}: {best.sentence} [{best.number}]." + (
        f" The others: {others}." if others else "")
    return Outcome(answer, True, citations, windows, draft=answer)


def count(run: Run, plan: Plan) -> Outcome:
    members = _members(run, plan)
    videos = members or [v.video_id for v in run.tools.videos()]
    topic = " ".join(w for w in plan.topic.split() if fold(w) not in ("the", "a", "an", "any", "some"))
    counted: list[Citation] = []
    for video_id in videos:
        moments = run.tools.search(topic, videos=[video_id], k=2)
        if not moments:
            continue
        windows = run.windows(moments[:2])
        verdicts = [(w, *run.verifier.mentions(topic, w)) for w in windows]
        hit = next(((w, why) for w, ok, why in verdicts if ok), None)
        run.tools._record("check", {"video": run.tools.video(video_id).name, "topic": topic},
                          hit[1] if hit else verdicts[0][2] if verdicts else "no window")
        if hit:
            counted.append(Citation(0, hit[0], topic, True, hit[1]))
    windows = _renumber(counted)
    group = plural(plan.group) if plan.group else "videos"
    names = ", ".join(f"{run.tools.video(c.window.video_id).name} [{c.number}]" for c in counted)
    answer = f"{len(counted)} of the {len(videos)} {group} mention {topic}" + (f": {names}." if names else ".")
    return Outcome(answer, True, counted, windows, draft=answer)


PLANS: dict[str, Callable[[Run, Plan], Outcome]] = {
    "lookup": lookup, "compare": compare, "count": count, "adjacent": adjacent}


def run_plan(run: Run, plan: Plan) -> Outcome:
    out = PLANS[plan.shape](run, plan)
    if plan.shape in ("compare", "adjacent") and not out.found and not out.final:
        logger.info("the %s plan found nothing; answering as a lookup", plan.shape)
        run.tools._record("plan", {"shape": "lookup"}, f"the {plan.shape} plan found nothing")
        out = lookup(run, plan)
    return out


__all__ = ["Outcome", "PLANS", "Run", "run_plan"]
