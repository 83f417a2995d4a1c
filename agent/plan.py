"""Turn a question into a plan: its shape (lookup, compare/superlative, count, before/after), the searches
(the question itself, its keywords) and the hints it carries (a video it names, "at the start" / "at the end",
"after the slide about X"). A question the archive cannot answer is a lookup that finds nothing.

A video the question names is searched first, never alone: a file name is not allowed to narrow the
archive by itself (a file called ``fee.mp4`` must not hide the video that states the adoption fee).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

STOPWORDS = frozenset(
    """a an the and or of to in on at for from by with about into over after before during is are was were be
    been being do does did has have had how what when where which who whom whose why much many this that these
    those it its i you we they he she them his her our your their there here than then so if as not no yes can
    could would should will shall may might must tell me show please video videos clip say said mention
    mentioned""".split()
)
_START = re.compile(r"\b(at|in|near|towards?) the (very )?(start|beginning|opening)\b|\bfirst (few )?(seconds|minutes?)\b",
                    re.I)
_END = re.compile(r"\b(at|in|near|towards?) the (very )?(end|close)\b|\blast (few )?(seconds|minutes?)\b", re.I)
_NAMED = r"( (titled|called|named|about|on|with|showing|mentioning|that says|saying|reading))?"
_NOUN = r"(slide|part|section|segment|bit|scene|talk|title|heading|screen)s?"
# "after showing the slide X": the verb that puts the slide up says nothing of which one
_SHOWING = r"((showing|displaying|presenting|putting up) )?"
_AFTER = re.compile(r"\b(?P<dir>after|before|following|preceding) " + _SHOWING + r"(the )?(" + _NOUN + "|(the )?one)" +
                    _NAMED + r" [\"'“]?(?P<topic>[^,?;\"”]+)", re.I)
# "which slide follows the one titled X", "what precedes the slide X": the direction is in the verb
_FOLLOWS = re.compile(r"\b(?P<dir>follows?|followed|precedes?|preceded|comes? after|came after|comes? before|"
                      r"came before) (the )?(" + _NOUN + "|one)" + _NAMED + r" [\"'“]?(?P<topic>[^,?;\"”]+)", re.I)
# "the next slide after X", "the slide after X": the slide is asked for, its title follows
_SLIDE_AFTER = re.compile(r"\b(next |previous |following |preceding )?(slide|screen|title)s? ((comes?|came|is|was|"
                          r"appears?|appeared|is shown|was shown|shows up|showed up) (right |just )?)?(?P<dir>after|before|"
                          r"following|preceding) (the )?(" + _NOUN + _NAMED + r" )?[\"'“]?(?P<topic>[^,?;\"”]+)", re.I)
# what the slide does as the question's words end: not part of its title ("after the slide X disappears")
_TOPIC_TAIL = re.compile(r"\s+(disappears|goes away|is gone|is removed|is replaced|ends|is over|leaves the screen|"
                         r"appears|comes up|is shown|is displayed|was shown|was displayed)\s*$", re.I)
# "once the slide X is gone": after it
_GONE = re.compile(r"\b(once|when|as soon as) (the )?(" + _NOUN + _NAMED + r" [\"'“]?(?P<topic>[^,?;\"”]+?)[\"”]?|"
                   r"(?P<topic2>[^,?;]+?) " + _NOUN + r") ((is|has|was|had) (been )?(gone|over|done|finished|removed|replaced|"
                   r"taken down|off( the)? screen)|ends|ended|disappears|disappeared|goes away|went away|goes off|"
                   r"went off|leaves the screen|left the screen)\b", re.I)
# "right after the Mount Etna slide": the slide named before its noun
_NAMED_FIRST = re.compile(r"\b(?P<dir>after|before|following|preceding) " + _SHOWING + r"the (?P<topic>[^,?;]+?) " +
                          _NOUN + r"\b", re.I)
# "what was on screen", "which slide is shown": the question asks for the slide, not the speech
_SHOWN = re.compile(r"^\s*(what|which)('s)? (is |was |are |were |gets |got )?(on (the )?screen|shown|displayed|put up)\b"
                    r"|^\s*(which|what) (slide|title|screen)s?\b|^\s*what (do|does|did) (they|he|she|we|you|the \w+) "
                    r"(show|display|put up)\b", re.I)
_WHAT_NEXT = re.compile(r"^\s*what (is|was|gets|got|are|were)? ?(said|shown|discussed|talked about|covered|explained|"
                        r"presented|mentioned|next)\b|^\s*what (comes|came|happens|happened|follows|followed|is next)\b"
                        r"|^\s*what (do|does|did) (they|he|she|we|you|the \w+) (go on to |then |next )?(say|hear|show|discuss|talk about|"
                        r"cover|explain|present|mention)\b",
                        re.I)
# "what does the presenter describe after ...", "tell me what is covered after ...": the ask names no thing
# beyond who speaks and a verb of saying, so it asks for what is said there (a narrower ask, "what year is
# given after ...", names one). Words as :func:`word_stem` reads them.
_ASKS_WHAT = re.compile(r"^\s*((can|could) you )?(tell me |say )?(what|which (topic|subject|point)s?)\b", re.I)
_SAYING = frozenset("""say tell speak talk hear show discuss cover explain present mention describe state address
    introduce come happen follow next go get bring raise add continue move speaker presenter narrator lecturer host
    guide teacher topic subject point thing""".split())
# "the first slide", "the last slide of the caves talk": a slide named by its place in its video, not its title
_POSITION_WORDS = "first|opening|last|final|closing"
_POSITION = rf"(?P<pos>{_POSITION_WORDS})"
_SLIDE_AT = re.compile(r"\bthe (very )?" + _POSITION + r" (slide|title|screen)\b", re.I)
# "what is shown on the last slide of X", "what is said during the first slide": the slide itself is read
_ON_SLIDE_AT = re.compile(r"(\b(on|in|under|during|with|while)|^\s*what (does|did)) the (very )?" + _POSITION +
                          r" (slide|title|screen)\b", re.I)
_POSITION_OF = {"first": "first", "opening": "first", "last": "last", "final": "last", "closing": "last"}
# "Right after the slide X, what ...": an adverb before the direction is no ask of its own
_LEAD_ADVERB = re.compile(r"^\s*(right|just|immediately|directly|straight|shortly|soon)\s*$", re.I)
_MIN_WORDS = ("cheapest", "least expensive", "lowest", "smallest", "shortest", "earliest", "fewest", "least",
              "slowest", "youngest", "oldest", "lightest", "closest", "nearest", "cheaper", "lower", "smaller",
              "shorter", "earlier", "fewer")
_MAX_WORDS = ("most expensive", "priciest", "dearest", "highest", "largest", "biggest", "longest", "latest", "most",
              "best", "greatest", "fastest", "heaviest", "newest", "farthest", "furthest", "more expensive",
              "higher", "larger", "bigger", "longer", "later", "more", "faster")
# Verbs of a compare question that name no thing compared ("is the scone most expensive", "sells")
_VERB_WORD = re.compile(r"^(sells?|sold|offers?|offered|charges?|charged|costs?|lists?|listed|gives?|gave|quotes?|"
                        r"quoted|holds?|held|opens?|opened|takes?|took|runs?|ran|scored?|reports?|reported|"
                        r"gets?|got|serves?|served|ha[sd]|have|find|found|mentions?)$")
_PRICE_WORDS = ("cheapest", "least expensive", "most expensive", "priciest", "dearest", "cheaper", "more expensive")
_SUPERLATIVE = re.compile(r"\b(?P<word>" + "|".join(sorted(_MIN_WORDS + _MAX_WORDS, key=len, reverse=True)) +
                          r")\b(?P<rest>[^?]*)", re.I)
# "Of all the cafes, which ...", "At which bakery is ...": a leading phrase before the question word
_ASK_PREFIX = r"(?:(?:can|could) you\s+)?(?:(?:tell|show) me\s+)?"  # "Can you tell me which ...": no ask of its own
_WHICH = re.compile(r"^\s*" + _ASK_PREFIX + r"(?:(?:of|among|across|from|at|in|for)\b[^?]*?\s)?(which|what|who|where)\b(?P<group>[^?]*?)\b"
                    r"(has|have|had|is|are|was|were|sells?|sold|"
                    r"offers?|offered|charges?|charged|gives?|gave|lists?|listed|quotes?|quoted|costs?|scored?|"
                    r"holds?|held|opens?|opened|takes?|took|runs?|ran|the)\b", re.I)
_COUNT = re.compile(r"\b(in )?how many (?P<of>of (the|our|these|those) )?(?P<group>[\w' -]+?) (?P<verb>"
                    r"(?:can|could) (?:i|you|we|one|people|customers|visitors) (?:buy|get|find|order|have|try)|"
                    r"mention|mentions|"
                    r"mentioned|talk about|talks about|talked about|discuss|discusses|discussed|say|says|said|cover|"
                    r"covers|covered|refer to|refers to|referred to|bring up|brings up|brought up|include|includes|"
                    r"included|feature|features|featured|sell|sells|sold|offer|offers|offered|show|shows|showed|"
                    r"is|are|was|were|does|do|did|has|have|had)\b(?P<topic>[^?]*)", re.I)
# "Which meetings mention X?", "Count / list the meetings that mention X": the count plan, which cites each
_LIST = re.compile(r"^\W*(?:(?:can|could) you\s+)?(?:(?:tell|show) me\s+|please\s+)?(?:(?:count|list|name|find|show)\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?(?:the|our|these|those)\s+"
                   r"|which\s+(?:of\s+(?:the|our|these|those)\s+)?)(?P<group>[\w' -]+?)\s+(?:that\s+|which\s+)?"
                   r"(?P<verb>mention|mentioned|talk about|talked about|discuss|discussed|cover|covered|refer to|"
                   r"referred to|bring up|brought up|include|included|feature|featured|sell|sold|offer|offered|show|"
                   r"showed)\b(?P<topic>[^?.]*)", re.I)
_PASSIVE_TAIL = re.compile(r"\s+(mentioned|discussed|talked about|covered|brought up|raised|referred to|included|"
                           r"featured|named|listed|shown|announced|planned)\s*$", re.I)
_CONTAINERS = frozenset("videos clips recordings talks lectures meetings episodes files sessions presentations "
                        "tours events briefings interviews cafes cafés shops stores".split())


def fold(text: str) -> str:
    """Lowercase without accents, for matching names ("Café" ~ "cafe")."""
    nfkd = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in nfkd if not unicodedata.combining(c))


# Kana and CJK characters: written without spaces, each one is a word of its own ("每杯8元" holds "8").
NO_SPACES = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def content_words(text: str) -> list[str]:
    text = NO_SPACES.sub(lambda m: f" {m.group()} ", fold(text))
    return [w for w in re.findall(r"[\w$.%]+", text) if w.strip(".") and w not in STOPWORDS]


SHAPES = ("lookup", "compare", "count", "adjacent")


@dataclass
class Plan:
    question: str
    queries: list[str]
    video_ids: list[str] | None = None  # videos the question names: searched first, not alone
    when: str | None = None  # "start" | "end"
    after_topic: str | None = None  # adjacent: the slide or part the question reads after (or before)
    slide_at: str | None = None  # adjacent: "first" | "last": the slide is named by its place in the video
    shape: str = "lookup"  # one of SHAPES
    direction: str | None = None  # adjacent: "after" | "before"; compare: "min" | "max"
    topic: str | None = None  # count: what the counted videos mention; compare: the attribute compared
    value_question: str | None = None  # compare: the question asked of each candidate video
    group: str | None = None  # count / compare: the kind of video asked about ("meetings")
    what_next: bool = False  # adjacent: the question asks what is said there, not one fact from it
    reads: str = "said"  # adjacent, what_next: "said" (the speech there) or "shown" (the slide there)
    notes: list[str] = field(default_factory=list)


def make_plan(question: str, videos: list[tuple[str, str]]) -> Plan:
    """``videos``: (video_id, video_path) of the indexed videos, to recognise one the question names."""
    keywords = " ".join(w.strip(".") for w in content_words(question))
    queries = [question] + ([keywords] if keywords and keywords != fold(question).strip() else [])
    plan = Plan(question=question, queries=queries)
    q_words = set(re.findall(r"\w+", fold(question)))
    named = _named(q_words, videos, _proper_names(question))
    if named:
        plan.video_ids = named
        plan.notes.append(f"{len(named)} video(s) named in the question: searched first")
    if m := (_AFTER.search(question) or _GONE.search(question) or _NAMED_FIRST.search(question)
             or _FOLLOWS.search(question) or _SLIDE_AFTER.search(question)):
        plan.shape = "adjacent"
        plan.direction = "before" if m.re is not _GONE and re.match(r"(before|preced|comes? before|came before)",
                                                                    m.group("dir").lower()) else "after"
        plan.after_topic = _TOPIC_TAIL.sub("", (m.group("topic") or m.groupdict().get("topic2") or "").strip()
                                           ).rstrip(" .!")
        # The question's own ask: the words before the slide named, or after it where it comes first ("After
        # the slide titled X, what does the speaker say?", "Right after the slide X, what ...").
        before = question[: m.start()]
        head = before if before.strip() and not _LEAD_ADVERB.match(before) else (
            question[m.end():].strip(" ,") or question)
        if m.re is _FOLLOWS:  # "What follows the slide X?": the verb is the ask
            head = question[: m.end("dir")]
        plan.reads = "shown" if _SHOWN.search(head) or m.re is _SLIDE_AFTER or (
            m.re is _FOLLOWS and re.match(r"\s*(which|what) (slide|title|screen)s?\b", head, re.I)) else "said"
        plan.what_next = plan.reads == "shown" or bool(_WHAT_NEXT.search(head)) or _asks_what_is_said(head)
        rest = (question[: m.start()] + question[m.end():]).strip(" ,?")
        plan.value_question = (rest + "?") if content_words(rest) else question
        if pos := _SLIDE_AT.search(question[m.start():m.end()]):
            plan.slide_at = _POSITION_OF[pos.group("pos").lower()]
            plan.after_topic = pos.group().strip()
        plan.notes.append(f"{plan.direction}: {plan.after_topic}")
    elif m := _ON_SLIDE_AT.search(question):
        # The slide itself ("what is shown on the last slide of the canals talk?"): its text, or what is said
        # while it is shown.
        plan.shape, plan.direction = "adjacent", "on"
        plan.slide_at = _POSITION_OF[m.group("pos").lower()]
        plan.after_topic = f"the {plan.slide_at} slide"
        plan.reads = "shown" if _SHOWN.search(question) or re.match(
            rf"\s*what(('s| is| was) (written |displayed |shown )?on\b| (does|did) the (very )?({_POSITION_WORDS}) "
            r"(slide|title|screen)\b)", question, re.I) else "said"
        plan.what_next = True
        plan.value_question = question
        plan.notes.append(f"on: the {plan.slide_at} slide")
    elif (c := _count(question, videos)) is not None:
        plan.shape, plan.group, plan.topic = "count", c[0], c[1]
        plan.notes.append(f"count {plan.group or 'videos'} that mention: {plan.topic}")
    elif (sup := _SUPERLATIVE.search(question)) and _WHICH.search(question):
        _compare(plan, sup)
    elif _START.search(question):
        plan.when = "start"
        plan.notes.append("near the start")
    elif _END.search(question):
        plan.when = "end"
        plan.notes.append("near the end")
    return plan


@functools.lru_cache(maxsize=65536)
def word_stem(word: str) -> str:
    """The Snowball (Porter 2) English stem of a folded word: "describes", "described", "describing" ->
    "describ"; "opened" -> "open"; "birds" -> "bird". The one stemmer of the ask agent: every match of a
    question's words with the evidence's (relevance, the before/after ask's verbs) goes through it."""
    return _english_stemmer().stemWord(fold(word))


@functools.lru_cache(maxsize=1)
def _english_stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


_SAYING_STEMS = frozenset(word_stem(w) for w in _SAYING)


def _asks_what_is_said(head: str) -> bool:
    """The ask is "what" (or "which topic") and names nothing but who speaks and a verb of saying."""
    if not _ASKS_WHAT.match(head):
        return False
    rest = re.sub(r"\b(tell me|go(es)? on to|went on to)\b", " ", _ASKS_WHAT.sub("", head), flags=re.I)
    return all(word_stem(w.strip(".")) in _SAYING_STEMS for w in content_words(rest))


_PROPER = re.compile(r"(?<=[\s(¿¡\"'«])[A-ZÀ-Þ][^\W\d_]{3,}")
SPELLING_RATIO = 0.8  # difflib's ratio at which a place name is another language's spelling of a file name's


def _proper_names(question: str) -> set[str]:
    """The question's capitalised words past its first (place names: "Hamburgo", "Hambourg"), folded."""
    return {fold(w) for w in _PROPER.findall(question)}


def _spells(name: str, word: str) -> bool:
    """``name`` (a capitalised word of the question) is another language's spelling of the file name's
    ``word``: "Hamburgo" and "Hambourg" of hamburg, "Sevilla" of seville; same first letter, 5 letters or
    more, and close by difflib's ratio; not its plural or singular ("Castle" does not name castles_talk.mp4,
    as the plain word does not)."""
    return (len(word) >= 5 and len(name) >= 5 and name[0] == word[0] and singular(name) != singular(word)
            and difflib.SequenceMatcher(None, name, word).ratio() >= SPELLING_RATIO)


def _named(q_words: set[str], videos: list[tuple[str, str]], proper: set[str] = frozenset()) -> list[str]:
    """Videos the question names: every word of the file name is in the question ("the bakery tour"), or a
    distinctive one is ("at the Berlin bakery" for bakerei_berlin.mp4: a word of at least 4 letters that at
    most one file name holds, in the singular or the plural; "cafe", in every cafe's name, names none of them,
    and "bridge" names neither bridge_bakery.mp4 nor bridges_talk.mp4), or is spelled as another language
    spells it by a capitalised word of the question ("la librería de Hamburgo" for buchladen_hamburg.mp4)."""
    names = {vid: [w for w in re.findall(r"[^\W_\d]+", fold(Path(path).stem)) if w not in STOPWORDS and len(w) > 1]
             for vid, path in videos}
    holders: dict[str, int] = {}
    for words in names.values():
        for w in {singular(w) for w in words}:
            holders[w] = holders.get(w, 0) + 1
    named = []
    for vid, words in names.items():
        if words and (all(w in q_words for w in words)
                      or any(len(w) >= 4 and holders[singular(w)] == 1
                             and (w in q_words or any(_spells(p, w) for p in proper)) for w in words)):
            named.append(vid)
    return named


def singular(word: str) -> str:
    word = fold(word)
    for end, repl in (("ies", "y"), ("sses", "ss"), ("shes", "sh"), ("ches", "ch"), ("s", "")):
        if word.endswith(end) and len(word) > len(end) + 2:
            return word[: -len(end)] + repl
    return word


def plural(word: str) -> str:
    """The plural of a group's noun as a count's answer writes it ("bakery" -> "bakeries", "cafe" -> "cafes")."""
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + ("es" if re.search(r"(s|sh|ch|x|z)$", word) else "s")


def _name_words(path: str) -> set[str]:
    """The words of a file name, singular ("team_meeting_monday.mp4": team, meeting, monday; not "day")."""
    return {singular(w) for w in re.findall(r"[^\W_\d]+", fold(Path(path).stem))}


def _count(question: str, videos: list[tuple[str, str]]) -> tuple[str | None, str] | None:
    """(group, topic) for "how many of the meetings mention X" / "how many videos talk about X"; None for
    "how many astronauts are in the crew" (a fact inside one video: a lookup)."""
    m = _COUNT.search(question)
    if not m:
        # "Which meetings mention X?" names the videos a count counts: a plural group, and no superlative
        # ("which cafes sell the cheapest X" compares)
        m = _LIST.search(question)
        if not m or _SUPERLATIVE.search(question) or singular(fold(m.group("group").split()[-1])) == fold(
                m.group("group").split()[-1]):
            return None
    group_words = m.group("group").split()
    if not group_words:
        return None
    last = fold(group_words[-1])
    is_group = bool(m.groupdict().get("of")) or last in _CONTAINERS or (
        len(group_words) <= 2 and sum(singular(last) in _name_words(p) for _, p in videos) >= 2)
    if not is_group or m.group("verb").lower() in ("is", "are", "was", "were", "has", "have", "had") and not (
            m.groupdict().get("of") or last in _CONTAINERS):
        return None
    topic = m.group("topic").strip(" ,")
    if m.group("verb").lower() in ("is", "are", "was", "were"):
        # "in how many of the meetings is the fire drill discussed": the verb comes after the topic.
        topic = _PASSIVE_TAIL.sub("", topic).strip(" ,")
    if not content_words(topic):
        return None
    group = None if last in ("videos", "clips", "recordings", "files") else singular(last)
    return group, topic


# The videos compared, named around the superlative: "among the bakeries", "of all our cafes", "at which bakery"
_GROUP_PHRASE = re.compile(r"\b(?:(?:among|across|between|of|from|in|at)\s+(?:all\s+)?(?:of\s+)?(?:the|our|these|those)"
                           r"|(?:at|in|from|of)\s+which)\s+(?P<group>[^\W\d_]+)\b", re.I)


def _group_phrase(question: str) -> re.Match | None:
    """The phrase naming the videos compared, where it names them by a plural noun ("among the bakeries") or
    after "at which" ("at which bakery"); a singular after "of the" is a thing's part ("of the menu")."""
    for m in _GROUP_PHRASE.finditer(question):
        noun = fold(m.group("group"))
        if noun not in STOPWORDS and (singular(noun) != noun or re.search(r"\bwhich\s+$", m.group()[: m.start("group")
                                                                                                     - m.start()])):
            return m
    return None


def _compare(plan: Plan, sup: re.Match) -> None:
    word = sup.group("word").lower()
    phrase = _group_phrase(plan.question)
    rest = sup.group("rest")
    if phrase is not None and phrase.start() >= sup.end("word"):  # "the cheapest baguette among the bakeries"
        rest = plan.question[sup.end("word"):phrase.start()] + plan.question[phrase.end():sup.end("rest")]
    rest = rest.strip(" ,")
    plan.shape = "compare"
    plan.direction = "min" if word in _MIN_WORDS else "max"
    which = re.match(r"\s*" + _ASK_PREFIX + r"(which|what) (of (the|our|these) )?(?P<group>\w+)", plan.question, re.I)
    plan.group = singular(which.group("group")) if which and fold(which.group("group")) not in STOPWORDS else None
    if plan.group is None and phrase is not None:
        plan.group = singular(fold(phrase.group("group")))
    words = [w for w in re.findall(r"[\w$%'-]+", rest) if fold(w) not in ("the", "a", "an")]
    while words and fold(words[-1]) in STOPWORDS:  # "is the scone cheapest at?": a trailing "at" names nothing
        words.pop()
    attribute = " ".join(words)
    if not attribute:
        # The thing compared before the superlative: "At which bakery is the scone most expensive?", "Where is
        # the baguette cheapest among the bakeries?": the content words before it, the group's noun left out.
        head = plan.question[: sup.start("word")]
        if phrase is not None and phrase.start() < sup.start("word"):
            head = head[: phrase.start()] + head[phrase.end():]
        group_forms = {plan.group, plural(plan.group)} if plan.group else set()
        attribute = " ".join(w for w in content_words(head) if w not in group_forms and not _VERB_WORD.match(w))
    if word in _PRICE_WORDS:
        plan.topic = f"{attribute} price".strip()
        plan.value_question = f"How much is the {attribute}?" if attribute else "How much does it cost?"
    elif word in ("most", "fewest", "more", "fewer", "least"):
        plan.topic = attribute
        plan.value_question = f"How many {attribute}?"
    else:
        plan.topic = f"{word} {attribute}".strip()
        noun = attribute or word
        plan.value_question = f"What is the {noun}?"
    plan.notes.append(f"compare ({plan.direction}) over videos: {plan.value_question}")
