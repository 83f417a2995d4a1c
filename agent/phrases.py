"""Who or what does it (issue 12): the phrase a "who / what VERBs X?" or "what does X VERB?" question asks for,
read off the evidence by word order when the model copies nothing that holds: the doer of a passive ("a colony
ruled by a single queen"), the subject before the verb ("sheets of ice covered ..."), the object after it
("grinds through granite")."""

from __future__ import annotations

import re
from collections.abc import Iterator

from videokb.agent.evidence import Window
from videokb.agent.focus import clauses, sentences, term, terms
from videokb.agent.heard import spelled_out
from videokb.agent.plan import STOPWORDS, content_words, fold

# "What rules a colony?", "Who designed the lighthouse?": the question asks who or what does the verb; the
# evidence often says it in the passive ("a colony ruled by a single queen"), which a small model that copies
# spans starting where the question's words do not find.
_ASKS_DOER = re.compile(r"^\s*(?:what|who)\s+([a-z]{3,})\s+\S", re.I)
_NOT_A_VERB = frozenset("""is are was were be been do does did has have had can could will would shall should may
    might must kind sort type year day time""".split())
MAX_DOER_WORDS = 5
_PREPOSITIONS = frozenset("in on at from with during after before for since until to of".split())


def doer_phrases(question: str, windows: list[Window]) -> list[str]:
    """For "what / who VERBs X?", the phrase after "VERBed by" in a sentence of the windows that shares another
    word with the question ("... colony ruled by a single queen": "a single queen"), each once; [] for other
    questions. Only regular past participles are read ("rules": "ruled", "designs": "designed")."""
    m = _ASKS_DOER.match(question)
    if not m or fold(m.group(1)) in _NOT_A_VERB:
        return []
    verb = fold(m.group(1))
    roots = {verb, verb[:-1] if verb.endswith("s") else verb, verb[:-2] if verb.endswith("es") else verb,
             verb[:-2] if verb.endswith("ed") else verb, verb[:-1] if verb.endswith("ed") else verb}
    participle = re.compile(rf"\b(?:{'|'.join(sorted(map(re.escape, roots)))})(?:ed|d)?\s+by\s+(.+)", re.I)
    others = terms(question) - {term(verb)}
    out: list[str] = []
    for w in windows:
        for sentence in sentences([w]):
            if not (hit := participle.search(sentence)) or not others & terms(sentence):
                continue
            # The doer ends where the clause does or a preposition begins ("by Lena Park in 1901").
            words = clauses(hit.group(1))[0].split()[:MAX_DOER_WORDS]
            cut = next((i for i, x in enumerate(words) if i and fold(x) in _PREPOSITIONS), len(words))
            phrase = " ".join(words[:cut]).strip(" .,;:!?")
            if phrase and content_words(phrase) and phrase not in out:
                out.append(phrase)
    return out


def _verb_clauses(windows: list[Window], needed: set[str], forms: set[str]) -> Iterator[tuple[list[str], int]]:
    """The words of each clause, in the windows' sentences that hold every term in ``needed``, that holds one of
    the verb's ``forms`` (folded), with the place of its first. Clauses split at punctuation only: a subject or
    object may join two nouns ("sheets and ice covered ...", as Whisper heard "sheets of ice"). A name this
    video's speech mishears is held as the slide spells it ("Island sits on a ridge" under "Iceland")."""
    for w in windows:
        for sentence in sentences([w]):
            if not needed <= terms(spelled_out(sentence, w.heard)):
                continue
            for clause in re.split(r"[,;:]\s*", sentence):
                words = clause.split()
                at = next((i for i, x in enumerate(words) if fold(x.strip(".,;:!?")) in forms), None)
                if at is not None:
                    yield words, at


def subject_phrases(question: str, windows: list[Window]) -> list[str]:
    """For "what / who VERBs X?", the words before the verb in its clause of a sentence that holds the verb (by
    its stem) and every other word of the question ("During the ice ages, sheets of ice covered most of
    northern Europe": "sheets of ice" for "What covered most of northern Europe during the ice ages?"), each
    once; [] for other questions. The doer said in the active voice, as :func:`doer_phrases` reads the
    passive."""
    m = _ASKS_DOER.match(question)
    if not m or fold(m.group(1)) in _NOT_A_VERB:
        return []
    verb = fold(m.group(1))
    others = terms(question[m.end(1):]) - {term(verb)}
    if not others:
        return []
    out: list[str] = []
    # The verb as the question writes it ("mapped"): a noun of its stem is no verb ("... 600 kilometers of map
    # passengers" for "who mapped Mammoth Cave?").
    for words, at in _verb_clauses(windows, others, {verb}):
        if not at:
            continue
        phrase = " ".join(words[max(0, at - MAX_DOER_WORDS):at]).strip(" .,;:!?")
        if content_words(phrase) and fold(phrase.split()[-1]) not in STOPWORDS and phrase not in out:
            out.append(phrase)
    return out


# "What does a boring machine grind through?", "What does Iceland sit on?": after "does / do / did" and its
# subject the verb stands bare ("grind", not "grinds"), perhaps followed by a preposition; a verb ending in a
# lone "s" is a noun ("What did old lighthouses use to guide ships?").
_ASKS_OBJECT = re.compile(r"^\s*what\s+(?:does|do|did)\s+(?P<rest>[a-z' -]+?)\s*\?*\s*$", re.I)
_OBJECT_PREPOSITIONS = _PREPOSITIONS | {"through", "across", "along", "over", "under", "into", "onto", "about"}


def object_phrases(question: str, windows: list[Window]) -> list[str]:
    """For "what does X VERB [PREP]?", the words after the verb (and that preposition) up to the clause's end or
    the next preposition, in a sentence that holds the verb by its stem and every word of X ("A boring machine
    grinds through granite with a spinning wheel": "granite"), each once; [] for other questions."""
    m = _ASKS_OBJECT.match(question)
    words = fold(m.group("rest")).split() if m else []
    prep = words.pop() if len(words) > 2 and words[-1] in _OBJECT_PREPOSITIONS else ""
    if len(words) < 2 or words[-1] in _NOT_A_VERB or len(words[-1]) < 3 or re.search(r"(?<!s)s$", words[-1]):
        return []
    bare, subject = words[-1], terms(" ".join(words[:-1]))
    if not subject:
        return []
    # The verb's own forms ("sit": "sits", "sat" not read), not every word of its stem ("navigation").
    forms = {bare, bare + "s", bare + "es", bare + "ed", bare + "d", bare[:-1] + "ies", bare[:-1] + "ied"}
    out: list[str] = []
    for words, at in _verb_clauses(windows, subject, forms):
        rest = words[at + 1:]
        if prep:
            if not rest or fold(rest[0]) != prep:
                continue
            rest = rest[1:]
        cut = next((i for i, x in enumerate(rest) if i and fold(x) in _OBJECT_PREPOSITIONS | {"where", "which", "that"}),
                   len(rest))
        phrase = " ".join(rest[:min(cut, MAX_DOER_WORDS)]).strip(" .,;:!?")
        if content_words(phrase) and phrase not in out:
            out.append(phrase)
    return out


__all__ = ["doer_phrases", "object_phrases", "subject_phrases"]
