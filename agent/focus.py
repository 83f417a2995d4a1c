"""Which clauses of the evidence speak of the question: the small model reads those again, and a number it
copies must sit in the one that speaks of the question most (each question word weighted by how few
clauses hold it)."""

from __future__ import annotations

import re
from dataclasses import replace

from videokb.agent.cite import as_digits, normalize_money
from videokb.agent.evidence import Line, Window
from videokb.agent.heard import respelled, spelled_out
from videokb.agent.kinds import asked, dimension_word, holds_place, refuses
from videokb.agent.plan import content_words, fold, word_stem

# Clause breaks: ";", "|", a comma that is not inside a number ("3,300"), "and", "but", a sentence end.
_CLAUSE = re.compile(r"\s*(?:[;|]|,(?!\d)|\band\b|\bwhile\b|\bbut\b|(?<=[.!?])\s)\s*", re.I)


def has_number(text: str) -> bool:
    """Digits, or a number said in words ("Eight planets orbit the sun")."""
    return bool(re.search(r"\d", text) or re.search(r"\d", as_digits(text)))


def term(word: str) -> str:
    """A word as relevance matches it: a word naming a dimension as that dimension ("deep", "depth": "depth"),
    so "to what depth do whales dive?" meets "... about 2,000 meters deep"; any other word as its English
    stem (:func:`agent.plan.word_stem`: "which opened in 1937" speaks of "when did the bridge open?",
    "birds" of "bird")."""
    return dimension_word(word) or word_stem(word)


def terms(text: str) -> set[str]:
    """The :func:`term` of each content word of ``text``."""
    return {term(w.strip(".")) for w in content_words(text) if w.strip(".")}


def _terms_of(words: set[str]) -> set[str]:
    """The :func:`term` of each word as the question writes it."""
    return {term(w) for w in words}


# Words of a place phrase that name no place ("near the coast": "coast" does)
_PLACE_FILLERS = frozenset(terms("near outside along"))


def clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(normalize_money(text)) if c and c.strip()]


_SENTENCE_END = re.compile(r"[.!?。！？]\W*$")


SLIDE_AFTER_SPEECH_S = 1.0  # as agent.heard.TITLE_SHOWN_EARLY_S: a segment may begin this much before its slide


def joined(window: Window) -> list[Line]:
    """The window's lines with a speech line that stops mid-sentence joined to the speech line that goes on
    (Whisper cuts "The discovery of iodine was reported" | "in the year 1850." into two segments), unless a
    new slide came up between them and the next opens with a capital: Whisper may drop the full stop at a
    slide change ("... break away from the land" | "Madagascar lies east of Africa ..."), while a sentence
    said across one goes on in lower case ("... The first printed map of Greece appeared" | "in the year
    1,627."). A slide that comes up within SLIDE_AFTER_SPEECH_S after a segment begins counts as come up
    before it."""
    out: list[Line] = []
    last_speech = None
    new_slide = False
    shown: set[str] = set()
    lines = window.lines
    for at, ln in enumerate(lines):
        if ln.kind == "screen":
            new_slide = new_slide or (last_speech is not None and ln.text not in shown)
            shown.add(ln.text)
        if ln.kind == "speech" and last_speech is not None and ln.text[:1].isupper() and any(
                x.kind == "screen" and x.text not in shown and ln.began() <= x.began() <= ln.began() + SLIDE_AFTER_SPEECH_S
                for x in lines[at + 1:]):
            # Whisper may begin the segment said under a new slide up to a second before the slide shows ("...
            # in every season" | "Mount Kilimanjaro ... rises about 5,890 meters" | slide "Mount Kilimanjaro")
            new_slide = True
        if ln.kind == "speech" and new_slide and ln.text[:1].isupper():
            last_speech = None
        if ln.kind == "speech":
            new_slide = False
        if ln.kind == "speech" and last_speech is not None and not _SENTENCE_END.search(out[last_speech].text):
            out[last_speech] = replace(out[last_speech], text=f"{out[last_speech].text} {ln.text}")
            continue
        out.append(ln)
        if ln.kind == "speech":
            last_speech = len(out) - 1
    return out


def sentences(windows: list[Window]) -> list[str]:
    """Every sentence of the windows' lines (a screen line's items apart)."""
    return [x for w in windows for ln in joined(w) for item in ln.text.split(" | ")
            for x in re.split(r"(?<=[.!?])\s+", normalize_money(item)) if x.strip()]


def _parts(windows: list[Window]) -> list[str]:
    """Every clause of the windows' lines (a screen line's items apart)."""
    return [c for w in windows for ln in joined(w) for c in clauses(ln.text)]


def _clausesentences(windows: list[Window]) -> list[tuple[str, str]]:
    """Every clause of the windows' lines (as _parts) with the sentence it belongs to."""
    return [(c, sentence) for w in windows for ln in joined(w) for item in ln.text.split(" | ")
            for sentence in re.split(r"(?<=[.!?])\s+", normalize_money(item)) if sentence.strip()
            for c in clauses(sentence)]


class _Relevance:
    """How much a clause speaks of the question: the question's words it holds, each weighted by how few of
    the windows' clauses hold it (1/df). In a lecture where every part says "the discovery of ... was
    reported in the year ...", the clause that names argon outweighs those that share only the frame."""

    def __init__(self, windows: list[Window], keywords: set[str]) -> None:
        keywords = _terms_of(keywords)
        self.titles = _titles(windows)
        self.heard = _heard(windows)
        parts = _parts(windows)
        df = {k: sum(k in self._all_words(p) for p in parts) for k in keywords}
        self.weights = {k: 1.0 / n for k, n in df.items() if n}
        # The rarest question word any clause holds ("diphtheria") tells the lecture's parts apart: a clause
        # holding it outranks one holding more of the frame's words ("The vaccine against smallpox was first
        # tested in the year ..." beside Whisper's "The Maxine against Diffuria ..." and the slide
        # "Diphtheria vaccine: 1873").
        self.top = {k for k, w in self.weights.items() if w == max(self.weights.values())}
        scored = [(self.rank(p), p) for p in parts if has_number(p)]
        self.best_rank = max((x for x, _ in scored), default=(False, 0.0))  # the best clause that holds a number
        self.best_number = self.best_rank[1]
        # The slide on screen as that clause is said, when it holds the clause's rarest question words
        # ("smallpox", not the lecture's frame "vaccine ... tested in the year"), speaks of the same thing
        # with fewer of the frame's words: the slide "Smallpox vaccine: 1781" beside the speech "The vaccine
        # against smallpox was first tested in the year 1,7801", as Whisper wrote it.
        best = next((p for x, p in scored if x == self.best_rank and x[1] > 0), None)
        held = {k: self.weights[k] for k in self._all_words(best) if k in self.weights} if best else {}
        rarest = {k for k, w in held.items() if w == max(held.values())} if held else set()
        self.companions = {c for w in windows for lines in [joined(w)] for ln in lines
                           if ln.kind == "speech" and best in clauses(ln.text)
                           for s in _title_lines(lines, ln) for c in clauses(s.text)
                           if rarest <= self._all_words(c)} if best else set()
        self.best_sentence = max((self.score(x) for x in sentences(windows)), default=0.0)

    def _all_words(self, text: str) -> set[str]:
        return terms(text) | self.titles.get(text, set()) | self.heard.get(text, set())

    def score(self, text: str) -> float:
        return sum(self.weights.get(k, 0.0) for k in self._all_words(text))

    def rank(self, text: str) -> tuple[bool, float]:
        """(holds the rarest question word, score)."""
        return bool(self.top & self._all_words(text)), self.score(text)

    def keeps(self, part: str) -> bool:
        """A part worth reading again: it shares a word with the question, and no clause with a number
        outranks it (when one holds a number), or it is on the slide shown as that clause is said and holds
        that clause's rarest question words."""
        top, score = self.rank(part)
        at_best = top > self.best_rank[0] or top == self.best_rank[0] and score >= self.best_number - 1e-9
        return score > 0 and (at_best or part in self.companions)


def _title_lines(lines: list[Line], speech: Line) -> list[Line]:
    """The screen lines shown last before (or as) ``speech`` is said, and still shown as it begins: the slide
    it is said under. Times are when each began, not when the window starts showing it: a sentence begun
    under the previous slide and cut by the window's start is not said under the slide that follows it a
    second later. A slide gone before the speech begins is not its title: a photo's sentence ("This photo
    shows the moon rising behind the sharp ridge on Bear Rock") is not about the slide before the photo
    ("Mount Kilimanjaro")."""
    said = speech.began()
    before = [s for s in lines if s.kind == "screen" and s.began() <= said + 1.0 and s.shown_at(said)]
    last = max((s.began() for s in before), default=0.0)
    return [s for s in before if s.began() >= last - 0.5]


def _titles(windows: list[Window]) -> dict[str, set[str]]:
    """Each speech clause and sentence -> the words of the slide title on screen while it is said (the screen
    items without a number shown last before it): the title names what is said under it, and speech
    recognition may garble that name ("Lake Baikal" on the slide, "Lake Michael in Siberia is about 1600
    meters deep" in the speech). A slide item with a number ("Espresso $3.30") is no title: it would lend
    one price's item to the clause of another."""
    out: dict[str, set[str]] = {}
    for w in windows:
        lines = joined(w)
        for ln in lines:
            if ln.kind != "speech":
                continue
            title = {x for s in _title_lines(lines, ln) for item in s.text.split(" | ")
                     if not has_number(item) for x in terms(item)}
            if not title:
                continue
            for part in clauses(ln.text) + [x for x in re.split(r"(?<=[.!?])\s+", normalize_money(ln.text))
                                            if x.strip()]:
                out.setdefault(part, set()).update(title)
    return out

def _heard(windows: list[Window]) -> dict[str, set[str]]:
    """Each clause and sentence that says a name its video's speech misheard -> the words of the slide's
    spelling (agent.heard): "Robert Stevenson designed the male rock lighthouse" names the Bell Rock where
    the video's slide "The Bell Rock" was heard "male rock"."""
    out: dict[str, set[str]] = {}
    for w in windows:
        if not w.heard:
            continue
        for ln in joined(w):
            for item in ln.text.split(" | "):
                for sentence in re.split(r"(?<=[.!?])\s+", normalize_money(item)):
                    for part in [sentence, *clauses(sentence)]:
                        if extra := terms(spelled_out(part, w.heard)) - terms(part):
                            out.setdefault(part, set()).update(extra)
    return out


def on_target(span: str, windows: list[Window], keywords: set[str], names: set[str] = frozenset(),
              context: list[Window] | None = None) -> bool:
    """Whether a number the span holds sits in a clause that speaks of the question most (_Relevance): a small
    model often copies the price next to the one asked about ("an espresso costs $3.30, and a croissant
    $2.50"), or the year of the part before. Where a clause (with the slide it is said under) holds every one
    of the question's ``names``, the number's clause must too: "how long is the Amazon?" is not answered by
    the Nile's length, though "long" is the rarer word (``context``: the windows first given, of which
    ``windows`` may be the clauses read again). A span without a number is on target (the window
    bears on the question: the check saw to that; its subject may sit on another line: screen "The Arctic
    tern", speech "... the longest migration of any bird"); where a sentence holds every one of the
    question's names, its sentence must too: "who wrote about Angel Falls?" is not answered by "Samuel Clemens
    wrote about Niagara Falls", though "wrote" is the rarer word."""
    if not keywords:
        return True
    relevance = _Relevance(windows, keywords)
    named = _terms_of(names)
    parts = _parts(windows)
    among = _Relevance(context, keywords) if context is not None else relevance
    names_held = bool(named) and any(named <= among._all_words(p)
                                     for p in _parts(context if context is not None else windows))
    if names_held:
        # The clause's sentence may name it ("Madagascar lies east of Africa and is about 1,600 km long").
        parts = [p for p, sentence in _clausesentences(windows)
                 if named <= relevance._all_words(p) | relevance._all_words(sentence)]
    needle = fold(normalize_money(span)).strip(" .")
    if not re.search(r"\d", as_digits(span)):
        # A span without a number must sit in a sentence that speaks of the question as much as any does
        # ("how do birds navigate?": not "by the length of the day", from the sentence about keeping time),
        # or in a line that shares no word with it beside such a sentence: the subject named on the slide
        # (screen "The Arctic tern", speech "... flies from pole to pole, the longest migration of any bird").
        best = relevance.best_sentence - 1e-9
        if not needle:
            return True
        if best < 0:
            return False  # no sentence of the windows speaks of the question at all
        for w in windows:
            has_best = any(relevance.score(x) >= best for x in sentences([w]))
            for ln in joined(w):
                for x in sentences([replace(w, lines=[ln])]):
                    if names_held and ln.kind == "speech" and not named <= relevance._all_words(x):
                        continue
                    if _holds(fold(x), needle) and (relevance.score(x) >= best or (
                            has_best and ln.kind == "screen" and relevance.score(x) == 0)):
                        return True
        return False
    needle = _unseparated(needle)

    def says(text: str) -> bool:
        return bool(needle) and (_holds(_unseparated(fold(text)), needle) or
                                 _holds(_unseparated(fold(as_digits(text))), needle))

    if any(says(part) and relevance.keeps(part) for part in parts):
        return True
    # A span longer than a clause (the model copied a whole sentence: "Island sits on a ridge, where two plates
    # pull apart ..." for "what does Iceland sit on?"): each of its numbers must sit in a clause of that
    # sentence that is worth reading again.
    numbers = re.findall(r"\d+(?:\.\d+)?", _unseparated(as_digits(span)))
    by_sentence: dict[str, list[str]] = {}
    for part, sentence in _clausesentences(windows):
        if part in parts:
            by_sentence.setdefault(sentence, []).append(part)
    return any(says(sentence) and all(any(_holds(_unseparated(fold(as_digits(c))), n) and relevance.keeps(c)
                                          for c in kept) for n in numbers)
               for sentence, kept in by_sentence.items())


def repeats_question(span: str, question_words: set[str], heard: dict[str, str] | None = None) -> bool:
    """A span with no number made only of the question's own words (as :func:`term` reads them), or of names
    this video's speech mishears as the slide spells them (``heard``: "Island" for "Iceland"): it says nothing
    the question did not ("what does a blue whale eat?": "whales"; "what does Iceland sit on?": "Island")."""
    return not has_number(span) and terms(respelled(span, heard) if heard else span) <= _terms_of(question_words)


def _holds(text: str, needle: str) -> bool:
    """``needle`` in ``text`` as whole words and whole numbers: "honey" is not in "honeybee's", "100" not in
    "1000" nor "3" in "3.30"; "$6" is in "$6.00"."""
    # Latin letters and digits only: a number inside Chinese text ("每杯8元") is a word of its own.
    # A plural ending may follow a word ("12 euro" copied from "12 euros").
    # Zero cents may follow a number ("$6" is "$6.00" on the menu), no other decimals ("3" is not in "3.30").
    end = r"(?:[.,]0+)?(?![a-z0-9]|[.,]\d)" if needle[-1:].isdigit() else r"(?:s|es|'s)?(?![a-z0-9])"
    return bool(re.search(rf"(?<![a-z0-9.]){re.escape(needle)}{end}", text))


def _unseparated(text: str) -> str:
    """Without thousands separators, as the citation check reads numbers: Whisper writes the year 1796 as
    "1,796", and the span copied from the slide says "1796"."""
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def _focus_line(text: str, relevance: _Relevance) -> list[str]:
    """The parts of a line that speak of the question: a clause that holds a number alone (so one price is
    not read with its neighbour's), else its whole sentence (the subject may sit in another clause: "The
    Arctic tern flies from pole to pole, the longest migration of any bird")."""
    keep = []
    for sentence in re.split(r"(?<=[.!?])\s+", normalize_money(text)):
        for clause in clauses(sentence):
            if relevance.keeps(clause):
                part = clause if has_number(clause) else sentence
                if part == sentence:  # the whole sentence holds the clauses kept from it
                    keep = [k for k in keep if k not in sentence]
                if part not in keep and sentence not in keep:
                    keep.append(part)
    return keep


def _add_title(lines: list[Line], every: list[Line], speech: Line, relevance: _Relevance) -> None:
    """The slide ``speech`` is said under goes with it where it names a question word: the name the check
    looks for may be on the slide alone ("The Nile"; Whisper said "The aisle is ...")."""
    for title in _title_lines(every, speech):
        items = [i for i in own_words(title).split(" | ") if not has_number(i) and relevance.score(i) > 0]
        if items and not any(x.t_s == title.t_s and x.kind == "screen" for x in lines):
            lines.append(replace(title, text=" | ".join(items)))


def own_words(line: Line) -> str:
    """A line without a slide's stored gloss: cut to a part of its gloss ("each bowl 12 currency unit"), a
    Chinese slide's window would no longer read as another language's (Whisper hears espeak's Mandarin as
    English), and its answer would face an English window's checks. A speech translation stays: its window
    keeps the language Whisper detected."""
    return _TRANSLATION.sub("", line.text) if line.kind == "screen" else line.text


def focused(windows: list[Window], keywords: set[str], sentences: bool = False) -> list[Window]:
    """Copies of the windows with only the parts that speak of the question most; with ``sentences``, only
    the sentences that speak of it as much as any does (for an answer that is no number)."""
    relevance = _Relevance(windows, keywords)
    out = []
    for w in windows:
        lines: list[Line] = []
        every = joined(w)
        for ln in every:
            if sentences:
                keep = [x for item in own_words(ln).split(" | ")
                        for x in re.split(r"(?<=[.!?])\s+", normalize_money(item))
                        if x.strip() and relevance.score(x) > 0 and relevance.score(x) >= relevance.best_sentence - 1e-9]
            else:
                keep = _focus_line(own_words(ln), relevance)
            if keep and ln.kind == "speech":
                _add_title(lines, every, ln, relevance)
            if keep:
                lines.append(replace(ln, text=" | ".join(keep) if ln.kind == "screen" else ", ".join(keep)))
        if lines:
            out.append(replace(w, lines=lines, keyframes=list(w.keyframes)))
    return out


def _place_clauses(windows: list[Window], keywords: set[str], asked: set[str] = frozenset()) -> list[str]:
    """The clauses that answer "where": of those that hold a place and say more than the ``asked`` words
    (the question's own: the slide "Lake Baikal" does not say where Lake Baikal is), the ones that speak of
    the question most (and at all)."""
    relevance = _Relevance(windows, keywords)
    # Each line's own clauses, not joined across Whisper's segments: a place is said within one, and
    # segments that lost their full stops would join into one clause holding every place of the window.
    placed = [(relevance.score(c), c) for w in windows for ln in w.lines for c in clauses(own_words(ln))
              if holds_place(c) and terms(c) - _terms_of(asked)]
    best = max((x for x, _ in placed), default=0.0)
    return [c for x, c in placed if x > 0 and x >= best - 1e-9]


def in_place_clause(span: str, windows: list[Window], keywords: set[str], asked: set[str] = frozenset()) -> bool:
    """A "where" answer: the span holds a place and sits in a clause that answers "where" (_place_clauses):
    "near Greenland", not "along the ocean floor" from the clause next to it."""
    needle = fold(normalize_money(span)).strip(" .")
    return bool(needle) and holds_place(span) and bool(terms(span) - _terms_of(asked)) and any(
        _holds(fold(c), needle) for c in _place_clauses(windows, keywords, asked))


# "in San Francisco", "near Greenland", and a compass direction from a place ("east of Africa")
_PLACE_PHRASE = re.compile(r"\b(?:in|near|off|on|at|along|outside|(?:north|south|east|west)(?:east|west)?(?:ern)? of)"
                           r"\s+(?:the\s+)?[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")


def place_phrases(windows: list[Window], keywords: set[str], asked: set[str] = frozenset()) -> list[str]:
    """The place phrases ("in San Francisco", "near Greenland") of the clauses that answer "where"
    (_place_clauses) that say more than the question's own words, each once."""
    out: list[str] = []
    for c in _place_clauses(windows, keywords, asked):
        for m in _PLACE_PHRASE.finditer(c):
            if terms(m.group()) - _terms_of(asked) - _PLACE_FILLERS and m.group() not in out:
                out.append(m.group())
    return out


def place_focused(windows: list[Window], keywords: set[str], asked: set[str] = frozenset()) -> list[Window]:
    """Copies of the windows with only the clauses that answer "where" (_place_clauses), each with the
    slide it is said under where that names a question word."""
    keep = set(_place_clauses(windows, keywords, asked))
    relevance = _Relevance(windows, keywords)
    out = []
    for w in windows:
        lines: list[Line] = []
        for ln in w.lines:
            parts = [c for c in clauses(ln.text) if c in keep]
            if parts and ln.kind == "speech":
                _add_title(lines, w.lines, ln, relevance)
            if parts:
                lines.append(replace(ln, text=" | ".join(parts) if ln.kind == "screen" else ", ".join(parts)))
        if lines:
            out.append(replace(w, lines=lines, keyframes=list(w.keyframes)))
    return out


# What kind of value the question asks for, in English and the archive's other languages: a time, a price,
# a count. Another language's window cannot share the question's words, so its clauses are told apart by
# the kind of value they hold first ("when does it close?" is not answered by "Gelato 3 euro"), then by the
# multilingual text embedder.
_ASKS = {
    "time": re.compile(r"\b(when|what time|what hour)\b|\b(quand|quelle heure|wann|wie viel uhr|cu[aá]ndo|qu[eé] hora|"
                       r"quando|che ora)\b|几点|什么时候", re.I),
    "price": re.compile(r"\bhow much (is|are|does|do|did|was|were|would)\b|\b(price|cost|costs|charge)\b|"
                        r"\b(combien co[uû]te|wie viel kostet|was kostet|cu[aá]nto (cuesta|vale)|quanto costa)\b|多少钱",
                        re.I),
    "count": re.compile(r"\bhow many\b|\b(combien de|wie viele|cu[aá]nt[oa]s|quant[ie])\b|多少种|几种", re.I),
}
_CURRENCY = re.compile(r"[$€£¥元]|\b(euros?|dollars?|cents?|pounds?|yuan)\b", re.I)
_TIME_OF_DAY = re.compile(r"\b\d{1,2}[:.h]\d{2}\b|\b\d{1,2}\s*(uhr|h|heures?|horas?|ore|o'clock|[ap]\.?m\.?)(?!\w)|点", re.I)
_COUNTED = re.compile(r"\d\s*[^\W\d_]")
_TRANSLATION = re.compile(r"\s*\[English: (.*)\]\s*$")


def asks_for(question: str) -> str | None:
    """"time", "price" or "count" when the question asks for one, else None."""
    return next((kind for kind, pattern in _ASKS.items() if pattern.search(question)), None)


def _typed_parts(text: str, kind: str) -> list[str]:
    """The clauses of a line (and of its stored English translation) that hold a value of ``kind``."""
    original, english = text, ""
    if m := _TRANSLATION.search(text):
        original, english = text[: m.start()], m.group(1)
    out = []
    for item in original.split(" | ") + ([english] if english else []):
        for part in clauses(item):
            if not re.search(r"\d", as_digits(part)):
                continue
            priced = bool(_CURRENCY.search(part))
            if priced == (kind == "price"):
                out.append(part.strip())
    return out


def typed_focus(windows: list[Window], question: str, foreign: set[str], embed) -> list[Window]:
    """Windows of the ``foreign`` videos (said or shown in another language) cut down to the one clause that
    holds the kind of value the question asks for and is closest to it in meaning (``embed(question,
    parts)``: similarities); other windows, and questions of no such kind, unchanged."""
    kind = asks_for(question)
    if kind is None:
        return windows
    out = []
    for w in windows:
        # A slide's clauses are its own words only (own_words; ask v1: "How much is a bowl of noodles at the
        # Shanghai noodle shop?" cut to "each bowl 12 currency unit" was "not found").
        parts = [(ln, p) for ln in w.lines for p in _typed_parts(own_words(ln), kind)] if w.video_id in foreign else []
        if want := asked(question):  # "how many paintings?" is not read from a clause of meters or euros
            parts = [(ln, p) for ln, p in parts
                     if not (nums := re.findall(r"\d[\d.,]*\d|\d", as_digits(p)))
                     or not all(refuses(want, n, as_digits(p)) for n in nums)]
        if not parts:
            out.append(w)
            continue
        sims = embed(question, [p for _, p in parts])
        # A time question prefers a clause written as a time ("15:00", "7 Uhr") to a bare number; a count
        # one a number said with what it counts ("20种面", "40 elefantes") to digits alone (Whisper heard
        # espeak's Mandarin as "4-9-1-4-1-3-...").
        typed = [bool(_TIME_OF_DAY.search(p)) if kind == "time" else bool(_COUNTED.search(p)) if kind == "count"
                 else False for _, p in parts]
        ln, part = parts[max(range(len(parts)), key=lambda i: (typed[i], sims[i]))]
        out.append(replace(w, lines=[replace(ln, text=part)], keyframes=list(w.keyframes)))
    return out


__all__ = ["asks_for", "clauses", "focused", "repeats_question", "has_number", "in_place_clause", "joined", "on_target", "place_focused",
           "place_phrases", "sentences", "term", "terms", "typed_focus"]
