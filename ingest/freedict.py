"""English senses of German, Spanish, French (and other) words from FreeDict's X-English dictionaries.

FreeDict ships as Debian packages (``apt-get install dict-freedict-deu-eng dict-freedict-spa-eng
dict-freedict-fra-eng``; GPL data read at run time, not bundled) in dictd's format: a ``.index`` of headword,
offset and length (base64), and the entries in a dictzip'ed ``.dict.dz``. Each dictionary is reduced once per
machine to a table of headword -> the senses a gloss shows (:func:`senses`), kept in the cache folder, so an
ingest loads a few MB instead of decompressing 100 MB of German entries.

Which senses: a headword has several entries (German "Hund": "mine car", then "dog", then "canine"); the entry
with the most usage examples is the common word's ("dog", five examples), of it the first three senses
("Billet": "bill, ticket, note"). Phrases of up to three words are kept ("petit déjeuner").

The Spanish and French dictionaries are small (4,000 and 7,000 headwords: no "sábado", no "mitad"); FreeDict's
WikDict-made Spanish-German and French-German ones are larger (23,000 and 41,000). A word that a language's
English dictionary lacks is read through German where both those are installed (``dict-freedict-spa-deu``,
``dict-freedict-fra-deu``): "sábado" -> "Samstag" -> "Saturday", each German sense in its first English sense.

English words (``wamerican``'s ``/usr/share/dict/american-english``, lower-case entries only: capitalised
ones are names) tell an English slide from a foreign one (:func:`english_words`).
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import threading
from pathlib import Path

from videokb.index.cache import cache_dir, publish_atomically

log = logging.getLogger(__name__)

# Whisper's language codes -> FreeDict's (ISO 639-3); a language is glossed where its dictionary is installed.
LANGUAGES = {"de": "deu", "es": "spa", "fr": "fra", "it": "ita", "pt": "por", "nl": "nld", "sv": "swe",
             "da": "dan", "pl": "pol", "cs": "ces", "fi": "fin", "hu": "hun", "tr": "tur", "ro": "ron"}
PIVOT = "de"  # the language whose English dictionary is large enough to read others' through
PHRASE_WORDS = 3  # the most words a headword kept may have
TABLE_VERSION = 4  # of the reduced tables in the cache folder: a change to what they hold makes new ones
ENGLISH_LISTS = (Path("/usr/share/dict/american-english"), Path("/usr/share/dict/british-english"))
SENSES_SHOWN = 3
_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_TAGS = re.compile(r"<[^>]*>|\[[^\]]*\]|\([^)]*\)|\{[^}]*\}")
_lock = threading.RLock()  # a table read through German loads German's table first
_tables: dict[str, dict[str, str]] = {}
_english: frozenset[str] | None = None


def dict_dirs() -> list[Path]:
    """Where dictd dictionaries are looked for: ``$VIDEOKB_DICT_DIR``, then Debian's ``/usr/share/dictd``."""
    dirs = [Path(d) for d in os.environ.get("VIDEOKB_DICT_DIR", "").split(os.pathsep) if d]
    return dirs + [Path("/usr/share/dictd")]


def _find(name: str) -> Path | None:
    for d in dict_dirs():
        base = d / f"freedict-{name}"
        if base.with_suffix(".index").is_file() and base.with_suffix(".dict.dz").is_file():
            return base
    return None


def installed() -> dict[str, Path]:
    """Whisper language code -> the dictionary's base path (``.../freedict-deu-eng``), for those installed: a
    language's English dictionary, or where it has none, its German one while German's English one is there."""
    found: dict[str, Path] = {}
    pivot = _find(f"{LANGUAGES[PIVOT]}-eng")
    for lang, code in LANGUAGES.items():
        base = _find(f"{code}-eng") or (_find(f"{code}-{LANGUAGES[PIVOT]}") if pivot else None)
        if base is not None:
            found[lang] = base
    return found


def _sources(lang: str) -> list[Path]:
    """The dictionaries a language's table is made of: its English one where installed, then its German one
    with German's English one where both are."""
    code, pivot = LANGUAGES[lang], LANGUAGES[PIVOT]
    direct, via, pivot_en = _find(f"{code}-eng"), _find(f"{code}-{pivot}"), _find(f"{pivot}-eng")
    return [b for b in (direct, *((via, pivot_en) if lang != PIVOT and via and pivot_en else ())) if b is not None]


def english_words() -> frozenset[str] | None:
    """The word list's lower-case English words (capitalised entries are names), or None where none is installed."""
    global _english
    with _lock:
        if _english is None:
            path = next((p for p in ENGLISH_LISTS if p.is_file()), None)
            if path is None:
                return None
            with open(path, encoding="utf-8", errors="replace") as f:
                _english = frozenset(w for w in (line.strip() for line in f) if w.islower())
        return _english


def senses(lang: str) -> dict[str, str]:
    """Headword (lower case) -> up to three English senses ("bill, ticket, note"), for an installed language."""
    with _lock:
        table = _tables.get(lang)
        if table is None:
            sources = _sources(lang)
            if not sources:
                raise KeyError(f"no FreeDict dictionary for {lang!r} in {', '.join(map(str, dict_dirs()))}")
            stamp = "-".join(f"{b.name}-{b.with_suffix('.dict.dz').stat().st_size}-"
                             f"{int(b.with_suffix('.dict.dz').stat().st_mtime)}" for b in sources)
            target = cache_dir() / "gloss" / f"v{TABLE_VERSION}-{stamp}.tsv"

            def build(tmp: Path) -> Path:
                out = tmp / target.name
                with open(out, "w", encoding="utf-8") as f:
                    f.writelines(f"{w}\t{s}\n" for w, s in _table(sources).items())
                return out

            publish_atomically(target, build, lambda p: p.is_file())
            with open(target, encoding="utf-8") as f:
                table = dict(line.rstrip("\n").split("\t", 1) for line in f)
            _tables[lang] = table
        return table


def _number(s: str) -> int:
    n = 0
    for c in s:
        n = n * 64 + _B64[c]
    return n


def _table(sources: list[Path]) -> dict[str, str]:
    """Headword -> senses from the English dictionary (``sources[0]`` when it is one), then, for headwords it
    lacks, the German dictionary's senses each in German's first English sense (``sources[-2:]``)."""
    table: dict[str, str] = {}
    if sources[0].name.endswith("-eng"):
        table = _read(sources[0])
    if len(sources) >= 2 and not sources[-2].name.endswith("-eng"):
        # German's English (sources[-1]): its table as made for German glosses (from the cache folder after the
        # first time), not its dictionary parsed again
        english = senses(PIVOT)
        german = _read(sources[-2], numbered=True)
        for word, german_senses in german.items():
            if word in table:
                continue
            shown: list[str] = []
            for sense in german_senses.split(", "):
                en = english.get(sense.lower())
                first = en.split(", ")[0] if en else None
                if first and first not in shown:
                    shown.append(first)
            if shown:
                table[word] = ", ".join(shown[:SENSES_SHOWN])
    return table


_POS = re.compile(r"<[^>]*>")
_IPA = re.compile(r"/[^/]*/")
_PHONETIC = re.compile(r"[/ˈˌː]")  # what is left of a pronunciation the pattern above did not close
_NUMBERED = re.compile(r"^\s*\d+\.\s+(\S.*?)(?:\s+\d+\.)?\s*$")


def _read(base: Path, numbered: bool = False) -> dict[str, str]:
    """Each headword's senses (phrases of up to :data:`PHRASE_WORDS` words), of its entry with the most usage
    examples (the first on a tie). ``numbered``: a WikDict dictionary, whose entry numbers its senses one a
    line ("1. Samstag", "2. Sonnabend") between definitions in the source language: those lines only."""
    data = gzip.open(base.with_suffix(".dict.dz")).read()  # dictzip is gzip with a chunk table beside it
    best: dict[str, tuple[int, str]] = {}
    with open(base.with_suffix(".index"), encoding="utf-8") as f:
        for line in f:
            word, offset, length = line.rstrip("\n").split("\t")[:3]
            word = word.lower()
            if word.startswith("00") or word.count(" ") >= PHRASE_WORDS:  # dictd's own entries (00databaseinfo)
                continue
            lines = data[_number(offset): _number(offset) + _number(length)].decode("utf-8", "replace").split("\n")
            if len(lines) < 2:
                continue
            if numbered:
                heads = [m.group(1) for ln in lines[1:] if (m := _NUMBERED.match(_TAGS.sub("", ln)))] or lines[1:2]
            else:
                heads = lines[1:2]
            shown = []
            for head in heads:
                # a part-of-speech tag ends a sense ("Saturday <n>Sat"); a pronunciation is no sense
                head = re.sub(r"^\s*\d+\.\s*", "", _TAGS.sub("", _IPA.sub("", _POS.sub(",", head))))
                shown += [s.strip() for s in re.split(r"[,;]", head)
                          if s.strip() and s.strip() not in shown and not _PHONETIC.search(s)]
            shown = shown[:SENSES_SHOWN]
            if not shown:
                continue
            examples = sum('"' in ln and " - " in ln for ln in lines[2:])
            if word not in best or examples > best[word][0]:
                best[word] = (examples, ", ".join(shown))
    return {w: s for w, (_, s) in best.items()}
