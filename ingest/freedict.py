"""English senses of German, Spanish, French (and other) words from FreeDict's X-English dictionaries.

FreeDict ships as Debian packages (``apt-get install dict-freedict-deu-eng dict-freedict-spa-eng
dict-freedict-fra-eng``; GPL data read at run time, not bundled) in dictd's format: a ``.index`` of headword,
offset and length (base64), and the entries in a dictzip'ed ``.dict.dz``. Each dictionary is reduced once per
machine to a table of headword -> the senses a gloss shows (:func:`senses`), kept in the cache folder, so an
ingest loads a few MB instead of decompressing 100 MB of German entries.

Which senses: a headword has several entries (German "Hund": "mine car", then "dog", then "canine"); the entry
with the most usage examples is the common word's ("dog", five examples), of it the first three senses
("Billet": "bill, ticket, note"). Phrases (headwords with spaces) are left out.

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
ENGLISH_LISTS = (Path("/usr/share/dict/american-english"), Path("/usr/share/dict/british-english"))
SENSES_SHOWN = 3
_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_TAGS = re.compile(r"<[^>]*>|\[[^\]]*\]|\([^)]*\)|\{[^}]*\}")
_lock = threading.Lock()
_tables: dict[str, dict[str, str]] = {}
_english: frozenset[str] | None = None


def dict_dirs() -> list[Path]:
    """Where dictd dictionaries are looked for: ``$VIDEOKB_DICT_DIR``, then Debian's ``/usr/share/dictd``."""
    dirs = [Path(d) for d in os.environ.get("VIDEOKB_DICT_DIR", "").split(os.pathsep) if d]
    return dirs + [Path("/usr/share/dictd")]


def installed() -> dict[str, Path]:
    """Whisper language code -> the dictionary's base path (``.../freedict-deu-eng``), for those installed."""
    found: dict[str, Path] = {}
    for lang, code in LANGUAGES.items():
        for d in dict_dirs():
            base = d / f"freedict-{code}-eng"
            if base.with_suffix(".index").is_file() and base.with_suffix(".dict.dz").is_file():
                found.setdefault(lang, base)
    return found


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
            base = installed()[lang]
            stat = base.with_suffix(".dict.dz").stat()
            target = cache_dir() / "gloss" / f"{base.name}-{stat.st_size}-{int(stat.st_mtime)}.tsv"

            def build(tmp: Path) -> Path:
                out = tmp / target.name
                with open(out, "w", encoding="utf-8") as f:
                    f.writelines(f"{w}\t{s}\n" for w, s in _read(base).items())
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


def _read(base: Path) -> dict[str, str]:
    """Each single-word headword's senses, of its entry with the most usage examples (the first on a tie)."""
    data = gzip.open(base.with_suffix(".dict.dz")).read()  # dictzip is gzip with a chunk table beside it
    best: dict[str, tuple[int, str]] = {}
    with open(base.with_suffix(".index"), encoding="utf-8") as f:
        for line in f:
            word, offset, length = line.rstrip("\n").split("\t")[:3]
            if word.startswith("00") or " " in word:  # dictd's own entries (00databaseinfo), phrases
                continue
            lines = data[_number(offset): _number(offset) + _number(length)].decode("utf-8", "replace").split("\n")
            if len(lines) < 2:
                continue
            head = re.sub(r"^\s*\d+\.\s*", "", _TAGS.sub("", lines[1]))
            shown = [s.strip() for s in re.split(r"[,;]", head) if s.strip()][:SENSES_SHOWN]
            if not shown:
                continue
            examples = sum('"' in ln and " - " in ln for ln in lines[2:])
            if word not in best or examples > best[word][0]:
                best[word] = (examples, ", ".join(shown))
    return {w: s for w, (_, s) in best.items()}
