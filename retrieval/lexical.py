"""Lexical matching of a query's words against the texts of its candidate hits, beside the embedder: which
query words a row holds, each weighted by how few candidate rows (or videos) hold it (BM25's IDF), so a rare
name or number decides among look-alike sentences (:mod:`retrieval.scoring` orders moments with it).

A word is a lower-cased run of letters and digits (each CJK character alone; "$12,000" one number); a number an
English query spells out is one word, matched as its digits or its words ("nineteen thirty" = "1930");
English function words ("that", "in") are no words.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter

from videokb.retrieval.moments import Hit, Moment

# A thousands separator inside a number ("$40,000", "2,700 meters", as Whisper writes them): one number.
_DIGIT_GROUP = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", _DIGIT_GROUP.sub("", text.lower()))


# Han, kana and hangul are written without spaces: each character is a word for lexical matching.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def _words(text: str) -> set[str]:
    """The words of ``text`` for lexical matching: lower-cased runs of letters and digits, each CJK character
    on its own."""
    return {w for tok in tokens(text) for w in (_CJK.findall(tok) if _CJK.search(tok) else [tok])}


# A year said as two numbers: text2num reads "nineteen thirty" as "19 30".
_YEAR_PAIR = re.compile(r"\b(1[1-9]|20) ([1-9]\d)\b")


def _spelled(query: str) -> list[tuple[str, tuple[str, ...]]]:
    """The numbers an English query spells out: (digits, the words that spell them), in query order
    ("opened in nineteen thirty" -> [("1930", ("nineteen", "thirty"))]). Numbers the query writes as digits
    are not among them."""
    from text_to_num import alpha2digit

    if not re.search(r"[a-z]", query, re.IGNORECASE):
        return []
    said = tokens(query)
    digits = tokens(_YEAR_PAIR.sub(r"\1\2", alpha2digit(query, "en")))
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=said, b=digits, autojunk=False).get_opcodes():
        if op != "replace":
            continue
        numbers = [w for w in digits[j1:j2] if w.isdigit() and w not in said]
        # one number for the run of words it replaced ("two thousand and eleven" -> 2011); a run that became
        # several numbers ("four dollars and twenty" -> "4 dollars and 20") keeps only its digits
        if len(numbers) == 1 and j2 - j1 == 1:
            out.append((numbers[0], tuple(said[i1:i2])))
        else:
            out.extend((n, ()) for n in numbers)
    return out


def spelled_numbers(query: str) -> set[str]:
    """The numbers an English query spells out, as the digits a transcript or slide writes them ("bridge that
    opened in nineteen thirty" -> {"1930"}, "twenty five members" -> {"25"}): Whisper writes "opened in 1930",
    and neither the word lists nor the embedder match "nineteen thirty" to it. Only numbers the query does
    not already hold as digits."""
    return {digits for digits, _ in _spelled(query)}


def _word_pairs(toks: list[str]) -> list[tuple[str, str]]:
    """Adjacent pairs of alphabetic (not CJK) words, each a compound if written as one."""
    return [(a, b) for a, b in zip(toks, toks[1:]) if a.isalpha() and b.isalpha() and not _CJK.search(a + b)]


def _compounds(text: str) -> set[str]:
    """Adjacent pairs of alphabetic words written as one ("field stone" -> "fieldstone"): speech recognition
    splits and joins compounds at will (Whisper: "made on field stone", "the Stormlight House"), so a query's
    "fieldstone" or "lighthouse" must find them."""
    return {a + b for a, b in _word_pairs(tokens(text))}


def _hit_words(hit: Hit) -> set[str]:
    text = " ".join(t for t in (hit.text, hit.extra.get("text_en")) if t)
    return _words(text) | _compounds(text)


# English function words (Lucene's English stop set): said in most sentences a query could match, yet rare among
# one query's candidate rows, so their IDF would weigh "that" like a name.
FUNCTION_WORDS = frozenset("""a an and are as at be but by for if in into is it no not of on or such that the their then
there these they this to was will with""".split())


def _query_units(query: str) -> list[list[frozenset[str]]]:
    """The query's words for lexical matching, each a unit of alternatives a row's words must hold one of: a
    word is its own unit; a number the query spells out is one unit, its digits or all its spelled words
    ("1930" or "nineteen thirty"), so it weighs as one rare word and its spelled words do not count again."""
    numbers = _spelled(query)
    spelled = {w for _, words in numbers for w in words}
    # a compound the query splits ("light house") is also held by a row that writes it as one word
    joined: dict[str, set[str]] = {}
    for a, b in _word_pairs(tokens(query)):
        if not {a, b} & FUNCTION_WORDS:
            joined.setdefault(a, set()).add(a + b)
            joined.setdefault(b, set()).add(a + b)
    units = [[frozenset([w])] + [frozenset([c]) for c in sorted(joined.get(w, ()))]
             for w in sorted(_words(query) - spelled - FUNCTION_WORDS)]
    for digits, words in numbers:
        units.append([frozenset([digits])] + ([frozenset(words)] if words else []))
    return units


def _one_edit(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one letter changed, added or dropped (Levenshtein distance 1)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), len(a))
    return a[i + (len(a) == len(b)):] == b[i + 1:]


FUZZY_MIN = 5  # letters a query word needs before a near spelling of it counts


def _near(word: str, vocab: dict[int, list[str]]) -> frozenset[str]:
    """The words of ``vocab`` (by length) that speech recognition may have made of the query's ``word``: the
    word with a sound of its neighbour glued on ("of marble" -> "unmarble") or one letter off ("rough flint" ->
    "rough lint"). Only for alphabetic words of ``FUZZY_MIN`` letters or more."""
    n = len(word)
    if n < FUZZY_MIN or not word.isalpha():
        return frozenset()
    # glued: a sound or two ("un", "a"), not a word of its own ("lighthouse" does not hold "house")
    glued = (w for size in (n + 1, n + 2, n + 3) for w in vocab.get(size, ()) if w.endswith(word))
    # one edit keeps the first or the last letter
    off = (w for size in (n - 1, n, n + 1) for w in vocab.get(size, ())
           if (w[0] == word[0] or w[-1] == word[-1]) and _one_edit(word, w))
    # a plural is another word for the ranking, as before ("mountains" on a talk's title slide does not hold
    # the "mountain" of "how many mountain goats": the sentence that says it does)
    return frozenset(w for w in (*glued, *off) if w.isalpha() and w.removesuffix("s") != word.removesuffix("s"))


def lexical(query: str, hits: list[Hit]) -> None:
    """Set each text hit's ``lex``: the share of the query's words its text (and translation) holds, each word
    weighted by BM25's IDF over the candidate rows (each row once), so "lighthouse" in every slide title of a
    lecture counts little and "concrete", said once, counts most. A fact a query names by a rare word is found
    by that word, where an embedder sees fifteen look-alike sentences. A number the query spells out counts
    as one word (:func:`_query_units`). ``lex_units``: each word held and its share, so a moment's share is
    that of the words its hits hold together (:func:`moment_lex`)."""
    units = _query_units(query)
    rows: dict[tuple, set[str]] = {}
    for h in hits:  # a row found by both its lists is tokenised once
        if h.text and h.modality in ("speech", "ocr"):
            key = (h.video_id, h.modality, h.start_s, h.end_s, h.text)
            if key not in rows:
                rows[key] = _hit_words(h)
    n = len(rows)
    if not units or not n:
        return
    # a query word is also held by a row word near it (:func:`_near`), found once among all the rows' words
    vocab: dict[int, list[str]] = {}
    for w in set().union(*rows.values()):
        vocab.setdefault(len(w), []).append(w)
    near = {unit[0]: _near(next(iter(unit[0])), vocab) for unit in units if len(unit[0]) == 1}
    held = {key: [i for i, unit in enumerate(units)
                  if any(alt <= words or not near.get(alt, frozenset()).isdisjoint(words) for alt in unit)]
            for key, words in rows.items()}
    df = Counter(i for found in held.values() for i in found)
    idf = [math.log(1 + (n - df[i] + 0.5) / (df[i] + 0.5)) for i in range(len(units))]
    total = sum(idf)
    for h in hits:
        key = (h.video_id, h.modality, h.start_s, h.end_s, h.text)
        if key in held:
            h.extra["lex_units"] = {i: idf[i] / total for i in held[key]}
            h.extra["lex"] = sum(h.extra["lex_units"].values())


def moment_lex(m: Moment) -> float:
    """The share of the query's words the moment's hits hold together (:func:`lexical`): a slide that shows
    the query's rare name ("Lagos") and a sentence beside it that says the rest count as one moment's text."""
    units: dict[int, float] = {}
    for h in m.hits:
        units.update(h.extra.get("lex_units", {}))
    return sum(units.values())


def phrase_score(query: str, text: str) -> float:
    """Share of the query's adjacent word pairs that occur adjacent in ``text`` (one-word queries: the word)."""
    q, t = tokens(query), tokens(text)
    if not q or not t:
        return 0.0
    if len(q) == 1:
        return float(q[0] in t)
    pairs = set(zip(t, t[1:]))
    return sum((a, b) in pairs for a, b in zip(q, q[1:])) / (len(q) - 1)


def video_coverage(query: str, hits: list[Hit]) -> dict[str, float]:
    """video id -> weighted share of the query's words that its hits contain, each word weighted by BM25's
    IDF over the candidate videos (log(1 + (N - n + 0.5) / (n + 0.5)), n of the N videos holding it), so a
    word every candidate video says ("the", "team" among four team meetings) counts next to nothing and the
    word only one video says counts most."""
    words = set(tokens(query))
    found: dict[str, set[str]] = {h.video_id: set() for h in hits}
    held: dict[str, set[str]] = {}  # a row found by both its lists is one text
    for h in hits:
        for text in (h.text, h.extra.get("text_en")):
            if text:
                if text not in held:
                    held[text] = words.intersection(tokens(text))
                found[h.video_id] |= held[text]
    n_videos = len(found)
    df = Counter(w for ws in found.values() for w in ws)
    idf = {w: math.log(1 + (n_videos - n + 0.5) / (n + 0.5)) for w, n in df.items()}
    total = sum(idf.values())
    return {v: sum(idf[w] for w in ws) / total for v, ws in found.items()} if total else {}
