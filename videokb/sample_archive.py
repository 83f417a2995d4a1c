"""A generated archive for questions over many videos, with the questions and their answers.

Families of look-alike videos (cafes with menus, team meetings with agendas, science talks with titled
slides), distractors that share a family's words without belonging to it (a school cafeteria with a menu
that mentions a fire drill), one long lecture, videos narrated in German, Spanish, French, Italian and
Mandarin, and questions of each kind (lookup, long-video lookup, compare, count, before/after,
not-in-archive, cross-language), each kind asked with several templates.

The train/dev split is seeded and goes by template AND by video: a seeded third of each kind's templates and
a seeded third of each family's videos (for compare: of the items compared; count: of the topics; long
lookup: of the lecture's facts; cross-language: of the foreign videos) are "train". A case is train when
both its template and its video are, dev when neither is, and "mixed" otherwise (scored only with
``--split all``), so a dev question shares neither its wording nor its video with any train question.
``bench/ask_quality.py`` ingests the archive and scores ``videokb ask``; the tests use the families.
Everything comes from a seed: the same seed gives the same videos, questions and split.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

from videokb.sample import RENDER_VERSION, SampleVideo, SceneSpec, VideoSpec, make_video
from videokb.sample_archive_bank2 import BANK2
from videokb.sample_archive_banks import BANK0, BANK1
from videokb.sample_archive_more import more_cases
from videokb.sample_archive_shapes import SHAPES, shape_cases

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
        "seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def spoken(n: int) -> str:
    """0-999 as words, as a narrator says it."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    rest = n % 100
    return f"{_ONES[n // 100]} hundred" + (f" {spoken(rest)}" if rest else "")


def spoken_price(cents: int) -> str:
    d, c = divmod(cents, 100)
    return f"{spoken(d)} dollars" + (f" and {spoken(c)} cents" if c else "")


def price(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


@dataclass
class Case:
    kind: str  # lookup | long_lookup | compare | count | adjacent | not_found | cross_language
    question: str
    accepted: list[str]  # the answer is right if it holds any of these (case-folded); [] = "not found"
    videos: list[str] = field(default_factory=list)  # file names the citations must cover
    evidence: list[str] = field(default_factory=list)  # a cited window of those videos must hold one of these
    split: str = "dev"  # train | dev | mixed (template and video on different sides)
    template: str = ""  # which wording of the kind ("lookup/1")
    key: str = ""  # what the split goes by besides the template: a video, an item, a topic, a fact


@dataclass
class Archive:
    specs: list[VideoSpec]
    cases: list[Case]


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


class _Splitter:
    """Seeded train sets of templates (per kind) and of keys (per family); a case's split follows both."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"split-{seed}")
        self.train: set[str] = set()

    def choose(self, names: list[str]) -> None:
        """A third of ``names`` (at least one) goes to train."""
        self.train.update(self.rng.sample(names, max(1, len(names) // 3)))

    def __call__(self, template: str, key: str) -> str:
        t, k = template in self.train, key in self.train
        return "train" if t and k else "dev" if not t and not k else "mixed"


BANKS = [BANK0, BANK1, BANK2]


def build_archive(seed: int = 0, *, cafes: int = 4, meetings: int = 4, lecture_scenes: int = 30,
                  foreign: bool = True, talks: bool = True, distractors: bool = True, variant: int = 0,
                  train_talks: bool = True) -> Archive:
    """The archive of ``variant``'s bank of facts (:mod:`videokb.sample_archive_banks`; 0: the tuned one, 1: a
    fresh one sharing no fact, name, number or wording with it; 2: :mod:`videokb.sample_archive_bank2`, a third
    made after the before/after fixes), its numbers and split drawn from ``seed``.
    ``cafes``: shops of the family (cafes, bakeries); ``meetings``: meetings; ``train_talks``: the extra
    talks whose questions are always train."""
    bank = BANKS[variant]
    rng = random.Random(seed)
    split = _Splitter(seed)
    for kind, templates in (("lookup", bank.lookup_t), ("compare", bank.compare_t), ("count", bank.count_t),
                            ("adjacent", bank.adjacent_t), ("long_lookup", bank.long_t), ("talk", ["0", "1"]),
                            ("cross_language", ["en", "other"])):
        split.choose([f"{kind}/{i}" for i in range(len(templates))])
    specs: list[VideoSpec] = []
    cases: list[Case] = []

    def add(kind: str, template: str, key: str, question: str, accepted: list[str], videos: list[str],
            evidence: list[str], forced: str | None = None) -> None:
        cases.append(Case(kind, question, accepted, videos, evidence, forced or split(template, key), template, key))

    # -- shops (cafes): one menu each; compare the prices across them ------------------------------
    names = rng.sample(bank.shops, cafes)
    prices = {item: rng.sample(bank.price_range, cafes) for item in bank.items}
    noun = bank.shop
    split.choose([f"{n}_{noun}.mp4" for n in names])
    split.choose(list(bank.items))
    for i, name in enumerate(names):
        p = {item: prices[item][i] for item in bank.items}
        title = f"{name.title()} {noun.title()}"
        file = f"{name}_{noun}.mp4"
        specs.append(VideoSpec(file, title, bank.shop_scenes(title, p, spoken_price, price)))
        for j, item in enumerate(bank.items):  # each fact in two of the wordings, in turn
            for t in (i + j) % len(bank.lookup_t), (i + j + 1) % len(bank.lookup_t):
                q = bank.lookup_t[t].format(a=_article(item), item=item, title=title)
                add("lookup", f"lookup/{t}", file, q, [price(p[item])[1:]], [file], [price(p[item])])
    for item in bank.items:
        for word, pick in (("cheapest", min), ("most expensive", max)):
            best = names[prices[item].index(pick(prices[item]))]
            for t, template in enumerate(bank.compare_t):
                add("compare", f"compare/{t}", item, template.format(word=word, item=item), [f"{best}_{noun}"],
                    [f"{c}_{noun}.mp4" for c in names], [price(pick(prices[item]))])

    # -- meetings: agendas; count the meetings that mention a topic --------------------------------
    days = bank.days[:meetings]
    topics = list(bank.topics)
    agenda = {d: rng.sample(topics, 2) for d in days}
    split.choose(topics)
    for d in days:
        said, slide = bank.meeting_open
        scenes = [SceneSpec(said.format(D=d.title()), slide_text=slide.format(D=d.title()))]
        for t in agenda[d]:
            slide, said = bank.topics[t]
            scenes.append(SceneSpec(said, slide_text=slide))
        specs.append(VideoSpec(bank.meeting_file.format(d=d), bank.meeting_title.format(D=d.title()), tuple(scenes)))
    for topic in topics:
        having = [d for d in days if topic in agenda[d]]
        for t, template in enumerate(bank.count_t):
            add("count", f"count/{t}", topic, template.format(topic=topic), [str(len(having))],
                [bank.meeting_file.format(d=d) for d in having], [topic.split()[-1]])

    # -- distractors: a shop that is not of the family, with prices, that mentions a meeting topic --
    if distractors:
        specs.append(VideoSpec(*bank.distractor))

    # -- science talks: titled slides; what is said after a slide ----------------------------------
    if talks:
        split.choose(list(bank.talks))
        for name, parts in bank.talks.items():
            file = f"{name}.mp4"
            specs.append(_talk(name, parts))
            for i, ((title, _), (_, said_next)) in enumerate(zip(parts, parts[1:])):
                if title is None:
                    continue
                key = _key_word(said_next)
                for t in i % len(bank.adjacent_t), (i + 1) % len(bank.adjacent_t):
                    add("adjacent", f"adjacent/{t}", file, bank.adjacent_t[t].format(title=title), [key.lower()],
                        [file], [key])
            for questions, accepted in bank.talk_facts[name]:
                for t, q in enumerate(questions):
                    add("lookup", f"talk/{t}", file, q, accepted, [file], accepted)

    # -- one long lecture: facts far apart ---------------------------------------------------------
    if lecture_scenes:
        scenes, facts = [], []
        base, step, jitter = bank.lecture_years
        said, slide = bank.lecture_fact
        for i in range(lecture_scenes):
            year = base + step * i + rng.randrange(jitter)
            if i % 3 == 0 and len(facts) < len(bank.lecture_things):
                thing = bank.lecture_things[len(facts)]
                scenes.append(SceneSpec(said.format(i=i + 1, thing=thing, year=year),
                                        slide_text=slide.format(i=i + 1, Thing=thing.title(), year=year)))
                facts.append((thing, year))
            else:
                scenes.append(SceneSpec(bank.lecture_filler.format(i=i + 1),
                                        photo=["moon", "clock", "coins", "camera"][i % 4]))
        specs.append(VideoSpec(bank.lecture[0], bank.lecture[1], tuple(scenes)))
        split.choose([e for e, _ in facts])
        for thing, year in facts:
            for t in range(len(bank.long_t)):
                add("long_lookup", f"long_lookup/{t}", thing, bank.long_t[t].format(thing=thing),
                    [str(year)], [bank.lecture[0]], [str(year)])

    # -- other languages ---------------------------------------------------------------------------
    if foreign:
        split.choose([f[0] for f in bank.foreign])
        for file, voice, said, slide, facts in bank.foreign:
            specs.append(VideoSpec(file, file[:-4].replace("_", " ").title(), (
                SceneSpec(said, slide_text=slide, voice=voice),)))
            for english, other, accepted in facts:
                add("cross_language", "cross_language/0", file, english, accepted, [file], accepted)
                add("cross_language", "cross_language/1", file, other, accepted, [file], accepted)

    shop = f"{names[0].title()} {noun.title()}"
    not_found = [q.format(shop=shop) for q in bank.not_in_archive]
    split.choose(not_found)
    for q in not_found:  # one wording each: the question is its own template
        add("not_found", q, q, q, [], [], [])

    # -- train talks: more lookups of measures and of where / who / when, and what is said after each
    # slide, always train ------------------------------------------------------------------------------
    # (after every seeded draw, so adding them changes no other question's split)
    if train_talks:
        for name, parts in bank.train_talks.items():
            specs.append(_talk(name, parts))
            for i, ((title, _), (_, said_next)) in enumerate(zip(parts, parts[1:])):
                if title is not None:  # what is said after each slide, in every wording
                    key = _key_word(said_next)
                    for t, template in enumerate(bank.adjacent_t):
                        add("adjacent", f"train_adjacent/{t}", f"{name}.mp4", template.format(title=title),
                            [key.lower()], [f"{name}.mp4"], [key], forced="train")
            for questions, accepted in bank.train_facts[name]:
                for t, q in enumerate(questions):
                    add("lookup", f"train_talk/{t}", f"{name}.mp4", q, accepted, [f"{name}.mp4"], accepted,
                        forced="train")
        for q in bank.train_not_found:
            add("not_found", q, q, q, [], [], [], forced="train")
        # before/after in more shapes (other wordings, a part of a title, before-slide questions) on the train
        # talks and on talks built for them (titles sharing words, a slide shown in silence, the last slide)
        shapes = SHAPES[variant]
        specs.extend(_talk(name, parts) for name, parts in shapes.talks.items())
        for template, file, question, accepted in shape_cases({**bank.train_talks, **shapes.talks}, shapes):
            add("adjacent", template, file, question, accepted, [file], accepted, forced="train")
        # more shapes made up in round ask6 on the same talks (videokb.sample_archive_more), after all of these
        for kind, template, file, question, accepted in more_cases(variant):
            add(kind, template, file or question, question, accepted, [file] if file else [], accepted,
                forced="train")
    return Archive(specs, cases)


def _talk(name: str, parts: list[tuple[str | None, str]]) -> VideoSpec:
    return VideoSpec(f"{name}.mp4", name.replace("_", " ").title(), tuple(
        SceneSpec(said, slide_text=title) if title else SceneSpec(said, photo=_photo(said)) for title, said in parts))


_NUMBER_WORDS = frozenset(_ONES + _TENS + ["hundred", "thousand", "million"])


def _key_word(said: str) -> str:
    """The word that shows an answer read what was said: the longest of ``said`` that is no number."""
    return max((w for w in said.split() if w.isalpha() and w not in _NUMBER_WORDS), key=len)


def _photo(said: str) -> str:
    for name in ("moon", "brick", "clock", "coffee", "coins", "camera"):
        if name in said or (name == "brick" and "bricks" in said):
            return name
    if "galaxies" in said:
        return "hubble_deep_field"
    return "moon"


def make_archive(archive: Archive, out_dir: Path) -> list[SampleVideo]:
    """Write every video of ``archive`` into ``out_dir``; returns those made. A file is kept only when it was
    made here from the same spec by the same renderer (``.specs.json`` records a digest per file), so a changed
    spec or renderer never leaves a stale video in a benchmark (a Mandarin slide made before the CJK font was
    used showed empty boxes)."""
    out_dir = Path(out_dir)
    record = out_dir / ".specs.json"
    made = json.loads(record.read_text()) if record.exists() else {}
    out = []
    for spec in archive.specs:
        digest = hashlib.sha256(f"{RENDER_VERSION}:{spec!r}".encode()).hexdigest()
        if (out_dir / spec.filename).exists() and made.get(spec.filename) == digest:
            continue
        out.append(make_video(spec, out_dir))
        made[spec.filename] = digest
        tmp = record.with_suffix(".tmp")  # after the video, so a killed run never records a half-made file
        tmp.write_text(json.dumps(made, indent=1, sort_keys=True))
        os.replace(tmp, record)
    return out


__all__ = ["Archive", "Case", "build_archive", "make_archive", "price", "spoken", "spoken_price"]
