"""Check every citation of an answer against the window it names.

A citation ``[n]`` stands if window n was given to the model, the window bears on the question, and
its evidence supports the cited sentence: every number in the sentence appears in the window, and enough
of the sentence's words do (or the text embedder finds it close in meaning). Citations that fail are
dropped; an answer left with no supported citation is not shown as an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from videokb.agent.evidence import Window
from videokb.agent.plan import content_words, fold
from videokb.index.embedders import TextEmbedder

_MARK = re.compile(r"\s*\[(\d+)\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
NOT_FOUND = "not found in the archive"


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
    question: float = 0.3  # the window must bear on the question this much (cosine) or share a content word


def _numbers(text: str) -> set[str]:
    out = set()
    for n in _NUMBER.findall(text):
        n = n.replace(",", "")
        out.add(n.rstrip("0").rstrip(".") if "." in n else n)
    return out


def _sentences(answer: str) -> list[str]:
    return [s for s in _SENTENCE.split(answer.strip()) if s.strip()]


class Verifier:
    def __init__(self, embedder: TextEmbedder, thresholds: Thresholds | None = None) -> None:
        self.embedder = embedder
        self.t = thresholds or Thresholds()

    def _relevant(self, question: str, window: Window) -> bool:
        q = set(content_words(question))
        if q & set(content_words(window.evidence_text())):
            return True
        lines = [ln.text for ln in window.lines] or [""]
        vecs = self.embedder.embed_texts([question] + lines)
        return float((vecs[1:] @ vecs[0]).max()) >= self.t.question

    def supports(self, claim: str, window: Window) -> tuple[bool, str]:
        evidence = window.evidence_text()
        missing = _numbers(claim) - _numbers(evidence)
        if missing:
            return False, f"number(s) {', '.join(sorted(missing))} not in window {window.number}"
        words = [w.strip(".") for w in content_words(claim)]
        if not words:
            return False, "nothing to check"
        have = set(w.strip(".") for w in content_words(evidence))
        share = sum(w in have for w in words) / len(words)
        if share >= self.t.lexical:
            return True, f"{share:.0%} of its words are in window {window.number}"
        lines = [ln.text for ln in window.lines] or [""]
        vecs = self.embedder.embed_texts([claim] + lines)
        sim = float((vecs[1:] @ vecs[0]).max())
        if sim >= self.t.semantic:
            return True, f"close in meaning to window {window.number} ({sim:.2f})"
        return False, f"window {window.number} does not say this ({share:.0%} words, similarity {sim:.2f})"

    def check(self, question: str, answer: str, windows: list[Window]) -> tuple[str, list[Citation]]:
        """The answer without markers, and every citation (given or attributed) with its verdict."""
        by_number = {w.number: w for w in windows}
        citations: list[Citation] = []
        relevant: dict[int, bool] = {}
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
            return False, f"window {w.number} does not bear on the question"
        return self.supports(claim, w)

    def _attribute(self, question: str, claim: str, windows: list[Window],
                   relevant: dict[int, bool]) -> list[Citation]:
        """The first window (best first) that supports an unmarked claim. A short span answer that no window
        supports whole is cut back to its longest supported beginning ("March 12, 2014" -> "March 12" when
        the window says March 12 and no year): the part the model copied, without what it made up."""
        words = claim.split()
        short_span = len(words) <= 8 and not _SENTENCE.search(claim)
        cuts = range(len(words), 0, -1) if short_span else [len(words)]
        order = sorted(windows, key=lambda w: -w.score)
        for cut in cuts:
            part = " ".join(words[:cut]).rstrip(" ,;:")
            if not content_words(part):
                continue
            for w in order:
                ok, why = self._verdict(question, part, w, relevant)
                if ok:
                    if cut < len(words):
                        why += f"; dropped the unsupported rest {' '.join(words[cut:])!r}"
                    return [Citation(w.number, w, part, True, why, attributed=True)]
        return []
